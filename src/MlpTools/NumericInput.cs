using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core;

namespace MlpTools.Commands;

/// <summary>
/// Turns what a user can type or pipe into MathNet matrices and vectors of doubles, in one place:
/// MathNet matrices/vectors (double or float), two-dimensional .NET arrays, and nested arrays or lists
/// (one inner array per row), with any PSObject wrapping, and entries of any .NET numeric type.
/// </summary>
/// <remarks>
/// A flat list of numbers given where a matrix is expected is one row (so <c>-Features @(0.5, 1.0)</c> is one
/// sample). Problems are <see cref="MlpException"/>s of kind InvalidArgument naming the row and column:
/// <c>InvalidMatrix</c> (not a matrix at all, or empty), <c>RaggedMatrix</c> (rows of different lengths),
/// <c>NonNumericEntry</c> (an entry that is not a number), <c>InvalidVector</c>. Labels (<see cref="ToLabels"/>) are
/// class numbers: <c>InvalidLabel</c> (InvalidArgument) for one that is not a whole number, <c>LabelOutOfRange</c>
/// (InvalidData) for one outside the classes.
/// </remarks>
internal static class NumericInput
{
    /// <summary>A matrix from <paramref name="value"/>; <paramref name="what"/> names it in errors (for example "-Features").</summary>
    public static Matrix<double> ToMatrix(object? value, string what)
    {
        value = Unwrap(value);
        switch (value)
        {
            case null:
                throw Error("InvalidMatrix", $"{what} is empty; give a matrix: a MathNet matrix or nested numeric arrays, one array per row.", null);
            case Matrix<double> m:
                return RequireNotEmpty(m, what);
            case Matrix<float> f:
                return RequireNotEmpty(Matrix<double>.Build.Dense(f.RowCount, f.ColumnCount, (i, j) => f[i, j]), what);
            case Vector<double> v:
                return RequireNotEmpty(v.ToRowMatrix(), what);
            case Vector<float> fv:
                return RequireNotEmpty(Matrix<double>.Build.Dense(1, fv.Count, (_, j) => fv[j]), what);
            case Array { Rank: 2 } grid:
                return FromGrid(grid, what);
            case string or IDictionary:
                throw NotAMatrix(value, what);
            case IEnumerable rows:
                return FromRows(rows, what);
            default:
                if (TryNumber(value, out double single)) return Matrix<double>.Build.Dense(1, 1, single);
                throw NotAMatrix(value, what);
        }
    }

    /// <summary>
    /// A vector from <paramref name="value"/>: a MathNet vector, a flat list of numbers, or a matrix with one row or one column.
    /// </summary>
    public static Vector<double> ToVector(object? value, string what)
    {
        value = Unwrap(value);
        switch (value)
        {
            case Vector<double> v:
                return v;
            case Vector<float> f:
                return Vector<double>.Build.Dense(f.Count, i => f[i]);
            case null:
                throw Error("InvalidVector", $"{what} is empty; give a vector: a MathNet vector or an array of numbers.", null);
        }
        Matrix<double> m;
        try
        {
            m = ToMatrix(value, what);
        }
        catch (MlpException ex) when (ex.ErrorId == "InvalidMatrix")
        {
            throw Error("InvalidVector", $"{what} must be a MathNet vector or an array of numbers, but it is a {TypeName(value)}.", value);
        }
        if (m.RowCount == 1) return m.Row(0);
        if (m.ColumnCount == 1) return m.Column(0);
        throw Error("InvalidVector", Invariant.Format($"{what} must be a vector, but it is a {m.RowCount}x{m.ColumnCount} matrix; give a single row or column of numbers."), value);
    }

    /// <summary>
    /// The four parameters W1, b1, W2, b2 read from a hashtable (keys matched without regard to case) or from any
    /// object with properties of those names (a network, a Get-MlpGradient result). A hashtable key that is none of
    /// the four is an error (<c>UnknownParameter</c>); with <paramref name="requireAll"/>, so is a missing one
    /// (<c>MissingParameter</c>). Values are converted: W1 and W2 to matrices, b1 and b2 to vectors. With
    /// <paramref name="gradients"/>, the four may also be named after what they differentiate, dW1, db1, dW2 and db2
    /// (as a Get-MlpGradient result names them); the result is keyed by the parameter names either way.
    /// </summary>
    public static IReadOnlyDictionary<string, object> ReadParameters(object? source, string what, bool requireAll, bool gradients = false)
    {
        source = Unwrap(source);
        if (source is null)
            throw Error("InvalidParameterTable", $"{what} is empty; give a hashtable with W1, b1, W2 and b2.", null);
        var raw = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (source is IDictionary table)
        {
            foreach (DictionaryEntry entry in table)
            {
                string key = Convert.ToString(Unwrap(entry.Key), CultureInfo.InvariantCulture) ?? "";
                string? name = Core.Model.Mlp.ParameterNames.FirstOrDefault(n => string.Equals(n, key, StringComparison.OrdinalIgnoreCase)
                    || (gradients && string.Equals("d" + n, key, StringComparison.OrdinalIgnoreCase)));
                if (name is null)
                    throw Error("UnknownParameter", $"{what} has a key '{key}', but the parameters are W1, b1, W2 and b2.", key);
                raw[name] = entry.Value;
            }
        }
        else
        {
            var pso = PSObject.AsPSObject(source);
            foreach (string name in Core.Model.Mlp.ParameterNames)
            {
                PSPropertyInfo? property = (gradients ? pso.Properties["d" + name] : null) ?? pso.Properties[name];
                if (property is not null) raw[name] = property.Value;
            }
            if (raw.Count == 0)
                throw Error("InvalidParameterTable",
                    $"{what} must be a hashtable with keys W1, b1, W2 and b2, or an object with those properties, but it is a {TypeName(source)} with none of them.", source);
        }

        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (string name in Core.Model.Mlp.ParameterNames)
        {
            if (!raw.TryGetValue(name, out object? value) || Unwrap(value) is null)
            {
                if (requireAll)
                    throw Error("MissingParameter", $"{what} needs all four of W1, b1, W2 and b2, but {name} is missing.", name);
                continue;
            }
            result[name] = name[0] == 'W' ? ToMatrix(value, $"{what} {name}") : ToVector(value, $"{what} {name}");
        }
        return result;
    }

