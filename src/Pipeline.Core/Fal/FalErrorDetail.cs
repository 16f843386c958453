namespace Pipeline.Core.Fal;

/// <summary>One entry of fal's <c>detail</c> list.</summary>
/// <param name="Field">
/// The last name in <c>loc</c> (<c>["body", "image_urls", 2]</c> gives <c>image_urls</c>), so it matches the field
/// names our own validator reports; <c>body</c> for errors about the whole input.
/// </param>
/// <param name="Message">fal's <c>msg</c>.</param>
/// <param name="Type">fal's error type, e.g. <c>file_download_error</c>.</param>
public sealed record FalErrorDetail(string Field, string Message, string Type);
