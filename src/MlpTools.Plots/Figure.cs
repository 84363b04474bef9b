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
    /// Runs <paramref name="draw"/> with ScottPlot set to draw in <paramref name="fonts"/> and in the invariant culture,
    /// one picture at a time in this process; ScottPlot's own settings are as they were afterwards.
    /// </summary>
    public static T Draw<T>(PlotFonts fonts, Func<T> draw)
    {
        lock (Gate)
        {
            CultureInfo culture = CultureInfo.CurrentCulture, uiCulture = CultureInfo.CurrentUICulture;
            string defaultFont = ScottPlot.Fonts.Default;
            SkiaSharp.SKTypeface? defaultFace = ScottPlot.Fonts.DefaultFontStyle;
            bool added = false;
            try
            {
                CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
                CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
                // Every label ScottPlot makes meanwhile (legend entries are made while rendering) takes these.
                ScottPlot.Fonts.FontResolvers.Insert(0, fonts);
                added = true;
                ScottPlot.Fonts.Default = fonts.Name;
                ScottPlot.Fonts.DefaultFontStyle = fonts.Regular;
                return draw();
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
            {
                throw NativeLibraryMissing(e);
            }
            finally
            {
                ScottPlot.Fonts.Default = defaultFont;
                ScottPlot.Fonts.DefaultFontStyle = defaultFace;
                if (added) ScottPlot.Fonts.FontResolvers.Remove(fonts);
                CultureInfo.CurrentCulture = culture;
                CultureInfo.CurrentUICulture = uiCulture;
            }
        }
    }

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

    /// <summary>The figure as a PNG file's bytes, <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public byte[] Render(int width, int height)
    {
        using Image image = Multiplot.Render(width, height);
        return image.GetImageBytes(ImageFormat.Png);
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
        string folder = Path.Combine(NativeLibraries.BaseFolder ?? AppContext.BaseDirectory, "runtimes");
        string[] shipped = Directory.Exists(folder) ? Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray() : [];
        return new MlpException("PlotNativeLibraryMissing", MlpErrorKind.InvalidOperation,
            $"Pictures are drawn with SkiaSharp, whose native library for this platform ({NativeLibraries.CurrentRuntime}) could not be loaded from '{folder}': {e.GetBaseException().Message} " +
            (shipped.Length > 0 ? $"That folder has the libraries for {string.Join(", ", shipped)}. " : "") + "Install MlpTools again, or draw the pictures on one of its platforms.",
            NativeLibraries.CurrentRuntime, e);
    }
}