    /// <summary>A matrix as a two-dimensional array; a vector as a column (n x 1), the shape the gradient checker uses for biases.</summary>
    public static double[,] ToArray2D(object value) => value switch
    {
        Matrix<double> m => m.ToArray(),
        Vector<double> v => v.ToColumnMatrix().ToArray(),
        _ => throw new ArgumentException($"Expected a MathNet matrix or vector, got {value.GetType()}.", nameof(value)),
    };

    /// <summary>
    /// Class labels, one per item: each a whole number in 0..<paramref name="classCount"/>-1, of any .NET numeric type or
    /// as numeric text (invariant culture). Nothing is rounded: 0.5 is refused, not bound as 0, and a label is compared
    /// with the classes exactly, whatever its size (2^53 + 1 as a long is named as it is).
    /// </summary>
    public static int[] ToLabels(IReadOnlyList<object?> values, string what, int classCount)
    {
        var labels = new int[values.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            object? value = Unwrap(values[i]);
            string at = Invariant.Format($"{what}: label {i + 1} (counting from 1)");
            string text;
            bool inRange;
            long index = 0;
            switch (value)
            {
                case int or long or short or sbyte:
                    long signed = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                    text = signed.ToString(CultureInfo.InvariantCulture);
                    inRange = signed >= 0 && signed < classCount;
                    index = signed;
                    break;
                case uint or ulong or ushort or byte:
                    ulong unsigned = Convert.ToUInt64(value, CultureInfo.InvariantCulture);
                    text = unsigned.ToString(CultureInfo.InvariantCulture);
                    inRange = unsigned < (ulong)classCount;
                    index = inRange ? (long)unsigned : 0;
                    break;
                default:
                    double number;
                    if (value is string s)
                    {
                        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
                            throw Error("InvalidLabel", $"{at} is {Describe(value)}, which is not a number; a label is a class number, 0..{classCount - 1}.", value);
                    }
                    else if (value is bool || !TryNumber(value, out number))
                    {
                        throw Error("InvalidLabel", $"{at} is {Describe(value)}, which is not a number; a label is a class number, 0..{classCount - 1}.", value);
                    }
                    text = number.ToString("R", CultureInfo.InvariantCulture);
                    if (!Invariant.IsWholeNumber(Math.Abs(number)))
                        throw Error("InvalidLabel", $"{at} is {text}, which is not a whole number; a label is a class number, 0..{classCount - 1}. Labels are not rounded.", value);
                    inRange = number >= 0 && number < classCount;
                    index = inRange ? (long)number : 0;
                    break;
            }
            if (!inRange)
                throw new MlpException("LabelOutOfRange", MlpErrorKind.InvalidData, Invariant.Format($"{at} is {text}, but the network has {classCount} classes, numbered 0..{classCount - 1}."), value);
            labels[i] = (int)index;
        }
        return labels;
    }

    /// <summary>The number <paramref name="value"/> holds, for any .NET numeric type (PSObject-wrapped or not).</summary>
    public static bool TryNumber(object? value, out double number)
    {
        switch (Unwrap(value))
        {
            case double d: number = d; return true;
            case float f: number = f; return true;
            case int i: number = i; return true;
            case long l: number = l; return true;
            case short s: number = s; return true;
            case byte b: number = b; return true;
            case sbyte sb: number = sb; return true;
            case uint ui: number = ui; return true;
            case ulong ul: number = ul; return true;
            case ushort us: number = us; return true;
            case decimal m: number = (double)m; return true;
            case Half h: number = (double)h; return true;
            default: number = 0; return false;
        }
    }

