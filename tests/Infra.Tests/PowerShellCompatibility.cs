using System.Text;
using System.Text.RegularExpressions;

namespace Infra.Tests;

/// <summary>
/// Finds in a PowerShell script what Windows PowerShell 5.1 lacks or treats differently from PowerShell 7: azd runs a
/// `shell: pwsh` hook with Windows PowerShell when pwsh is missing, and 5.1 cannot run on this machine. A scan of the
/// text with comments and string contents blanked out, not a parser: it knows the constructs listed in
/// <see cref="Findings"/> and nothing more.
/// </summary>
internal static partial class PowerShellCompatibility
{
    /// <summary>The name of the one function allowed to run az (it reads $LASTEXITCODE and az's stderr itself).</summary>
    public const string AzRunner = "Invoke-Az";

    private static readonly (string Name, Regex Pattern)[] Ps6Only =
    [
        ("null-coalescing operator ?? or ??= (PowerShell 7)", new(@"\?\?")),
        ("null-conditional member access ?. or ?[ (PowerShell 7)", new(@"\?\.|\}\?\[|\w\?\[")),
        ("ternary operator a ? b : c (PowerShell 7)", new(@"(?<!\|\s*)\s\?\s[^\n]*\s:\s")),
        ("pipeline chain operator && or || (PowerShell 7)", new(@"&&|\|\|")),
        ("ConvertFrom-Json -AsHashtable (PowerShell 6)", new(@"-AsHashtable\b", RegexOptions.IgnoreCase)),
        ("ConvertFrom-Json -Depth (PowerShell 6.2)", new(@"ConvertFrom-Json[^\n|;]*-Depth\b", RegexOptions.IgnoreCase)),
        ("ConvertTo-Json -AsArray or -EnumsAsStrings (PowerShell 6)", new(@"-(AsArray|EnumsAsStrings)\b", RegexOptions.IgnoreCase)),
        ("Join-String (PowerShell 6.2)", new(@"\bJoin-String\b", RegexOptions.IgnoreCase)),
        ("ForEach-Object -Parallel (PowerShell 7)", new(@"-Parallel\b", RegexOptions.IgnoreCase)),
        (
            "Get-Error, Test-Json, Get-Uptime, Remove-Alias or Remove-Service (PowerShell 6+)",
            new(@"\b(Get-Error|Test-Json|Get-Uptime|Remove-Alias|Remove-Service)\b", RegexOptions.IgnoreCase)),
        ("-AsByteStream (PowerShell 6; 5.1 has -Encoding Byte)", new(@"-AsByteStream\b", RegexOptions.IgnoreCase)),
        ("encoding utf8NoBOM (PowerShell 6)", new(@"\butf8NoBOM\b", RegexOptions.IgnoreCase)),
        (
            "Invoke-WebRequest/RestMethod -SkipHttpErrorCheck, -StatusCodeVariable, -ResponseHeadersVariable, "
                + "-Authentication or -Token (PowerShell 6+)",
            new(@"-(SkipHttpErrorCheck|StatusCodeVariable|ResponseHeadersVariable|Authentication|Token)\b", RegexOptions.IgnoreCase)),
        (
            "$IsWindows, $IsLinux, $IsMacOS, $IsCoreCLR or $PSStyle (PowerShell 6+)",
            new(@"\$(IsWindows|IsLinux|IsMacOS|IsCoreCLR|PSStyle)\b", RegexOptions.IgnoreCase)),
        ("clean block (PowerShell 7.3)", new(@"(^|\n)\s*clean\s*\{", RegexOptions.IgnoreCase)),
    ];

