using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Tests.Persistence;
using MlpTools.Core.Training;
using MlpTools.Plots;
using ScottPlot;
using SkiaSharp;

namespace MlpTools.Core.Tests.Plots;

/// <summary>
/// Each picture decodes as a PNG of the size asked, is not blank, and draws its data where the data puts it: the points
/// of a curve at the pixels ScottPlot maps them to, a monotone series as monotone pixel rows, each cell and tile in the
/// colour of its value. Each check can fail: the same probe away from the data finds nothing.
/// </summary>
public sealed class PicturesTests
{
    /// <summary>A training state with the given losses (validation 0.3 above, accuracy 1 - loss / 4) and best epoch.</summary>
    internal static TrainingState History(double[] losses, int? best, bool validation = true) =>
        new(losses.Select((l, i) => new EpochRecord(i + 1, l, 1 - l / 4, validation ? l + 0.3 : null, validation ? 1 - (l + 0.3) / 4 : null,
            0.01, 1, 1, 0.1)), best, "Finished", optimizer: null);

    /// <summary>Epochs whose diagnostics say what the test needs: W1's ratio 10^-k at epoch k, b1 twice that, W2 half, b2 a tenth.</summary>
    internal static TrainingState Diagnosed(int epochs, Func<int, double> dead)
    {
        static ParameterDiagnostics P(double ratio) => new(1, 0.5, ratio, ratio);
        var records = Enumerable.Range(1, epochs).Select(e => new EpochRecord(e, 1.0 / e, 0.5, null, null, 0.01, 1, 1, 0.1)
        {
            Diagnostics = new TrainingDiagnostics(P(Math.Pow(10, -e)), P(2 * Math.Pow(10, -e)), P(0.5 * Math.Pow(10, -e)), P(0.1 * Math.Pow(10, -e)),
                dead(e), 0.5),
        });
        return new TrainingState(records, epochs, "Finished", optimizer: null);
    }

    // ---- every picture ----

