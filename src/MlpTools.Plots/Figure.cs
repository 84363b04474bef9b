using System.Globalization;
using MlpTools.Core;
using ScottPlot;

namespace MlpTools.Plots;

/// <summary>
/// One picture being drawn: one or more panels (ScottPlot plots) side by side, in the shipped fonts, with numbers in the
/// invariant culture. Built and rendered inside <see cref="Draw{T}"/>, which holds ScottPlot's process-wide font
/// settings for the duration (ScottPlot keeps its default font in static state).
/// </summary>
internal sealed class Figure
{
    private static readonly object Gate = new();

    private Figure(PlotFonts fonts, int panels)
    {
        Fonts = fonts;
        Multiplot = new Multiplot();
        Multiplot.AddPlots(panels);
        Multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panels = Multiplot.GetPlots();
        foreach (Plot panel in Panels) Style(panel);
    }

    /// <summary>The fonts the figure is drawn in.</summary>
    public PlotFonts Fonts { get; }

    /// <summary>The panels, left to right.</summary>
    public IReadOnlyList<Plot> Panels { get; }

    private Multiplot Multiplot { get; }

    /// <summary>
    /// Runs <paramref name="draw"/> with the fonts of <paramref name="fontFolder"/>, ScottPlot set to draw in them and
    /// in the invariant culture, one picture at a time in this process; ScottPlot's own settings are as they were
    /// afterwards. A native library that cannot be loaded is <c>PlotNativeLibraryMissing</c>.
    /// </summary>
    public static T Draw<T>(string fontFolder, Func<PlotFonts, T> draw)
    {
        lock (Gate)
        {
            CultureInfo culture = CultureInfo.CurrentCulture, uiCulture = CultureInfo.CurrentUICulture;
            (string Name, SkiaSharp.SKTypeface? Face)? scottPlotDefault = null;
            PlotFonts? fonts = null;
            try
            {
                // The first touch of ScottPlot's fonts (or of SkiaSharp) loads the native library.
                scottPlotDefault = (ScottPlot.Fonts.Default, ScottPlot.Fonts.DefaultFontStyle);
                fonts = PlotFonts.From(fontFolder);
                CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
                CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
                // Every label ScottPlot makes meanwhile (legend entries are made while rendering) takes these.
                ScottPlot.Fonts.FontResolvers.Insert(0, fonts);
                ScottPlot.Fonts.Default = fonts.Name;
                ScottPlot.Fonts.DefaultFontStyle = fonts.Regular;
                return draw(fonts);
            }
            catch (Exception e) when (IsNativeLibraryFailure(e))
            {
                throw NativeLibraryMissing(e);
            }
            finally
            {
                if (scottPlotDefault is { } saved)
                {
                    ScottPlot.Fonts.Default = saved.Name;
                    ScottPlot.Fonts.DefaultFontStyle = saved.Face;
                }
                if (fonts is not null) ScottPlot.Fonts.FontResolvers.Remove(fonts);
                CultureInfo.CurrentCulture = culture;
                CultureInfo.CurrentUICulture = uiCulture;
            }
        }
    }

    /// <summary>A native library (libSkiaSharp, libHarfBuzzSharp) could not be found, loaded or called: the cause, however wrapped.</summary>
    private static bool IsNativeLibraryFailure(Exception e) =>
        e.GetBaseException() is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException;

    /// <summary>A new figure of <paramref name="panels"/> panels side by side. Call inside <see cref="Draw{T}"/>.</summary>
    public static Figure Create(PlotFonts fonts, int panels) => new(fonts, panels);

    /// <summary>Titles a panel (in bold) and labels its axes.</summary>
    public void Label(Plot panel, string title, string x, string y)
    {
        ArgumentNullException.ThrowIfNull(panel);
        panel.Title(title, size: 16);
        Fonts.Apply(panel.Axes.Title.Label, bold: true);
        panel.XLabel(x, size: 14);
        panel.YLabel(y, size: 14);
        Fonts.Apply(panel.Axes.Bottom.Label);
        Fonts.Apply(panel.Axes.Left.Label);
    }

    /// <summary>The figure as a PNG file's bytes, <paramref name="width"/> x <paramref name="height"/> pixels, opaque.</summary>
    public byte[] Render(int width, int height)
    {
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Premul));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        Multiplot.Render(surface.Canvas, new PixelRect(0, width, height, 0));
        using SkiaSharp.SKImage image = surface.Snapshot();
        using SkiaSharp.SKData png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The shipped fonts on every text a panel draws itself: title, axis labels, tick labels, legend.</summary>
    private void Style(Plot panel)
    {
        Fonts.Apply(panel.Axes.Title.Label, bold: true);
        foreach (IAxis axis in panel.Axes.GetAxes())
        {
            Fonts.Apply(axis.Label);
            Fonts.Apply(axis.TickLabelStyle);
            axis.TickLabelStyle.FontSize = 12;
        }
        panel.Legend.FontName = Fonts.Name;
        panel.Legend.FontSize = 12;
    }

    private static MlpException NativeLibraryMissing(Exception e)
    {
        string runtime = NativeLibraries.CurrentRuntime;
        string baseFolder = NativeLibraries.BaseFolder ?? AppContext.BaseDirectory, folder = Path.Combine(baseFolder, "runtimes");
        string expected = NativeLibraries.LibraryPath(baseFolder, "libSkiaSharp", runtime)
            ?? Path.Combine(folder, runtime, "native", NativeLibraries.FileName("libSkiaSharp", runtime));
        string why = File.Exists(expected)
            ? $"'{expected}' is there but would not load (a damaged file, or a library it needs is missing)"
            : $"there is no '{expected}'";
        string[] shipped = Directory.Exists(folder) ? Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray() : [];
        return new MlpException("PlotNativeLibraryMissing", MlpErrorKind.InvalidOperation,
            $"Pictures are drawn with SkiaSharp, whose native library for this platform ({runtime}) could not be loaded: {why}. " +
            (shipped.Length > 0 ? $"'{folder}' has the libraries for {string.Join(", ", shipped)}. " : "") + "Install MlpTools again, or draw the pictures on one of its platforms.",
            runtime, e);
    }
}
