using MlpTools.Core;
using MlpTools.Core.Training;
using ScottPlot;

namespace MlpTools.Plots;

/// <summary>
/// The training history: loss per epoch on the left, accuracy per epoch on the right, each with the training curve and
/// (when there was validation data) the validation curve, and a dashed line at the best epoch: the epoch whose weights
/// the network holds. Epochs whose figure is not finite (a run that diverged) leave a gap. The training figures are the
/// means over the epoch's mini-batches as they were trained (the loss with its L2 term); the validation figures are
/// measured after the epoch.
/// </summary>
internal static class HistoryPicture
{
    /// <summary>The training curve's colour.</summary>
    public static readonly Color Training = Color.FromHex("#1f77b4");

    /// <summary>The validation curve's colour.</summary>
    public static readonly Color Validation = Color.FromHex("#ff7f0e");

    /// <summary>The best epoch's line.</summary>
    public static readonly Color Best = Color.FromHex("#2ca02c");

    /// <summary>Up to this many epochs, each point is marked as well as joined.</summary>
    private const int MarkedEpochs = 40;

    public static Figure Build(TrainingState training, PlotFonts fonts)
    {
        ArgumentNullException.ThrowIfNull(training);
        IReadOnlyList<EpochRecord> history = training.History;
        if (history.Count == 0)
            throw new MlpException("PlotNoHistory", MlpErrorKind.InvalidOperation,
                "The network has not been trained, so it has no history to draw: train it first.", training);

        var figure = Figure.Create(fonts, 2);
        Plot loss = figure.Panels[0], accuracy = figure.Panels[1];
        bool validated = history.Any(r => r.ValidationLoss is not null);
        figure.Label(loss, "Loss per epoch", "Epoch", "Loss (cross-entropy)");
        figure.Label(accuracy, "Accuracy per epoch", "Epoch", "Accuracy");

        Curve(loss, history, r => r.Loss, "training (+ L2 term)", Training);
        Curve(accuracy, history, r => r.Accuracy, "training", Training);
        if (validated)
        {
            Curve(loss, history, r => r.ValidationLoss, "validation", Validation);
            Curve(accuracy, history, r => r.ValidationAccuracy, "validation", Validation);
        }
        if (training.BestEpoch is { } best && best > 0)
        {
            foreach (Plot panel in figure.Panels) MarkBest(panel, best, fonts);
        }
        foreach (Plot panel in figure.Panels)
        {
            EpochAxis(panel, history);
            Legend(panel);
        }
        return figure;
    }

    /// <summary>One figure per epoch, joined; a non-finite or missing figure breaks the line.</summary>
    internal static void Curve(Plot panel, IReadOnlyList<EpochRecord> history, Func<EpochRecord, double?> figure, string name, Color color)
    {
        var segments = new List<List<Coordinates>> { new() };
        foreach (EpochRecord r in history)
        {
            if (figure(r) is { } y && double.IsFinite(y)) segments[^1].Add(new Coordinates(r.Epoch, y));
            else if (segments[^1].Count > 0) segments.Add(new());
        }
        bool named = false;
        foreach (List<Coordinates> points in segments.Where(s => s.Count > 0))
        {
            var line = panel.Add.Scatter(points, color);
            line.LineWidth = 2;
            line.MarkerSize = history.Count <= MarkedEpochs ? 6 : 0;
            if (!named) line.LegendText = name;
            named = true;
        }
    }

    /// <summary>A dashed vertical line at the best epoch, named in the legend.</summary>
    private static void MarkBest(Plot panel, int best, PlotFonts fonts)
    {
        var line = panel.Add.VerticalLine(best, 2, Best, LinePattern.Dashed);
        line.LegendText = Invariant.Format($"best epoch ({best})");
        fonts.Apply(line.LabelStyle);
    }

    /// <summary>The legend in a row below the panel, where it never hides a curve.</summary>
    internal static void Legend(Plot panel)
    {
        var legend = panel.ShowLegend(Edge.Bottom);
        legend.Padding = new PixelPadding(10, 10, 4, 4);
        // Long enough for a dashed line to show two dashes beside its marker (at the default 20 pixels the biases'
        // dashed lines looked solid, or like a marker alone).
        panel.Legend.SymbolWidth = 30;
    }

    /// <summary>Whole-number epochs on the horizontal axis, the first to the last epoch trained with half an epoch to spare.</summary>
    internal static void EpochAxis(Plot panel, IReadOnlyList<EpochRecord> history)
    {
        panel.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        int first = history.Min(r => r.Epoch), last = history.Max(r => r.Epoch);
        panel.Axes.AutoScaleY();
        panel.Axes.SetLimitsX(first - 0.5, last + 0.5);
    }
}
