using System.Collections;
using System.Globalization;
using MlpTools.Core.Training;

namespace MlpTools.Core.Sweeps;

/// <summary>How a range is sampled in a random search.</summary>
public enum SweepScale
{
    /// <summary>Any number between the bounds, each equally likely.</summary>
    Uniform,

    /// <summary>Any number between the bounds (both above 0), each factor equally likely: 1e-4..1e-3 as often as 1e-2..1e-1.</summary>
    LogUniform,

    /// <summary>A whole number between the bounds, both included, each equally likely.</summary>
#pragma warning disable CA1720 // the scale's name as users write it: @{ Integer = 16, 256 }
    Integer,
#pragma warning restore CA1720

    /// <summary>A whole number between the bounds (both at least 1), both included, small ones as likely as large ones per factor.</summary>
    LogInteger,
}

/// <summary>One setting of a sweep: the values a grid takes in turn, or the range a random search samples.</summary>
public sealed class SweepAxis
{
    internal SweepAxis(string name, IReadOnlyList<object?>? choices, SweepScale scale, double low, double high)
    {
        Name = name;
        Choices = choices;
        Scale = scale;
        Low = low;
        High = high;
    }

    /// <summary>The setting's name, spelled as the setting is.</summary>
    public string Name { get; }

    /// <summary>The values to try (null among them: the setting left off), or null for a range.</summary>
    public IReadOnlyList<object?>? Choices { get; }

    /// <summary>How a range is sampled (when <see cref="Choices"/> is null).</summary>
    public SweepScale Scale { get; }

    /// <summary>The range's lower bound.</summary>
    public double Low { get; }

    /// <summary>The range's upper bound.</summary>
    public double High { get; }

    /// <summary>Whether this is a range (random search only).</summary>
    public bool IsRange => Choices is null;

    /// <summary>Draws a value: a choice, or a point of the range.</summary>
    internal object? Sample(Random random)
    {
        if (Choices is { } c) return c[random.Next(c.Count)];
        double u = random.NextDouble();
        switch (Scale)
        {
            case SweepScale.Uniform:
                return Low + (High - Low) * u;
            case SweepScale.LogUniform:
                return Math.Exp(Math.Log(Low) + (Math.Log(High) - Math.Log(Low)) * u);
            case SweepScale.Integer:
                return (int)Math.Min(High, Math.Floor(Low + (High - Low + 1) * u));
            default:
                // Uniform in log space over [low - 1/2, high + 1/2], rounded: each whole number gets the log-width of its
                // rounding interval.
                double v = Math.Exp(Math.Log(Low - 0.5) + (Math.Log(High + 0.5) - Math.Log(Low - 0.5)) * u);
                return (int)Math.Clamp(Math.Round(v, MidpointRounding.AwayFromZero), Low, High);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Choices is { } c
        ? $"{Name} = {string.Join(", ", c.Select(SearchSpace.Text))}"
        : Invariant.Format($"{Name} = {Scale} {Low}..{High}");
}

/// <summary>
/// What a sweep tries: one or more grids of settings (<c>@{ HiddenSize = 32, 64; LearningRate = 0.1, 0.01 }</c>, or a
/// list of such tables, tried one after the other), expanded in full or sampled <c>TrialCount</c> times.
/// </summary>
/// <remarks>
/// A value is a list of choices, one value (the same for every trial), or a range for random search:
/// <c>@{ LogUniform = 1e-4, 1e-1 }</c>, <c>@{ Uniform = 0.5, 0.99 }</c>, <c>@{ Integer = 16, 256 }</c>,
/// <c>@{ LogInteger = 16, 1024 }</c>. Any network setting (<see cref="NetworkSettings"/>) or training setting
/// (<see cref="TrainingOptions.Settings"/>, except Seed, which each trial gets from the sweep) can be swept. The
/// settings of a table keep its order when it is ordered (<c>[ordered]@{}</c>); a plain hashtable's are put in name
/// order, so a sweep is the same in every process. A grid varies its last setting fastest.
/// </remarks>
public sealed class SearchSpace
{
    /// <summary>The settings of the network itself that a sweep can vary, with their types.</summary>
    public static IReadOnlyList<(string Name, Type Type, string Accepts)> NetworkSettings { get; } = new[]
    {
        ("HiddenSize", typeof(int), "a positive whole number"),
        ("Precision", typeof(Precision), "Single or Double"),
        ("WeightScale", typeof(double), "a finite number >= 0"),
    };

