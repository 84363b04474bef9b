using System.Text;

namespace MlpTools.Core.Inspection;

/// <summary>
/// Draws up to two series of (x, y) points as lines in a grid of terminal cells, as plain text. The first series is
/// drawn in Braille dots (2 x 4 dots a cell), the second in quadrant blocks (2 x 2 a cell), so the two read apart
/// without colour; in ASCII each cell is one dot, '*' for the first series and 'o' for the second. Where both fall in
/// one cell, the first is shown.
/// </summary>
/// <remarks>
/// <para>
/// x runs from <c>XMin</c> at the first dot column to <c>XMax</c> at the last; y from <c>YMin</c> at the bottom dot row to
/// <c>YMax</c> at the top, rounded to the nearest dot. Consecutive points are joined by a straight line. Each dot
/// column draws the part of the line that falls within half a column of it, from its lowest to its highest point, so
/// a series with more points than columns is downsampled to its envelope (a spike is never lost) and one with fewer is
/// joined up.
/// </para>
/// <para>
/// A point whose x or y is not finite is left out, and so are the lines to it: a run that diverged shows a gap. A point
/// with no finite neighbour is drawn as a single dot.
/// </para>
/// </remarks>
internal static class TextChart
{
    /// <summary>The plot area's lines, top to bottom, each <paramref name="columns"/> characters.</summary>
    public static string[] Plot(IReadOnlyList<(double X, double Y)> first, IReadOnlyList<(double X, double Y)>? second,
        double xMin, double xMax, double yMin, double yMax, int columns, int rows, bool ascii)
    {
        var cells = new char[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) cells[r, c] = ' ';

        // The second series first, so the first is drawn over it: where the two share a cell they are equal at the
        // chart's resolution, and the first series stays unbroken.
        if (ascii)
        {
            if (second is not null) Fill(second, 1, 1, 'o');
            Fill(first, 1, 1, '*');
        }
        else
        {
            if (second is not null)
            {
                bool[,] blocks = Dots(second, 2, 2);
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < columns; c++)
                    {
                        int q = (blocks[r * 2, c * 2] ? 1 : 0) | (blocks[r * 2, c * 2 + 1] ? 2 : 0)
                              | (blocks[r * 2 + 1, c * 2] ? 4 : 0) | (blocks[r * 2 + 1, c * 2 + 1] ? 8 : 0);
                        if (q != 0) cells[r, c] = Quadrants[q];
                    }
            }
            // Braille: dot (column dx, row dy from the top) of a cell is bit BrailleBits[dy, dx] of U+2800 + bits.
            bool[,] dots = Dots(first, 2, 4);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                {
                    int bits = 0;
                    for (int dy = 0; dy < 4; dy++)
                        for (int dx = 0; dx < 2; dx++)
                            if (dots[r * 4 + dy, c * 2 + dx]) bits |= BrailleBits[dy, dx];
                    if (bits != 0) cells[r, c] = (char)(0x2800 + bits);
                }
        }

        var lines = new string[rows];
        var line = new StringBuilder(columns);
        for (int r = 0; r < rows; r++)
        {
            line.Clear();
            for (int c = 0; c < columns; c++) line.Append(cells[r, c]);
            lines[r] = line.ToString();
        }
        return lines;

        void Fill(IReadOnlyList<(double X, double Y)> series, int perColumn, int perRow, char mark)
        {
            bool[,] d = Dots(series, perColumn, perRow);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    if (d[r, c]) cells[r, c] = mark;
        }

