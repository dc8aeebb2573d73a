using System.Text;

namespace Wallet.Perf.Harness;

/// <summary>Left-aligned text columns sized to their widest cell; numbers are right-aligned.</summary>
internal sealed class ConsoleTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public ConsoleTable(params string[] headers)
    {
        _headers = headers;
    }

    public void AddRow(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"row has {cells.Length} cells, table has {_headers.Length} columns", nameof(cells));
        }
        _rows.Add(cells);
    }

    public void Write(TextWriter output)
    {
        int[] widths = new int[_headers.Length];
        for (int c = 0; c < widths.Length; c++)
        {
            widths[c] = _headers[c].Length;
            foreach (string[] row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }
        output.WriteLine(Line(_headers, widths));
        StringBuilder rule = new();
        for (int c = 0; c < widths.Length; c++)
        {
            rule.Append(c == 0 ? "" : "-+-").Append('-', widths[c]);
        }
        output.WriteLine(rule.ToString());
        foreach (string[] row in _rows)
        {
            output.WriteLine(Line(row, widths));
        }
    }

    /// <summary>A formatted number ("1,234.5", "-3"): right-aligned. "1P1C busy-spin" starts with a digit but is a name.</summary>
    private static bool IsNumber(string cell)
    {
        if (cell.Length == 0) return false;
        foreach (char ch in cell)
        {
            if (!char.IsAsciiDigit(ch) && ch is not (',' or '.' or '-')) return false;
        }
        return true;
    }

    private static string Line(string[] cells, int[] widths)
    {
        StringBuilder line = new();
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0)
            {
                line.Append(" | ");
            }
            bool numeric = c > 0 && IsNumber(cells[c]);
            line.Append(numeric ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }
        return line.ToString().TrimEnd();
    }
}
