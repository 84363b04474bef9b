using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Commands;

/// <summary>
/// What a network predicts, one <see cref="Prediction"/> per sample: for a dataset
/// (<c>Invoke-MlpPrediction -Network $net -Dataset $test</c>, or piped), or for objects
/// (<c>Import-Csv new.csv | Invoke-MlpPrediction -Network $net</c>) whose properties are matched to the network's
/// FeatureNames by name, or for a matrix of features (<c>Invoke-MlpPrediction -Network $net -Features $X [-Labels $y]</c>),
/// read as Get-MlpGradient reads its -Features and -Labels.
/// </summary>
/// <remarks>
/// Piped objects are gathered into batches of <see cref="BatchSize"/> and each batch is predicted at once. The network
/// applies its own preprocessing, and a sample's probabilities do not depend on its batch, so they equal Test-Mlp's and
/// Get-MlpGradient -Trace's exactly. An object the network cannot read (a feature missing, a value not a number, a
/// value its precision cannot hold) is reported as a non-terminating error naming it, and the rest go on.
/// </remarks>
[Cmdlet(VerbsLifecycle.Invoke, "MlpPrediction", DefaultParameterSetName = DatasetSet)]
[OutputType(typeof(Prediction))]
public sealed class InvokeMlpPredictionCommand : MlpCmdlet
{
    private const string DatasetSet = "Dataset";
    private const string InputObjectSet = "InputObject";
    private const string FeaturesSet = "Features";

    /// <summary>How many piped objects are predicted together.</summary>
    internal const int BatchSize = 1024;

    private readonly List<(int Index, string? Actual, PSObject Input)> _pending = new();
    private FeatureRowBuilder? _rows;
    private int _objects;

    /// <summary>The network that predicts; with -Features it may be piped, as for Get-MlpGradient.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DatasetSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = InputObjectSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = FeaturesSet)]
    public Mlp Network { get; set; } = null!;

    /// <summary>The samples to predict; each prediction carries the sample's label as Actual.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ParameterSetName = DatasetSet)]
    public Dataset Dataset { get; set; } = null!;

    /// <summary>An object whose properties named like the network's features are one sample.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [AllowNull]
    public PSObject InputObject { get; set; } = null!;

    /// <summary>The objects' property holding the true class, to fill Actual and Correct.</summary>
    [Parameter(ParameterSetName = InputObjectSet)]
    public string? LabelProperty { get; set; }

    /// <summary>The samples as a matrix, m x D: a MathNet matrix or nested numeric arrays, one row per sample.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FeaturesSet)]
    public object Features { get; set; } = null!;

