using System.Collections;
using System.Collections.Specialized;
using MlpTools.Core.Training;

namespace MlpTools.Core.Sweeps;

/// <summary>The settings of one trial, in the search space's order: network settings and training settings by name.</summary>
public sealed class TrialSettings
{
    private readonly (string Name, object? Value)[] _values;

    /// <summary>Settings by name (each a sweepable setting's own spelling, in its type; null for "not set", where allowed).</summary>
    public TrialSettings(IEnumerable<(string Name, object? Value)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values.ToArray();
    }

    /// <summary>The settings, in order.</summary>
    public IReadOnlyList<(string Name, object? Value)> Values => _values;

    /// <summary>The value of a setting, or null when the trial does not set it.</summary>
    public object? this[string name] => _values.FirstOrDefault(v => v.Name == name).Value;

    /// <summary>The settings as an ordered table (name to value).</summary>
    public OrderedDictionary ToTable()
    {
        var table = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in _values) table[name] = value;
        return table;
    }

    /// <summary>
    /// The settings as a table of plain values that cross PowerShell serialization unchanged (enum values as their names,
    /// class weights as <see cref="ClassWeights.ToSetting"/>); <see cref="FromTable"/> reads it back to equal settings.
    /// </summary>
    public Hashtable ToTransferTable()
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in _values)
            table[name] = value switch
            {
                Enum e => e.ToString(),
                ClassWeights w => w.ToSetting(),
                _ => value,
            };
        return table;
    }

    /// <summary>
    /// Reads settings from a table (as the cmdlet receives them back from another machine): every name a sweepable
    /// setting, every value checked.
    /// </summary>
    public static TrialSettings FromTable(IDictionary table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var values = new List<(string, object?)>();
        foreach (DictionaryEntry e in table)
        {
            string name = SearchSpace.CanonicalName(Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "");
            values.Add((name, e.Value is null ? CheckNull(name) : ConvertSetting(name, e.Value)));
        }
        return new TrialSettings(values);
    }

    /// <summary>The hidden size: the trial's, or <paramref name="fallback"/>.</summary>
    public int HiddenSize(int? fallback) =>
        this["HiddenSize"] is int h ? h : fallback ?? throw MlpException.Argument("HiddenSizeMissing",
            "The search space does not set HiddenSize, and there is no default: name it, such as HiddenSize = 64 (one size) or HiddenSize = 32, 64, 128.");

    /// <summary>The precision: the trial's, or Single.</summary>
    public Precision Precision => this["Precision"] is Precision p ? p : Precision.Single;

    /// <summary>The weight scale: the trial's, or null (Glorot's uniform draw).</summary>
    public double? WeightScale => this["WeightScale"] as double?;

    /// <summary>The training options of this trial with <paramref name="seed"/> for its shuffles (checked).</summary>
    public TrainingOptions TrainingOptions(int seed)
    {
        var options = new TrainingOptions();
        foreach (var (name, value) in _values)
            if (!IsNetworkSetting(name)) options.Set(name, value); // null leaves the setting off
        options.Seed = seed;
        options.Validate();
        return options;
    }

    /// <summary>Whether a setting belongs to the network (New-Mlp) rather than to its training.</summary>
    public static bool IsNetworkSetting(string name) => SearchSpace.NetworkSettings.Any(s => s.Name == name);

    /// <summary>Whether a setting may be null in a sweep: "not set", for a setting whose default is off (ClassWeight, Scaling, Patience, ...).</summary>
    internal static bool AllowsNull(string name) =>
        name == "WeightScale" || (!IsNetworkSetting(name) && Training.TrainingOptions.FindSetting(name)!.Default is null);

    /// <summary>Null for a setting that allows it (see <see cref="AllowsNull"/>); the setting's error otherwise.</summary>
    internal static object? CheckNull(string name) => AllowsNull(name)
        ? null
        : throw MlpException.Argument("InvalidSweepValue", $"{name} cannot be null: it has a value in every trial (leave it out of the search space for its default).", name);

    /// <summary>A value converted to its setting's type, or the setting's error.</summary>
    internal static object ConvertSetting(string name, object value)
    {
        switch (name)
        {
            case "HiddenSize":
                if (AsWhole(value) is { } h && h > 0) return h;
                throw MlpException.Argument("InvalidHiddenSize", $"HiddenSize must be a positive whole number, but it is {SearchSpace.Text(value)}.", value);
            case "Precision":
                if (value is Precision p && Enum.IsDefined(p)) return p;
                if (value is string s && Enum.TryParse(s.Trim(), true, out Precision parsed) && Enum.IsDefined(parsed) && !int.TryParse(s, out _)) return parsed;
                throw MlpException.Argument("InvalidPrecision", $"Precision must be Single or Double, but it is {SearchSpace.Text(value)}.", value);
            case "WeightScale":
                if (Training.TrainingOptions.AsDouble(value) is { } w && double.IsFinite(w) && w >= 0) return w;
                throw MlpException.Argument("InvalidWeightScale", $"WeightScale must be a finite number >= 0, but it is {SearchSpace.Text(value)}.", value);
            default:
                // The value's type and range here; whether it applies to the trial's optimizer, per trial.
                TrainingSetting setting = Training.TrainingOptions.FindSetting(name)!;
                var options = new TrainingOptions();
                options.Set(name, value);
                object converted = options.Get(name)!;
                if (!setting.IsValid(converted))
                    throw MlpException.Argument("Invalid" + setting.Name, $"{setting.Name} must be {setting.Accepts}, but it is {SearchSpace.Text(converted)}.", value);
                return converted;
        }
    }

    private static int? AsWhole(object value) =>
        Training.TrainingOptions.AsDouble(value) is { } d && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue ? (int)d : null;

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", _values.Select(v => $"{v.Name} = {SearchSpace.Text(v.Value)}"));
}