    private SearchSpace(IReadOnlyList<IReadOnlyList<SweepAxis>> grids) => Grids = grids;

    /// <summary>The grids, each a list of settings.</summary>
    public IReadOnlyList<IReadOnlyList<SweepAxis>> Grids { get; }

    /// <summary>Whether any setting is a range (which only random search can sample).</summary>
    public bool HasRanges => Grids.Any(g => g.Any(a => a.IsRange));

    /// <summary>How many trials the full grid has (ranges count as one).</summary>
    public long GridSize => Grids.Sum(g => g.Aggregate(1L, (n, a) => n * (a.Choices?.Count ?? 1)));

    /// <summary>The names of every setting the space can hold, for messages.</summary>
    public static IEnumerable<string> SettingNames =>
        NetworkSettings.Select(s => s.Name).Concat(TrainingOptions.Settings.Select(s => s.Name).Where(n => n != nameof(TrainingOptions.Seed)));

    /// <summary>
    /// Reads a search space: a table of settings, or a list of tables. Values are plain .NET values (numbers, text,
    /// enum values, lists of them, or a one-entry table naming a range).
    /// </summary>
    /// <exception cref="MlpException">An unknown setting, an empty list, a value the setting does not take, or a bad range.</exception>
    public static SearchSpace Parse(object? space)
    {
        var grids = new List<IReadOnlyList<SweepAxis>>();
        switch (space)
        {
            case IDictionary table:
                grids.Add(ParseGrid(table, null));
                break;
            case IEnumerable list when space is not string:
                int i = 0;
                foreach (object? item in list)
                {
                    i++;
                    grids.Add(item is IDictionary t ? ParseGrid(t, i)
                        : throw Error("InvalidSearchSpace", $"Item {i} of the search space is {Describe(item)}; each item must be a table of settings, such as @{{ HiddenSize = 32, 64 }}."));
                }
                if (grids.Count == 0) throw Error("InvalidSearchSpace", "The search space is an empty list; give a table of settings, such as @{ HiddenSize = 32, 64; LearningRate = 0.1, 0.01 }.");
                break;
            default:
                throw Error("InvalidSearchSpace", $"The search space is {Describe(space)}; give a table of settings, such as @{{ HiddenSize = 32, 64; LearningRate = 0.1, 0.01 }}, or a list of such tables.");
        }
        return new SearchSpace(grids);
    }

    private static SweepAxis[] ParseGrid(IDictionary table, int? item)
    {
        string where = item is { } i ? Invariant.Format($" (in table {i} of the search space)") : "";
        var entries = new List<(string Name, object? Value)>();
        foreach (DictionaryEntry e in table) entries.Add((Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e.Value));
        if (entries.Count == 0) throw Error("InvalidSearchSpace", $"A table of the search space{where} is empty; name at least one setting, such as HiddenSize = 32, 64.");
        // A plain hashtable's order differs between processes: name order makes a sweep the same everywhere.
        if (table is not System.Collections.Specialized.IOrderedDictionary)
            entries.Sort((a, b) => string.Compare(a.Name, b.Name, StringComparison.OrdinalIgnoreCase));

        var axes = new List<SweepAxis>();
        foreach (var (rawName, value) in entries)
        {
            string name = CanonicalName(rawName, where);
            if (axes.Any(a => a.Name == name))
                throw Error("DuplicateSweepSetting", $"The setting {name} is named twice{where}; name each setting once.", name);
            axes.Add(ParseAxis(name, value, where));
        }
        return axes.ToArray();
    }

