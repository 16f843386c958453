using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Http;

/// <summary>
/// A <c>multipart/form-data</c> video request, read as it streams: form fields become the JSON request's fields
/// (typed as <see cref="TextFieldValues"/> says), files are stored one by one through <see cref="UploadStore"/> and
/// named in the request as blob references. File parts: <c>image</c>, <c>end_image</c>, <c>images[]</c>,
/// <c>videos[]</c>, <c>audios[]</c>. Problems are keyed by the form field the caller sent. Every part is also hashed as it
/// is read (<see cref="Fingerprint"/>), so a repeat of an idempotency key can be told from a different request; a
/// repeat is read without storing its files.
/// </summary>
public sealed class MultipartVideoForm
{
    /// <summary>The largest multipart request: every file the seed allows at its largest, plus the fields.</summary>
    public const long MaxRequestBytes = (VideoRequestValidator.MaxImageUrls + 2) * InputSniffer.MaxImageBytes
        + InputSniffer.MaxVideoBytesInAll
        + (VideoRequestValidator.MaxAudioUrls * InputSniffer.MaxAudioBytes)
        + (1 << 20);

    private const int MaxFieldBytes = 64 * 1024;

    /// <summary>Each file part: the request field it fills, whether it is a list, its kind and how many it may have.</summary>
    private static readonly Dictionary<string, (string JsonField, bool List, UploadKind Kind, int Max)> FileFields =
        new(StringComparer.Ordinal)
        {
            ["image"] = ("image_url", false, UploadKind.Image, 1),
            ["end_image"] = ("end_image_url", false, UploadKind.Image, 1),
            ["images[]"] = ("image_urls", true, UploadKind.Image, VideoRequestValidator.MaxImageUrls),
            ["videos[]"] = ("video_urls", true, UploadKind.Video, VideoRequestValidator.MaxVideoUrls),
            ["audios[]"] = ("audio_urls", true, UploadKind.Audio, VideoRequestValidator.MaxAudioUrls),
        };

