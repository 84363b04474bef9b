using MlpTools.Core.Model;

namespace MlpTools.Core.Training;

/// <summary>
/// What training runs produce beside the weights: the history of every epoch trained, the epoch whose weights the
/// network holds, how the last run ended, and the optimizer's state (so a later run continues it). The trainer updates
/// and returns it; a model file saves it with the network. The network itself (<see cref="Mlp"/>) holds none of it.
/// </summary>
public sealed class TrainingState
{
    private readonly List<EpochRecord> _history = new();

    /// <summary>The state of a network never trained: no history.</summary>
    public TrainingState()
    {
    }

    internal TrainingState(IEnumerable<EpochRecord> history, int? bestEpoch, string stopReason, Optimizer? optimizer)
    {
        _history.AddRange(history);
        BestEpoch = bestEpoch;
        StopReason = stopReason;
        OptimizerState = optimizer;
    }

    /// <summary>One record per epoch trained, across every training run, oldest first.</summary>
    public IReadOnlyList<EpochRecord> History => _history;

    /// <summary>
    /// The epoch whose weights the network holds after its last training run (best by the monitored figure). The
    /// weights a run started from count too: then it is the epoch before the run's first (0 for a new network).
    /// </summary>
    public int? BestEpoch { get; internal set; }

    /// <summary>
    /// How many training samples the last run measured at its starting weights (their training loss is the first
    /// candidate for best, measured only as far as comparing it with the first epoch needs); 0 when the monitor was a
    /// validation figure. A work count for the tests and the benchmark.
    /// </summary>
    internal int StartSamplesMeasured { get; set; }

    /// <summary>The last run's training loss at its starting weights when it was measured to the end, else NaN (for the tests).</summary>
    internal double StartLoss { get; set; } = double.NaN;

    /// <summary>
    /// The history record of <see cref="BestEpoch"/>: the figures of the weights the network holds (the epoch's
    /// training loss and accuracy, and its validation figures when there was validation data). Null before training,
    /// and when the weights held are a new network's (BestEpoch 0).
    /// </summary>
    public EpochRecord? BestRecord => BestEpoch is { } best ? _history.FindLast(r => r.Epoch == best) : null;

    /// <summary>How the most recent training run ended (empty before any training).</summary>
    public string StopReason { get; internal set; } = "";

    /// <summary>The update rule whose state is carried to the next run (null before training, and after L-BFGS only).</summary>
    public OptimizerKind? Optimizer => OptimizerState?.Kind;

    /// <summary>
    /// The settings of <see cref="Optimizer"/>, by name, in the order its rule lists them: Momentum and Nesterov for Sgd;
    /// Beta1, Beta2 and Epsilon for Adam; Rho and Epsilon for RmsProp. Empty when there is no optimizer state. A copy of
    /// the names and values only: the state arrays stay with the training state.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object>> OptimizerSettings =>
        OptimizerState is { } o
            ? o.SettingNames.Select(n => new KeyValuePair<string, object>(n, o.Setting(n))).ToArray()
            : Array.Empty<KeyValuePair<string, object>>();

    /// <summary>The optimizer's settings and state arrays, continued by a later run with the same optimizer.</summary>
    internal Optimizer? OptimizerState { get; set; }

    internal void Add(EpochRecord record) => _history.Add(record);

    /// <summary>A deep copy (history, best epoch, stop reason and optimizer state).</summary>
    public TrainingState Clone() => new(_history, BestEpoch, StopReason, OptimizerState?.Clone());

    /// <inheritdoc />
    public override string ToString() =>
        _history.Count == 0 ? "Not trained" : $"{Invariant.Plural(_history.Count, "epoch")}, best {BestEpoch}: {StopReason}";
}