    /// <summary>The setting's own spelling, for any case of its name; an error for a name that is not a sweepable setting.</summary>
    public static string CanonicalName(string name, string where = "")
    {
        if (name.Equals(nameof(TrainingOptions.Seed), StringComparison.OrdinalIgnoreCase))
            throw Error("SeedNotSweepable", $"Seed cannot be swept{where}: each trial gets its own seed from the sweep's seed and its number (the Seed of its result). Take it out of the search space; the same sweep seed repeats the sweep.", name);
        foreach (var s in NetworkSettings)
            if (s.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) return s.Name;
        if (TrainingOptions.FindSetting(name) is { } setting) return setting.Name;
        throw Error("UnknownSweepSetting", $"There is no setting '{name}' to sweep{where}. The settings are: {string.Join(", ", SettingNames)}.", name);
    }

    private static SweepAxis ParseAxis(string name, object? value, string where)
    {
        if (value is IDictionary range) return ParseRange(name, range, where);
        var choices = new List<object?>();
        if (value is IEnumerable list && value is not string)
        {
            foreach (object? v in list) choices.Add(CheckValue(name, v, where));
            if (choices.Count == 0) throw Error("InvalidSearchSpace", $"{name} has an empty list of values{where}; give at least one.", name);
        }
        else
        {
            choices.Add(CheckValue(name, value, where));
        }
        return new SweepAxis(name, choices, SweepScale.Uniform, 0, 0);
    }

    private static SweepAxis ParseRange(string name, IDictionary range, string where)
    {
        string example = $"{name} = @{{ LogUniform = 1e-4, 1e-1 }}";
        if (range.Count != 1)
            throw Error("InvalidSweepRange", $"The range of {name}{where} has {Invariant.Plural(range.Count, "entry")}; a range is one entry, its scale and two bounds: {example} (scales: Uniform, LogUniform, Integer, LogInteger).", name);
        DictionaryEntry e = default;
        foreach (DictionaryEntry entry in range) e = entry; // IDictionary's own enumerator: DictionaryEntry for every kind of table
        string scaleName = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
        if (!Enum.TryParse(scaleName, ignoreCase: true, out SweepScale scale) || !Enum.IsDefined(scale) || int.TryParse(scaleName, out _))
            throw Error("InvalidSweepRange", $"'{scaleName}' is not a scale{where}; {name}'s range must be Uniform, LogUniform, Integer or LogInteger, as in {example}.", scaleName);
        var bounds = new List<double>();
        if (e.Value is IEnumerable list && e.Value is not string)
            foreach (object? b in list) bounds.Add(ToDouble(b, name, where));
        if (bounds.Count != 2)
            throw Error("InvalidSweepRange", $"{name}'s {scale} range{where} needs two bounds, low and high, as in {example}.", name);
        double low = bounds[0], high = bounds[1];
        if (!double.IsFinite(low) || !double.IsFinite(high) || !(low < high))
            throw Error("InvalidSweepRange", Invariant.Format($"{name}'s {scale} range{where} runs from {low} to {high}; the bounds must be finite numbers, low below high."), name);
        bool whole = scale is SweepScale.Integer or SweepScale.LogInteger;
        if (whole && (low != Math.Floor(low) || high != Math.Floor(high)))
            throw Error("InvalidSweepRange", Invariant.Format($"{name}'s {scale} range{where} runs from {low} to {high}; its bounds must be whole numbers."), name);
        if (scale == SweepScale.LogUniform && low <= 0 || scale == SweepScale.LogInteger && low < 1)
            throw Error("InvalidSweepRange", Invariant.Format($"{name}'s {scale} range{where} starts at {low}; a log scale needs bounds above 0 ({(whole ? "at least 1" : "such as 1e-4")})."), name);
        Type type = SettingType(name);
        if (whole ? type != typeof(int) && type != typeof(double) : type != typeof(double))
            throw Error("InvalidSweepRange", $"{name} takes {Accepts(name)}, so it cannot be drawn from a {scale} range{where}; {(type == typeof(int) ? "use an Integer or LogInteger range, or " : "")}give a list of values.", name);
        // Both bounds must be values the setting takes (checked as the setting checks them).
        CheckValue(name, whole && type == typeof(int) ? (int)low : low, where);
        CheckValue(name, whole && type == typeof(int) ? (int)high : high, where);
        return new SweepAxis(name, null, scale, low, high);
    }

