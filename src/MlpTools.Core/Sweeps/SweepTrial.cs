using System.Diagnostics;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Sweeps;

/// <summary>
/// How a sweep scores its trials: on validation data held out from training, or by stratified k-fold
/// cross-validation (each fold scored by a network trained on the others).
/// </summary>
public sealed class SweepScoring
{
    private SweepScoring(Dataset all, IReadOnlyList<(Dataset Train, Dataset Validation)> parts, bool crossValidation)
    {
        All = all;
        Parts = parts;
        IsCrossValidation = crossValidation;
    }

    /// <summary>All the data the sweep was given (what a cross-validated trial's kept network is trained on).</summary>
    public Dataset All { get; }

    /// <summary>The (train, validation) pairs each trial trains and scores on: one, or one per fold.</summary>
    public IReadOnlyList<(Dataset Train, Dataset Validation)> Parts { get; }

    /// <summary>Whether the trials are scored by cross-validation.</summary>
    public bool IsCrossValidation { get; }

    /// <summary>Train on <paramref name="train"/>, score on <paramref name="validation"/>.</summary>
    public static SweepScoring Holdout(Dataset train, Dataset validation)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        return new SweepScoring(train, new[] { (train, validation) }, crossValidation: false);
    }

    /// <summary>Hold out <paramref name="fraction"/> of <paramref name="data"/> (stratified, seeded) for validation.</summary>
    public static SweepScoring Holdout(Dataset data, double fraction, int seed)
    {
        var (train, validation) = DatasetSplitter.HoldOutValidation(data, fraction, seed);
        return new SweepScoring(train, new[] { (train, validation) }, crossValidation: false);
    }

    /// <summary>Stratified <paramref name="folds"/>-fold cross-validation of <paramref name="data"/>, the folds dealt with <paramref name="seed"/>.</summary>
    public static SweepScoring CrossValidation(Dataset data, int folds, int seed) =>
        new(data, DatasetSplitter.Folds(data, folds, seed), crossValidation: true);
}

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>Trained and scored.</summary>
    Completed,

    /// <summary>Its training failed (diverged, or refused its settings): the result carries the error.</summary>
    Failed,

    /// <summary>Stopped by the user before it finished.</summary>
    Stopped,
}

/// <summary>What one trial of a sweep gave.</summary>
public sealed class TrialOutcome
{
    /// <summary>The trial's number (1-based, in the sweep's order).</summary>
    public int Trial { get; init; }

    /// <summary>The seed of its weights and shuffles.</summary>
    public int Seed { get; init; }

    /// <summary>Its settings.</summary>
    public TrialSettings Settings { get; init; } = null!;

    /// <summary>How it ended.</summary>
    public TrialStatus Status { get; init; }

    /// <summary>Validation accuracy of the trained network (its best weights), the mean over folds when cross-validated.</summary>
    public double? Score { get; init; }

    /// <summary>The standard deviation of the fold scores (population, over the folds); 0 for a single hold-out.</summary>
    public double? ScoreSpread { get; init; }

    /// <summary>Each fold's score (one entry for a hold-out).</summary>
    public IReadOnlyList<double> FoldScores { get; init; } = Array.Empty<double>();

    /// <summary>The validation loss (cross-entropy with the L2 term), the mean over folds when cross-validated.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Epochs run (the most of any fold when cross-validated).</summary>
    public int Epochs { get; init; }

    /// <summary>Seconds the trial took, training and scoring.</summary>
    public double Seconds { get; init; }

    /// <summary>Why training stopped (of the last fold when cross-validated), or the error's id when it failed.</summary>
    public string StopReason { get; init; } = "";

    /// <summary>The error that failed it, or null.</summary>
    public string? Error { get; init; }

    /// <summary>The error's id, or null.</summary>
    public string? ErrorId { get; init; }

    /// <summary>The trained network (the hold-out's; for cross-validation, trained on all the data) when kept.</summary>
    public Mlp? Network { get; set; }

    /// <summary>The kept network's training state.</summary>
    public TrainingState? Training { get; set; }
}