        // The dots of a series on a grid of (rows * perRow) x (columns * perColumn) dots, row 0 at the top.
        bool[,] Dots(IReadOnlyList<(double X, double Y)> series, int perColumn, int perRow)
        {
            int dotColumns = columns * perColumn, dotRows = rows * perRow;
            var grid = new bool[dotRows, dotColumns];
            foreach (var (column, low, high) in Envelope(series, xMin, xMax, yMin, yMax, dotColumns, dotRows))
                for (int y = low; y <= high; y++) grid[dotRows - 1 - y, column] = true;
            return grid;
        }
    }

    /// <summary>
    /// The dot column a value of x falls in, on a grid of <paramref name="dotColumns"/> from <paramref name="xMin"/> to
    /// <paramref name="xMax"/> (rounded to the nearest; the first column when the range is a single value).
    /// </summary>
    public static int Column(double x, double xMin, double xMax, int dotColumns) =>
        (int)Math.Floor(DotX(x, xMin, xMax, dotColumns) + 0.5);

    private static double DotX(double x, double xMin, double xMax, int dotColumns) =>
        xMax > xMin ? (x - xMin) / (xMax - xMin) * (dotColumns - 1) : 0;

    private static double DotY(double y, double yMin, double yMax, int dotRows)
    {
        if (!(yMax > yMin)) return (dotRows - 1) / 2.0;
        // Halved first, so a range wider than double's largest value does not overflow.
        double t = (y / 2 - yMin / 2) / (yMax / 2 - yMin / 2);
        return Math.Clamp(t, 0, 1) * (dotRows - 1);
    }

    /// <summary>
    /// For each dot column the line crosses, the lowest and highest dot row (0 at the bottom) of the part of the line
    /// within half a column of it.
    /// </summary>
    internal static IEnumerable<(int Column, int Low, int High)> Envelope(IReadOnlyList<(double X, double Y)> series,
        double xMin, double xMax, double yMin, double yMax, int dotColumns, int dotRows)
    {
        var low = new int[dotColumns];
        var high = new int[dotColumns];
        Array.Fill(low, int.MaxValue);
        Array.Fill(high, int.MinValue);

        static bool Finite((double X, double Y) p) => double.IsFinite(p.X) && double.IsFinite(p.Y);
        for (int i = 0; i < series.Count; i++)
        {
            if (!Finite(series[i])) continue;
            double x0 = DotX(series[i].X, xMin, xMax, dotColumns), y0 = DotY(series[i].Y, yMin, yMax, dotRows);
            bool joined = false;
            if (i + 1 < series.Count && Finite(series[i + 1]))
            {
                double x1 = DotX(series[i + 1].X, xMin, xMax, dotColumns), y1 = DotY(series[i + 1].Y, yMin, yMax, dotRows);
                Segment(x0, y0, x1, y1);
                joined = true;
            }
            bool joinedBefore = i > 0 && Finite(series[i - 1]);
            if (!joined && !joinedBefore) Segment(x0, y0, x0, y0);
        }

        for (int c = 0; c < dotColumns; c++)
            if (low[c] <= high[c]) yield return (c, low[c], high[c]);

        void Segment(double x0, double y0, double x1, double y1)
        {
            if (x1 < x0) (x0, y0, x1, y1) = (x1, y1, x0, y0);
            int first = (int)Math.Floor(x0 + 0.5), last = (int)Math.Floor(x1 + 0.5);
            for (int c = Math.Max(first, 0); c <= Math.Min(last, dotColumns - 1); c++)
            {
                double a = Math.Max(x0, c - 0.5), b = Math.Min(x1, c + 0.5);
                double ya = x1 > x0 ? y0 + (y1 - y0) * (a - x0) / (x1 - x0) : y0;
                double yb = x1 > x0 ? y0 + (y1 - y0) * (b - x0) / (x1 - x0) : y1;
                int lo = Row(Math.Min(ya, yb)), hi = Row(Math.Max(ya, yb));
                low[c] = Math.Min(low[c], lo);
                high[c] = Math.Max(high[c], hi);
            }
        }

        int Row(double y) => Math.Clamp((int)Math.Floor(y + 0.5), 0, dotRows - 1);
    }

    // Bit of Braille dot (row from the top, column) in U+2800 + bits: dots 1-3 and 7 down the left, 4-6 and 8 down the right.
    private static readonly int[,] BrailleBits = { { 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 } };

    // Quadrant blocks by bits: 1 upper left, 2 upper right, 4 lower left, 8 lower right.
    private static readonly char[] Quadrants =
    {
        ' ', '\u2598', '\u259D', '\u2580', '\u2596', '\u258C', '\u259E', '\u259B',
        '\u2597', '\u259A', '\u2590', '\u259C', '\u2584', '\u2599', '\u259F', '\u2588',
    };
}
