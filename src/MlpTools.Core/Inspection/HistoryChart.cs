using MlpTools.Core.Training;

namespace MlpTools.Core.Inspection;

/// <summary>Which figure of a training history a chart shows.</summary>
public enum HistoryMetric
{
    /// <summary>The training loss and, where there was validation data, the validation loss.</summary>
    Loss,
    /// <summary>The training accuracy and, where there was validation data, the validation accuracy.</summary>
    Accuracy,
}

/// <summary>
/// A training history as a chart of text, for a terminal with no image viewer (over SSH, in a script's log): one
/// figure (<see cref="HistoryMetric"/>) per epoch, training in Braille dots and validation in blocks, with the
/// extremes labelled on the y axis, the first and last epochs on the x axis, the best epoch marked under the axis, and a
/// legend line. Every line is at most the width asked for.
/// </summary>
/// <example>
/// A loss falling from 1 to 0 over two epochs, 30 columns wide and 2 rows high:
/// <code>
/// Loss per epoch (epochs 1 to 2)
/// 1.0000 ┤⠉⠙⠒⠒⠲⠤⠤⢤⣀⣀⣀⡀
/// 0.0000 ┤           ⠉⠉⠉⠓⠒⠒⠦⠤⠤⣄⣀
///        └─────────────────────▲
///         1                    2
/// ⣀ training
/// ▲ best epoch 2: loss 0.0000
/// </code>
/// </example>
public static class HistoryChart
{
    /// <summary>The narrowest chart: room for the y labels and 10 columns of plot.</summary>
    public const int MinWidth = 30;

    /// <summary>The fewest plot rows.</summary>
    public const int MinHeight = 2;

    /// <summary>
    /// The chart of <paramref name="metric"/> over <paramref name="history"/> (any order: it is drawn by epoch), as lines
    /// of at most <paramref name="width"/> characters: a title, <paramref name="height"/> plot rows, the x axis with the
    /// best epoch marked, the epochs under it, and a legend.
    /// </summary>
    /// <param name="history">The epoch records: a network's History, or records streamed from training.</param>
    /// <param name="metric">Loss or Accuracy.</param>
    /// <param name="bestEpoch">The epoch to mark as best; null marks none. See <see cref="BestEpochOf"/>.</param>
    /// <param name="width">The width of every line, labels included (at least <see cref="MinWidth"/>).</param>
    /// <param name="height">The rows of the plot (at least <see cref="MinHeight"/>).</param>
    /// <param name="ascii">Draw with ASCII characters only ('*' training, 'o' validation, '^' best), for a terminal whose encoding has no Braille.</param>
    /// <param name="logScale">
    /// Space the y axis by powers of ten, so a loss falling from 2 to 0.01 is drawn as evenly as its fall from 2 to 0.2
    /// (the labels stay the values). Values of 0 or less cannot be drawn so and are left out, and counted.
    /// </param>
    public static IReadOnlyList<string> Render(IEnumerable<EpochRecord> history, HistoryMetric metric, int? bestEpoch,
        int width = 79, int height = 8, bool ascii = false, bool logScale = false)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (width < MinWidth)
            throw MlpException.Argument("ChartTooNarrow", Invariant.Format($"A chart needs a width of at least {MinWidth} characters, but it was given {width}."), width);
        if (height < MinHeight)
            throw MlpException.Argument("ChartTooLow", Invariant.Format($"A chart needs at least {MinHeight} rows, but it was given {height}."), height);
        if (!Enum.IsDefined(metric))
            throw MlpException.Argument("InvalidHistoryMetric", $"'{metric}' is not a figure a chart shows; use Loss or Accuracy.", metric);
        EpochRecord[] records = history.OrderBy(r => r.Epoch).ToArray();
        if (records.Length == 0) throw EmptyHistory(null);

        string name = metric == HistoryMetric.Loss ? "loss" : "accuracy";
        var training = records.Select(r => ((double)r.Epoch, metric == HistoryMetric.Loss ? r.Loss : r.Accuracy)).ToArray();
        (double X, double Y)[]? validation = records.Any(r => r.ValidationLoss is not null)
            ? records.Where(r => r.ValidationLoss is not null)
                .Select(r => ((double)r.Epoch, metric == HistoryMetric.Loss ? r.ValidationLoss!.Value : r.ValidationAccuracy ?? double.NaN)).ToArray()
            : null;

