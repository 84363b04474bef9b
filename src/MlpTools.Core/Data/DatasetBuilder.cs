using System.Globalization;

namespace MlpTools.Core.Data;

/// <summary>
/// Builds a dataset from objects, one at a time, each an ordered list of (property name, value) pairs: what
/// <c>Import-Csv x.csv | ConvertTo-Dataset -LabelProperty Species</c> hands over.
/// </summary>
/// <remarks>
/// <para>
/// The first object fixes the features: the properties named in the constructor, in that order, or else every
/// property but the label, in the first object's order. Later objects are matched by name (case-insensitive, exact
/// case preferred); properties they have beyond these are ignored.
/// </para>
/// <para>
/// Values may be numbers of any .NET numeric type, booleans (1 and 0) or strings (parsed with the invariant culture,
/// '.' as decimal point); null, blank and "NA" are missing values and are refused, as are NaN and infinities.
/// Labels follow the same rule as <see cref="CsvDatasetReader"/>: when every label is a whole number of 0 or more,
/// label k is class k and there are max + 1 classes; otherwise the distinct label texts (numbers written in the
/// invariant culture), sorted ordinally, are the class names.
/// </para>
/// <para>
/// <see cref="Add"/> is all or nothing: an object it refuses (with an <see cref="MlpException"/>, ErrorIds
/// <c>Object*</c>) leaves the builder as it was, so a caller may report it and go on with the next object.
/// </para>
/// </remarks>
public sealed class DatasetBuilder
{
    private readonly string[]? _requestedFeatures;
    private readonly string _name;
    private readonly string _source;
    private readonly LabelEncoder _labels = new();
    private RowBuffer? _rows;
    private string[]? _featureNames;
    private int[]? _firstPositions; // where each feature, then the label, sat in the first object
    private int _offered;
    private string? _firstRefusal; // why the first refused object was refused
    private bool _built;

