using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using FalEmulator.Recording;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// Random bodies against the real API (property-based, CsCheck): JSON trees of the request's fields and others with
/// junk values, bytes that are not JSON, forms with random parts, names, files and boundaries. No answer is a 5xx;
/// a refused request submits nothing and keeps no file; fal gets exactly one submit per accepted job.
/// </summary>
public sealed class HttpFuzzTests
{
    private static readonly string[] Fields =
    [
        "prompt", "resolution", "duration", "aspect_ratio", "generate_audio", "seed", "end_user_id", "image_url", "image_urls",
        "correlation", "x",
    ];

    private static readonly Gen<string> Junk = Gen.OneOf(
        Gen.String,
        Gen.OneOf("480p", "auto", "4", "@Image1", "@Image99999999999", "https://example.com/a.png", "\u0000", "\uFFFD", "{", "[]"));

    private static readonly byte[] Jpeg = TestFiles.Jpeg.ToArray();

    /// <summary>One request: its mode, its content type and its body.</summary>
    private sealed record Attempt(string Mode, string Kind, Func<HttpContent> Content)
    {
        public override string ToString() => $"{Kind} → {Mode}";
    }

    private static readonly Gen<HttpContent> JsonBody =
        Gen.Select(Gen.OneOf(Fields).Array[0, 6], Junk.Array[6], Gen.Bool, (keys, values, typed) =>
        {
            var pairs = keys.Select((k, i) =>
                $"\"{k}\":{(typed && i % 2 == 0 ? "12" : System.Text.Json.JsonSerializer.Serialize(values[i]))}");
            return (HttpContent)new StringContent("{" + string.Join(",", pairs) + "}", Encoding.UTF8, "application/json");
        });

    private static readonly Gen<HttpContent> Bytes =
        Gen.Byte.Array[0, 3000].Select(b =>
        {
            var content = new ByteArrayContent(b);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return (HttpContent)content;
        });

    /// <summary>Forms written by hand (a client library refuses odd part names; a stranger's client does not).</summary>
    private static readonly Gen<HttpContent> Form =
        Gen.Select(
            Gen.OneOf(
                [
                    "prompt", "image", "images[]", "videos[]", "audios[]", "end_image", "resolution", "image_urls[]", "",
                    "weird \"name",
                ])
                .Array[0, 6],
            Junk.Array[6],
            Gen.Int[0, 3].Array[6],
            (names, values, kinds) =>
            {
                const string Boundary = "fuzz-boundary";
                using var body = new MemoryStream();
                void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
                for (var i = 0; i < names.Length; i++)
                {
                    var (file, bytes) = kinds[i] switch
                    {
                        0 => (null, Encoding.UTF8.GetBytes(values[i])),
                        1 => ("photo.jpg", Jpeg),
                        2 => ("f.png", Encoding.UTF8.GetBytes(values[i])),
                        _ => ("empty.jpg", Array.Empty<byte>()),
                    };
                    Write($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{names[i]}\""
                        + $"{(file is null ? "" : $"; filename=\"{file}\"")}\r\n\r\n");
                    body.Write(bytes);
                    Write("\r\n");
                }

                Write($"--{Boundary}--\r\n");
                var content = new ByteArrayContent(body.ToArray());
                content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
                return (HttpContent)content;
            });

    private static readonly Gen<HttpContent> BrokenForm =
        Gen.String.Select(boundary =>
        {
            var content = new StringContent(
                $"--{boundary}\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhi\r\n",
                Encoding.UTF8);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(
                "multipart/form-data; boundary=\"" + boundary.Replace("\"", "", StringComparison.Ordinal) + "\"");
            return (HttpContent)content;
        });

    [Fact]
    public async Task RandomBodies_NeverA5xxAndARefusedRequestLeavesNothing()
    {
        // Its own Azurite: every upload left there must belong to a job this test started.
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var accepted = new HashSet<string>();
        var gen = Gen.Select(
            Gen.OneOf("text-to-video", "image-to-video", "reference-to-video", "nonsense"),
            Gen.Int[0, 3],
            (mode, kind) => (mode, kind));

        await gen.SampleAsync(async (mode, kind) =>
        {
            var body = (kind switch { 0 => JsonBody, 1 => Bytes, 2 => Form, _ => BrokenForm }).Single();
            using var response = await host.Http.PostAsync($"/api/videos/{mode}", body, PipelineTestHost.Token);
            var text = await response.Content.ReadAsStringAsync(PipelineTestHost.Token);
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {kind} to {mode}: {text}");
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(System.Text.Json.Nodes.JsonNode.Parse(text)!["id"]!.GetValue<string>());
            }
        }, iter: 150, threads: 1);

        // Every accepted job went to fal once (a job may fail there: fal validates what the pipeline lets through);
        // refused ones left no upload.
        foreach (var id in accepted)
        {
            await host.WaitForJobAsync(id, TimeSpan.FromSeconds(90));
        }

        Assert.Equal(accepted.Count, host.Fal.Recorder.Calls.Count(c => c.Kind == CallKind.Submit));
        var uploaded = host.Storage.Uploads
            .GetBlobs(cancellationToken: PipelineTestHost.Token)
            .Select(b => b.Name.Split('/')[0])
            .Distinct();
        Assert.All(uploaded, id => Assert.Contains(id, accepted));
    }
}
