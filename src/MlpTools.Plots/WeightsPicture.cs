using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using ScottPlot;

namespace MlpTools.Plots;

/// <summary>
/// What the first layer learned: hidden unit j's weights W1[:, j] (one per input) drawn as an image of the input's shape,
/// one tile per unit, left to right and top to bottom. Each tile is scaled to its own largest |weight|, on a diverging
/// scale: red where the unit is excited by the pixel, blue where it is inhibited, white where it ignores it. A unit that
/// learned a stroke or a blob shows it; one still at its random start shows noise.
/// </summary>
internal static class WeightsPicture
{
    /// <summary>At most this many units are drawn (the first ones); the title says when there are more.</summary>
    public const int MaxTiles = 256;

    /// <summary>The colours, from -1 (blue) through 0 (white) to +1 (red), of a weight divided by its unit's largest |weight|.</summary>
    public static readonly IColormap Colormap = new ScottPlot.Colormaps.Balance();

    /// <summary>The colour between tiles.</summary>
    public static readonly Color Gap = Color.FromHex("#3c3c3c");

    /// <summary>
    /// The shape each tile is drawn in: <paramref name="given"/>, else the network's own image shape, else a square when
    /// the input count is a square number.
    /// </summary>
    /// <exception cref="MlpException"><c>ImageShapeMismatch</c>, <c>PlotImageShapeUnknown</c>.</exception>
    public static ImageShape TileShape(Mlp network, ImageShape? given)
    {
        int d = network.InputSize;
        if (given is { } shape)
        {
            shape.Check(d, Invariant.Format($"the network's first layer ({d} inputs)"));
            return shape;
        }
        if (network.ImageShape is { } known) return known;
        int side = (int)Math.Round(Math.Sqrt(d));
        if ((long)side * side == d) return new ImageShape(side, side);
        throw new MlpException("PlotImageShapeUnknown", MlpErrorKind.InvalidArgument,
            Invariant.Format($"{network} takes {d} inputs, which are not known to be an image, and {d} is not a square number, so the shape of its weight images is unknown. Give the ImageShape (rows, columns) of the images, whose product is {d}."),
            network) { Settings = new[] { "ImageShape" } };
    }

    public static Figure Build(Mlp network, ImageShape tile, PlotFonts fonts)
    {
        ArgumentNullException.ThrowIfNull(network);
        Mlp<double> weights = network.ToDouble();
        int h = network.HiddenSize, shown = Math.Min(h, MaxTiles);
        (int gridRows, int gridColumns) = Grid(shown, tile);
        double[,] mosaic = Mosaic(weights, tile, shown, gridColumns, gridRows);

        var figure = Figure.Create(fonts, 1);
        Plot panel = figure.Panels[0];
        string units = shown == h ? Invariant.Plural(h, "hidden unit") : Invariant.Format($"the first {shown} of {h:N0} hidden units");
        figure.Label(panel, Invariant.Format($"First-layer weights W1: {units}, as {tile} images"),
            Invariant.Format($"Hidden units 1 to {shown}, left to right, then top to bottom"),
            Invariant.Format($"Each tile: one unit's weights on the {tile} input"));

        var heatmap = panel.Add.Heatmap(mosaic);
        heatmap.Colormap = Colormap;
        heatmap.ManualRange = new ScottPlot.Range(-1, 1);
        heatmap.NaNCellColor = Gap;
        var bar = panel.Add.ColorBar(heatmap);
        bar.Label = "Weight / largest |weight| of its unit";
        fonts.Apply(bar.Axis.Label);
        fonts.Apply(bar.Axis.TickLabelStyle);

        foreach (IAxis axis in new IAxis[] { panel.Axes.Bottom, panel.Axes.Left })
        {
            axis.TickLabelStyle.IsVisible = false;
            axis.MajorTickStyle.Length = 0;
            axis.MinorTickStyle.Length = 0;
        }
        panel.Axes.Bottom.Label.FontSize = 12;
        panel.HideGrid();
        int rows = mosaic.GetLength(0), columns = mosaic.GetLength(1);
        panel.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);
        panel.Axes.SquareUnits();
        return figure;
    }

    /// <summary>Rows and columns of tiles for <paramref name="count"/> tiles, so the mosaic is about as wide as it is high.</summary>
    internal static (int Rows, int Columns) Grid(int count, ImageShape tile)
    {
        double aspect = (tile.Rows + 1.0) / (tile.Columns + 1.0);
        int columns = Math.Clamp((int)Math.Ceiling(Math.Sqrt(count * aspect)), 1, count);
        return ((count + columns - 1) / columns, columns);
    }

    /// <summary>
    /// The tiles in one array, a gap of one NaN cell around each; unit k's tile is at grid row k / columns, column
    /// k % columns, and its pixel (r, c) is W1[r * tile.Columns + c, k] / max_i |W1[i, k]| (0 for a unit whose weights are all 0).
    /// </summary>
    internal static double[,] Mosaic(Mlp<double> network, ImageShape tile, int count, int gridColumns, int gridRows)
    {
        var w1 = network.W1;
        var mosaic = new double[gridRows * (tile.Rows + 1) + 1, gridColumns * (tile.Columns + 1) + 1];
        for (int i = 0; i < mosaic.GetLength(0); i++)
            for (int j = 0; j < mosaic.GetLength(1); j++) mosaic[i, j] = double.NaN;
        for (int k = 0; k < count; k++)
        {
            double largest = 0;
            for (int i = 0; i < w1.RowCount; i++) largest = Math.Max(largest, Math.Abs(w1[i, k]));
            double scale = largest > 0 ? 1 / largest : 0;
            int top = 1 + k / gridColumns * (tile.Rows + 1), left = 1 + k % gridColumns * (tile.Columns + 1);
            for (int r = 0; r < tile.Rows; r++)
                for (int c = 0; c < tile.Columns; c++) mosaic[top + r, left + c] = w1[r * tile.Columns + c, k] * scale;
        }
        return mosaic;
    }
}
