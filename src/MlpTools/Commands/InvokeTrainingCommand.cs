using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Commands;

/// <summary>
/// Trains a network in place with mini-batch SGD (momentum optional), reshuffling each epoch, and emits it.
/// <c>Import-Dataset -Name Digits | New-Mlp -HiddenSize 64 | Invoke-Training -Epochs 20</c>: the network comes down
/// the pipeline and its Dataset property binds -Dataset.
/// </summary>
/// <remarks>
/// Settings not given take the engine's defaults (<see cref="TrainingOptions"/>). However training ends (epochs done,
/// Ctrl+C), the engine leaves the network holding the weights of its best epoch by training loss, or by validation
/// loss when -ValidationDataset is given.
/// </remarks>
[Cmdlet(VerbsLifecycle.Invoke, "Training")]
[OutputType(typeof(Mlp<float>), typeof(Mlp<double>))]
public sealed class InvokeTrainingCommand : MlpCmdlet
{
    private const int ProgressActivityId = 1;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The network to train (trained in place).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public Mlp Network { get; set; } = null!;

    /// <summary>The training data; by default the network's own Dataset.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    public Dataset? Dataset { get; set; }

    /// <summary>Passes over the training data.</summary>
    [Parameter]
    public int? Epochs { get; set; }

    /// <summary>Samples per mini-batch.</summary>
    [Parameter]
    public int? BatchSize { get; set; }

    /// <summary>The SGD step size.</summary>
    [Parameter]
    public double? LearningRate { get; set; }

    /// <summary>lambda, the L2 strength.</summary>
    [Parameter]
    public double? Regularization { get; set; }

    /// <summary>Momentum in [0, 1); 0 is plain SGD.</summary>
    [Parameter]
    public double? Momentum { get; set; }

    /// <summary>The seed for the shuffles.</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Data measured after every epoch (validation loss and accuracy in the history).</summary>
    [Parameter]
    public Dataset? ValidationDataset { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        Dataset train = Dataset ?? Network.Dataset ?? throw NoDataset();
        var defaults = new TrainingOptions();
        var options = new TrainingOptions
        {
            Epochs = Epochs ?? defaults.Epochs,
            BatchSize = BatchSize ?? defaults.BatchSize,
            LearningRate = LearningRate,
            Regularization = Regularization ?? defaults.Regularization,
            Momentum = Momentum ?? defaults.Momentum,
            Seed = Seed,
        };
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Training {Network} on '{train.Name}' ({train.Count} samples): {options.Epochs} epochs, batch size {options.BatchSize}, learning rate {options.EffectiveLearningRate}, regularization {options.Regularization}, momentum {options.Momentum}, seed {(Seed.HasValue ? Seed.Value.ToString(CultureInfo.InvariantCulture) : "random")}."));

        var progress = new TrainingProgressWriter(record => WriteWhileWorking(() => WriteProgress(record)),
            ProgressActivityId, $"Training {Network}", Network.History.Count);
        try
        {
            Trainer.Train(Network, train, options, ValidationDataset,
                new TrainingCallbacks { Progress = progress.Report, EpochEnded = WriteEpoch }, CancellationToken);
        }
        finally
        {
            progress.Complete();
        }
        if (CancellationToken.IsCancellationRequested) return; // Ctrl+C: the network keeps its weights; nothing is written.
        WriteVerbose(Network.BestEpoch is { } best
            ? string.Create(CultureInfo.InvariantCulture, $"{Network.StopReason}; the network holds the weights of epoch {best}, its best.")
            : $"{Network.StopReason}.");
        WriteObject(Network);
    }

    private void WriteEpoch(EpochRecord r) => WriteWhileWorking(() => WriteEpochVerbose(r));

    private void WriteEpochVerbose(EpochRecord r)
    {
        string validation = r.ValidationLoss is { } vl
            ? string.Create(CultureInfo.InvariantCulture, $", validation loss {vl:0.0000}, validation accuracy {r.ValidationAccuracy:0.0000}")
            : "";
        WriteVerbose(string.Create(CultureInfo.InvariantCulture,
            $"Epoch {r.Epoch}: loss {r.Loss:0.0000}, accuracy {r.Accuracy:0.0000}{validation}, {r.Seconds:0.000} s"));
    }

    private MlpTools.Core.MlpException NoDataset() =>
        ArgumentError("NoDataset",
            $"There is no data to train {Network} on: give -Dataset, or pipe a network made from a dataset ($data | New-Mlp -HiddenSize 64 | Invoke-Training).",
            Network);

    /// <summary>Turns the engine's per-batch callback into at most four WriteProgress calls a second.</summary>
    private sealed class TrainingProgressWriter
    {
        private readonly Action<ProgressRecord> _write;
        private readonly int _id;
        private readonly string _activity;
        private readonly int _firstEpoch;
        private readonly Stopwatch _sinceLast = new();
        private bool _written;

        public TrainingProgressWriter(Action<ProgressRecord> write, int id, string activity, int epochsBefore)
        {
            _write = write;
            _id = id;
            _activity = activity;
            _firstEpoch = epochsBefore + 1;
        }

        public void Report(TrainingProgress p)
        {
            if (_written && _sinceLast.Elapsed < ProgressInterval) return;
            int epochs = p.LastEpoch - _firstEpoch + 1;
            double done = ((double)(p.Epoch - _firstEpoch) * p.Batches + p.Batch) / ((double)epochs * p.Batches);
            done = Math.Clamp(done, 0, 1);
            int secondsLeft = done > 0 ? (int)Math.Round(p.Elapsed.TotalSeconds / done * (1 - done)) : -1;
            var record = new ProgressRecord(_id, _activity, string.Create(CultureInfo.InvariantCulture,
                $"Epoch {p.Epoch - _firstEpoch + 1} of {epochs}, batch {p.Batch} of {p.Batches}, loss {p.Loss:0.0000}"))
            {
                PercentComplete = (int)(done * 100),
                SecondsRemaining = secondsLeft,
            };
            _write(record);
            _written = true;
            _sinceLast.Restart();
        }

        public void Complete()
        {
            // When the pipeline is stopping (Ctrl+C), the write is skipped and PowerShell clears the bar itself.
            if (_written) _write(new ProgressRecord(_id, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
