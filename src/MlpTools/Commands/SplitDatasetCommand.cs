using System.Management.Automation;
using MlpTools.Core.Data;

namespace MlpTools.Commands;

/// <summary>
/// <c>Split-Dataset -TestFraction f [-ValidationFraction v] [-Stratify] [-Seed s]</c>: emits the training part,
/// then (when asked for) the validation part, then the test part, so <c>$train, $test = ... | Split-Dataset</c> works.
/// </summary>
[Cmdlet(VerbsCommon.Split, "Dataset")]
[OutputType(typeof(Dataset))]
public sealed class SplitDatasetCommand : MlpCmdlet
{
    /// <summary>The dataset to split.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    [InputOf(typeof(Dataset), nameof(Dataset))]
    public Dataset Dataset { get; set; } = null!;

    /// <summary>The share of samples for the test part, above 0 and below 1.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public double TestFraction { get; set; }

    /// <summary>The share of samples for a validation part (0, the default, gives none).</summary>
    [Parameter]
    public double ValidationFraction { get; set; }

    /// <summary>Divide each class in the same proportions.</summary>
    [Parameter]
    public SwitchParameter Stratify { get; set; }

    /// <summary>The seed for choosing samples; without it every call splits differently.</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        DatasetSplit split = DatasetSplitter.Split(Dataset, TestFraction, ValidationFraction, Stratify.IsPresent, Seed);
        WriteObject(split.Train);
        if (split.Validation is not null) WriteObject(split.Validation);
        WriteObject(split.Test);
    }
}
