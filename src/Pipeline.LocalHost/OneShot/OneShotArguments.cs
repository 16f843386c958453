using System.Text.RegularExpressions;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// The program's arguments: a one-shot job (<c>photo.jpg</c>, <c>--prompt "…"</c>, <c>--sidecar photo.json</c>) and the
/// host's settings (<c>--LocalHost:Port 7071</c>, <c>--FAL_KEY …</c>). A mistake in the one-shot's part is a
/// <see cref="Problem"/>: a flag without its value, an unknown lower-case flag (a misspelt <c>--promt</c> was taken for
/// a setting, and a server started instead of the job), two images, a sidecar without an image, an empty prompt.
/// </summary>
public sealed partial record OneShotArguments(OneShotJob? Job, string[] HostArgs, string? Problem)
{
    public const string Usage = "run.sh [photo.jpg] [--prompt \"…\"] [--sidecar photo.json] [--Section:Setting value …]";

    /// <summary>ASP.NET Core's own settings, which are lower case like the one-shot's flags.</summary>
    private static readonly string[] HostFlags = ["--urls", "--environment"];

    public static OneShotArguments Parse(string[] args)
    {
        string? image = null, prompt = null, sidecar = null;
        var host = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var (flag, inline) = args[i].Split('=', 2) is [var name, var value] && name.StartsWith("--", StringComparison.Ordinal)
                ? (name, value)
                : (args[i], null);
            switch (flag)
            {
                case "--prompt" or "--sidecar":
                    var next = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : null;
                    var given = inline ?? next;
                    i += inline is null && next is not null ? 1 : 0;
                    if (given is null)
                    {
                        return Refused($"{flag} needs a value ({Usage})");
                    }

                    if ((flag == "--prompt" ? prompt : sidecar) is not null)
                    {
                        return Refused($"{flag} is given twice");
                    }

                    (prompt, sidecar) = flag == "--prompt" ? (given, sidecar) : (prompt, given);
                    break;
                case var f when OneShotFlag().IsMatch(f) && !HostFlags.Contains(f):
                    return Refused($"unknown flag {f} ({Usage})");
                case var f when f.StartsWith("--", StringComparison.Ordinal):
                    host.Add(args[i]); // a setting, with its value in the next argument unless it holds one
                    if (inline is null && i + 1 < args.Length)
                    {
                        host.Add(args[++i]);
                    }

                    break;
                case var f when f.StartsWith('-') && f.Length > 1:
                    return Refused($"unknown flag {f} ({Usage})");
                default:
                    if (image is not null)
                    {
                        return Refused($"one image at a time: {image} and {args[i]}");
                    }

                    image = args[i];
                    break;
            }
        }

        if (sidecar is not null && image is null)
        {
            return Refused($"--sidecar goes with an image: run.sh photo.jpg --sidecar {sidecar}");
        }

        if (prompt is not null && string.IsNullOrWhiteSpace(prompt))
        {
            return Refused("the prompt is empty");
        }

        return new(image is null && prompt is null ? null : new OneShotJob(image, prompt, sidecar), [.. host], null);
    }

    private static OneShotArguments Refused(string problem) => new(null, [], problem);

    [GeneratedRegex("^--[a-z][a-z-]*$")]
    private static partial Regex OneShotFlag();
}
