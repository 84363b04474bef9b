using System.Collections.Concurrent;
using MlpTools.Core;
using ScottPlot;
using SkiaSharp;

namespace MlpTools.Plots;

/// <summary>
/// The fonts every picture is drawn in: DejaVu Sans and DejaVu Sans Bold, loaded by path from the font files shipped
/// with MlpTools (<c>fonts/</c> beside the assemblies), so a picture looks the same on every machine. No system font is
/// ever asked for: a missing file is an error (<c>PlotFontMissing</c>), never a fallback.
/// </summary>
internal sealed class PlotFonts : IFontResolver
{
    /// <summary>The regular face's file, in the fonts folder.</summary>
    public const string RegularFile = "DejaVuSans.ttf";

    /// <summary>The bold face's file (titles), in the fonts folder.</summary>
    public const string BoldFile = "DejaVuSans-Bold.ttf";

    private static readonly ConcurrentDictionary<string, PlotFonts> ByFolder = new(StringComparer.Ordinal);
    private static int s_count;

    private PlotFonts(SKTypeface regular, SKTypeface bold)
    {
        Regular = regular;
        Bold = bold;
        // A name of our own for ScottPlot's font lookup, one per folder: ScottPlot caches typefaces by name for the
        // life of the process, so a name is never reused for other files.
        Name = Invariant.Format($"MlpTools {regular.FamilyName} {Interlocked.Increment(ref s_count)}");
    }

    /// <summary>The regular face (tick labels, axis labels, legends, cell counts).</summary>
    public SKTypeface Regular { get; }

    /// <summary>The bold face (titles).</summary>
    public SKTypeface Bold { get; }

    /// <summary>The name ScottPlot knows these faces by while a picture is drawn.</summary>
    public string Name { get; }

    /// <summary>The fonts in <paramref name="folder"/>, loaded once per folder and kept for the life of the process.</summary>
    /// <exception cref="MlpException"><c>PlotFontMissing</c>: a font file is missing or is not a font.</exception>
    public static PlotFonts From(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (ByFolder.TryGetValue(full, out PlotFonts? fonts)) return fonts;
        fonts = new PlotFonts(Load(full, RegularFile), Load(full, BoldFile));
        return ByFolder.GetOrAdd(full, fonts);
    }

    private static SKTypeface Load(string folder, string file)
    {
        string path = Path.Combine(folder, file);
        SKTypeface? face = File.Exists(path) ? SKTypeface.FromFile(path) : null;
        return face ?? throw new MlpException("PlotFontMissing", MlpErrorKind.NotFound,
            $"The font file '{path}' is missing or is not a font. Pictures are drawn only in the fonts shipped with MlpTools, never in the system's; install MlpTools again.",
            path);
    }

    /// <inheritdoc />
    public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
        fontName == Name ? (weight >= FontWeight.SemiBold ? Bold : Regular) : null;

    /// <inheritdoc />
    public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
        fontName == Name ? (bold ? Bold : Regular) : null;

    /// <summary>Sets these fonts on a label: the bold face when <paramref name="bold"/>, else the regular one.</summary>
    public void Apply(LabelStyle label, bool bold = false)
    {
        label.FontName = Name;
        label.Font = bold ? Bold : Regular;
        label.Bold = bold;
    }
}
