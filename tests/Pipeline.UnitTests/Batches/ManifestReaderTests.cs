using System.Text;
using System.Text.Json.Nodes;
using Pipeline.Core.Batches;
using Pipeline.Core.Inbox;

namespace Pipeline.UnitTests.Batches;

public sealed class ManifestReaderTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static Task<ManifestRead> Read(string name, string text) => Read(name, Encoding.UTF8.GetBytes(text));

    private static async Task<ManifestRead> Read(string name, byte[] bytes)
    {
        await using var stream = new MemoryStream(bytes);
        return await ManifestReader.ReadAsync(stream, name, Token);
    }

    [Fact]
    public async Task Csv_QuotedCellsListsCorrelationColumnsAndEmptyCells_BecomeTheFieldsOfALoneRequest()
    {
        var read = await Read("batch.csv",
            "\uFEFFprompt,images,seed,generate_audio,correlation.sku,end_image\r\n" +
            "\"Line one,\r\nline \"\"two\"\"\",a.jpg; b.png ;,42,false,SKU-9,\n" +
            "\r\n" +
            "Plain,,,,,\n");

        var rows = Assert.IsType<ManifestRead.Rows>(read).Items;
        Assert.Equal([1, 2], rows.Select(r => r.Row)); // the blank line is not a row
        var first = rows[0].Fields!;
        Assert.Equal("Line one,\r\nline \"two\"", first["prompt"]!.GetValue<string>());
        Assert.Equal(["a.jpg", "b.png"], first["images"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(42, first["seed"]!.GetValue<long>());
        Assert.False(first["generate_audio"]!.GetValue<bool>());
        Assert.Equal("SKU-9", first["correlation"]!["sku"]!.GetValue<string>());
        Assert.False(first.ContainsKey("end_image")); // an empty cell is an absent field
        Assert.Equal(new JsonObject { ["prompt"] = "Plain" }.ToJsonString(), rows[1].Fields!.ToJsonString());
    }

    [Fact]
    public async Task Csv_ARowWithMoreCellsThanColumns_IsARowProblem_AndAHeaderNamingAColumnTwice_RefusesTheFile()
    {
        var rows = Assert.IsType<ManifestRead.Rows>(await Read("a.csv", "prompt\nfine\n\"a\",b\n")).Items;
        Assert.Null(rows[0].Problem);
        Assert.Equal("the row has 2 cells; the header names 1 columns", rows[1].Problem);

        var refused = Assert.IsType<ManifestRead.Refused>(await Read("b.csv", "prompt,prompt\nx,y\n"));
        Assert.Contains("each column once", refused.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonl_EachLineIsARow_ABadLineIsItsOwnProblem()
    {
        var rows = Assert.IsType<ManifestRead.Rows>(
            await Read("a.jsonl", "{\"prompt\":\"one\"}\n\n[1,2]\n{\"prompt\":\"a\",\"prompt\":\"b\"}\n{oops\n")).Items;

        Assert.Equal([1, 2, 3, 4], rows.Select(r => r.Row));
        Assert.Equal("one", rows[0].Fields!["prompt"]!.GetValue<string>());
        Assert.Equal("the line must hold one JSON object", rows[1].Problem);
        Assert.StartsWith("the line is not valid JSON", rows[2].Problem, StringComparison.Ordinal); // a key twice
        Assert.StartsWith("the line is not valid JSON", rows[3].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSameBytes_HashAlike_AndOtherBytesDoNot()
    {
        var a = Assert.IsType<ManifestRead.Rows>(await Read("a.jsonl", "{\"prompt\":\"one\"}\n"));
        var b = Assert.IsType<ManifestRead.Rows>(await Read("b.jsonl", "{\"prompt\":\"one\"}\n"));
        var c = Assert.IsType<ManifestRead.Rows>(await Read("c.jsonl", "{\"prompt\":\"two\"}\n"));

        Assert.Equal(64, a.Sha256.Length);
        Assert.Equal(a.Sha256, b.Sha256);
        Assert.NotEqual(a.Sha256, c.Sha256);
    }

    [Theory]
    [InlineData("empty.csv", "", "the manifest has no rows")]
    [InlineData("header-only.csv", "prompt\r\n", "the manifest has no rows")]
    [InlineData("blank.jsonl", "\n\n", "the manifest has no rows")]
    public async Task AManifestWithoutRows_IsRefused(string name, string text, string problem) =>
        Assert.Equal(problem, Assert.IsType<ManifestRead.Refused>(await Read(name, text)).Problem);

    [Fact]
    public async Task TooManyRows_TooManyBytes_OrNotUtf8_AreRefusedWhole()
    {
        var rows = string.Concat(Enumerable.Repeat("{\"prompt\":\"x\"}\n", ManifestReader.MaxRows + 1));
        Assert.Contains(
            "at most 1000 rows",
            Assert.IsType<ManifestRead.Refused>(await Read("many.jsonl", rows)).Problem,
            StringComparison.Ordinal);

        var huge = "prompt\n" + string.Concat(Enumerable.Repeat(new string('x', 5_000) + "\n", 900)); // 900 rows, 4.5 MB
        Assert.Contains(
            "longer than 65536",
            Assert.IsType<ManifestRead.Refused>(await Read("cell.csv", "prompt\n" + new string('x', 70_000))).Problem,
            StringComparison.Ordinal);
        Assert.Contains(
            "at most 4 MB",
            Assert.IsType<ManifestRead.Refused>(await Read("huge.csv", huge)).Problem,
            StringComparison.Ordinal);

        Assert.Equal(
            "the manifest is not UTF-8 text",
            Assert.IsType<ManifestRead.Refused>(await Read("latin1.csv", [(byte)'p', 0xE9, 0xFF, (byte)'\n'])).Problem);
    }

    [Theory]
    [InlineData("a.csv", true)]
    [InlineData("a.JSONL", true)]
    [InlineData("a.json", false)]
    [InlineData("a.tsv", false)]
    public void IsManifest_ByExtension(string name, bool expected) => Assert.Equal(expected, ManifestReader.IsManifest(name));
}
