using System.Numerics;
using MathNet.Numerics.Statistics;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Inspection;

/// <summary>
/// One stage of the network as a sample passes through it: what it computes, how many numbers it gives per sample,
/// and the parameters it holds. A batch of m samples flows through as m x <see cref="Outputs"/>.
/// </summary>
/// <param name="Name">Input, Affine, ReLU, Affine or Softmax.</param>
/// <param name="Computes">The stage's formula, in the names of the math (Hpre = X W1 + b1).</param>
/// <param name="Outputs">How many numbers it gives per sample: D, H, H, C, C.</param>
/// <param name="ParameterShapes">Its parameters and their shapes ("W1 64x32, b1 32"); empty for a stage without any.</param>
/// <param name="ParameterCount">How many parameters it holds.</param>
public sealed record NetworkStage(string Name, string Computes, int Outputs, string ParameterShapes, long ParameterCount)
{
    /// <summary>The shape of its output for a batch of m samples: "m x 64".</summary>
    public string OutputShape => Invariant.Format($"m x {Outputs}");
}

/// <summary>
/// What the values of one parameter look like: its shape, mean, population standard deviation, extremes and norm
/// (the Frobenius norm of a matrix, the Euclidean norm of a vector), over every entry, computed in double precision.
/// </summary>
/// <param name="Name">W1, b1, W2 or b2.</param>
/// <param name="Rows">Rows (D for W1, H for W2; the length of a bias).</param>
/// <param name="Columns">Columns (H for W1, C for W2; 1 for a bias).</param>
/// <param name="Count">How many entries: Rows x Columns.</param>
/// <param name="Mean">The mean entry.</param>
/// <param name="StandardDeviation">The population standard deviation of the entries, sqrt(sum (w - mean)^2 / Count).</param>
/// <param name="Minimum">The smallest entry.</param>
/// <param name="Maximum">The largest entry.</param>
/// <param name="Norm">sqrt(sum w^2): the Frobenius norm of a matrix, the Euclidean norm of a bias.</param>
public sealed record ParameterStatistics(string Name, int Rows, int Columns, int Count, double Mean, double StandardDeviation,
    double Minimum, double Maximum, double Norm)
{
    /// <summary>The shape as the math writes it: "64x32" for a matrix, "32" for a bias.</summary>
    public string Shape => Name.StartsWith('b') ? Invariant.Format($"{Rows}") : Invariant.Format($"{Rows}x{Columns}");
}

/// <summary>
/// A network at a glance, in the spirit of Keras's <c>model.summary()</c>: its stages with their shapes and parameter
/// counts, statistics of each parameter, its preprocessing, and how it was trained (epochs, best epoch, how the last run
/// ended, the optimizer and its settings, the figures of the weights it holds). Built from a network and the training
/// state its runs produced; <see cref="ToString"/> lays it all out for an 80-column terminal.
/// </summary>
public sealed class NetworkSummary
{
    /// <summary>The width <see cref="ToString"/> keeps within: an 80-column terminal, less the column a line wrap takes.</summary>
    public const int TextWidth = 79;

    private NetworkSummary(Mlp network, TrainingState training)
    {
        InputSize = network.InputSize;
        HiddenSize = network.HiddenSize;
        ClassCount = network.ClassCount;
        Precision = network.Precision;
        ClassNames = network.ClassNames;
        Preprocessor = network.Preprocessor;
        Stages = StagesOf(network);
        Parameters = network switch
        {
            Mlp<float> f => StatisticsOf(f.Parameters),
            Mlp<double> d => StatisticsOf(d.Parameters),
            _ => throw new ArgumentException($"Unknown network type {network.GetType()}.", nameof(network)),
        };

        Epochs = training.History.Count;
        BestEpoch = training.BestEpoch;
        BestRecord = training.BestRecord;
        StopReason = training.StopReason;
        EpochRecord? last = Epochs > 0 ? training.History[Epochs - 1] : null;
        LearningRate = last?.LearningRate;
        // L-BFGS keeps no state, so the training state still names the rule of an earlier run (or none); its records
        // hold NaN for the learning rate, which tells it apart.
        if (last is not null && double.IsNaN(last.LearningRate))
        {
            Optimizer = OptimizerKind.Lbfgs;
            OptimizerSettings = Array.Empty<KeyValuePair<string, object>>();
            LearningRate = null;
        }
        else
        {
            Optimizer = training.Optimizer;
            OptimizerSettings = training.OptimizerSettings;
        }
    }