    [Theory]
    [InlineData(PictureKind.History, 640, 300)]
    [InlineData(PictureKind.History, null, null)]
    [InlineData(PictureKind.ConfusionMatrix, 333, 222)]
    [InlineData(PictureKind.Weights, 500, 900)]
    [InlineData(PictureKind.Diagnostics, 1000, 400)]
    [InlineData(PictureKind.Diagnostics, null, null)]
    public void Each_picture_is_a_PNG_of_the_size_asked_with_many_colours(PictureKind kind, int? width, int? height)
    {
        var options = new PictureOptions { Width = width, Height = height };
        var net = Mlp.Create(64, 9, 10, seed: 1);
        byte[] png = kind switch
        {
            PictureKind.History => Pictures.History(History(new[] { 2.0, 1.0, 0.5, 0.4 }, 3), options),
            PictureKind.ConfusionMatrix => Pictures.ConfusionMatrix(net.Evaluate(BuiltInDatasets.Digits()).ConfusionMatrix, options),
            PictureKind.Weights => Pictures.Weights(net, options: options),
            _ => Pictures.Diagnostics(Diagnosed(5, e => 0.1 * e), options),
        };
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        using SKBitmap bitmap = SKBitmap.Decode(png);
        (int w, int h) = Pictures.DefaultSize(kind);
        Assert.Equal(width ?? w, bitmap.Width);
        Assert.Equal(height ?? h, bitmap.Height);
        var colours = new HashSet<uint>();
        int transparent = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor pixel = bitmap.GetPixel(x, y);
                colours.Add((uint)pixel);
                if (pixel.Alpha != 255) transparent++;
            }
        }
        Assert.True(colours.Count > 100, $"{colours.Count} distinct colours");
        Assert.Equal(0, transparent);   // opaque: the same on a light or a dark viewer
    }

    [Theory]
    [InlineData(99, 500, "Width")]
    [InlineData(500, 8193, "Height")]
    [InlineData(0, 500, "Width")]
    public void A_size_out_of_range_is_refused(int width, int height, string which)
    {
        MlpException e = Assert.Throws<MlpException>(() => Pictures.History(History(new[] { 1.0 }, 1), new PictureOptions { Width = width, Height = height }));
        Assert.Equal("PlotSizeInvalid", e.ErrorId);
        Assert.Equal(new[] { which }, e.Settings);
    }

    [Fact]
    public void Every_text_is_drawn_in_the_shipped_fonts()
    {
        using Drawn drawn = Drawn.Of(fonts => HistoryPicture.Build(History(new[] { 2.0, 1.0 }, 2), fonts), 800, 400);
        PlotFonts fonts = drawn.Figure.Fonts;
        Assert.Equal("DejaVu Sans", fonts.Regular.FamilyName);
        Assert.Equal((int)SKFontStyleWeight.Bold, fonts.Bold.FontStyle.Weight);
        foreach (Plot panel in drawn.Figure.Panels)
        {
            Assert.Same(fonts.Bold, panel.Axes.Title.Label.Font);
            foreach (IAxis axis in panel.Axes.GetAxes())
            {
                Assert.Same(fonts.Regular, axis.Label.Font);
                Assert.Same(fonts.Regular, axis.TickLabelStyle.Font);
            }
            Assert.Equal(fonts.Name, panel.Legend.FontName);
        }
        // ScottPlot's own default is as it was: other users of ScottPlot in the process are not affected.
        Assert.NotEqual(fonts.Name, ScottPlot.Fonts.Default);
        Assert.DoesNotContain(fonts, ScottPlot.Fonts.FontResolvers);
    }

    [Fact]
    public void A_missing_font_is_an_error_not_a_fallback_to_the_systems_fonts()
    {
        using var folder = new TempFolder();
        File.Copy(Path.Combine(Pictures.DefaultFontFolder, PlotFonts.RegularFile), folder.File(PlotFonts.RegularFile));
        MlpException e = Assert.Throws<MlpException>(() => Pictures.History(History(new[] { 1.0 }, 1), new PictureOptions { FontFolder = folder.Path }));
        Assert.Equal("PlotFontMissing", e.ErrorId);
        Assert.Contains(PlotFonts.BoldFile, e.Message, StringComparison.Ordinal);
        File.WriteAllText(folder.File(PlotFonts.BoldFile), "not a font");
        Assert.Equal("PlotFontMissing", Assert.Throws<MlpException>(() => Pictures.History(History(new[] { 1.0 }, 1), new PictureOptions { FontFolder = folder.Path })).ErrorId);
    }

    // ---- History ----

    [Fact]
    public void History_draws_each_epochs_loss_and_accuracy_where_the_axes_put_them()
    {
        double[] losses = { 2.0, 1.2, 0.9, 0.5, 0.6, 0.3 };
        using Drawn drawn = Drawn.Of(fonts => HistoryPicture.Build(History(losses, 4), fonts), 1200, 500);
        for (int i = 0; i < losses.Length; i++)
        {
            int epoch = i + 1;
            Assert.True(drawn.HasColourNear(drawn.At(0, epoch, losses[i]), HistoryPicture.Training), $"training loss of epoch {epoch}");
            Assert.True(drawn.HasColourNear(drawn.At(0, epoch, losses[i] + 0.3), HistoryPicture.Validation), $"validation loss of epoch {epoch}");
            Assert.True(drawn.HasColourNear(drawn.At(1, epoch, 1 - losses[i] / 4), HistoryPicture.Training), $"training accuracy of epoch {epoch}");
            // Where the data is not, the probe finds no curve.
            Assert.False(drawn.HasColourNear(drawn.At(0, epoch + 0.5, losses[i] + 0.8), HistoryPicture.Training), $"no training curve above epoch {epoch}");
        }
        Assert.True(drawn.At(1, 1, 0).X > drawn.DataRect(0).Right, "the accuracy panel is right of the loss panel");
    }

    [Fact]
    public void History_marks_the_best_epoch_with_a_line_across_both_panels()
    {
        using Drawn drawn = Drawn.Of(fonts => HistoryPicture.Build(History(new[] { 2.0, 1.5, 1.0, 1.1, 1.2 }, 3), fonts), 1200, 500);
        for (int panel = 0; panel < 2; panel++)
        {
            PixelRect data = drawn.DataRect(panel);
            int best = (int)Math.Round(drawn.At(panel, 3, 0).X), other = (int)Math.Round(drawn.At(panel, 4.5, 0).X);
            Assert.True(drawn.RowsOf(best, HistoryPicture.Best, (int)data.Top, (int)data.Bottom - 1).Count > data.Height / 4, $"panel {panel}: the line at epoch 3");
            Assert.Empty(drawn.RowsOf(other, HistoryPicture.Best, (int)data.Top, (int)data.Bottom - 1));
        }
    }

    [Fact]
    public void A_falling_loss_is_drawn_as_a_line_that_falls_from_column_to_column()
    {
        double[] losses = Enumerable.Range(0, 60).Select(e => 2.5 * Math.Exp(-e / 12.0) + 0.1).ToArray();
        using Drawn drawn = Drawn.Of(fonts => HistoryPicture.Build(History(losses, null, validation: false), fonts), 1200, 500);
        PixelRect data = drawn.DataRect(0);
        int first = (int)Math.Ceiling(drawn.At(0, 1, 0).X) + 1, last = (int)Math.Floor(drawn.At(0, 60, 0).X) - 1;
        double previous = double.NegativeInfinity;
        int columns = 0;
        for (int x = first; x <= last; x++)
        {
            IReadOnlyList<int> rows = drawn.RowsOf(x, HistoryPicture.Training, (int)data.Top, (int)data.Bottom - 1, tolerance: 12);
            if (rows.Count == 0) continue;
            double row = rows.Average();
            Assert.True(row >= previous - 1, $"column {x}: row {row} above the row before, {previous}");
            previous = row;
            columns++;
        }
        Assert.True(columns > (last - first) * 0.8, $"the curve was found in {columns} of {last - first + 1} columns");
        // And it ends lower on the picture (a larger row) than it starts, by most of the panel.
        Assert.True(drawn.At(0, 60, losses[^1]).Y - drawn.At(0, 1, losses[0]).Y > data.Height * 0.6);
    }

    [Fact]
    public void A_diverged_epoch_leaves_a_gap_and_a_network_never_trained_has_no_history_to_draw()
    {
        using Drawn drawn = Drawn.Of(fonts => HistoryPicture.Build(History(new[] { 1.0, double.NaN, 0.5, 0.4 }, 1), fonts), 1200, 500);
        Assert.True(drawn.HasColourNear(drawn.At(0, 3, 0.5), HistoryPicture.Training));
        Assert.False(drawn.HasColourNear(drawn.At(0, 1.5, 0.75), HistoryPicture.Training, radius: 1), "no line joins across the diverged epoch");

        MlpException e = Assert.Throws<MlpException>(() => Pictures.History(new TrainingState()));
        Assert.Equal("PlotNoHistory", e.ErrorId);
    }

    // ---- ConfusionMatrix ----

    [Fact]
    public void The_confusion_matrix_colours_each_cell_by_its_count_and_writes_the_count_in_it()
    {
        var counts = new[,] { { 50, 0, 3 }, { 10, 30, 0 }, { 0, 1, 6 } };
        var matrix = new ConfusionMatrix(new[] { "cat", "dog", "bird" }, counts);
        using Drawn drawn = Drawn.Of(fonts => ConfusionMatrixPicture.Build(matrix, fonts, (700, 600)), 700, 600);
        Pixel corner0 = drawn.At(0, -0.5, 2.5), corner1 = drawn.At(0, 0.5, 1.5);
        double cell = corner1.X - corner0.X;
        for (int a = 0; a < 3; a++)
        {
            for (int p = 0; p < 3; p++)
            {
                // Cell (a, p) is centred at x = p, y = 2 - a; its colour is clear of the count written in the middle.
                Pixel centre = drawn.At(0, p, 2 - a);
                var probe = new Pixel(centre.X - cell * 0.4, centre.Y - cell * 0.4);
                Color expected = ConfusionMatrixPicture.Colormap.GetColor(counts[a, p] / 50.0);
                Assert.True(Drawn.Near(drawn.ColourAt(probe), expected, 6), $"cell ({a}, {p}) of {counts[a, p]}: {drawn.ColourAt(probe)} for {expected}");
            }
        }
        // The count of the darkest cell is written in white in its middle; an empty cell's in near-black.
        Assert.True(drawn.HasColourNear(drawn.At(0, 0, 2), Colors.White, radius: (int)(cell / 6)));
        Assert.True(drawn.HasColourNear(drawn.At(0, 1, 2), Color.FromHex("#1a1a1a"), radius: (int)(cell / 6), tolerance: 60));
        Assert.False(drawn.HasColourNear(new Pixel(drawn.At(0, 1, 2).X - cell * 0.4, drawn.At(0, 1, 2).Y - cell * 0.4), Color.FromHex("#1a1a1a"), radius: 2, tolerance: 60));
        Assert.Equal(new[] { "cat", "dog", "bird" }, drawn.Figure.Panels[0].Axes.Bottom.TickGenerator.Ticks.Select(t => t.Label));
        Assert.Equal(new[] { "bird", "dog", "cat" }, drawn.Figure.Panels[0].Axes.Left.TickGenerator.Ticks.OrderBy(t => t.Position).Select(t => t.Label));
    }

    // ---- Weights ----

    /// <summary>A 64-input network whose unit 0 has +1 at pixel (0, 0) and -1 at pixel (7, 7), unit 1 the opposite, units 2-4 all 0.</summary>
    private static Mlp Planted()
    {
        var w1 = Matrix<double>.Build.Dense(64, 5);
        w1[0, 0] = 1;
        w1[63, 0] = -1;
        w1[0, 1] = -0.5;
        w1[63, 1] = 0.5;
        return Mlp.FromParameters(w1, Vector<double>.Build.Dense(5), Matrix<double>.Build.Dense(5, 2), Vector<double>.Build.Dense(2));
    }

    [Fact]
    public void Each_hidden_unit_is_a_tile_whose_pixels_are_its_weights_on_the_inputs()
    {
        Mlp net = Planted();
        var tile = new ImageShape(8, 8);
        (int gridRows, int gridColumns) = WeightsPicture.Grid(5, tile);
        Assert.Equal((2, 3), (gridRows, gridColumns));
        using Drawn drawn = Drawn.Of(fonts => WeightsPicture.Build(net, tile, fonts), 820, 760);
        int mosaicRows = gridRows * 9 + 1;
        // Unit k's pixel (r, c) is mosaic cell (1 + k / 3 * 9 + r, 1 + k % 3 * 9 + c), drawn at x = column, y = rows - 1 - row.
        Pixel Cell(int unit, int r, int c) => drawn.At(0, 1 + unit % gridColumns * 9 + c, mosaicRows - 1 - (1 + unit / gridColumns * 9 + r));
        Color Weight(double w) => WeightsPicture.Colormap.GetColor((w + 1) / 2);
        Assert.True(Drawn.Near(drawn.ColourAt(Cell(0, 0, 0)), Weight(1), 6), "unit 0, pixel (0, 0): +1, red");
        Assert.True(Drawn.Near(drawn.ColourAt(Cell(0, 7, 7)), Weight(-1), 6), "unit 0, pixel (7, 7): -1, blue");
        Assert.True(Drawn.Near(drawn.ColourAt(Cell(0, 3, 4)), Weight(0), 6), "unit 0, pixel (3, 4): 0, white");
        // Each tile is scaled to its own largest |weight|: unit 1's 0.5 is as deep as unit 0's 1.
        Assert.True(Drawn.Near(drawn.ColourAt(Cell(1, 0, 0)), Weight(-1), 6), "unit 1, pixel (0, 0)");
        Assert.True(Drawn.Near(drawn.ColourAt(Cell(1, 7, 7)), Weight(1), 6), "unit 1, pixel (7, 7)");
        Assert.True(Drawn.Near(drawn.ColourAt(Cell(4, 0, 0)), Weight(0), 6), "unit 4: all zero");
        Assert.False(Drawn.Near(drawn.ColourAt(Cell(0, 0, 1)), Weight(1), 30), "unit 0, pixel (0, 1) is not red");
        // Between tiles, the gap colour; the sixth place of the grid is empty.
        Assert.True(Drawn.Near(drawn.ColourAt(drawn.At(0, 9, mosaicRows - 1 - 4)), WeightsPicture.Gap, 6));
        Assert.True(Drawn.Near(drawn.ColourAt(Cell(5, 3, 3)), WeightsPicture.Gap, 6));
    }

    [Fact]
    public void The_tile_shape_is_the_one_given_else_the_networks_else_a_square()
    {
        var digits = BuiltInDatasets.Digits().Subset(new[] { 0, 1, 2 });
        var net = Mlp.Create(64, 2, 10, seed: 1);
        Assert.Equal(new ImageShape(8, 8), WeightsPicture.TileShape(net, null));            // 64 is 8 squared
        Assert.Equal(new ImageShape(4, 16), WeightsPicture.TileShape(net, new ImageShape(4, 16)));
        Trainer.Train(net, digits, new TrainingOptions { Epochs = 1, Seed = 1 });
        Assert.Equal(new ImageShape(8, 8), WeightsPicture.TileShape(net, null));

        var six = Mlp.Create(6, 2, 2, seed: 1);
        MlpException unknown = Assert.Throws<MlpException>(() => Pictures.Weights(six));
        Assert.Equal("PlotImageShapeUnknown", unknown.ErrorId);
        Assert.Equal(new[] { "ImageShape" }, unknown.Settings);
        Assert.Contains("6 is not a square number", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(new ImageShape(2, 3), WeightsPicture.TileShape(six, new ImageShape(2, 3)));
        Assert.Equal("ImageShapeMismatch", Assert.Throws<MlpException>(() => Pictures.Weights(six, new ImageShape(2, 2))).ErrorId);
        using SKBitmap bitmap = SKBitmap.Decode(Pictures.Weights(six, new ImageShape(3, 2)));
        Assert.Equal(Pictures.DefaultSize(PictureKind.Weights), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void A_large_layer_shows_its_first_units()
    {
        var net = Mlp.Create(4, 300, 2, seed: 1);
        using Drawn drawn = Drawn.Of(fonts => WeightsPicture.Build(net, new ImageShape(2, 2), fonts), 820, 760);
        Assert.Contains("the first 256 of 300 hidden units", drawn.Figure.Panels[0].Axes.Title.Label.Text, StringComparison.Ordinal);
    }

    // ---- Diagnostics ----

    [Fact]
    public void Diagnostics_draws_the_ratios_on_a_log_scale_with_the_rule_of_thumb_across()
    {
        using Drawn drawn = Drawn.Of(fonts => DiagnosticsPicture.Build(Diagnosed(5, e => e / 5.0), fonts), 1200, 500);
        Color w1 = DiagnosticsPicture.Parameters[0].Color, w2 = DiagnosticsPicture.Parameters[2].Color;
        for (int e = 1; e <= 5; e++)
        {
            Assert.True(drawn.HasColourNear(drawn.At(0, e, -e), w1), $"W1's ratio 1e-{e} at epoch {e}");
            Assert.True(drawn.HasColourNear(drawn.At(0, e, Math.Log10(0.5) - e), w2), $"W2's ratio at epoch {e}");
            Assert.False(drawn.HasColourNear(drawn.At(0, e, -e + 0.5), w1), $"nothing of W1 half a decade above epoch {e}");
            Assert.True(drawn.HasColourNear(drawn.At(1, e, e / 5.0), DiagnosticsPicture.Dead), $"dead share {e / 5.0} at epoch {e}");
        }
        // Equal steps in the exponent are equal steps in pixels: the scale is logarithmic.
        double step1 = drawn.At(0, 1, -2).Y - drawn.At(0, 1, -1).Y, step2 = drawn.At(0, 1, -5).Y - drawn.At(0, 1, -4).Y;
        Assert.Equal(step1, step2, 3);
        // The 1e-3 line runs across the panel, between the epochs too.
        Assert.True(drawn.HasColourNear(drawn.At(0, 2.5, -3), DiagnosticsPicture.Reference, radius: 4, tolerance: 40));
        Assert.False(drawn.HasColourNear(drawn.At(0, 2.5, -2), DiagnosticsPicture.Reference, radius: 1, tolerance: 40));
        Assert.Equal("1e-3", DiagnosticsPicture.PowerOfTen(-3));
        Assert.Equal("1", DiagnosticsPicture.PowerOfTen(0));
    }

    [Fact]
    public void Epochs_without_diagnostics_are_left_out_and_a_history_with_none_is_an_error()
    {
        TrainingState some = Diagnosed(4, e => 0.25);
        var mixed = new TrainingState(some.History.Select(r => r.Epoch == 2 ? r with { Diagnostics = null } : r), 4, "Finished", optimizer: null);
        using (Drawn drawn = Drawn.Of(fonts => DiagnosticsPicture.Build(mixed, fonts), 1200, 500))
        {
            Assert.True(drawn.HasColourNear(drawn.At(1, 3, 0.25), DiagnosticsPicture.Dead));
        }
        var none = new TrainingState(some.History.Select(r => r with { Diagnostics = null }), 4, "Finished", optimizer: null);
        MlpException e = Assert.Throws<MlpException>(() => Pictures.Diagnostics(none));
        Assert.Equal("PlotNoDiagnostics", e.ErrorId);
        Assert.Contains("None of the 4 epochs", e.Message, StringComparison.Ordinal);
        Assert.Equal("PlotNoDiagnostics", Assert.Throws<MlpException>(() => Pictures.Diagnostics(new TrainingState())).ErrorId);
    }

    // ---- messages ----

    [Fact]
    public void The_pictures_errors_name_no_cmdlet_and_no_cmdlet_parameter()
    {
        var six = Mlp.Create(6, 2, 2, seed: 1);
        using var folder = new TempFolder();
        string file = folder.File("x.png");
        File.WriteAllBytes(file, new byte[] { 1 });
        Action[] paths =
        {
            () => Pictures.History(new TrainingState()),
            () => Pictures.Diagnostics(History(new[] { 1.0 }, 1)),
            () => Pictures.Weights(six),
            () => Pictures.Weights(six, new ImageShape(2, 2)),
            () => Pictures.History(History(new[] { 1.0 }, 1), new PictureOptions { Width = 1 }),
            () => Pictures.History(History(new[] { 1.0 }, 1), new PictureOptions { FontFolder = folder.Path }),
            () => Pictures.Save(new byte[] { 1 }, file, overwrite: false),
            () => Pictures.CheckTarget(folder.File("no/x.png"), false),
        };
        foreach (Action path in paths)
        {
            MlpException e = Assert.Throws<MlpException>(path);
            Assert.DoesNotMatch(EngineMessageTests.CmdletWording(), e.Message);
        }
    }

    // ---- the file ----

    [Fact]
    public void Save_writes_the_picture_replaces_a_file_only_when_asked_and_names_a_missing_folder()
    {
        using var folder = new TempFolder();
        string path = folder.File("history.png");
        byte[] png = Pictures.History(History(new[] { 1.0, 0.5 }, 2));
        Pictures.Save(png, path, overwrite: false);
        Assert.Equal(png, File.ReadAllBytes(path));
        MlpException exists = Assert.Throws<MlpException>(() => Pictures.Save(new byte[] { 1 }, path, overwrite: false));
        Assert.Equal("PlotFileExists", exists.ErrorId);
        Assert.Equal(png, File.ReadAllBytes(path));
        Pictures.Save(new byte[] { 1, 2 }, path, overwrite: true);
        Assert.Equal(new byte[] { 1, 2 }, File.ReadAllBytes(path));
        Assert.Equal(new[] { "history.png" }, folder.Names());
        Assert.Equal("PlotDirectoryNotFound", Assert.Throws<MlpException>(() => Pictures.CheckTarget(folder.File("no/such.png"), false)).ErrorId);
        Assert.Equal("PlotPathIsDirectory", Assert.Throws<MlpException>(() => Pictures.CheckTarget(folder.Path, true)).ErrorId);
    }
}
