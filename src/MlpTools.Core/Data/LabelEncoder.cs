using System.Globalization;

namespace MlpTools.Core.Data;

/// <summary>
/// Turns label text into class indexes, one rule for every reader (CSV, objects):
/// when every distinct label is a whole number of 0 or more ("3", "03", "3.0"), label k is class k and there are
/// max + 1 classes, named "0".."max"; otherwise the distinct labels, sorted ordinally (by UTF-16 code unit, so the
/// order never depends on a culture), are the class names and class k is the k-th of them.
/// Labels are trimmed of surrounding white space.
/// </summary>
internal sealed class LabelEncoder
{
    /// <summary>The most classes a dataset may have: a guard against picking an ID column as the label.</summary>
    public const int MaxClassCount = 100_000;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _distinct = new();
    private readonly List<int> _rows = new();
    private string? _last;
    private int _lastId;

    public int Count => _rows.Count;

    /// <summary>
    /// Records the label of the next row (the caller has checked it is not blank). False, recording nothing, when it
    /// would be one distinct label more than <see cref="MaxClassCount"/>.
    /// </summary>
    public bool TryAdd(ReadOnlySpan<char> label)
    {
        label = label.Trim();
        if (_last is not null && label.SequenceEqual(_last))
        {
            _rows.Add(_lastId);
            return true;
        }
        string text = label.ToString();
        if (!_ids.TryGetValue(text, out int id))
        {
            if (_distinct.Count >= MaxClassCount) return false;
            id = _distinct.Count;
            _ids.Add(text, id);
            _distinct.Add(text);
        }
        _last = text;
        _lastId = id;
        _rows.Add(id);
        return true;
    }

    /// <summary>The labels as class indexes and the class names, per the rule above, or per <paramref name="classNames"/>.</summary>
    /// <param name="errorId">The ErrorId for too many classes.</param>
    /// <param name="where">Names the file or column, for the message.</param>
    /// <param name="classNames">
    /// The class names, in class order, when the caller knows them: whole-number labels k then mean
    /// <c>classNames[k]</c> (<c>LabelOutOfRange</c> past the end); text labels must each be one of the names, and take
    /// its position as their class (<c>LabelNotAClassName</c> otherwise).
    /// </param>
    public (int[] Labels, IReadOnlyList<string> ClassNames) Finish(string errorId, string where, IReadOnlyList<string>? classNames = null)
    {
        var map = new int[_distinct.Count];
        IReadOnlyList<string> names;
        if (classNames is not null)
        {
            CheckClassNames(classNames, where);
            names = classNames.ToArray();
            if (TryWholeNumbers(out double top, out _))
            {
                if (top >= names.Count)
                    throw MlpException.InvalidData("LabelOutOfRange",
                        Invariant.Format($"The labels of {where} go up to {top}, but {Invariant.Plural(names.Count, "class name")} were given (labels 0..{names.Count - 1}). Give a name for every class."), top);
                for (int k = 0; k < map.Length; k++) map[k] = (int)ParseWhole(_distinct[k]);
            }
            else
            {
                var matcher = new ClassNames.Matcher(names);
                for (int k = 0; k < map.Length; k++)
                {
                    map[k] = matcher.IndexOf(_distinct[k]);
                    if (map[k] < 0)
                        throw MlpException.InvalidData("LabelNotAClassName",
                            $"The label '{_distinct[k]}' of {where} is not one of the class names given ({Listed(names)}). Give every label's name, in class order.", _distinct[k]);
                }
            }
        }
        else if (TryWholeNumbers(out double max, out string maxText))
        {
            if (max >= MaxClassCount)
                throw MlpException.InvalidData(errorId,
                    Invariant.Format($"The labels of {where} are whole numbers, so each is its class's number, and they go up to '{maxText}': more than the {MaxClassCount:N0} classes allowed. Is that really the label column? (Labels that are not all whole numbers of 0 or more name their classes instead.)"), maxText);
            for (int k = 0; k < map.Length; k++) map[k] = (int)ParseWhole(_distinct[k]);
            names = Dataset.DefaultClassNames((int)max + 1);
        }
        else
        {
            int[] order = Enumerable.Range(0, _distinct.Count).ToArray();
            Array.Sort(order, (a, b) => string.CompareOrdinal(_distinct[a], _distinct[b]));
            var sorted = new string[order.Length];
            for (int k = 0; k < order.Length; k++)
            {
                map[order[k]] = k;
                sorted[k] = _distinct[order[k]];
            }
            names = sorted;
        }
        var labels = new int[_rows.Count];
        for (int i = 0; i < labels.Length; i++) labels[i] = map[_rows[i]];
        return (labels, names);
    }

    /// <summary>
    /// Refuses class names a dataset cannot carry: none, a blank one, or one given twice (<c>InvalidClassNames</c>).
    /// </summary>
    public static void CheckClassNames(IReadOnlyList<string> names, string where)
    {
        if (names.Count == 0)
            throw MlpException.Argument("InvalidClassNames", $"The list of class names for {where} is empty; give one name per class, in class order.");
        if (names.Count > MaxClassCount)
            throw MlpException.Argument("InvalidClassNames", Invariant.Format($"{names.Count:N0} class names were given for {where}; at most {MaxClassCount:N0} classes are allowed."), names.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < names.Count; k++)
        {
            string? name = names[k];
            if (string.IsNullOrWhiteSpace(name))
                throw MlpException.Argument("InvalidClassNames", Invariant.Format($"Class name {k} for {where} is blank; every class needs a name."), k);
            if (!seen.Add(name))
                throw MlpException.Argument("InvalidClassNames", Invariant.Format($"The class name '{name}' is given twice for {where} (the second time as class {k}); class names must differ."), name);
        }
    }

    private static string Listed(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(10).Select(n => "'" + n + "'")) + (names.Count > 10 ? Invariant.Format($", ... ({names.Count} in all)") : "");

    /// <summary>True when every distinct label is a whole number of 0 or more, however large; the largest, and its text.</summary>
    private bool TryWholeNumbers(out double max, out string maxText)
    {
        max = -1;
        maxText = "";
        foreach (string s in _distinct)
        {
            double v = ParseWhole(s);
            if (double.IsNaN(v)) return false;
            if (v > max)
            {
                max = v;
                maxText = s;
            }
        }
        return _distinct.Count > 0;
    }

    /// <summary>
    /// The label as a whole number of 0 or more (as a double, so a label of any size is one: those beyond the class
    /// limit are then refused rather than taken as names), or NaN when it is not one.
    /// </summary>
    private static double ParseWhole(string s) => Invariant.TryParseWholeNumber(s, out double v) ? v : double.NaN;
}