    private static double ToDouble(object? value, string name, string where) =>
        (value is null ? null : TrainingOptions.AsDouble(value))
        ?? throw Error("InvalidSweepRange", $"A bound of {name}'s range{where} is {Describe(value)}, not a number.", name);

    /// <summary>The type of a setting's values.</summary>
    internal static Type SettingType(string name) =>
        NetworkSettings.FirstOrDefault(s => s.Name == name).Type ?? TrainingOptions.FindSetting(name)!.Type;

    private static string Accepts(string name) =>
        NetworkSettings.FirstOrDefault(s => s.Name == name).Accepts ?? TrainingOptions.FindSetting(name)!.Accepts;

    /// <summary>Checks one value as the setting would and returns it in the setting's type (enums as their value).</summary>
    private static object? CheckValue(string name, object? value, string where)
    {
        if (value is null)
        {
            if (TrialSettings.AllowsNull(name)) return null; // "not set": the setting stays off in that trial
            throw Error("InvalidSweepValue", $"{name} has a null value{where}; give {Accepts(name)}.", name);
        }
        try
        {
            return TrialSettings.ConvertSetting(name, value);
        }
        catch (MlpException ex)
        {
            throw new MlpException("InvalidSweepValue", MlpErrorKind.InvalidArgument, $"{name} cannot be {Text(value)}{where}: {ex.Message}", value, ex);
        }
    }

    /// <summary>
    /// The trials of a grid search: every combination of every grid, in order (grid by grid, the last setting of a
    /// grid varying fastest).
    /// </summary>
    public IReadOnlyList<TrialSettings> Expand(long limit)
    {
        if (HasRanges)
        {
            SweepAxis range = Grids.SelectMany(g => g).First(a => a.IsRange);
            throw new MlpException("RangeNeedsTrialCount", MlpErrorKind.InvalidArgument, $"{range.Name} is a range ({range.Scale} {Invariant.Number(range.Low)}..{Invariant.Number(range.High)}), which a grid cannot list; give TrialCount for a random search, or list its values.", range.Name)
                { Settings = new[] { "TrialCount" } };
        }
        if (GridSize > limit)
            throw new MlpException("SweepTooLarge", MlpErrorKind.InvalidArgument, Invariant.Format($"The grid has {GridSize:N0} combinations, more than the {limit:N0} a sweep runs; try fewer values, or sample it with TrialCount."), GridSize)
                { Settings = new[] { "TrialCount" } };
        var trials = new List<TrialSettings>();
        foreach (var grid in Grids)
        {
            var index = new int[grid.Count];
            while (true)
            {
                trials.Add(new TrialSettings(grid.Select((a, k) => (a.Name, a.Choices![index[k]]))));
                int d = grid.Count - 1;
                while (d >= 0 && ++index[d] == grid[d].Choices!.Count) index[d--] = 0;
                if (d < 0) break;
            }
        }
        return trials;
    }

    /// <summary>
    /// The trials of a random search: <paramref name="count"/> draws, each of every setting (of one grid, the grids
    /// taking turns), from a generator seeded with <paramref name="seed"/>.
    /// </summary>
    public IReadOnlyList<TrialSettings> Sample(int count, int seed)
    {
        if (count < 1) throw Error("InvalidTrialCount", Invariant.Format($"TrialCount must be at least 1, but it is {count}."), count);
        var random = Rng.Create(seed);
        var trials = new List<TrialSettings>(count);
        for (int t = 0; t < count; t++)
        {
            var grid = Grids[t % Grids.Count];
            trials.Add(new TrialSettings(grid.Select(a => (a.Name, a.Sample(random)))));
        }
        return trials;
    }

    /// <summary>A value as a message shows it.</summary>
    internal static string Text(object? value) => value switch
    {
        null => "null",
        string s => "'" + s + "'",
        double d => Invariant.Number(d),
        float f => Invariant.Number(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Describe(object? value) => value is null ? "null" : $"a {value.GetType().Name} ({Text(value)})";

    private static MlpException Error(string id, string message, object? target = null) => MlpException.Argument(id, message, target);
}
