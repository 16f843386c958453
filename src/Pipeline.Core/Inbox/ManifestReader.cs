using System.Text;
using System.Text.Json.Nodes;
using Pipeline.Core.Requests;

namespace Pipeline.Core.Inbox;

/// <summary>
/// One row of a manifest: its number (from 1, header and blank lines not counted) and its fields, or why it cannot be
/// read.
/// </summary>
public sealed record ManifestRow(int Row, JsonObject? Fields, string? Problem = null);

/// <summary>What reading a manifest gave: its rows and the hash of its bytes, or why the whole file is refused.</summary>
public abstract record ManifestRead
{
    public sealed record Rows(IReadOnlyList<ManifestRow> Items, string Sha256) : ManifestRead;

    public sealed record Refused(string Problem) : ManifestRead;
}

/// <summary>
/// Reads a manifest as it streams, one job per row: <c>.jsonl</c> (a JSON object per line, the fields of a lone
/// request) or <c>.csv</c> (a header of field names; lists such as <c>images</c> separated by <c>;</c>;
/// <c>correlation.KEY</c> columns make the correlation map; empty cells are absent fields). At most
/// <see cref="MaxBytes"/> and <see cref="MaxRows"/> rows, UTF-8.
/// </summary>
public static class ManifestReader
{
    public const int MaxBytes = 4 * 1024 * 1024;

    public const int MaxRows = 1000;

    private static readonly string[] ListFields = ["images", "videos", "audios", "image_urls", "video_urls", "audio_urls"];

    private const string CorrelationColumnPrefix = "correlation.";

    public static bool IsManifest(string name) =>
        Path.GetExtension(name).ToLowerInvariant() is ".jsonl" or ".csv";

    public static async Task<ManifestRead> ReadAsync(Stream content, string name, CancellationToken cancellationToken)
    {
        await using var bytes = new ManifestBytes(content, MaxBytes);
        using var text = new StreamReader(
            bytes,
            new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true),
            detectEncodingFromByteOrderMarks: false);
        try
        {
            var rows = Path.GetExtension(name).Equals(".csv", StringComparison.OrdinalIgnoreCase)
                ? await CsvRowsAsync(text, cancellationToken)
                : await JsonLinesAsync(text, cancellationToken);
            if (rows is ManifestRead.Refused refused)
            {
                return refused;
            }

            var items = ((ManifestRead.Rows)rows).Items;
            return items.Count == 0 ? new ManifestRead.Refused("the manifest has no rows") : new ManifestRead.Rows(items, bytes.Sha256);
        }
        catch (ManifestTooLargeException e)
        {
            return new ManifestRead.Refused(e.Message);
        }
        catch (DecoderFallbackException)
        {
            return new ManifestRead.Refused("the manifest is not UTF-8 text");
        }
        catch (InvalidDataException e)
        {
            return new ManifestRead.Refused(e.Message);
        }
    }

    private static async Task<ManifestRead> JsonLinesAsync(StreamReader text, CancellationToken cancellationToken)
    {
        var rows = new List<ManifestRow>();
        while (await text.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (rows.Count == MaxRows)
            {
                return TooManyRows();
            }

            var number = rows.Count + 1;
            rows.Add(RequestJson.Parse(Encoding.UTF8.GetBytes(line)) switch
            {
                RequestJson.Read.Parsed { Node: JsonObject fields } => new ManifestRow(number, fields),
                RequestJson.Read.Parsed => new ManifestRow(number, null, "the line must hold one JSON object"),
                RequestJson.Read.Invalid invalid => new ManifestRow(number, null, $"the line is not valid JSON: {invalid.Problem}"),
                _ => new ManifestRow(number, null, "the line is too large"),
            });
        }

        return new ManifestRead.Rows(rows, "");
    }

    private static async Task<ManifestRead> CsvRowsAsync(StreamReader text, CancellationToken cancellationToken)
    {
        var records = new CsvRecords(text);
        var header = await records.NextAsync(cancellationToken);
        if (header is null)
        {
            return new ManifestRead.Rows([], "");
        }

        var columns = header.Select(h => h.Trim().TrimStart('\uFEFF')).ToList();
        if (columns.Any(string.IsNullOrEmpty) || columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
        {
            return new ManifestRead.Refused("the header must name each column once (the request's fields, e.g. prompt,image,resolution)");
        }

        var rows = new List<ManifestRow>();
        while (await records.NextAsync(cancellationToken) is { } record)
        {
            if (record.All(string.IsNullOrWhiteSpace))
            {
                continue;
            }

            if (rows.Count == MaxRows)
            {
                return TooManyRows();
            }

            var number = rows.Count + 1;
            rows.Add(record.Count > columns.Count
                ? new ManifestRow(number, null, $"the row has {record.Count} cells; the header names {columns.Count} columns")
                : new ManifestRow(number, Fields(columns, record)));
        }

        return new ManifestRead.Rows(rows, "");
    }

    /// <summary>A CSV row as the JSON a lone request would hold.</summary>
    private static JsonObject Fields(List<string> columns, List<string> cells)
    {
        var fields = new JsonObject();
        for (var i = 0; i < cells.Count; i++)
        {
            var (column, cell) = (columns[i], cells[i].Trim());
            if (cell.Length == 0)
            {
                continue;
            }

            if (column.StartsWith(CorrelationColumnPrefix, StringComparison.Ordinal))
            {
                var correlation = fields[Correlation.Field] as JsonObject ?? [];
                correlation[column[CorrelationColumnPrefix.Length..]] = cell;
                fields[Correlation.Field] = correlation;
            }
            else if (ListFields.Contains(column))
            {
                fields[column] = new JsonArray(
                    [.. cell.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => (JsonNode)v)]);
            }
            else
            {
                fields[column] = TextFieldValues.ToJson(column, cell);
            }
        }

        return fields;
    }

    private static ManifestRead.Refused TooManyRows() => new($"a manifest may hold at most {MaxRows} rows; split it");
}