        int firstEpoch = records[0].Epoch, lastEpoch = records[^1].Epoch;
        var lines = new List<string>();
        string title = Invariant.Format($"{char.ToUpperInvariant(name[0])}{name[1..]} per epoch{(logScale ? ", log scale" : "")} (");
        title += records.Length == 1 ? Invariant.Format($"epoch {firstEpoch}") : Invariant.Format($"epochs {firstEpoch:N0} to {lastEpoch:N0}");

        double[] values = training.Concat(validation ?? Array.Empty<(double, double)>()).Select(p => p.Item2).ToArray();
        int notFinite = values.Count(v => !double.IsFinite(v));
        int notPositive = logScale ? values.Count(v => double.IsFinite(v) && v <= 0) : 0;
        double[] drawable = values.Where(v => double.IsFinite(v) && (!logScale || v > 0)).ToArray();
        if (drawable.Length == 0)
        {
            lines.AddRange(Wrap(title + ")", width));
            string why = logScale ? "NaN, infinite or not above 0 (a log scale draws only values above 0)" : "NaN or infinite (the run diverged)";
            lines.AddRange(Wrap(Invariant.Format($"Nothing to draw: every {name} is {why}."), width));
            return lines;
        }
        if (logScale)
        {
            // Drawn as log10 of the value; a value of 0 or less becomes NaN, a gap like any other.
            static (double, double) Log((double X, double Y) p) => (p.X, p.Y > 0 ? Math.Log10(p.Y) : double.NaN);
            training = training.Select(Log).ToArray();
            validation = validation?.Select(Log).ToArray();
        }

        string top = TextLayout.Figure(drawable.Max()), bottom = TextLayout.Figure(drawable.Min());
        double yMin = logScale ? Math.Log10(drawable.Min()) : drawable.Min(), yMax = logScale ? Math.Log10(drawable.Max()) : drawable.Max();
        int labelWidth = Math.Max(top.Length, bottom.Length);
        int columns = width - labelWidth - 2;
        int dotsPerColumn = ascii ? 1 : 2;
        int span = lastEpoch - firstEpoch + 1;
        if (span > columns * 2) title += Invariant.Format($", about {(double)span / columns:0} to a column");
        lines.AddRange(Wrap(title + ")", width));

        string[] plot = TextChart.Plot(training, validation, firstEpoch, lastEpoch, yMin, yMax, columns, height, ascii);
        for (int r = 0; r < height; r++)
        {
            string label = r == 0 ? top : r == height - 1 ? bottom : "";
            if (yMax == yMin) label = r == (height - 1) / 2 ? top : "";
            char axis = label.Length > 0 ? (ascii ? '+' : '┤') : (ascii ? '|' : '│');
            lines.Add((label.PadLeft(labelWidth) + " " + axis + plot[r]).TrimEnd());
        }

        // The x axis, with the best epoch marked under its column.
        EpochRecord? best = bestEpoch is { } b ? records.LastOrDefault(r => r.Epoch == b) : null;
        int? bestColumn = best is null ? null : TextChart.Column(best.Epoch, firstEpoch, lastEpoch, columns * dotsPerColumn) / dotsPerColumn;
        var axisLine = new char[columns];
        Array.Fill(axisLine, ascii ? '-' : '─');
        if (bestColumn is { } bc) axisLine[bc] = ascii ? '^' : '▲';
        lines.Add(new string(' ', labelWidth + 1) + (ascii ? '+' : '└') + new string(axisLine));

