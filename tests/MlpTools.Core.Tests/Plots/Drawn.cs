using MlpTools.Plots;
using ScottPlot;
using SkiaSharp;

namespace MlpTools.Core.Tests.Plots;

/// <summary>
/// A picture drawn for a test: its PNG bytes, the PNG decoded again, and the figure it was drawn from, whose panels map
/// data coordinates to the pixels they were drawn at (ScottPlot's own mapping of the last render).
/// </summary>
internal sealed class Drawn : IDisposable
{
    private Drawn(Figure figure, byte[] png)
    {
        Figure = figure;
        Png = png;
        Bitmap = SKBitmap.Decode(png) ?? throw new InvalidOperationException("The PNG did not decode.");
    }

    public Figure Figure { get; }

    public byte[] Png { get; }

    public SKBitmap Bitmap { get; }

    /// <summary>Builds a figure with the shipped fonts and renders it at <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static Drawn Of(Func<PlotFonts, Figure> build, int width, int height)
    {
        return Figure.Draw(Pictures.DefaultFontFolder, fonts =>
        {
            Figure figure = build(fonts);
            return new Drawn(figure, figure.Render(width, height));
        });
    }

    /// <summary>The pixel where panel <paramref name="panel"/> drew the data point (x, y).</summary>
    public Pixel At(int panel, double x, double y) => Figure.Panels[panel].GetPixel(new Coordinates(x, y));

    /// <summary>The data area of panel <paramref name="panel"/>, in pixels.</summary>
    public PixelRect DataRect(int panel) => Figure.Panels[panel].LastRender.DataRect;

    /// <summary>Whether a pixel within <paramref name="radius"/> of <paramref name="at"/> has about the colour <paramref name="colour"/>.</summary>
    public bool HasColourNear(Pixel at, Color colour, int radius = 2, int tolerance = 24)
    {
        for (int dy = -radius; dy <= radius; dy++)
        {
            for (int dx = -radius; dx <= radius; dx++)
            {
                int x = (int)Math.Round(at.X) + dx, y = (int)Math.Round(at.Y) + dy;
                if (x >= 0 && y >= 0 && x < Bitmap.Width && y < Bitmap.Height && Near(Bitmap.GetPixel(x, y), colour, tolerance)) return true;
            }
        }
        return false;
    }

    /// <summary>The colour of the pixel at <paramref name="at"/>.</summary>
    public SKColor ColourAt(Pixel at) => Bitmap.GetPixel((int)Math.Round(at.X), (int)Math.Round(at.Y));

    /// <summary>The rows of column <paramref name="x"/> between <paramref name="top"/> and <paramref name="bottom"/> with about the colour <paramref name="colour"/>.</summary>
    public IReadOnlyList<int> RowsOf(int x, Color colour, int top, int bottom, int tolerance = 24) =>
        Enumerable.Range(top, bottom - top + 1).Where(y => Near(Bitmap.GetPixel(x, y), colour, tolerance)).ToArray();

    /// <summary>How many different colours the picture has.</summary>
    public int DistinctColours()
    {
        var seen = new HashSet<uint>();
        for (int y = 0; y < Bitmap.Height; y++)
            for (int x = 0; x < Bitmap.Width; x++) seen.Add((uint)Bitmap.GetPixel(x, y));
        return seen.Count;
    }

    public static bool Near(SKColor pixel, Color colour, int tolerance = 24) =>
        Math.Abs(pixel.Red - colour.R) <= tolerance && Math.Abs(pixel.Green - colour.G) <= tolerance && Math.Abs(pixel.Blue - colour.B) <= tolerance;

    public void Dispose() => Bitmap.Dispose();
}
