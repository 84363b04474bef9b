using MlpTools.Core;
using MlpTools.Core.Training;
using ScottPlot;

namespace MlpTools.Plots;

/// <summary>
/// What each epoch did to the network (<see cref="TrainingDiagnostics"/>): on the left the update/weight ratio
/// ||update|| / ||W|| of W1, b1, W2 and b2 on a log scale, with the rule of thumb 1e-3 drawn across (far above it the
/// learning rate is too high, far below too low); on the right the share of dead hidden units (inactive for every
/// sample of the epoch) and of zero activations. Epochs that recorded no diagnostics are left out.
/// </summary>
internal static class DiagnosticsPicture
{
    /// <summary>The rule of thumb for the update/weight ratio (CS231n): near 1e-3.</summary>
    public const double RuleOfThumb = 1e-3;

    /// <summary>The ratio lines: name, colour, dashed (biases) or solid (weights).</summary>
    internal static readonly (string Name, Color Color, bool Dashed, Func<TrainingDiagnostics, ParameterDiagnostics> Of)[] Parameters =
    {
        ("W1", Color.FromHex("#1f77b4"), false, d => d.W1),
        ("b1", Color.FromHex("#1f77b4"), true, d => d.b1),
        ("W2", Color.FromHex("#ff7f0e"), false, d => d.W2),
        ("b2", Color.FromHex("#ff7f0e"), true, d => d.b2),
    };

    /// <summary>The dead-unit line's colour.</summary>
    public static readonly Color Dead = Color.FromHex("#d62728");

    /// <summary>The zero-activation line's colour.</summary>
    public static readonly Color Zero = Color.FromHex("#9467bd");

    /// <summary>The reference line's colour.</summary>
    public static readonly Color Reference = Color.FromHex("#555555");

    public static Figure Build(TrainingState training, PlotFonts fonts)
    {
        ArgumentNullException.ThrowIfNull(training);
        EpochRecord[] epochs = training.History.Where(r => r.Diagnostics is not null).ToArray();
        if (epochs.Length == 0)
            throw new MlpException("PlotNoDiagnostics", MlpErrorKind.InvalidOperation,
                training.History.Count == 0
                    ? "The network has not been trained, so it has no diagnostics to draw: train it first."
                    : Invariant.Format($"None of the {Invariant.Plural(training.History.Count, "epoch")} of the training history recorded diagnostics (update/weight ratios, dead ReLUs), so there are none to draw. Every epoch training runs now records them: train it again."),
                training);

        var figure = Figure.Create(fonts, 2);
        Plot ratios = figure.Panels[0], relus = figure.Panels[1];
        figure.Label(ratios, "Update/weight ratio per epoch", "Epoch", "||update|| / ||weights|| (log scale)");
        figure.Label(relus, "Hidden ReLUs per epoch", "Epoch", "Share (0 = none, 1 = all)");

        var logs = new List<double> { Math.Log10(RuleOfThumb) };
        foreach (var (name, color, dashed, of) in Parameters)
        {
            var line = Log10Curve(ratios, epochs, r => of(r.Diagnostics!).UpdateRatio, name, color, logs);
            foreach (var part in line) part.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
        }
        var reference = ratios.Add.HorizontalLine(Math.Log10(RuleOfThumb), 1.5f, Reference, LinePattern.Dotted);
        reference.LegendText = "1e-3 (rule of thumb)";
        fonts.Apply(reference.LabelStyle);
        ratios.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = PowerOfTen,
        };

        HistoryPicture.Curve(relus, epochs, r => r.Diagnostics!.DeadUnitShare, "dead units (Hpre <= 0 for every sample)", Dead);
        HistoryPicture.Curve(relus, epochs, r => r.Diagnostics!.ZeroActivationShare, "zero activations (A = 0)", Zero);

        foreach (Plot panel in figure.Panels) HistoryPicture.EpochAxis(panel, epochs);
        double low = Math.Floor(logs.Min() - 0.25), high = Math.Ceiling(logs.Max() + 0.25);
        ratios.Axes.SetLimitsY(low, Math.Max(high, low + 2));
        relus.Axes.SetLimitsY(-0.04, 1.04);
        HistoryPicture.Legend(ratios);
        HistoryPicture.Legend(relus);
        return figure;
    }

    /// <summary>A curve of log10 of a figure per epoch; figures that are not positive and finite leave a gap. Adds the logs drawn to <paramref name="logs"/>.</summary>
    private static List<ScottPlot.Plottables.Scatter> Log10Curve(Plot panel, IReadOnlyList<EpochRecord> epochs, Func<EpochRecord, double> figure,
        string name, Color color, List<double> logs)
    {
        int before = panel.PlottableList.Count;
        HistoryPicture.Curve(panel, epochs, r => figure(r) is var v && v > 0 && double.IsFinite(v) ? Math.Log10(v) : null, name, color);
        var added = panel.PlottableList.Skip(before).OfType<ScottPlot.Plottables.Scatter>().ToList();
        foreach (var line in added) logs.AddRange(line.Data.GetScatterPoints().Select(p => p.Y));
        return added;
    }

    /// <summary>A tick at log10 value <paramref name="exponent"/>: "1", "1e-3", "1e2".</summary>
    internal static string PowerOfTen(double exponent)
    {
        int k = (int)Math.Round(exponent);
        return k == 0 ? "1" : Invariant.Format($"1e{k}");
    }
}
