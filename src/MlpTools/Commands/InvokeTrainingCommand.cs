using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Commands;

/// <summary>
/// Trains a network in place and emits it (or, with -StreamHistory, its epoch records as they happen).
/// <c>Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 | Invoke-Training -Epochs 20</c>: the network comes down
/// the pipeline and its Dataset property binds -Dataset.
/// </summary>
/// <remarks>
/// The cmdlet only hands the parameters it was given to <see cref="TrainingOptions.FromSettings"/> (its parameters are
/// the training settings, by name; settings not given keep the engine's defaults, and the engine checks them), splits
/// off validation data, and connects the engine's callbacks to PowerShell: progress, verbose lines, streamed records and
/// checkpoint files. <see cref="Trainer"/> does the rest, including leaving the network with its best weights however
/// training ends. The training state it returns, and the data, travel with the network (<see cref="PipelineState"/>).
/// </remarks>
[Cmdlet(VerbsLifecycle.Invoke, "Training")]
[OutputType(typeof(Mlp<float>), typeof(Mlp<double>), typeof(EpochRecord))]
public sealed class InvokeTrainingCommand : TrainingSettingsCmdlet
{
    private const int ProgressActivityId = 1;

    private readonly List<Mlp> _trained = new();
    private string? _checkpoint;

    // ---- what to train, on what ----

    /// <summary>The network to train (trained in place).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowNull]
    [InputOf(typeof(Mlp), nameof(Network))]
    public Mlp Network { get; set; } = null!;

    /// <summary>The training data; by default the network's own Dataset.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [InputOf(typeof(Dataset), nameof(Dataset), NullAllowed = true)] // a piped network's own Dataset property may be null: NoDataset says what to do
    public Dataset? Dataset { get; set; }

    /// <summary>Passes over the training data.</summary>
    [Parameter]
    public int? Epochs { get; set; }


    // ---- the update rule ----










    // ---- schedules ----

    /// <summary>Multiply the learning rate by this after every epoch.</summary>
    [Parameter]
    public double? LearningRateDecay { get; set; }

    /// <summary>Reduce on plateau: epochs without improvement of the monitor before the learning rate is cut.</summary>
    [Parameter]
    public int? PlateauPatience { get; set; }

    /// <summary>Reduce on plateau: the factor the learning rate is multiplied by.</summary>
    [Parameter]
    public double? PlateauFactor { get; set; }

    /// <summary>The floor of both schedules.</summary>
    [Parameter]
    public double? MinLearningRate { get; set; }

    // ---- validation and early stopping ----

    /// <summary>Data measured after every epoch (validation loss and accuracy in the history).</summary>
    [Parameter]
    [AllowNull]
    [InputOf(typeof(Dataset), nameof(ValidationDataset))]
    public Dataset? ValidationDataset { get; set; }

    /// <summary>Hold out this fraction of the training data (stratified, seeded with -Seed) as validation data.</summary>
    [Parameter]
    public double? ValidationFraction { get; set; }

    /// <summary>Stop after this many epochs without improvement of the monitor.</summary>
    [Parameter]
    public int? Patience { get; set; }

    /// <summary>The smallest change of the monitor that counts as improvement.</summary>
    [Parameter]
    public double? MinDelta { get; set; }

    /// <summary>What early stopping, reduce-on-plateau and the best weights watch.</summary>
    [Parameter]
    public MonitorKind? Monitor { get; set; }

    // ---- the data as the loss sees it ----




    // ---- output ----

    /// <summary>Save the best network so far to this file whenever it improves.</summary>
    [Parameter]
    public string? CheckpointPath { get; set; }

    /// <summary>Write each epoch's record to the pipeline as the epoch ends, instead of the network at the end.</summary>
    [Parameter]
    public SwitchParameter StreamHistory { get; set; }

