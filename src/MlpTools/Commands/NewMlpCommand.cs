using System.Collections;
using System.Management.Automation;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Commands;

/// <summary>
/// A new two-layer network, sized from a dataset (<c>$data | New-Mlp -HiddenSize 64</c>), from explicit sizes
/// (<c>New-Mlp -InputSize 2 -HiddenSize 100 -ClassCount 3</c>) or holding given parameters
/// (<c>New-Mlp -Parameters @{ W1 = ...; b1 = ...; W2 = ...; b2 = ... }</c>).
/// </summary>
[Cmdlet(VerbsCommon.New, "Mlp", DefaultParameterSetName = DatasetSet)]
[OutputType(typeof(Mlp<float>), typeof(Mlp<double>))]
public sealed class NewMlpCommand : MlpCmdlet
{
    private const string DatasetSet = "Dataset";
    private const string SizeSet = "Size";
    private const string ParametersSet = "Parameters";

    /// <summary>The dataset whose feature and class counts size the network; the network keeps it in its Dataset property.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = DatasetSet)]
    [Parameter(ValueFromPipeline = true, ParameterSetName = ParametersSet)]
    [AllowNull]
    [InputOf(typeof(Dataset), nameof(Dataset))]
    public Dataset? Dataset { get; set; }

    /// <summary>H, the number of hidden units.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DatasetSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SizeSet)]
    public int HiddenSize { get; set; }

    /// <summary>D, the number of inputs (features per sample).</summary>
    [Parameter(Mandatory = true, ParameterSetName = SizeSet)]
    public int InputSize { get; set; }

    /// <summary>C, the number of classes.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SizeSet)]
    public int ClassCount { get; set; }

    /// <summary>The starting parameters: a hashtable (or object) with W1 (D x H), b1 (H), W2 (H x C), b2 (C).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParametersSet)]
    public object Parameters { get; set; } = null!;

    /// <summary>The seed for the initial weights; without it every network starts differently.</summary>
    [Parameter(ParameterSetName = DatasetSet)]
    [Parameter(ParameterSetName = SizeSet)]
    public int? Seed { get; set; }

    /// <summary>Single (the default for new weights) or Double (the default with -Parameters).</summary>
    [Parameter]
    public Precision? Precision { get; set; }

    /// <summary>When given, weights are drawn from N(0, WeightScale^2); otherwise Glorot-uniform.</summary>
    [Parameter(ParameterSetName = DatasetSet)]
    [Parameter(ParameterSetName = SizeSet)]
    public double? WeightScale { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        Mlp network;
        switch (ParameterSetName)
        {
            case DatasetSet:
                network = Mlp.CreateFor(Dataset!, HiddenSize, Precision ?? Core.Precision.Single, Seed, WeightScale);
                PipelineState.SetDataset(network, Dataset);
                break;
            case SizeSet:
                network = Mlp.Create(InputSize, HiddenSize, ClassCount, Precision ?? Core.Precision.Single, Seed, WeightScale);
                break;
            default:
                var p = NumericInput.ReadParameters(Parameters, "-Parameters", requireAll: true);
                network = Mlp.FromParameters((Matrix<double>)p[Mlp.ParameterNames[0]], (Vector<double>)p[Mlp.ParameterNames[1]], (Matrix<double>)p[Mlp.ParameterNames[2]], (Vector<double>)p[Mlp.ParameterNames[3]],
                    Precision ?? Core.Precision.Double, Dataset?.ClassNames, Dataset?.FeatureNames);
                if (Dataset is not null)
                {
                    network.EnsureCompatible(Dataset);
                    PipelineState.SetDataset(network, Dataset);
                    network.LabelName = Dataset.LabelName;
                    network.ImageShape = Dataset.ImageShape;
                }
                break;
        }
        WriteObject(network);
    }
}
