using System.Text;

namespace Pipeline.Core.Inbox;

/// <summary>
/// Reads CSV records one at a time (RFC 4180: quoted cells may hold commas, doubled quotes and line breaks; lines end
/// in CRLF or LF), from a reader it reads forward only, a character at a time from its buffer.
/// </summary>
internal sealed class CsvRecords(TextReader text)
{
    /// <summary>Most characters a cell may hold (a prompt is far shorter).</summary>
    private const int MaxCell = 64 * 1024;

    private readonly char[] _one = new char[1];
    private bool _skipLineFeed;

    /// <returns>The record's cells, or null at the end of the text.</returns>
    /// <exception cref="InvalidDataException">A cell longer than 64 K characters.</exception>
    public async Task<List<string>?> NextAsync(CancellationToken cancellationToken)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var (quoted, closedQuote, any) = (false, false, false);
        while (await NextCharAsync(cancellationToken) is var c && c != -1)
        {
            if (_skipLineFeed)
            {
                _skipLineFeed = false;
                if (c == '\n')
                {
                    continue; // the LF of a CRLF that ended the last record
                }
            }

            any = true;
            if (quoted)
            {
                if (c == '"')
                {
                    quoted = false;
                    closedQuote = true;
                }
                else
                {
                    cell.Append((char)c);
                }
            }
            else if (c == '"' && closedQuote)
            {
                cell.Append('"'); // a doubled quote inside a quoted cell
                quoted = true;
                closedQuote = false;
            }
            else if (c == '"' && cell.Length == 0)
            {
                quoted = true;
            }
            else if (c is ',' or '\n' or '\r')
            {
                cells.Add(cell.ToString());
                cell.Clear();
                closedQuote = false;
                if (c != ',')
                {
                    _skipLineFeed = c == '\r';
                    return cells;
                }
            }
            else
            {
                cell.Append((char)c);
                closedQuote = false;
            }

            if (cell.Length > MaxCell)
            {
                throw new InvalidDataException($"a cell is longer than {MaxCell} characters");
            }
        }

        if (!any)
        {
            return null;
        }

        cells.Add(cell.ToString());
        return cells;
    }

    private async Task<int> NextCharAsync(CancellationToken cancellationToken) =>
        await text.ReadAsync(_one, cancellationToken) == 0 ? -1 : _one[0];
}