    /// <summary>What in <paramref name="script"/> would fail, or behave otherwise, on Windows PowerShell 5.1.</summary>
    public static IReadOnlyList<string> Findings(string script)
    {
        var findings = new List<string>();

        // Windows PowerShell reads a script without a byte order mark as ANSI: a UTF-8 em dash or curly quote turns into
        // characters it may take for quotes.
        var nonAscii = script.Select((c, i) => (c, i)).FirstOrDefault(x => x.c > 127);
        if (nonAscii.c != default && !script.StartsWith('\uFEFF'))
        {
            findings.Add($"line {Line(script, nonAscii.i)}: a non-ASCII character ('{nonAscii.c}') in a script without a byte order mark");
        }

        var code = Blank(script);
        foreach (var (name, pattern) in Ps6Only)
        {
            foreach (Match match in pattern.Matches(code))
            {
                findings.Add($"line {Line(code, match.Index)}: {name}");
            }
        }

        foreach (Match match in JoinPath().Matches(code))
        {
            var (positional, named) = Arguments(code, match.Index + match.Length);
            if (positional > 2 || named.Contains("-AdditionalChildPath", StringComparer.OrdinalIgnoreCase))
            {
                findings.Add(
                    $"line {Line(code, match.Index)}: Join-Path with more than one child path (PowerShell 6); nest Join-Path instead");
            }
        }

        // az, a native command, runs only inside the runner: under $ErrorActionPreference = 'Stop', 5.1 makes a native
        // command's redirected stderr (2>$null, 2>&1) a terminating error, and a bare call's exit code goes unread.
        var (runnerStart, runnerEnd) = FunctionBody(code, AzRunner);
        foreach (Match match in AzCall().Matches(code))
        {
            if (match.Index < runnerStart || match.Index > runnerEnd)
            {
                findings.Add($"line {Line(code, match.Index)}: az called outside {AzRunner}: its exit code and stderr must be read there");
            }
        }

        foreach (Match match in StderrRedirect().Matches(code))
        {
            if (match.Index < runnerStart || match.Index > runnerEnd)
            {
                findings.Add(
                    $"line {Line(code, match.Index)}: stderr redirected ({match.Value.Trim()}) outside {AzRunner}: "
                    + "with 'Stop', 5.1 turns a native command's stderr into a terminating error");
            }
        }

        if (runnerStart >= 0)
        {
            var runner = script[runnerStart..runnerEnd];
            if (!Regex.IsMatch(runner, @"\$ErrorActionPreference\s*=\s*'Continue'")
                || !runner.Contains("$LASTEXITCODE", StringComparison.Ordinal))
            {
                findings.Add($"{AzRunner} must set $ErrorActionPreference = 'Continue' around az and read $LASTEXITCODE");
            }
        }

        return findings;
    }

    /// <summary>The script with comments and the contents of strings replaced by spaces (line breaks kept).</summary>
    public static string Blank(string script)
    {
        var text = new StringBuilder(script);
        var i = 0;

        void BlankTo(int end)
        {
            for (; i < end && i < text.Length; i++)
            {
                if (text[i] != '\n' && text[i] != '\r')
                {
                    text[i] = ' ';
                }
            }
        }

        while (i < script.Length)
        {
            var c = script[i];
            if (c == '<' && At(script, i, "<#"))
            {
                var end = script.IndexOf("#>", i + 2, StringComparison.Ordinal);
                BlankTo(end < 0 ? script.Length : end + 2);
            }
            else if (c == '#')
            {
                var end = script.IndexOf('\n', i);
                BlankTo(end < 0 ? script.Length : end);
            }
            else if (c == '@' && (At(script, i, "@'\n") || At(script, i, "@'\r\n") || At(script, i, "@\"\n") || At(script, i, "@\"\r\n")))
            {
                var close = "\n" + script[i + 1] + "@";
                var end = script.IndexOf(close, i + 2, StringComparison.Ordinal);
                i += 2;
                BlankTo(end < 0 ? script.Length : end + 1);
                i = end < 0 ? script.Length : end + close.Length;
            }
            else if (c is '\'' or '"')
            {
                i++;
                var start = i;
                while (i < script.Length)
                {
                    if (c == '"' && script[i] == '`')
                    {
                        i += 2;
                    }
                    else if (script[i] == c && i + 1 < script.Length && script[i + 1] == c)
                    {
                        i += 2; // '' or "" inside the string
                    }
                    else if (script[i] == c)
                    {
                        break;
                    }
                    else
                    {
                        i++;
                    }
                }

                var close = Math.Min(i, script.Length);
                i = start;
                BlankTo(close);
                i = close + 1;
            }
            else
            {
                i++;
            }
        }

        return text.ToString();
    }

