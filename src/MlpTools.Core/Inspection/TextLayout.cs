using System.Globalization;
using System.Text;

namespace MlpTools.Core.Inspection;

/// <summary>
/// The small text-layout rules the summary and the history chart share: how a figure is written in a narrow column, a
/// table of aligned columns, and a "label  value" line wrapped under its value. Numbers in the invariant culture.
/// </summary>
internal static class TextLayout
{
    /// <summary>
    /// A loss or an accuracy as the views show it: four decimals from 0.0001 up to 10,000 (and 0), four significant
    /// digits otherwise (1.859E+06, 2E-05, NaN, Infinity); at most 9 characters.
    /// </summary>
    public static string Figure(double value) =>
        value == 0 || (Math.Abs(value) >= 1e-4 && Math.Abs(value) < 1e4)
            ? value.ToString("0.0000", CultureInfo.InvariantCulture)
            : value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>
    /// A statistic of weights in at most 9 characters: four decimals from 0.001 up to 1,000 (and 0), else three
    /// significant digits with an exponent (-1.23E-05, 4.57E+03).
    /// </summary>
    public static string Statistic(double value)
    {
        if (!double.IsFinite(value)) return value.ToString(CultureInfo.InvariantCulture);
        if (value == 0) return "0";
        double a = Math.Abs(value);
        return a >= 1e-3 && a < 1e3
            ? value.ToString("0.0000", CultureInfo.InvariantCulture)
            : value.ToString("0.00E+00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Rows laid out in columns two spaces apart, each as wide as its widest cell; <paramref name="rightAligned"/> says
    /// which columns are numbers (aligned right). Trailing spaces are trimmed.
    /// </summary>
    public static IEnumerable<string> Table(IReadOnlyList<string[]> rows, bool[] rightAligned)
    {
        int columns = rightAligned.Length;
        var widths = new int[columns];
        foreach (string[] row in rows)
            for (int j = 0; j < columns; j++) widths[j] = Math.Max(widths[j], row[j].Length);
        var line = new StringBuilder();
        foreach (string[] row in rows)
        {
            line.Clear();
            for (int j = 0; j < columns; j++)
            {
                if (j > 0) line.Append("  ");
                line.Append(rightAligned[j] ? row[j].PadLeft(widths[j]) : row[j].PadRight(widths[j]));
            }
            yield return line.ToString().TrimEnd();
        }
    }

    /// <summary>
    /// "label  value", the label padded to <paramref name="labelWidth"/>, the value wrapped at spaces so no line is longer
    /// than <paramref name="width"/>; continuation lines start under the value.
    /// </summary>
    public static IEnumerable<string> Labeled(string label, string value, int labelWidth, int width)
    {
        string indent = new(' ', labelWidth + 2);
        bool first = true;
        foreach (string line in Wrap(value, Math.Max(10, width - indent.Length)))
        {
            yield return ((first ? label.PadRight(labelWidth) + "  " : indent) + line).TrimEnd();
            first = false;
        }
    }

    /// <summary>
    /// <paramref name="text"/> in lines of at most <paramref name="width"/> characters, broken at spaces (a word longer
    /// than a line is cut); at least one line.
    /// </summary>
    public static IEnumerable<string> Wrap(string text, int width)
    {
        var current = new StringBuilder();
        bool any = false;
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string w = word;
            if (current.Length > 0 && current.Length + 1 + w.Length > width)
            {
                yield return current.ToString();
                any = true;
                current.Clear();
            }
            while (w.Length > width)
            {
                yield return w[..width];
                any = true;
                w = w[width..];
            }
            if (current.Length > 0) current.Append(' ');
            current.Append(w);
        }
        if (current.Length > 0 || !any) yield return current.ToString();
    }
}