    /// <summary>
    /// A value from PowerShell as plain .NET data, for the engine: switches as bools, PowerShell's wrappers removed, inside
    /// tables and lists too. How a table of settings (Invoke-Training's parameters, a hashtable) reaches
    /// <see cref="Core.Training.TrainingOptions.FromSettings"/>.
    /// </summary>
    public static object? Plain(object? value)
    {
        value = Unwrap(value);
        return value switch
        {
            SwitchParameter sw => sw.IsPresent,
            string => value,
            IOrderedDictionary ordered => Ordered(ordered),
            IDictionary map => Entries(map).ToDictionary(e => Unwrap(e.Key)!, e => Plain(e.Value)),
            IEnumerable list => list.Cast<object?>().Select(Plain).ToArray(),
            _ => value,
        };
    }

    /// <summary>A table's entries through its own enumerator (a generic dictionary enumerates pairs, not DictionaryEntry, otherwise).</summary>
    private static IEnumerable<DictionaryEntry> Entries(IDictionary map)
    {
        IDictionaryEnumerator e = map.GetEnumerator();
        while (e.MoveNext()) yield return e.Entry;
    }

    /// <summary>An ordered table's plain copy, in its order (a sweep's settings keep the order they were written in).</summary>
    private static OrderedDictionary Ordered(IOrderedDictionary table)
    {
        var copy = new OrderedDictionary();
        foreach (DictionaryEntry e in table) copy[Unwrap(e.Key)!] = Plain(e.Value);
        return copy;
    }

    /// <summary>The object under any PSObject wrapping (a PSCustomObject stays wrapped: it has no other form).</summary>
    public static object? Unwrap(object? value)
    {
        while (value is PSObject pso && pso.BaseObject is not PSCustomObject)
        {
            if (ReferenceEquals(pso.BaseObject, value)) break;
            value = pso.BaseObject;
        }
        return value;
    }

    private static Matrix<double> FromGrid(Array grid, string what)
    {
        int rows = grid.GetLength(0), cols = grid.GetLength(1);
        int r0 = grid.GetLowerBound(0), c0 = grid.GetLowerBound(1);
        var m = Matrix<double>.Build.Dense(rows, cols);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                m[i, j] = Entry(grid.GetValue(r0 + i, c0 + j), what, i, j);
        return RequireNotEmpty(m, what);
    }

    private static Matrix<double> FromRows(IEnumerable items, string what)
    {
        var list = items.Cast<object?>().Select(Unwrap).ToList();
        if (list.Count == 0)
            throw Error("InvalidMatrix", $"{what} is an empty array; give at least one row with at least one number.", null);

        // All scalars: one row.
        if (list.All(x => !IsRow(x)))
        {
            var row = Matrix<double>.Build.Dense(1, list.Count);
            for (int j = 0; j < list.Count; j++) row[0, j] = Entry(list[j], what, 0, j);
            return row;
        }

        var rows = new List<List<object?>>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            object? item = list[i];
            if (!IsRow(item))
                throw Error("RaggedMatrix", Invariant.Format($"{what}: row {i} is a single value ({Describe(item)}) while other rows are arrays; give every row as an array of numbers."), item);
            rows.Add(RowItems(item!).ToList());
        }
        int cols = rows[0].Count;
        for (int i = 1; i < rows.Count; i++)
            if (rows[i].Count != cols)
                throw Error("RaggedMatrix", Invariant.Format($"{what}: row {i} has {rows[i].Count} entries, but row 0 has {cols}; every row must have the same length."), i);
        var m = Matrix<double>.Build.Dense(rows.Count, cols);
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < cols; j++)
                m[i, j] = Entry(rows[i][j], what, i, j);
        return RequireNotEmpty(m, what);
    }

    private static bool IsRow(object? item) =>
        item is IEnumerable and not string and not IDictionary;

    private static IEnumerable<object?> RowItems(object item) => item switch
    {
        Vector<double> v => v.Select(x => (object?)x),
        Vector<float> f => f.Select(x => (object?)x),
        _ => ((IEnumerable)item).Cast<object?>(),
    };

    private static double Entry(object? value, string what, int row, int column)
    {
        if (TryNumber(value, out double number)) return number;
        throw Error("NonNumericEntry", Invariant.Format($"{what}: the entry at row {row}, column {column} is {Describe(value)}, not a number."), value);
    }

    private static Matrix<double> RequireNotEmpty(Matrix<double> m, string what)
    {
        if (m.RowCount == 0 || m.ColumnCount == 0)
            throw Error("InvalidMatrix", Invariant.Format($"{what} is {m.RowCount}x{m.ColumnCount}; it needs at least one row and one column."), m);
        return m;
    }

    private static MlpException NotAMatrix(object value, string what) =>
        Error("InvalidMatrix", $"{what} must be a MathNet matrix or nested numeric arrays (one array per row), but it is a {TypeName(value)}.", value);

    private static string Describe(object? value) => Unwrap(value) switch
    {
        null => "$null",
        string s => $"'{s}' (a string)",
        var v => $"'{Convert.ToString(v, CultureInfo.InvariantCulture)}' (a {TypeName(v)})",
    };

    private static string TypeName(object value) =>
        value is PSObject pso && pso.BaseObject is PSCustomObject ? "PSCustomObject" : value.GetType().Name;

    private static MlpException Error(string id, string message, object? target) =>
        new(id, MlpErrorKind.InvalidArgument, message, target);
}