    private readonly System.Security.Cryptography.IncrementalHash _parts =
        System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);

    private MultipartVideoForm()
    {
    }

    /// <summary>What the form asked for: its fields and files, part by part (<see cref="RequestFingerprint"/>).</summary>
    public string Fingerprint { get; private set; } = "";

    /// <summary>The request's fields as JSON, files as blob references.</summary>
    public JsonObject Body { get; } = [];

    /// <summary>Problems found while reading (a file of the wrong kind or too large, an unknown file field).</summary>
    public ValidationErrors Errors { get; } = new();

    /// <summary>Request fields whose file was refused: the validator's "is required" for them would only repeat the refusal.</summary>
    public HashSet<string> Refused { get; } = new(StringComparer.Ordinal);

    /// <summary>The form field a JSON field was sent as, for naming the validator's problems as the caller knows them.</summary>
    public Dictionary<string, string> SentAs { get; } = new(StringComparer.Ordinal);

    public static bool IsMultipart(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    /// <param name="uploads">Where files go; null to read a repeat only for its fingerprint (files hashed, not stored).</param>
    public static async Task<MultipartVideoForm> ReadAsync(
        HttpRequest request, VideoMode mode, string jobId, UploadStore? uploads, CancellationToken cancellationToken)
    {
        var form = await ReadPartsAsync(request, jobId, uploads, cancellationToken);
        form.Fingerprint = RequestFingerprint.Of(mode, form._parts);
        return form;
    }

    private static async Task<MultipartVideoForm> ReadPartsAsync(
        HttpRequest request, string jobId, UploadStore? uploads, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxRequestBytes;
        }

        var form = new MultipartVideoForm();
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            form.Errors.Add("body", "is multipart/form-data without a boundary");
            return form;
        }

        var reader = new MultipartReader(boundary, request.Body);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var videoBytesLeft = InputSniffer.MaxVideoBytesInAll;
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            form._parts.AppendData(Encoding.UTF8.GetBytes($"\0{name}\0"));
            var body = new HashingStream(section.Body, form._parts);
            if (!disposition.IsFileDisposition())
            {
                await form.ReadFieldAsync(name, body, cancellationToken);
                continue;
            }

            if (string.IsNullOrEmpty(HeaderUtilities.RemoveQuotes(disposition.FileName).Value)
                && string.IsNullOrEmpty(HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value))
            {
                continue; // an empty file input of a browser form
            }

            if (!FileFields.TryGetValue(name, out var rule))
            {
                form.Errors.Add(name, "is not a file field; send files as image, end_image, images[], videos[] or audios[]");
                continue;
            }

            var index = counts.GetValueOrDefault(name);
            counts[name] = index + 1;
            if (index >= rule.Max)
            {
                form.Errors.Add(name, rule.Max == 1 ? "takes one file" : $"takes at most {rule.Max} files");
                continue;
            }

            form.SentAs[rule.JsonField] = name;

            if (uploads is null)
            {
                await body.CopyToAsync(Stream.Null, cancellationToken); // a repeat: only its fingerprint is wanted
                continue;
            }

            var cap = rule.Kind == UploadKind.Video ? videoBytesLeft : rule.Kind.MaxBytes();
            var stored = await uploads.SaveAsync(jobId, name.TrimEnd('[', ']'), index, rule.Kind, body, cap, cancellationToken);
            if (stored.Blob is null)
            {
                form.Refused.Add(rule.JsonField);
                form.Errors.Add(name, rule.Kind == UploadKind.Video && stored.Problem!.StartsWith("is larger", StringComparison.Ordinal)
                    ? $"are more than {InputSniffer.MaxVideoBytesInAll / (1024 * 1024)} MB together; "
                        + "the limit is for all videos of a request"
                    : stored.Problem!);
                continue;
            }

            if (rule.Kind == UploadKind.Video)
            {
                videoBytesLeft -= stored.Bytes;
            }

            if (rule.List)
            {
                if (form.Body[rule.JsonField] is not JsonArray list)
                {
                    list = [];
                    form.Body[rule.JsonField] = list;
                }

                list.Add(stored.Blob.ToString());
            }
            else
            {
                form.Body[rule.JsonField] = stored.Blob.ToString();
            }
        }

        return form;
    }

    /// <summary>Names a validator's problem key as the caller sent the field (<c>image_urls</c> → <c>images[]</c>).</summary>
    public string FieldAsSent(string key)
    {
        var bracket = key.IndexOf('[', StringComparison.Ordinal);
        var field = bracket < 0 ? key : key[..bracket];
        return SentAs.TryGetValue(field, out var sent) ? sent : key;
    }

    private async Task ReadFieldAsync(string name, Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        if (length > MaxFieldBytes)
        {
            Errors.Add(name, $"is longer than {MaxFieldBytes / 1024} KB");
            return;
        }

        if (FileFields.ContainsKey(name))
        {
            Errors.Add(name, "must be a file");
            return;
        }

        var value = Encoding.UTF8.GetString(buffer, 0, length);
        if (value.Length == 0)
        {
            return; // an empty field is an unset one (browser forms send them)
        }

        if (name.EndsWith("[]", StringComparison.Ordinal))
        {
            // URL lists as repeated fields: image_urls[]=…&image_urls[]=…
            var field = name[..^2];
            if (Body[field] is not JsonArray list)
            {
                list = [];
                Body[field] = list;
            }

            list.Add(value);
            return;
        }

        Body[name] = TextFieldValues.ToJson(name, value);
    }

    /// <summary>A part's body, fed to the form's hash as it is read.</summary>
    private sealed class HashingStream(Stream inner, System.Security.Cryptography.IncrementalHash hash)
        : Pipeline.Core.Storage.ForwardOnlyReadStream
    {
        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            hash.AppendData(buffer[..n]);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            hash.AppendData(buffer.Span[..n]);
            return n;
        }
    }
}