    /// <summary>A builder whose objects carry their label in <paramref name="labelProperty"/>.</summary>
    /// <param name="labelProperty">The property holding the label.</param>
    /// <param name="featureProperties">The feature properties, in order; null takes every property but the label.</param>
    /// <param name="name">The dataset's name.</param>
    /// <param name="source">Where the data came from, for <see cref="Dataset.Source"/>.</param>
    public DatasetBuilder(string labelProperty, IReadOnlyList<string>? featureProperties = null, string name = "Dataset", string source = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(labelProperty);
        if (featureProperties is { Count: 0 })
            throw MlpException.Argument("ObjectNoFeatures", "The list of feature properties is empty; name at least one, or leave it out to take every property but the label.");
        if (featureProperties is not null)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (string f in featureProperties)
            {
                ArgumentException.ThrowIfNullOrEmpty(f, nameof(featureProperties));
                if (string.Equals(f, labelProperty, StringComparison.OrdinalIgnoreCase))
                    throw MlpException.Argument("ObjectLabelAmongFeatures", $"'{f}' is the label property; it cannot also be a feature.", f);
                if (!seen.Add(f))
                    throw MlpException.Argument("ObjectDuplicateFeature", $"The feature property '{f}' is listed twice.", f);
            }
        }
        LabelProperty = labelProperty;
        _requestedFeatures = featureProperties?.ToArray();
        _name = name;
        _source = source;
    }

    /// <summary>The property holding the label.</summary>
    public string LabelProperty { get; }

    /// <summary>The feature names, as the first object spelled them; null until an object has been added.</summary>
    public IReadOnlyList<string>? FeatureNames => _featureNames;

    /// <summary>How many objects have been added.</summary>
    public int Count => _rows?.Count ?? 0;

    /// <summary>Adds one object. All or nothing: a refused object changes nothing.</summary>
    /// <param name="properties">The object's properties, in order, with their values.</param>
    public void Add(IReadOnlyList<KeyValuePair<string, object?>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        if (_built) throw new InvalidOperationException("This builder has already built its dataset; make a new one.");
        int number = ++_offered;
        try
        {
            AddRow(properties, number);
        }
        catch (MlpException e)
        {
            _firstRefusal ??= e.Message;
            throw;
        }
    }

    private void AddRow(IReadOnlyList<KeyValuePair<string, object?>> properties, int number)
    {
        if (_firstPositions is null) Start(properties, number);
        int[] at = Locate(properties, number);

        RowBuffer rows = _rows!;
        Span<double> row = rows.Append();
        try
        {
            for (int k = 0; k < row.Length; k++)
            {
                object? value = properties[at[k]].Value;
                ValueProblem problem = ToDouble(value, out row[k]);
                if (problem != ValueProblem.None) throw ValueError(problem, value, number, _featureNames![k]);
            }
            string? label = LabelText(properties[at[^1]].Value);
            if (label is null || label.Trim().Length == 0)
                throw MlpException.InvalidData("ObjectMissingLabel",
                    Invariant.Format($"Object {number}: its label property '{LabelProperty}' is empty. Every object needs a label."), number);
            if (!_labels.TryAdd(label))
                throw MlpException.InvalidData("ObjectTooManyClasses",
                    Invariant.Format($"Object {number}: more than {LabelEncoder.MaxClassCount:N0} distinct labels in '{LabelProperty}'. Is that really the label property?"), label);
        }
        catch
        {
            rows.RemoveLast();
            throw;
        }
    }

    /// <summary>The dataset of every object added. The builder is spent afterwards.</summary>
    public Dataset Build()
    {
        if (_built) throw new InvalidOperationException("This builder has already built its dataset; make a new one.");
        if (_rows is null || _rows.Count == 0)
        {
            string message = _offered == 0 ? "No objects were given, so there is no dataset to build."
                : (_offered == 1 ? "The one object given was rejected" : Invariant.Format($"All {_offered:N0} objects given were rejected"))
                  + ", so there is no dataset to build." + (_firstRefusal is null ? "" : $" The first was rejected because: {_firstRefusal}");
            throw MlpException.InvalidData("ObjectNoRows", message, _offered);
        }
        (int[] y, IReadOnlyList<string> classNames) = _labels.Finish("ObjectTooManyClasses", $"the property '{LabelProperty}'");
        double[] x = _rows.ToArray();
        _built = true;
        return Dataset.FromRows(x, y.Length, _featureNames!.Length, y, classNames, _featureNames, _name, _source, labelName: LabelProperty);
    }

    /// <summary>The first object decides the features and where they sit.</summary>
    private void Start(IReadOnlyList<KeyValuePair<string, object?>> properties, int number)
    {
        int label = Find(properties, LabelProperty);
        if (label < 0)
            throw MlpException.InvalidData("ObjectLabelPropertyNotFound",
                Invariant.Format($"Object {number} has no property '{LabelProperty}' for the label. Its properties are: {Known(properties)}."), LabelProperty);
        int[] features;
        if (_requestedFeatures is null)
        {
            features = Enumerable.Range(0, properties.Count).Where(i => i != label).ToArray();
            if (features.Length == 0)
                throw MlpException.InvalidData("ObjectNoFeatures",
                    Invariant.Format($"Object {number} has only the label property '{LabelProperty}'; a dataset needs at least one feature."), number);
        }
        else
        {
            features = new int[_requestedFeatures.Length];
            for (int k = 0; k < features.Length; k++)
            {
                features[k] = Find(properties, _requestedFeatures[k]);
                if (features[k] < 0)
                    throw MlpException.InvalidData("ObjectFeaturePropertyNotFound",
                        Invariant.Format($"Object {number} has no property '{_requestedFeatures[k]}' for a feature. Its properties are: {Known(properties)}."), _requestedFeatures[k]);
            }
        }
        _featureNames = features.Select(i => properties[i].Key).ToArray();
        _firstPositions = features.Append(label).ToArray();
        _rows = new RowBuffer(features.Length);
    }

    /// <summary>Where each feature and (last) the label sit in this object: the first object's places when they match.</summary>
    private int[] Locate(IReadOnlyList<KeyValuePair<string, object?>> properties, int number)
    {
        int[] first = _firstPositions!;
        string[] names = _featureNames!;
        bool same = true;
        for (int k = 0; k < first.Length && same; k++)
        {
            string wanted = k < names.Length ? names[k] : LabelProperty;
            same = first[k] < properties.Count && string.Equals(properties[first[k]].Key, wanted, StringComparison.OrdinalIgnoreCase);
        }
        if (same) return first;

        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < properties.Count; i++) index.TryAdd(properties[i].Key, i);
        var at = new int[first.Length];
        for (int k = 0; k < at.Length; k++)
        {
            string wanted = k < names.Length ? names[k] : LabelProperty;
            if (k == names.Length) at[k] = Find(properties, wanted);
            else if (!index.TryGetValue(wanted, out at[k])) at[k] = -1;
            if (at[k] < 0)
                throw MlpException.InvalidData("ObjectPropertyMissing",
                    Invariant.Format($"Object {number} has no property '{wanted}', which the first object had. Every object needs the same feature and label properties."), wanted);
        }
        return at;
    }

    /// <summary>The property named <paramref name="name"/>: exact case first, then ignoring case; -1 when there is none.</summary>
    internal static int Find(IReadOnlyList<KeyValuePair<string, object?>> properties, string name)
    {
        int loose = -1;
        for (int i = 0; i < properties.Count; i++)
        {
            if (string.Equals(properties[i].Key, name, StringComparison.Ordinal)) return i;
            if (loose < 0 && string.Equals(properties[i].Key, name, StringComparison.OrdinalIgnoreCase)) loose = i;
        }
        return loose;
    }

    internal static string Known(IReadOnlyList<KeyValuePair<string, object?>> properties) =>
        properties.Count == 0 ? "(none)" : string.Join(", ", properties.Take(20).Select(p => "'" + p.Key + "'")) + (properties.Count > 20 ? ", ..." : "");

    /// <summary>A feature value as a double: numbers exactly as .NET converts them, booleans as 1 and 0, strings parsed.</summary>
    internal static ValueProblem ToDouble(object? value, out double result)
    {
        result = 0;
        switch (value)
        {
            case null:
                return ValueProblem.Missing;
            case string s:
                return ValueParser.Parse(s, out result);
            case bool b:
                result = b ? 1 : 0;
                return ValueProblem.None;
            case double or float or decimal or int or long or short or sbyte or byte or uint or ulong or ushort:
                result = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                return double.IsFinite(result) ? ValueProblem.None : ValueProblem.NonFinite;
            default:
                return ValueProblem.NotANumber;
        }
    }

    /// <summary>A label as text: strings as they are, numbers in the invariant culture.</summary>
    internal static string? LabelText(object? value) => value switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    internal static MlpException ValueError(ValueProblem problem, object? value, int number, string feature)
    {
        string where = Invariant.Format($"Object {number}, property '{feature}'");
        string shown = value is null ? "null" : "'" + Truncate(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "") + "'";
        return problem switch
        {
            ValueProblem.Missing => MlpException.InvalidData("ObjectMissingValue",
                $"{where}: the value is missing ({shown}). Fill it in or leave the object out; MlpTools does not guess missing values.", value),
            ValueProblem.NonFinite => MlpException.InvalidData("ObjectNonFiniteValue",
                $"{where}: {shown} is not a finite number; every feature value must be finite.", value),
            _ when value is string => MlpException.InvalidData("ObjectInvalidNumber",
                $"{where}: {shown} is not a number. Text is read with '.' as the decimal point and no thousands separators, whatever the culture.", value),
            _ => MlpException.InvalidData("ObjectUnsupportedValue",
                $"{where}: a value of type {value!.GetType().FullName} ({shown}) is not a number; features must be numbers, booleans or numeric text.", value),
        };
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
