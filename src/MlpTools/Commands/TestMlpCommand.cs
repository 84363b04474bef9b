using System.Management.Automation;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Commands;

/// <summary>
/// Accuracy, mean loss and confusion matrix of a network on a dataset. Either the network comes down the
/// pipeline (<c>$net | Test-Mlp [-Dataset $test]</c>, its own Dataset by default) or the dataset does
/// (<c>$test | Test-Mlp -Network $net</c>).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Mlp", DefaultParameterSetName = NetworkSet)]
[OutputType(typeof(Evaluation))]
public sealed class TestMlpCommand : MlpCmdlet
{
    private const string NetworkSet = "Network";
    private const string DatasetSet = "Dataset";

    /// <summary>The network to evaluate.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = NetworkSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DatasetSet)]
    [AllowNull]
    [InputOf(typeof(Mlp), nameof(Network))]
    public Mlp Network { get; set; } = null!;

    /// <summary>The data to evaluate on; with a piped network, by default the network's own Dataset.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = NetworkSet)]
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ParameterSetName = DatasetSet)]
    [AllowNull] // a piped network without a Dataset reaches NoDataset, not PowerShell's null check
    [InputOf(typeof(Dataset), nameof(Dataset), NullAllowed = true)]
    public Dataset? Dataset { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore() =>
        WriteObject(Network.Evaluate(Dataset ?? PipelineState.DatasetOf(Network) ?? throw NoDataset(Network, "$data | New-Mlp -HiddenSize 64 | Invoke-Training | Test-Mlp")));
}
