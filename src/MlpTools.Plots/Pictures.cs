using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Plots;

/// <summary>The pictures MlpTools draws of a network and of how it trained.</summary>
public enum PictureKind
{
    /// <summary>Training and validation loss and accuracy per epoch, the best epoch marked.</summary>
    History,

    /// <summary>A test's confusion matrix as a heatmap: counts in the cells, class names on the axes.</summary>
    ConfusionMatrix,

    /// <summary>The first layer's weights, one image per hidden unit.</summary>
    Weights,

    /// <summary>Update/weight ratios per parameter (log scale) and the dead-ReLU share, per epoch.</summary>
    Diagnostics,
}

/// <summary>How big to draw a picture, and where its fonts are.</summary>
public sealed record PictureOptions
{
    /// <summary>The width in pixels; null for the kind's default (<see cref="Pictures.DefaultSize"/>).</summary>
    public int? Width { get; init; }

    /// <summary>The height in pixels; null for the kind's default.</summary>
    public int? Height { get; init; }

    /// <summary>The folder with the font files (DejaVuSans.ttf, DejaVuSans-Bold.ttf); null for <c>fonts/</c> beside this assembly.</summary>
    public string? FontFolder { get; init; }
}

/// <summary>
/// Draws the pictures of <see cref="PictureKind"/> as PNG files: each in the fonts shipped with MlpTools, with a title
/// and labelled axes, at a default size that suits it (or the size asked). Drawn with ScottPlot on SkiaSharp.
/// </summary>
public static class Pictures
{
    /// <summary>The smallest width or height a picture may be asked for, in pixels.</summary>
    public const int MinSize = 100;

    /// <summary>The largest width or height a picture may be asked for, in pixels (a picture of 8192 x 8192 takes 256 MiB to draw).</summary>
    public const int MaxSize = 8192;

    private static readonly FileErrors Errors = new("Plot", "picture");

    /// <summary>The size a picture of <paramref name="kind"/> is drawn at when none is asked: wide for two panels, square for one.</summary>
    public static (int Width, int Height) DefaultSize(PictureKind kind) => kind switch
    {
        PictureKind.History or PictureKind.Diagnostics => (1200, 500),
        PictureKind.ConfusionMatrix => (760, 680),
        _ => (820, 760),
    };

    /// <summary>Training and validation loss and accuracy per epoch, with the best epoch marked, as a PNG file's bytes.</summary>
    /// <exception cref="MlpException"><c>PlotNoHistory</c> (no epoch trained), <c>PlotSizeInvalid</c>, <c>PlotFontMissing</c>, <c>PlotNativeLibraryMissing</c>.</exception>
    public static byte[] History(TrainingState training, PictureOptions? options = null) =>
        Render(PictureKind.History, options, (fonts, _) => HistoryPicture.Build(training, fonts));

    /// <summary>A confusion matrix as a heatmap with the counts in its cells and the class names on its axes, as a PNG file's bytes.</summary>
    public static byte[] ConfusionMatrix(ConfusionMatrix matrix, PictureOptions? options = null) =>
        Render(PictureKind.ConfusionMatrix, options, (fonts, size) => ConfusionMatrixPicture.Build(matrix, fonts, size));

    /// <summary>
    /// The first layer's weights, one tile per hidden unit, each tile an image of <paramref name="shape"/> (by default the
    /// network's <see cref="Mlp.ImageShape"/>, else a square when the input count is one), as a PNG file's bytes.
    /// </summary>
    /// <exception cref="MlpException"><c>PlotImageShapeUnknown</c>, <c>ImageShapeMismatch</c>, and those of <see cref="History"/>.</exception>
    public static byte[] Weights(Mlp network, ImageShape? shape = null, PictureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ImageShape tile = WeightsPicture.TileShape(network, shape);
        return Render(PictureKind.Weights, options, (fonts, _) => WeightsPicture.Build(network, tile, fonts));
    }

    /// <summary>Update/weight ratios per parameter on a log scale, and the dead-ReLU share, per epoch, as a PNG file's bytes.</summary>
    /// <exception cref="MlpException"><c>PlotNoDiagnostics</c> (no epoch recorded diagnostics), and those of <see cref="History"/>.</exception>
    public static byte[] Diagnostics(TrainingState training, PictureOptions? options = null) =>
        Render(PictureKind.Diagnostics, options, (fonts, _) => DiagnosticsPicture.Build(training, fonts));

    /// <summary>
    /// Checks, before any drawing, that a picture can be written to <paramref name="path"/>: not a folder, its folder
    /// exists, and (unless <paramref name="overwrite"/>) no file is there. Returns the full path.
    /// </summary>
    /// <exception cref="MlpException"><c>PlotPathIsDirectory</c>, <c>PlotDirectoryNotFound</c>, <c>PlotFileExists</c>.</exception>
    public static string CheckTarget(string path, bool overwrite) => Errors.CheckTarget(path, overwrite, "history.png");

    /// <summary>
    /// Writes a picture's bytes to <paramref name="path"/> atomically: to a temporary file beside it, published under its
    /// name only when complete; an existing file is replaced only when <paramref name="overwrite"/> is true.
    /// </summary>
    /// <exception cref="MlpException"><c>PlotFileExists</c>, <c>PlotWriteFailed</c>, and those of <see cref="CheckTarget"/>.</exception>
    public static void Save(byte[] png, string path, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(png);
        string full = CheckTarget(path, overwrite);
        AtomicFile.Write(full, overwrite, Errors, stream => stream.Write(png), cancellationToken);
    }

    /// <summary>The figure <paramref name="build"/> makes, rendered at the size asked (or the kind's default) as PNG bytes.</summary>
    private static byte[] Render(PictureKind kind, PictureOptions? options, Func<PlotFonts, (int Width, int Height), Figure> build)
    {
        options ??= new PictureOptions();
        (int width, int height) = Size(kind, options);
        return Figure.Draw(options.FontFolder ?? DefaultFontFolder, fonts => build(fonts, (width, height)).Render(width, height));
    }

    /// <summary>The size to draw at: the one asked, each side within <see cref="MinSize"/>..<see cref="MaxSize"/>, else the default.</summary>
    internal static (int Width, int Height) Size(PictureKind kind, PictureOptions options)
    {
        (int width, int height) = DefaultSize(kind);
        width = options.Width ?? width;
        height = options.Height ?? height;
        foreach ((string name, int value) in new[] { ("Width", width), ("Height", height) })
        {
            if (value is < MinSize or > MaxSize)
                throw new MlpException("PlotSizeInvalid", MlpErrorKind.InvalidArgument,
                    Invariant.Format($"A picture's {name} must be from {MinSize} to {MaxSize} pixels, but it is {value}."), value)
                { Settings = new[] { name } };
        }
        return (width, height);
    }

    /// <summary>The fonts folder shipped beside this assembly.</summary>
    internal static string DefaultFontFolder =>
        Path.Combine(Path.GetDirectoryName(typeof(Pictures).Assembly.Location) is { Length: > 0 } folder ? folder : AppContext.BaseDirectory, "fonts");
}
