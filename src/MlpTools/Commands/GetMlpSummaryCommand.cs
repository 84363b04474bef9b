using System.Management.Automation;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;

namespace MlpTools.Commands;

/// <summary>
/// <c>$net | Get-MlpSummary</c>: a network at a glance (<see cref="NetworkSummary"/>): its stages with their shapes and
/// parameter counts, statistics of W1, b1, W2 and b2, its preprocessing, and how it was trained, from the training state
/// the cmdlets carry beside it (<see cref="PipelineState"/>).
/// </summary>
[Cmdlet(VerbsCommon.Get, "MlpSummary")]
[OutputType(typeof(NetworkSummary))]
public sealed class GetMlpSummaryCommand : MlpCmdlet
{
    /// <summary>The network to summarize.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowNull]
    [InputOf(typeof(Mlp), nameof(Network))]
    public Mlp Network { get; set; } = null!;

    /// <inheritdoc />
    protected override void ProcessRecordCore() =>
        WriteObject(NetworkSummary.Create(Network, PipelineState.TrainingOf(Network)));
}
