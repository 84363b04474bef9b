using System.Management.Automation;
using MlpTools.Core.Inspection;

namespace MlpTools.Commands;

/// <summary>
/// The loss of one batch and its gradients dW1, db1, dW2 and db2 (MathNet types, the parameters' shapes); with
/// -Trace, every intermediate of backpropagation (X, Y, Hpre, A, Z, P, dZ, dA, dH) by name, in its Trace property
/// and on the report itself.
/// </summary>
[Cmdlet(VerbsCommon.Get, "MlpGradient", DefaultParameterSetName = NetworkSet)]
[OutputType(typeof(GradientReport<float>), typeof(GradientReport<double>))]
public sealed class GetMlpGradientCommand : GradientCmdlet
{
    /// <summary>Include every intermediate: X, Y, Hpre, A, Z, P, dZ, dA, dH.</summary>
    [Parameter]
    public SwitchParameter Trace { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore() =>
        WriteObject(Network.ComputeGradient(ResolveBatch(), Regularization, Trace.IsPresent));
}