    /// <summary>The summary of <paramref name="network"/> and the training state its runs produced (null: never trained).</summary>
    public static NetworkSummary Create(Mlp network, TrainingState? training = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        return new NetworkSummary(network, training ?? new TrainingState());
    }

    /// <summary>D: inputs per sample.</summary>
    public int InputSize { get; }

    /// <summary>H: hidden ReLU units.</summary>
    public int HiddenSize { get; }

    /// <summary>C: classes.</summary>
    public int ClassCount { get; }

    /// <summary>"D-H-C".</summary>
    public string Layers => Invariant.Format($"{InputSize}-{HiddenSize}-{ClassCount}");

    /// <summary>The precision the network computes in.</summary>
    public Precision Precision { get; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The stages in order: Input, Affine (W1, b1), ReLU, Affine (W2, b2), Softmax.</summary>
    public IReadOnlyList<NetworkStage> Stages { get; }

    /// <summary>Statistics of W1, b1, W2 and b2, in that order.</summary>
    public IReadOnlyList<ParameterStatistics> Parameters { get; }

    /// <summary>Every parameter: D*H + H + H*C + C, the sum over the stages.</summary>
    public long ParameterCount => Stages.Sum(s => s.ParameterCount);

    /// <summary>The feature scaling the network applies to every sample it takes; null when it takes the data as it is.</summary>
    public Preprocessor? Preprocessor { get; }

    /// <summary>How many epochs were trained, over every run (the length of the history).</summary>
    public int Epochs { get; }

    /// <summary>The epoch whose weights the network holds (0: the weights it started from; null: never trained).</summary>
    public int? BestEpoch { get; }

    /// <summary>The history record of <see cref="BestEpoch"/>: the figures of the weights the network holds.</summary>
    public EpochRecord? BestRecord { get; }

    /// <summary>How the most recent training run ended (empty before any training).</summary>
    public string StopReason { get; }

    /// <summary>The update rule of the last run (null before training).</summary>
    public OptimizerKind? Optimizer { get; }

    /// <summary>The settings of <see cref="Optimizer"/>, by name (empty for L-BFGS and before training).</summary>
    public IReadOnlyList<KeyValuePair<string, object>> OptimizerSettings { get; }

    /// <summary>The learning rate of the last epoch trained (null for L-BFGS, which takes none, and before training).</summary>
    public double? LearningRate { get; }

    private static NetworkStage[] StagesOf(Mlp n)
    {
        int d = n.InputSize, h = n.HiddenSize, c = n.ClassCount;
        return new[]
        {
            new NetworkStage("Input", "X", d, "", 0),
            new NetworkStage("Affine", "Hpre = X W1 + b1", h, Invariant.Format($"W1 {d}x{h}, b1 {h}"), (long)d * h + h),
            new NetworkStage("ReLU", "A = max(0, Hpre)", h, "", 0),
            new NetworkStage("Affine", "Z = A W2 + b2", c, Invariant.Format($"W2 {h}x{c}, b2 {c}"), (long)h * c + c),
            new NetworkStage("Softmax", "P = softmax(Z)", c, "", 0),
        };
    }

    private static ParameterStatistics[] StatisticsOf<T>(ParameterSet<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new ParameterStatistics[4];
        for (int k = 0; k < 4; k++)
        {
            // One parameter at a time in double: a Single network's largest W1 is copied once, not the whole network.
            double[] values = p[k] is double[] same ? same : Array.ConvertAll(p[k], double.CreateTruncating);
            var stats = new RunningStatistics(values);
            double norm = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(values).L2Norm();
            (int rows, int columns) = p.Shape(k);
            result[k] = new ParameterStatistics(ParameterSet<T>.Names[k], rows, columns, values.Length, stats.Mean,
                stats.PopulationStandardDeviation, stats.Minimum, stats.Maximum, norm);
        }
        return result;
    }

    // ---- the text ----

    /// <summary>One line: "Mlp 64-32-10, Single, 2,410 parameters, 20 epochs".</summary>
    public string Headline =>
        Invariant.Format($"Mlp {Layers}, {Precision} precision, {ParameterCount:N0} parameters, {(Epochs == 0 ? "not trained" : Invariant.Plural(Epochs, "epoch"))}");

    /// <summary>
    /// The whole summary as text no wider than <see cref="TextWidth"/>: the headline, the stage table with the total, the
    /// statistics table, then the preprocessing, the training, the optimizer and the best record's figures.
    /// </summary>
    public override string ToString() => string.Join(Environment.NewLine, Lines());

    /// <summary>The lines of <see cref="ToString"/>.</summary>
    public IReadOnlyList<string> Lines()
    {
        var lines = new List<string> { Headline, "" };

        var stages = new List<string[]> { StageHeader };
        stages.AddRange(Stages.Select(s => new[] { s.Name, s.Computes, s.OutputShape, s.ParameterShapes, Invariant.Format($"{s.ParameterCount:N0}") }));
        stages.Add(new[] { "Total", "", "", "", Invariant.Format($"{ParameterCount:N0}") });
        lines.AddRange(TextLayout.Table(stages, StageAlignment));
        lines.Add("");

        var stats = new List<string[]> { StatisticsHeader };
        stats.AddRange(Parameters.Select(p => new[]
        {
            p.Name, p.Shape, TextLayout.Statistic(p.Mean), TextLayout.Statistic(p.StandardDeviation),
            TextLayout.Statistic(p.Minimum), TextLayout.Statistic(p.Maximum), TextLayout.Statistic(p.Norm),
        }));
        lines.AddRange(TextLayout.Table(stats, StatisticsAlignment));
        lines.Add("");

        const int label = 13;
        lines.AddRange(TextLayout.Labeled("Preprocessing", PreprocessingText(), label, TextWidth));
        lines.AddRange(TextLayout.Labeled("Training", TrainingText(), label, TextWidth));
        if (Epochs > 0) lines.AddRange(TextLayout.Labeled("Optimizer", OptimizerText(), label, TextWidth));
        if (BestRecord is { } r) lines.AddRange(TextLayout.Labeled("Best record", RecordText(r), label, TextWidth));
        return lines;
    }

    private static readonly string[] StageHeader = { "Stage", "Computes", "Output", "Parameters", "Count" };
    private static readonly bool[] StageAlignment = { false, false, false, false, true };
    private static readonly string[] StatisticsHeader = { "Name", "Shape", "Mean", "StdDev", "Min", "Max", "Norm" };
    private static readonly bool[] StatisticsAlignment = { false, false, true, true, true, true, true };

    private string PreprocessingText() => Preprocessor switch
    {
        null => "none: the network takes the data as it is",
        { Kind: ScalingKind.Standardize } p => Invariant.Format($"Standardize: x' = (x - mean) / deviation, {Invariant.Plural(p.FeatureCount, "feature")}"),
        { } p => Invariant.Format($"{p.Kind}: x' = (x - min) / (max - min), {Invariant.Plural(p.FeatureCount, "feature")}"),
    };

    private string TrainingText()
    {
        if (Epochs == 0) return "none: a new network";
        string best = BestEpoch switch
        {
            null => "no best epoch",
            0 => "best: the starting weights (epoch 0)",
            { } b => Invariant.Format($"best epoch {b}"),
        };
        return Invariant.Format($"{Invariant.Plural(Epochs, "epoch")}, {best}. {StopReason}");
    }

    private string OptimizerText()
    {
        string text = Optimizer?.ToString() ?? "none";
        if (OptimizerSettings.Count > 0)
            text += ": " + string.Join(", ", OptimizerSettings.Select(s => s.Key + " " + SettingText(s.Value)));
        if (LearningRate is { } lr) text += Invariant.Format($"; learning rate {Invariant.Number(lr)} (last epoch)");
        return text;
    }

    private static string SettingText(object value) => value switch
    {
        double v => Invariant.Number(v),
        bool b => b ? "on" : "off",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static string RecordText(EpochRecord r)
    {
        string text = Invariant.Format($"epoch {r.Epoch}: loss {TextLayout.Figure(r.Loss)}, accuracy {TextLayout.Figure(r.Accuracy)}");
        if (r.ValidationLoss is { } vl)
            text += Invariant.Format($", validation loss {TextLayout.Figure(vl)}, validation accuracy {TextLayout.Figure(r.ValidationAccuracy ?? double.NaN)}");
        return text;
    }
}
