using System.Collections;
using System.Globalization;
using MlpTools.Core.Data;

namespace MlpTools.Core.Training;

/// <summary>
/// Per-class weights in the loss, as they are asked for: <see cref="Balanced"/> (n / (C n_k) on the training data, as
/// scikit-learn's class_weight='balanced'), by class name (classes not named keep 1), or one weight per class in class
/// order. <see cref="Resolve"/> turns them into one weight per class of a network, and is the one place they are checked.
/// </summary>
/// <remarks>
/// With weights w, each sample's cross-entropy counts w[y_i] times: L_data = -(1/m) sum_i w[y_i] log P[i, y_i].
/// </remarks>
public sealed class ClassWeights
{
    /// <summary>The setting's name, as messages name it.</summary>
    private const string Setting = "ClassWeight";

    private readonly double[]? _inOrder;
    private readonly KeyValuePair<string, double>[]? _byName;

    private ClassWeights(double[]? inOrder, KeyValuePair<string, double>[]? byName)
    {
        _inOrder = inOrder;
        _byName = byName;
    }

    /// <summary>n / (C n_k) on the training data: rarer classes weigh more; a class with no samples gets 0.</summary>
    public static ClassWeights Balanced { get; } = new(null, null);

    /// <summary>Whether these are <see cref="Balanced"/>.</summary>
    public bool IsBalanced => _inOrder is null && _byName is null;

    /// <summary>One weight per class, in class order.</summary>
    public static ClassWeights InClassOrder(IEnumerable<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return new ClassWeights(weights.ToArray(), null);
    }

    /// <summary>Weights of the classes named (matched as <see cref="ClassNames.IndexOf"/> matches); the others keep 1.</summary>
    public static ClassWeights ByClassName(IEnumerable<KeyValuePair<string, double>> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return new ClassWeights(null, weights.ToArray());
    }

    /// <summary>
    /// Class weights from a loosely typed value, as a settings table or a command line gives them: the text "Balanced",
    /// a dictionary from class name to weight, a list of weights in class order, or one number (a list of one). Numbers
    /// may be any numeric type or numeric text.
    /// </summary>
    /// <exception cref="MlpException"><c>InvalidClassWeight</c>: text other than "Balanced", or a weight that is not a number.</exception>
    public static ClassWeights Parse(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value)
        {
            case ClassWeights given:
                return given;
            case string text:
                if (string.Equals(text.Trim(), "Balanced", StringComparison.OrdinalIgnoreCase)) return Balanced;
                throw Error("InvalidClassWeight", Invariant.Format(
                    $"{Setting} '{text}' is not understood: give 'Balanced', class names with their weights such as {{ '0' = 2 }}, or one weight per class in class order."), text);
            case IDictionary map:
                var named = new List<KeyValuePair<string, double>>();
                foreach (DictionaryEntry entry in map)
                {
                    string name = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
                    named.Add(new(name, ToWeight(entry.Value, Invariant.Format($"The {Setting} of class '{name}'"))));
                }
                return new ClassWeights(null, named.ToArray());
            case IEnumerable list:
                var weights = new List<double>();
                foreach (object? item in list) weights.Add(ToWeight(item, Invariant.Format($"{Setting}[{weights.Count}]")));
                return new ClassWeights(weights.ToArray(), null);
            default:
                return new ClassWeights(new[] { ToWeight(value, Invariant.Format($"{Setting}[0]")) }, null);
        }
    }

    private static double ToWeight(object? value, string what)
    {
        switch (value)
        {
            case double d: return d;
            case string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed): return parsed;
            case IConvertible c when value is not string and not bool and not char:
                try
                {
                    return c.ToDouble(CultureInfo.InvariantCulture);
                }
                catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException)
                {
                    break;
                }
        }
        throw Error("InvalidClassWeight", $"{what} is '{Convert.ToString(value, CultureInfo.InvariantCulture)}', not a number.", value);
    }

    /// <summary>
    /// One weight per class of a network with the classes <paramref name="classNames"/>; <paramref name="training"/> is
    /// the data the counts of <see cref="Balanced"/> come from (its labels numbered as the network's classes).
    /// </summary>
    /// <exception cref="MlpException">
    /// <c>ClassWeightCountMismatch</c> (a list of the wrong length), <c>ClassWeightUnknownClass</c> (a name that is not a
    /// class), <c>InvalidClassWeight</c> (a weight that is not a finite number >= 0); all InvalidArgument.
    /// </exception>
    public double[] Resolve(IReadOnlyList<string> classNames, Dataset? training = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int c = classNames.Count;
        double[] weights;
        if (_inOrder is { } list)
        {
            if (list.Length != c)
                throw Error("ClassWeightCountMismatch", Invariant.Format(
                    $"{Setting} gives {Invariant.Plural(list.Length, "weight")}, but the network has {c} classes ({string.Join(", ", classNames)}); give one per class, in that order, or 'Balanced', or class names with their weights."),
                    list.Length);
            weights = (double[])list.Clone();
            for (int k = 0; k < c; k++) Check(weights[k], Invariant.Format($"{Setting}[{k}]"));
        }
        else if (_byName is { } named)
        {
            weights = Enumerable.Repeat(1.0, c).ToArray();
            var matcher = new ClassNames.Matcher(classNames);
            foreach (var (name, weight) in named)
            {
                int k = matcher.IndexOf(name);
                if (k < 0)
                    throw Error("ClassWeightUnknownClass",
                        $"{Setting} names the class '{name}', but the network's classes are {ClassNames.Quoted(classNames)}.", name);
                Check(weight, $"The {Setting} of class '{name}'");
                weights[k] = weight;
            }
        }
        else
        {
            if (training is null)
                throw Error("ClassWeightNeedsData", $"{Setting} 'Balanced' is computed from the training data, and there is none here; give the weights.", this);
            weights = BalancedWeights(training, c);
        }
        return weights;
    }

    /// <summary>Per-class weights n / (C n_k) (scikit-learn's "balanced"); a class with no samples gets 0.</summary>
    internal static double[] BalancedWeights(Dataset data, int classCount)
    {
        var counts = new int[classCount];
        foreach (int y in data.LabelSpan) counts[y]++;
        return counts.Select(n => n == 0 ? 0.0 : (double)data.Count / (classCount * (double)n)).ToArray();
    }

    private static void Check(double weight, string what)
    {
        if (!double.IsFinite(weight) || weight < 0)
            throw Error("InvalidClassWeight", Invariant.Format($"{what} must be a finite number >= 0, but it is {weight}."), weight);
    }

    private static MlpException Error(string id, string message, object? target) =>
        new(id, MlpErrorKind.InvalidArgument, message, target) { Settings = new[] { Setting } };

    /// <summary>
    /// The weights as a plain value <see cref="Parse"/> reads back: the text "Balanced", the weights in class order, or a
    /// dictionary from class name to weight (for settings that travel between processes).
    /// </summary>
    public object ToSetting() =>
        _inOrder is { } list ? list.ToArray()
        : _byName is { } named ? named.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
        : "Balanced";

    /// <inheritdoc />
    public override string ToString() =>
        _inOrder is { } list ? string.Join(", ", list.Select(Invariant.Number))
        : _byName is { } named ? string.Join(", ", named.Select(p => $"'{p.Key}' = {Invariant.Number(p.Value)}"))
        : "Balanced";
}