        // The epochs: the first at the left, the last at the right, the best under its mark when there is room.
        var epochs = new char[columns];
        Array.Fill(epochs, ' ');
        bool Place(string text, int start)
        {
            if (start < 0 || start + text.Length > columns) return false;
            for (int i = Math.Max(0, start - 1); i < Math.Min(columns, start + text.Length + 1); i++)
                if (epochs[i] != ' ') return false;
            text.CopyTo(0, epochs, start, text.Length);
            return true;
        }
        string firstText = Invariant.Format($"{firstEpoch:N0}"), lastText = Invariant.Format($"{lastEpoch:N0}");
        Place(firstText, 0);
        if (lastEpoch != firstEpoch) Place(lastText, columns - lastText.Length);
        if (bestColumn is { } col && best!.Epoch != firstEpoch && best.Epoch != lastEpoch)
        {
            string bestText = Invariant.Format($"{best.Epoch:N0}");
            if (!Place(bestText, col)) Place(bestText, col - bestText.Length + 1);
        }
        lines.Add((new string(' ', labelWidth + 2) + new string(epochs)).TrimEnd());

        // The legend.
        var legend = new List<string> { (ascii ? "*" : "⣀") + " training" };
        if (validation is not null) legend.Add((ascii ? "o" : "▄") + " validation");
        if (best is not null)
        {
            double figure = metric == HistoryMetric.Loss ? best.Loss : best.Accuracy;
            double? validationFigure = metric == HistoryMetric.Loss ? best.ValidationLoss : best.ValidationAccuracy;
            string figures = validationFigure is { } v
                ? Invariant.Format($"{name} {TextLayout.Figure(figure)}, validation {TextLayout.Figure(v)}")
                : Invariant.Format($"{name} {TextLayout.Figure(figure)}");
            legend.Add(Invariant.Format($"{(ascii ? "^" : "▲")} best epoch {best.Epoch:N0}: {figures}"));
        }
        else if (bestEpoch == 0)
        {
            legend.Add("best: the starting weights (epoch 0)");
        }
        else if (bestEpoch is { } missing)
        {
            legend.Add(Invariant.Format($"best epoch {missing:N0} is not among the records"));
        }
        if (notFinite > 0) legend.Add(Invariant.Format($"{Invariant.Plural(notFinite, "value")} NaN or infinite, not drawn"));
        if (notPositive > 0) legend.Add(Invariant.Format($"{Invariant.Plural(notPositive, "value")} not above 0, not drawn on a log scale"));
        lines.AddRange(Legend(legend, width));
        return lines;
    }

    /// <summary>
    /// The epoch training would keep as best when it monitors the default figure: the lowest validation loss when the
    /// records have validation figures, else the lowest training loss (the earliest on a tie); null when none is finite.
    /// </summary>
    public static int? BestEpochOf(IEnumerable<EpochRecord> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        EpochRecord[] records = history.OrderBy(r => r.Epoch).ToArray();
        bool validation = records.Any(r => r.ValidationLoss is not null);
        EpochRecord? best = null;
        double bestValue = double.PositiveInfinity;
        foreach (EpochRecord r in records)
        {
            double v = validation ? r.ValidationLoss ?? double.NaN : r.Loss;
            if (double.IsFinite(v) && v < bestValue)
            {
                bestValue = v;
                best = r;
            }
        }
        return best?.Epoch;
    }

    /// <summary>
    /// The error for a history with no records (<c>HistoryEmpty</c>, InvalidArgument): of <paramref name="network"/>, never
    /// trained, or of no network (no records were given).
    /// </summary>
    internal static MlpException EmptyHistory(object? network) => MlpException.Argument("HistoryEmpty", network is null
        ? "There is no training history to draw: no epoch records were given."
        : $"There is no training history to draw: {network} was never trained.", network);

    private static IEnumerable<string> Wrap(string text, int width) => TextLayout.Wrap(text, width);

    /// <summary>The legend's entries three spaces apart, a new line where the next would not fit (a long one wrapped).</summary>
    private static IEnumerable<string> Legend(IEnumerable<string> entries, int width)
    {
        string line = "";
        foreach (string entry in entries)
        {
            if (line.Length > 0 && line.Length + 3 + entry.Length <= width)
            {
                line += "   " + entry;
                continue;
            }
            if (line.Length > 0) yield return line;
            line = "";
            foreach (string part in TextLayout.Wrap(entry, width))
            {
                if (line.Length > 0) yield return line;
                line = part;
            }
        }
        if (line.Length > 0) yield return line;
    }
}
