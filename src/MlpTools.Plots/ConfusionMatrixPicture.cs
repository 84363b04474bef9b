using MlpTools.Core;
using MlpTools.Core.Model;
using ScottPlot;

namespace MlpTools.Plots;

/// <summary>
/// A confusion matrix as a heatmap: one row per actual class (the first at the top), one column per predicted class,
/// each cell coloured by its count (white for none, dark blue for the most) with the count written in it; the diagonal
/// holds the samples classified right. Class names label both axes.
/// </summary>
internal static class ConfusionMatrixPicture
{
    /// <summary>The colours, from no samples (white) to the most in any cell (dark blue).</summary>
    public static readonly IColormap Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues());

    /// <summary>Counts are written in cells at least this many pixels wide and high.</summary>
    private const double MinCellPixelsForText = 16;

    public static Figure Build(ConfusionMatrix matrix, PlotFonts fonts, (int Width, int Height) size)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int c = matrix.ClassNames.Count;
        var counts = new double[c, c];
        long total = 0, right = 0;
        int most = 0;
        for (int actual = 0; actual < c; actual++)
        {
            for (int predicted = 0; predicted < c; predicted++)
            {
                int n = matrix[actual, predicted];
                counts[actual, predicted] = n;
                total += n;
                if (actual == predicted) right += n;
                most = Math.Max(most, n);
            }
        }

        var figure = Figure.Create(fonts, 1);
        Plot panel = figure.Panels[0];
        string accuracy = total == 0 ? "no samples" : Invariant.Format($"{100.0 * right / total:0.0}% right");
        figure.Label(panel, Invariant.Format($"Confusion matrix: {total:N0} samples, {accuracy}"), "Predicted class", "Actual class");

        var heatmap = panel.Add.Heatmap(counts);
        heatmap.Colormap = Colormap;
        heatmap.ManualRange = new ScottPlot.Range(0, Math.Max(most, 1));
        var bar = panel.Add.ColorBar(heatmap);
        bar.Label = "Samples";
        fonts.Apply(bar.Axis.Label);
        fonts.Apply(bar.Axis.TickLabelStyle);

        // Cell (actual a, predicted p) is centred at x = p, y = c - 1 - a: the heatmap's first row is drawn at the top.
        double cellPixels = Math.Min((size.Width - 220) / (double)c, (size.Height - 170) / (double)c);
        if (cellPixels >= MinCellPixelsForText)
        {
            float fontSize = (float)Math.Clamp(cellPixels / 3.2, 8, 18);
            for (int a = 0; a < c; a++)
            {
                for (int p = 0; p < c; p++)
                {
                    int n = matrix[a, p];
                    var text = panel.Add.Text(Invariant.Format($"{n}"), p, c - 1 - a);
                    fonts.Apply(text.LabelStyle, bold: a == p);
                    text.LabelFontSize = fontSize;
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontColor = n > 0.55 * most ? Colors.White : Color.FromHex("#1a1a1a");
                }
            }
        }

        double[] positions = Enumerable.Range(0, c).Select(i => (double)i).ToArray();
        panel.Axes.Bottom.SetTicks(positions, matrix.ClassNames.ToArray());
        panel.Axes.Left.SetTicks(positions.Select(y => c - 1 - y).ToArray(), matrix.ClassNames.ToArray());
        int longest = matrix.ClassNames.Max(n => n.Length);
        if (longest > 3)
        {
            // Long names (Fashion-MNIST's "Ankle boot") slant, so neighbours do not overlap.
            panel.Axes.Bottom.TickLabelStyle.Rotation = 40;
            panel.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperLeft;
            panel.Axes.Bottom.MinimumSize = (float)Math.Min(160, 30 + 7.5 * longest * Math.Sin(40 * Math.PI / 180));
        }
        panel.HideGrid();
        panel.Axes.SetLimits(-0.5, c - 0.5, -0.5, c - 0.5);
        return figure;
    }
}
