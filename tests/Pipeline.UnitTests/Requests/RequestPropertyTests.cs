using System.Text.Json.Nodes;
using CsCheck;
using Pipeline.Core.Requests;

namespace Pipeline.UnitTests.Requests;

/// <summary>
/// Property-based: whatever a stranger sends — any JSON tree with the request's field names and others, any values,
/// any bytes — the request reader and validator answer with a request or with problems by field, and never throw.
/// </summary>
public sealed class RequestPropertyTests
{
    private static readonly string[] Fields =
    [
        "prompt", "resolution", "duration", "aspect_ratio", "generate_audio", "seed", "end_user_id", "image_url", "end_image_url",
        "image_urls", "video_urls", "audio_urls", "correlation", "mode", "images", "videos", "audios", "end_image", "", "__proto__",
    ];

    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String,
        Gen.OneOf(
            "480p", "720p", "auto", "4", "15", "16", "0", "-1", "16:9", "9:16", "true", "1e400", "https://example.com/a.png",
            "blob:uploads/x/a.png", "ftp://x", "@Image1 waves", "@Image99999999999 @Video0 @Audio4", "\u0000\u001f", "\uFFFD\uD800",
            "data:image/png;base64,AAAA"),
        Gen.Char.Array[0, 3000].Select(c => new string(c)));

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf(
        Gen.Const(() => (JsonNode?)null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Double.Select(d => (JsonNode?)JsonValue.Create(double.IsFinite(d) ? d : 0)),
        Text.Select(s => (JsonNode?)JsonValue.Create(s)));

    private static Gen<JsonNode?> Value(int depth) => depth >= 3
        ? Scalar
        : Gen.OneOf(
            Scalar,
            Scalar,
            Scalar,
            Value(depth + 1).Array[0, 14].Select(items => (JsonNode?)new JsonArray([.. items])),
            Body(depth + 1).Select(o => (JsonNode?)o));

    private static Gen<JsonObject> Body(int depth) =>
        Gen.Select(Gen.OneOf(Gen.OneOf(Fields), Gen.String).Array[0, 10], Value(depth).Array[10], (keys, values) =>
        {
            var body = new JsonObject();
            for (var i = 0; i < keys.Length; i++)
            {
                body[keys[i]] = values[i]?.DeepClone();
            }

            return body;
        });

    [Fact]
    public void Validate_AnyBody_AnswersARequestOrProblemsAndNeverThrows() =>
        Gen.Select(Gen.OneOf(VideoModes.All.ToArray()), Body(0), Gen.Bool).Sample((mode, body, blobs) =>
        {
            var errors = new ValidationErrors();
            var (fields, _) = Correlation.Split(body, errors);
            var (request, problems) = VideoRequestValidator.Validate(mode, fields, blobs);
            return (request is null) == (problems.Count > 0) && problems.All(p => p.Key.Length > 0 && p.Value.Length > 0);
        }, iter: 3000);

    [Fact]
    public void Parse_AnyBytes_AnswersJsonOrAProblemAndNeverThrows() =>
        Gen.OneOf(Gen.Byte.Array[0, 2000], Body(0).Select(b => System.Text.Encoding.UTF8.GetBytes(b.ToJsonString()))).Sample(bytes =>
        {
            var read = RequestJson.Parse(bytes);
            return read is RequestJson.Read.Parsed or RequestJson.Read.Invalid { Problem.Length: > 0 };
        }, iter: 3000);

    [Fact]
    public void TextFields_AnyFormValue_BecomeJsonTheValidatorJudges() =>
        Gen.Select(Gen.OneOf(Fields), Text).Sample((field, value) =>
        {
            var body = new JsonObject { ["prompt"] = "p", [field.Length == 0 ? "x" : field] = TextFieldValues.ToJson(field, value) };
            var (request, problems) = VideoRequestValidator.Validate(VideoMode.TextToVideo, body, allowBlobReferences: false);
            return (request is null) == (problems.Count > 0);
        }, iter: 2000);
}
