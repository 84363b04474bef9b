namespace MlpTools.Core.Data;

/// <summary>
/// Collects the features of unlabelled objects, matched by name to a fixed list of features (a network's
/// <see cref="Model.Mlp.FeatureNames"/>), and hands them over a batch at a time as a dataset to predict on: what
/// <c>Import-Csv new.csv | Invoke-MlpPrediction -Network $net</c> hands over.
/// </summary>
/// <remarks>
/// Matching and values follow <see cref="DatasetBuilder"/>: property names are matched without regard to case (exact
/// case preferred), properties beyond the features are ignored, and values may be numbers, booleans or text in the
/// invariant culture; missing, blank, NaN and infinite values are refused. <see cref="Add"/> is all or nothing, so a
/// caller may report a refused object and go on with the next.
/// </remarks>
public sealed class FeatureRowBuilder
{
    private readonly string[] _featureNames;
    private readonly IReadOnlyList<string> _classNames;
    private readonly string _name;
    private readonly string _source;
    private RowBuffer _rows;
    private int[]? _lastPositions; // where each feature sat in the previous object

    /// <summary>A builder for objects that carry the features <paramref name="featureNames"/>.</summary>
    /// <param name="featureNames">The features every object must have, in the order the rows get them.</param>
    /// <param name="classNames">The class names the batches carry (a network's), so the network accepts them.</param>
    /// <param name="name">The batches' dataset name.</param>
    /// <param name="source">Where the objects came from, for <see cref="Dataset.Source"/>.</param>
    public FeatureRowBuilder(IReadOnlyList<string> featureNames, IReadOnlyList<string> classNames, string name = "Input", string source = "")
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(classNames);
        if (featureNames.Count == 0) throw new ArgumentException("At least one feature is needed.", nameof(featureNames));
        if (classNames.Count == 0) throw new ArgumentException("At least one class is needed.", nameof(classNames));
        _featureNames = featureNames.ToArray();
        _classNames = classNames;
        _name = name;
        _source = source;
        _rows = new RowBuffer(_featureNames.Length);
    }

    /// <summary>How many objects wait in the current batch.</summary>
    public int Count => _rows.Count;

    /// <summary>Adds one object's features to the current batch. All or nothing: a refused object changes nothing.</summary>
    /// <param name="properties">The object's properties, in order, with their values.</param>
    /// <param name="number">Names the object in errors ("Object 3"); the caller counts from 1.</param>
    /// <exception cref="MlpException">
    /// <c>ObjectFeaturePropertyNotFound</c> (a feature is missing; the message names it), <c>ObjectMissingValue</c>,
    /// <c>ObjectNonFiniteValue</c>, <c>ObjectInvalidNumber</c>, <c>ObjectUnsupportedValue</c>; all of kind InvalidData.
    /// </exception>
    public void Add(IReadOnlyList<KeyValuePair<string, object?>> properties, int number)
    {
        ArgumentNullException.ThrowIfNull(properties);
        int[] at = Locate(properties, number);
        Span<double> row = _rows.Append();
        try
        {
            for (int k = 0; k < row.Length; k++)
            {
                object? value = properties[at[k]].Value;
                ValueProblem problem = DatasetBuilder.ToDouble(value, out row[k]);
                if (problem != ValueProblem.None) throw DatasetBuilder.ValueError(problem, value, number, _featureNames[k]);
            }
        }
        catch
        {
            _rows.RemoveLast();
            throw;
        }
        _lastPositions = at;
    }

    /// <summary>
    /// The objects added since the last call, as a dataset (every label 0, the class names those given), and a new,
    /// empty batch; null when none were added.
    /// </summary>
    public Dataset? TakeBatch()
    {
        int n = _rows.Count;
        if (n == 0) return null;
        double[] x = _rows.ToArray();
        _rows = new RowBuffer(_featureNames.Length);
        return Dataset.FromRows(x, n, _featureNames.Length, new int[n], _classNames, _featureNames, _name, _source);
    }

    /// <summary>Where each feature sits in this object: the previous object's places when they still match.</summary>
    private int[] Locate(IReadOnlyList<KeyValuePair<string, object?>> properties, int number)
    {
        if (_lastPositions is { } last)
        {
            bool same = true;
            for (int k = 0; k < last.Length && same; k++)
                same = last[k] < properties.Count && string.Equals(properties[last[k]].Key, _featureNames[k], StringComparison.Ordinal);
            if (same) return last;
        }
        var at = new int[_featureNames.Length];
        Dictionary<string, int>? exact = null, loose = null;
        if (_featureNames.Length > 8)
        {
            exact = new Dictionary<string, int>(StringComparer.Ordinal);
            loose = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < properties.Count; i++)
            {
                exact.TryAdd(properties[i].Key, i);
                loose.TryAdd(properties[i].Key, i);
            }
        }
        List<string>? missing = null;
        for (int k = 0; k < at.Length; k++)
        {
            string name = _featureNames[k];
            if (exact is not null)
                at[k] = exact.TryGetValue(name, out int i) ? i : loose!.TryGetValue(name, out i) ? i : -1;
            else
                at[k] = DatasetBuilder.Find(properties, name);
            if (at[k] < 0) (missing ??= new List<string>()).Add(name);
        }
        if (missing is not null)
        {
            string names = string.Join(", ", missing.Take(10).Select(s => "'" + s + "'")) + (missing.Count > 10 ? Invariant.Format($" and {missing.Count - 10} more") : "");
            throw MlpException.InvalidData("ObjectFeaturePropertyNotFound",
                Invariant.Format($"Object {number} has no property {names}, which the network needs as {(missing.Count == 1 ? "a feature" : "features")}. Its properties are: {DatasetBuilder.Known(properties)}."),
                missing[0]);
        }
        return at;
    }
}