    /// <summary>The true class of each row of -Features, as a class number 0..C-1 (a whole number), to fill Actual and Correct.</summary>
    [Parameter(ParameterSetName = FeaturesSet)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public object?[]? Labels { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        if (ParameterSetName == DatasetSet)
        {
            PredictDataset(Dataset);
            return;
        }
        if (ParameterSetName == FeaturesSet)
        {
            PredictFeatures();
            return;
        }
        int index = _objects++;
        if (NumericInput.Unwrap(InputObject) is Dataset data)
        {
            PredictPending();
            PredictDataset(data);
            return;
        }
        try
        {
            _rows ??= new FeatureRowBuilder(Network.FeatureNames, Network.ClassNames, "Input", "Invoke-MlpPrediction");
            PSObject input = InputObject ?? new PSObject();
            string? actual = null;
            if (LabelProperty is not null)
            {
                if (!ObjectProperties.TryGet(input, LabelProperty, out object? label))
                    throw new MlpException("ObjectLabelPropertyNotFound", MlpErrorKind.InvalidData,
                        $"Object {index + 1} has no property '{LabelProperty}' for the label (-LabelProperty). Its properties are: {string.Join(", ", input.Properties.Select(p => "'" + p.Name + "'"))}.",
                        LabelProperty);
                actual = Prediction.LabelText(label) is { } text && text.Trim().Length > 0 ? text.Trim() : null;
            }
            else if (Network.LabelName is { } known && ObjectProperties.TryGet(input, known, out object? label))
            {
                // Without -LabelProperty, the label's name in the data the network learned from finds the true class.
                actual = Prediction.LabelText(label) is { } text && text.Trim().Length > 0 ? text.Trim() : null;
            }
            _rows.Add(ObjectProperties.ReadNamed(input, Network.FeatureNames) ?? ObjectProperties.Read(input), index + 1);
            _pending.Add((index, actual, input));
        }
        catch (MlpException ex)
        {
            WriteError(ToErrorRecord(ex, InputObject));
            return;
        }
        if (_pending.Count >= BatchSize) PredictPending();
    }

    /// <inheritdoc />
    protected override void EndProcessingCore() => PredictPending();

    private void PredictDataset(Dataset data)
    {
        (double[][] p, int[] predicted) = Network.PredictRows(data);
        if (!data.ClassNames.SequenceEqual(Network.ClassNames))
            WriteWarning($"The classes of '{data.Name}' ({Names(data.ClassNames)}) differ from the network's ({Names(Network.ClassNames)}); Actual and Correct match them by name.");
        ReadOnlySpan<int> labels = data.LabelSpan;
        int?[] actualLabels = NetworkLabels(data.ClassNames);
        for (int i = 0; i < predicted.Length; i++)
            WriteObject(new Prediction(i, Network.ClassNames, p[i], predicted[i], data.ClassNames[labels[i]], actualLabels[labels[i]]));
    }

    /// <summary>For each of <paramref name="classNames"/>, the network's class of that name (null for none), as <see cref="Prediction.ClassIndex"/> matches them.</summary>
    private int?[] NetworkLabels(IReadOnlyList<string> classNames) =>
        classNames.Select(name => Prediction.ClassIndex(Network.ClassNames, name)).ToArray();

    private void PredictFeatures()
    {
        Dataset batch = FeatureBatch.Create(Network, Features, Labels);
        (double[][] p, int[] predicted) = Network.PredictRows(batch);
        int[]? labels = Labels is null ? null : batch.Labels;
        int?[] actualLabels = NetworkLabels(Network.ClassNames);
        for (int i = 0; i < predicted.Length; i++)
            WriteObject(labels is null
                ? new Prediction(i, Network.ClassNames, p[i], predicted[i], null, null)
                : new Prediction(i, Network.ClassNames, p[i], predicted[i], Network.ClassNames[labels[i]], actualLabels[labels[i]]));
    }

    private void PredictPending()
    {
        if (_rows?.TakeBatch() is not { } batch) return;
        double[][] p;
        int[] predicted;
        while (true)
        {
            try
            {
                (p, predicted) = Network.PredictRows(batch);
                break;
            }
            catch (MlpException ex) when (ex.Target is InputValueProblem problem && problem.Row < _pending.Count)
            {
                // One object the network cannot take (a value beyond its precision, or scores that overflow): report
                // it, naming the object rather than its row in the batch, and predict the others.
                (int index, _, PSObject input) = _pending[problem.Row];
                string where = problem.AboutValue ? $"Object {index + 1}, property '{problem.FeatureName}'" : $"Object {index + 1}";
                var named = new MlpException(ex.ErrorId, ex.Kind, $"{where}: {problem.Explanation}", problem, ex);
                WriteError(ToErrorRecord(named, input));
                _pending.RemoveAt(problem.Row);
                if (_pending.Count == 0) return;
                batch = batch.Subset(Enumerable.Range(0, batch.Count).Where(r => r != problem.Row).ToArray());
            }
        }
        for (int i = 0; i < predicted.Length; i++)
        {
            (int index, string? actual, PSObject input) = _pending[i];
            WriteObject(new Prediction(index, Network.ClassNames, p[i], predicted[i], actual,
                actual is null ? null : Prediction.ClassIndex(Network.ClassNames, actual), input));
        }
        _pending.Clear();
    }

    private static string Names(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(10)) + (names.Count > 10 ? ", ..." : "");
}