/// <summary>Runs one trial of a sweep: the same network and training as <c>New-Mlp | Invoke-Training</c> with the trial's settings and seed.</summary>
public static class SweepTrial
{
    /// <summary>
    /// The seed of trial <paramref name="trial"/> of a sweep seeded with <paramref name="sweepSeed"/>: the SplitMix64
    /// mix of the two (sweep seed in the high half, trial number in the low half), its top 31 bits.
    /// </summary>
    public static int Seed(int sweepSeed, int trial)
    {
        ulong z = ((ulong)(uint)sweepSeed << 32) | (uint)trial;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z >> 33);
    }

    /// <summary>
    /// Trains and scores trial <paramref name="trial"/>. Never throws for the trial's own failure: a training that
    /// diverges or refuses its settings is a <see cref="TrialStatus.Failed"/> outcome carrying the error, and a
    /// cancelled one is <see cref="TrialStatus.Stopped"/>. With <paramref name="keepNetwork"/> the outcome keeps the
    /// trained network (for cross-validation, one more network trained on all the data).
    /// </summary>
    public static TrialOutcome Run(SweepScoring scoring, int trial, int seed, TrialSettings settings, int? defaultHiddenSize,
        bool keepNetwork, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentNullException.ThrowIfNull(settings);
        var clock = Stopwatch.StartNew();
        var scores = new List<double>();
        var losses = new List<double>();
        int epochs = 0;
        string stopReason = "";
        Mlp? kept = null;
        TrainingState? keptState = null;
        try
        {
            foreach (var (train, validation) in scoring.Parts)
            {
                var (network, state) = Train(train, validation, seed, settings, defaultHiddenSize, cancellationToken);
                if (cancellationToken.IsCancellationRequested) return Stopped(trial, seed, settings, clock);
                Evaluation score = network.Evaluate(validation);
                scores.Add(score.Accuracy);
                losses.Add(score.Loss);
                epochs = Math.Max(epochs, state.History.Count);
                stopReason = state.StopReason;
                if (keepNetwork && !scoring.IsCrossValidation) (kept, keptState) = (network, state);
            }
            if (keepNetwork && scoring.IsCrossValidation)
            {
                (kept, keptState) = Refit(scoring, seed, settings, defaultHiddenSize, cancellationToken);
                if (cancellationToken.IsCancellationRequested) return Stopped(trial, seed, settings, clock);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Stopped(trial, seed, settings, clock);
        }
#pragma warning disable CA1031 // a trial's failure is its result: the sweep goes on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new TrialOutcome
            {
                Trial = trial, Seed = seed, Settings = settings, Status = TrialStatus.Failed, Seconds = clock.Elapsed.TotalSeconds,
                Error = ex.Message, ErrorId = ex is MlpException m ? m.ErrorId : ex.GetType().Name, Epochs = epochs,
                StopReason = ex is MlpException me ? me.ErrorId : "Failed",
                FoldScores = scores.ToArray(),
            };
        }
        double mean = scores.Average();
        double spread = Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / scores.Count);
        return new TrialOutcome
        {
            Trial = trial, Seed = seed, Settings = settings, Status = TrialStatus.Completed,
            Score = mean, ScoreSpread = spread, FoldScores = scores.ToArray(), ValidationLoss = losses.Average(),
            Epochs = epochs, Seconds = clock.Elapsed.TotalSeconds, StopReason = stopReason,
            Network = kept, Training = keptState,
        };
    }

    /// <summary>A cross-validated trial's network: its settings and seed, trained on all the data (no validation).</summary>
    public static (Mlp Network, TrainingState State) Refit(SweepScoring scoring, int seed, TrialSettings settings, int? defaultHiddenSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        ArgumentNullException.ThrowIfNull(settings);
        return Train(scoring.All, null, seed, settings, defaultHiddenSize, cancellationToken);
    }

    /// <summary>Checks that every setting of a trial applies (to its optimizer), without training.</summary>
    public static void Check(TrialSettings settings, int? defaultHiddenSize)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.HiddenSize(defaultHiddenSize);
        settings.TrainingOptions(0);
    }

    private static (Mlp, TrainingState) Train(Dataset train, Dataset? validation, int seed, TrialSettings settings, int? defaultHiddenSize,
        CancellationToken cancellationToken)
    {
        TrainingOptions options = settings.TrainingOptions(seed);
        Mlp network = Mlp.CreateFor(train, settings.HiddenSize(defaultHiddenSize), settings.Precision, seed, settings.WeightScale);
        TrainingState state = Trainer.Train(network, train, options, validation, callbacks: null, state: null, cancellationToken);
        return (network, state);
    }

    private static TrialOutcome Stopped(int trial, int seed, TrialSettings settings, Stopwatch clock) => new()
    {
        Trial = trial, Seed = seed, Settings = settings, Status = TrialStatus.Stopped, Seconds = clock.Elapsed.TotalSeconds,
        StopReason = "Stopped",
    };
}