    /// <summary>Also put the network in this variable (set before training starts).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NetworkVariable { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessingCore()
    {
        if (CheckpointPath is not null) _checkpoint = ResolveCheckpointPath(CheckpointPath);
        if (NetworkVariable is not null)
        {
            NetworkVariable = NetworkVariable.TrimStart('$');
            if (NetworkVariable.Length == 0)
                throw ArgumentError("InvalidNetworkVariable", "-NetworkVariable needs a variable name, such as -NetworkVariable net (then $net holds the network).", NetworkVariable);
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        if (_checkpoint is not null && _trained.Count > 0)
            throw ArgumentError("CheckpointPathShared",
                $"-CheckpointPath names one file, '{_checkpoint}', but a second network came down the pipeline and would replace the first one's checkpoint. Train one network per checkpoint file.",
                _checkpoint);
        Dataset given = Dataset ?? PipelineState.DatasetOf(Network) ?? throw NoDataset(Network, "$data | New-Mlp -HiddenSize 64 | Invoke-Training");
        (Dataset train, Dataset? validation) = SplitValidation(given);
        TrainingOptions options = TrainingOptionsFromParameters();

        // The variable holds the network before the first epoch, so after Ctrl+C (which discards the pipeline's
        // output) it still gives the network, with its best weights so far.
        _trained.Add(Network);
        if (NetworkVariable is not null)
            SessionState.PSVariable.Set(NetworkVariable, _trained.Count == 1 ? _trained[0] : _trained.ToArray());

        TrainingState state = PipelineState.TrainingOf(Network);
        WriteVerbose(Describe(train, validation, options));
        var progress = new TrainingProgressWriter(record => WriteWhileWorking(() => WriteProgress(record)),
            ProgressActivityId, $"Training {Network}", state.History.Count);
        var callbacks = new TrainingCallbacks
        {
            Progress = progress.Report,
            EpochEnded = EpochEnded,
            Improved = _checkpoint is null ? null : SaveCheckpoint,
            Warning = warning => WriteWhileWorking(() => WriteWarning(ErrorHints.WithHint(warning))),
        };
        try
        {
            Trainer.Train(Network, train, options, validation, callbacks, state, CancellationToken);
        }
        finally
        {
            progress.Complete();
            // The network carries the data it was given, so a second Invoke-Training with the same -Seed holds out
            // the same samples again (not a fraction of the rest).
            PipelineState.SetDataset(Network, given);
        }
        if (CancellationToken.IsCancellationRequested) return; // Ctrl+C: the network keeps its best weights; nothing is written.
        WriteVerbose(state.BestEpoch is { } best
            ? Invariant.Format($"{state.StopReason}; the network holds the weights of epoch {best}, its best.")
            : $"{state.StopReason}.");
        if (!StreamHistory) WriteObject(Network);
    }

    // ---- parameters to options ----


    /// <summary>-ValidationFraction: a stratified, seeded split of the given data; -ValidationDataset as it is.</summary>
    private (Dataset Train, Dataset? Validation) SplitValidation(Dataset given)
    {
        if (ValidationFraction is not { } fraction) return (given, ValidationDataset);
        if (ValidationDataset is not null)
            throw ArgumentError("ValidationConflict",
                "Give either -ValidationDataset or -ValidationFraction, not both.", fraction);
        return DatasetSplitter.HoldOutValidation(given, fraction, Seed);
    }

    // ---- checkpoints ----

    private string ResolveCheckpointPath(string path)
    {
        // Taken literally: the file usually does not exist yet, and its name may hold '[' or '*'.
        string full = ProviderPaths.ResolveNew(this, path, literal: true);
        if (Directory.Exists(full))
            throw ArgumentError("CheckpointPathIsDirectory",
                $"-CheckpointPath '{full}' is a folder; give the path of the file to write, such as '{Path.Combine(full, "best.safetensors")}'.", full);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
            throw new MlpException("CheckpointDirectoryNotFound", MlpErrorKind.NotFound,
                $"The folder '{folder}' of -CheckpointPath does not exist; create it first, or choose another path.", full);
        return full;
    }

    /// <summary>
    /// The engine calls this at the end of an epoch that improved the monitor, with the network holding its best weights
    /// so far. The save is atomic (a temporary file renamed over the target) and is not cancelled by Ctrl+C, so the file
    /// always holds a complete model: the best one so far.
    /// </summary>
    private void SaveCheckpoint(Mlp network, TrainingState state)
    {
        try
        {
            ModelFile.Save(network, _checkpoint!, overwrite: true, beforeReplace: null, CancellationToken.None, what: "checkpoint", training: state);
        }
        catch (MlpException ex)
        {
            // An I/O failure already reads "Could not write the checkpoint '<path>': <reason>. Nothing was changed.";
            // other errors say what is wrong with the path or the network.
            string what = ex.ErrorId == "ModelWriteFailed" ? ex.Message : $"Could not write the checkpoint '{_checkpoint}': {ex.Message}";
            throw new MlpException("CheckpointWriteFailed", MlpErrorKind.InvalidOperation,
                $"{what} Training stopped; the network keeps its best weights.", _checkpoint, ex);
        }
        WriteWhileWorking(() => WriteDebug(Invariant.Format($"Saved epoch {state.BestEpoch} to '{_checkpoint}'.")));
    }

    // ---- output ----

    private void EpochEnded(EpochRecord r) => WriteWhileWorking(() =>
    {
        WriteVerbose(DescribeEpoch(r));
        if (StreamHistory) WriteObject(r);
    });

    private static string DescribeEpoch(EpochRecord r)
    {
        string validation = r.ValidationLoss is { } vl
            ? Invariant.Format($", validation loss {vl:0.0000}, validation accuracy {r.ValidationAccuracy:0.0000}")
            : "";
        return Invariant.Format($"Epoch {r.Epoch}: loss {r.Loss:0.0000}, accuracy {r.Accuracy:0.0000}{validation}, learning rate {r.LearningRate:G4}, |dW1| {r.GradientNormW1:G4}, |dW2| {r.GradientNormW2:G4}, {r.Seconds:0.000} s");
    }

    private string Describe(Dataset train, Dataset? validation, TrainingOptions o)
    {
        string Num(double v) => Invariant.Number(v);
        string rule = o.Optimizer switch
        {
            OptimizerKind.Sgd => $"Sgd (momentum {Num(o.Momentum)}{(o.Nesterov ? ", Nesterov" : "")})",
            OptimizerKind.Adam => $"Adam (beta1 {Num(o.Beta1)}, beta2 {Num(o.Beta2)}, epsilon {Num(o.Epsilon)})",
            OptimizerKind.RmsProp => $"RmsProp (rho {Num(o.Rho)}, epsilon {Num(o.Epsilon)})",
            _ => "Lbfgs (full batch)",
        };
        var parts = new List<string>
        {
            Invariant.Plural(o.Epochs, "epoch"),
            rule,
        };
        if (o.Optimizer != OptimizerKind.Lbfgs) parts.Add($"batch size {o.BatchSize}, learning rate {Num(o.EffectiveLearningRate)}");
        parts.Add($"regularization {Num(o.Regularization)}");
        if (o.LearningRateDecay != 1) parts.Add($"learning rate x {Num(o.LearningRateDecay)} per epoch");
        if (o.PlateauPatience is { } pp) parts.Add($"learning rate x {Num(o.PlateauFactor)} after {Invariant.Plural(pp, "epoch")} without improvement");
        if (o.Patience is { } p) parts.Add($"stop after {Invariant.Plural(p, "epoch")} without improvement");
        if (validation is not null) parts.Add($"validation on '{validation.Name}' ({Invariant.Plural(validation.Count, "sample")})");
        if (o.ClassWeights is { } cw) parts.Add($"class weights {cw}");
        if (o.Scaling is { } s && Network.Preprocessor is null) parts.Add($"scaling {s}");
        if (_checkpoint is not null) parts.Add($"checkpoints to '{_checkpoint}'");
        parts.Add($"seed {(Seed.HasValue ? Seed.Value.ToString(CultureInfo.InvariantCulture) : "random")}");
        return $"Training {Network} on '{train.Name}' ({Invariant.Plural(train.Count, "sample")}): {string.Join(", ", parts)}.";
    }

    /// <summary>Progress of a run: epochs and batches of this run (not of earlier ones), and the loss of the last batch.</summary>
    private sealed class TrainingProgressWriter
    {
        private readonly ProgressWriter _bar;
        private readonly int _firstEpoch;

        public TrainingProgressWriter(Action<ProgressRecord> write, int id, string activity, int epochsBefore)
        {
            _bar = new ProgressWriter(write, id, activity);
            _firstEpoch = epochsBefore + 1;
        }

        public void Report(TrainingProgress p)
        {
            if (!_bar.Due) return;
            // The share of batches done of all the epochs asked for (early stopping can only end sooner).
            int epochs = p.LastEpoch - _firstEpoch + 1;
            double done = ((double)(p.Epoch - _firstEpoch) * p.Batches + p.Batch) / ((double)epochs * p.Batches);
            _bar.Report(done, Invariant.Format($"Epoch {p.Epoch - _firstEpoch + 1} of {epochs}, batch {p.Batch} of {p.Batches}, loss {p.Loss:0.0000}"));
        }

        public void Complete() => _bar.Complete();
    }
}

/// <summary>Tab completion for <c>Invoke-Training -ClassWeight</c>: Balanced.</summary>
public sealed class ClassWeightCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ArgumentCompletion.Matching(wordToComplete, new[] { ("Balanced", "n / (C n_k): rarer classes weigh more") });
}
