using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Data;

namespace MlpTools.Commands;

/// <summary>
/// <c>Import-Csv x.csv | ConvertTo-Dataset -LabelProperty Species [-FeatureProperty a, b] [-Name n]</c>: one dataset
/// from the piped objects (Import-Csv rows, hashtables, any objects with numeric properties).
/// </summary>
/// <remarks>
/// Objects are collected as they come and the dataset is built after the last one; the engine's
/// <see cref="DatasetBuilder"/> decides the features (from the first object unless named), parses text in the
/// invariant culture and encodes the labels. An object it refuses is reported as a non-terminating error naming the
/// object, and left out; the rest make the dataset.
/// </remarks>
[Cmdlet(VerbsData.ConvertTo, "Dataset")]
[OutputType(typeof(Dataset))]
public sealed class ConvertToDatasetCommand : MlpCmdlet
{
    private DatasetBuilder _builder = null!;
    private int _offered;

    /// <summary>An object to take a sample from: its label property and its feature properties.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public PSObject InputObject { get; set; } = null!;

    /// <summary>The property holding each object's class label.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string LabelProperty { get; set; } = "";

    /// <summary>The feature properties, in the order wanted; by default every property of the first object but the label.</summary>
    [Parameter(Position = 1)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public string[]? FeatureProperty { get; set; }

    /// <summary>The dataset's name.</summary>
    [Parameter]
    public string Name { get; set; } = "Dataset";

    /// <inheritdoc />
    protected override void BeginProcessingCore() =>
        _builder = new DatasetBuilder(LabelProperty, FeatureProperty, Name, "ConvertTo-Dataset");

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        if (InputObject is null)
        {
            // Counted like any object, so later messages keep naming objects by their place in the pipeline.
            Add(new List<KeyValuePair<string, object?>>());
            return;
        }
        Add(ObjectProperties.Read(InputObject));
    }

    private void Add(List<KeyValuePair<string, object?>> properties)
    {
        try
        {
            _builder.Add(properties);
        }
        catch (MlpException ex)
        {
            // A label or feature name that the very first object lacks is far more often misspelled than missing from
            // one object: one error, which lists the properties the object has, ends the command instead of one error
            // per object. Later objects that lack it are reported one by one, and the rest are used.
            if (++_offered == 1 && ex.ErrorId is "ObjectLabelPropertyNotFound" or "ObjectFeaturePropertyNotFound") throw;
            WriteError(ToErrorRecord(ex, InputObject));
            return;
        }
        _offered++;
    }

    /// <inheritdoc />
    protected override void EndProcessingCore() => WriteObject(_builder.Build());
}
