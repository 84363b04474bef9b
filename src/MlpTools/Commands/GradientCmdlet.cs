using System.Management.Automation;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Commands;

/// <summary>
/// What Get-MlpGradient and Test-MlpGradient share: a network and one batch to take the loss over, given as a
/// dataset (piped, or the network's own) or as -Features and -Labels, and lambda.
/// </summary>
public abstract class GradientCmdlet : MlpCmdlet
{
    private protected const string NetworkSet = "Network";
    private protected const string DatasetSet = "Dataset";
    private protected const string FeaturesSet = "Features";

    /// <summary>The network whose loss is differentiated.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = NetworkSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DatasetSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = FeaturesSet)]
    public Mlp Network { get; set; } = null!;

    /// <summary>The batch: every sample of this dataset. With a piped network, by default its own Dataset.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = NetworkSet)]
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ParameterSetName = DatasetSet)]
    [AllowNull] // a piped network without a Dataset reaches NoDataset, not PowerShell's null check
    public Dataset? Dataset { get; set; }

    /// <summary>The batch's inputs, m x D: a MathNet matrix or nested numeric arrays, one row per sample.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FeaturesSet)]
    public object Features { get; set; } = null!;

    /// <summary>
    /// The batch's labels, one per row of -Features, each a whole number in 0..C-1 (any numeric type, or numeric text).
    /// Taken as objects, not int, so that 0.5 is refused rather than rounded by PowerShell's binder.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = FeaturesSet)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public object?[] Labels { get; set; } = Array.Empty<object?>();

    /// <summary>
    /// lambda, the L2 strength. The default is Invoke-Training's (1e-4), so by default the loss and gradient are those
    /// training takes; 0 gives the data loss alone.
    /// </summary>
    [Parameter]
    public double Regularization { get; set; } = TrainingOptions.DefaultRegularization;

    /// <summary>The batch the parameters describe, checked against the network.</summary>
    private protected Dataset ResolveBatch()
    {
        if (ParameterSetName == FeaturesSet) return FeatureBatch.Create(Network, Features, Labels);
        return Dataset ?? PipelineState.DatasetOf(Network) ?? throw NoDataset(Network, $"$data | New-Mlp -HiddenSize 64 | {MyInvocation.MyCommand.Name}");
    }
}