    private static bool At(string text, int index, string value) => string.CompareOrdinal(text, index, value, 0, value.Length) == 0;

    private static int Line(string text, int index) => text.AsSpan(0, Math.Min(index, text.Length)).Count('\n') + 1;

    /// <summary>Counts the arguments of a command from <paramref name="start"/> to the end of its statement.</summary>
    private static (int Positional, List<string> Named) Arguments(string code, int start)
    {
        var tokens = new List<string>();
        var i = start;
        while (i < code.Length)
        {
            var c = code[i];
            if (c == '`' && i + 1 < code.Length && code[i + 1] is '\n' or '\r')
            {
                i += 2; // line continuation
                continue;
            }

            if (c is ' ' or '\t')
            {
                i++;
                continue;
            }

            if (c is ')' or '}' or '|' or ';' or '\n' or '\r')
            {
                break;
            }

            var tokenStart = i;
            if (c is '(' or '{' or '[')
            {
                var (open, shut) = c switch { '(' => ('(', ')'), '{' => ('{', '}'), _ => ('[', ']') };
                for (var depth = 0; i < code.Length; i++)
                {
                    depth += code[i] == open ? 1 : code[i] == shut ? -1 : 0;
                    if (depth == 0)
                    {
                        i++;
                        break;
                    }
                }
            }
            else if (c is '\'' or '"')
            {
                var end = code.IndexOf(c, i + 1);
                i = end < 0 ? code.Length : end + 1;
            }
            else
            {
                while (i < code.Length && code[i] is not (' ' or '\t' or ')' or '}' or '|' or ';' or '\n' or '\r'))
                {
                    i++;
                }
            }

            tokens.Add(code[tokenStart..i]);
        }

        var named = new List<string>();
        var positional = 0;
        for (var t = 0; t < tokens.Count; t++)
        {
            if (tokens[t].StartsWith('-') && tokens[t].Length > 1 && char.IsLetter(tokens[t][1]))
            {
                named.Add(tokens[t].TrimEnd(':'));
                if (!tokens[t].Equals("-Resolve", StringComparison.OrdinalIgnoreCase))
                {
                    t++; // its value
                }
            }
            else
            {
                positional++;
            }
        }

        return (positional, named);
    }

    /// <summary>Where the body of <c>function name</c> starts and ends in the blanked code; (-1, -1) if there is none.</summary>
    private static (int Start, int End) FunctionBody(string code, string name)
    {
        var match = Regex.Match(code, @"\bfunction\s+" + Regex.Escape(name) + @"\b", RegexOptions.IgnoreCase);
        if (!match.Success)
        {
            return (-1, -1);
        }

        var open = code.IndexOf('{', match.Index + match.Length);
        var depth = 0;
        for (var i = open; i >= 0 && i < code.Length; i++)
        {
            depth += code[i] == '{' ? 1 : code[i] == '}' ? -1 : 0;
            if (depth == 0)
            {
                return (match.Index, i);
            }
        }

        return (match.Index, code.Length);
    }

    [GeneratedRegex(@"\bJoin-Path\b", RegexOptions.IgnoreCase)]
    private static partial Regex JoinPath();

    // az in command position: at a statement's start, after = ( | ; { or the call operator &.
    [GeneratedRegex(@"(^|[=(|;{&])[ \t]*az(\.cmd|\.exe)?(?=[ \t\r\n]|$)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex AzCall();

    [GeneratedRegex(@"\s2>(&1|\s*\$null|\s*\S+)")]
    private static partial Regex StderrRedirect();
}
