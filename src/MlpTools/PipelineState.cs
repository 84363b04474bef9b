using System.Management.Automation;
using System.Runtime.CompilerServices;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools;

/// <summary>
/// What the cmdlets carry beside a network on its way down a pipeline and between commands: the training state its runs
/// produced (history, best epoch, stop reason, optimizer state; saved by Export-Mlp, given back by Import-Mlp) and the
/// dataset it was made from or last trained on (memory only), so <c>$data | New-Mlp | Invoke-Training | Test-Mlp</c>
/// needs the data once. The engine's network holds neither: this is the cmdlet layer's business.
/// </summary>
/// <remarks>
/// Kept per network object, and dropped with it. Type data (module/MlpTools.Types.ps1xml) shows them as properties of
/// every network, through the public getters below: <c>$net.History</c>, <c>$net.BestEpoch</c>, <c>$net.BestRecord</c>,
/// <c>$net.StopReason</c>, <c>$net.Training</c> and <c>$net.Dataset</c> (which can also be set).
/// </remarks>
public static class PipelineState
{
    private sealed class Entry
    {
        public TrainingState Training { get; set; } = new();
        public Dataset? Dataset { get; set; }
    }

    private static readonly ConditionalWeakTable<Mlp, Entry> Entries = new();

    private static Entry Of(Mlp network) => Entries.GetValue(network, _ => new Entry());

    /// <summary>The training state of <paramref name="network"/> (empty for a network never trained here or in a file).</summary>
    internal static TrainingState TrainingOf(Mlp network) => Of(network).Training;

    internal static void SetTraining(Mlp network, TrainingState training) => Of(network).Training = training;

    /// <summary>The dataset the network was made from or last trained on, if any.</summary>
    internal static Dataset? DatasetOf(Mlp network) => Of(network).Dataset;

    internal static void SetDataset(Mlp network, Dataset? data) => Of(network).Dataset = data;

    private static Mlp Network(PSObject instance) =>
        instance?.BaseObject as Mlp ?? throw new ArgumentException("Not a network.", nameof(instance));

    /// <summary>Type data's <c>Training</c> property: the network's <see cref="TrainingState"/>.</summary>
    public static TrainingState GetTraining(PSObject instance) => TrainingOf(Network(instance));

    /// <summary>Type data's <c>History</c> property: one record per epoch trained, oldest first.</summary>
    public static IReadOnlyList<EpochRecord> GetHistory(PSObject instance) => TrainingOf(Network(instance)).History;

    /// <summary>Type data's <c>BestEpoch</c> property: the epoch whose weights the network holds (null before training).</summary>
    public static int? GetBestEpoch(PSObject instance) => TrainingOf(Network(instance)).BestEpoch;

    /// <summary>Type data's <c>BestRecord</c> property: the history record of the best epoch.</summary>
    public static EpochRecord? GetBestRecord(PSObject instance) => TrainingOf(Network(instance)).BestRecord;

    /// <summary>Type data's <c>StopReason</c> property: how the last training run ended (empty before training).</summary>
    public static string GetStopReason(PSObject instance) => TrainingOf(Network(instance)).StopReason;

    /// <summary>Type data's <c>Dataset</c> property: the dataset the network was made from or last trained on.</summary>
    public static Dataset? GetDataset(PSObject instance) => DatasetOf(Network(instance));

    /// <summary>
    /// Type data's hidden <c>Diagnostics</c> property of an epoch record (<see cref="TrainingDiagnostics.Of"/>): hidden so
    /// that <c>$net.History | Export-Csv</c> keeps one flat column per figure, and there by name for
    /// <c>$net.History[-1].Diagnostics.W1.UpdateRatio</c>.
    /// </summary>
    public static TrainingDiagnostics? GetEpochDiagnostics(PSObject instance) =>
        instance?.BaseObject is EpochRecord record ? TrainingDiagnostics.Of(record) : null;

    /// <summary>Sets type data's <c>Dataset</c> property (null forgets it).</summary>
    public static void SetDataset(PSObject instance, Dataset? value) => SetDataset(Network(instance), value);
}
