using System.Collections;
using System.Globalization;
using MlpTools.Core.Data;

namespace MlpTools.Core.Training;

/// <summary>What early stopping and "best weights" watch.</summary>
public enum MonitorKind
{
    /// <summary>Validation loss when there is validation data, else training loss.</summary>
    Auto,
    /// <summary>Mean cross-entropy on the validation data (lower is better).</summary>
    ValidationLoss,
    /// <summary>Accuracy on the validation data (higher is better).</summary>
    ValidationAccuracy,
    /// <summary>The epoch's training loss (lower is better).</summary>
    Loss,
}

/// <summary>
/// One setting of a training run, described once: its name (the <see cref="TrainingOptions"/> property's, and
/// Invoke-Training's parameter's), the type of its values, its default, the values it accepts and the optimizers it
/// applies to. <see cref="TrainingOptions.Settings"/> lists them all.
/// </summary>
public sealed class TrainingSetting
{
    private readonly Func<object, bool> _accepts;

    internal TrainingSetting(string name, Type type, object? defaultValue, string accepts, Func<object, bool> isValid,
        IReadOnlyList<OptimizerKind> appliesTo, string summary)
    {
        Name = name;
        Type = type;
        Default = defaultValue;
        Accepts = accepts;
        _accepts = isValid;
        AppliesTo = appliesTo;
        Summary = summary;
    }

    /// <summary>The setting's name, such as "Momentum".</summary>
    public string Name { get; }

    /// <summary>The type of its values (double, int, bool, an enum, or <see cref="ClassWeights"/>).</summary>
    public Type Type { get; }

    /// <summary>Its value when it is not given; null when it is then off (Patience, Seed, Scaling, ...).</summary>
    public object? Default { get; }

    /// <summary>The values it accepts, as a message says it: "in [0, 1)".</summary>
    public string Accepts { get; }

    /// <summary>The optimizers it applies to; giving it with another optimizer is refused.</summary>
    public IReadOnlyList<OptimizerKind> AppliesTo { get; }

    /// <summary>What it does, in a line.</summary>
    public string Summary { get; }

    internal bool IsValid(object value) => _accepts(value);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// Settings for a training run: typed properties, each described once in <see cref="Settings"/> (default, accepted
/// values, the optimizers it applies to), and checked by <see cref="Validate"/>. Defaults train the built-in Digits set
/// well in 20 epochs. Built from properties, or by name from a table (<see cref="FromSettings"/>).
/// </summary>
public sealed class TrainingOptions
{
    private static readonly OptimizerKind[] AllOptimizers = Enum.GetValues<OptimizerKind>();
    private static readonly OptimizerKind[] MiniBatch = { OptimizerKind.Sgd, OptimizerKind.Adam, OptimizerKind.RmsProp };

    private static TrainingSetting Setting<TValue>(string name, object? defaultValue, string accepts, Func<TValue, bool> isValid,
        OptimizerKind[] appliesTo, string summary) =>
        new(name, typeof(TValue), defaultValue, accepts, v => v is TValue t && isValid(t), appliesTo, summary);

    private static bool Fraction(double v) => v >= 0 && v < 1;
    private static bool Positive(double v) => double.IsFinite(v) && v > 0;
    private static bool NonNegative(double v) => double.IsFinite(v) && v >= 0;

    /// <summary>Every setting, in the order a description lists them.</summary>
    public static IReadOnlyList<TrainingSetting> Settings { get; } = new[]
    {
        Setting<int>(nameof(Epochs), 20, "a positive whole number", v => v > 0, AllOptimizers, "Passes over the training data (for Lbfgs: evaluations)."),
        Setting<int>(nameof(BatchSize), 32, "a positive whole number", v => v > 0, MiniBatch, "Samples per mini-batch; the last batch of an epoch may be smaller."),
        Setting<OptimizerKind>(nameof(Optimizer), OptimizerKind.Sgd, "Sgd, Adam, RmsProp or Lbfgs", Enum.IsDefined, AllOptimizers, "The update rule."),
        Setting<double>(nameof(LearningRate), null, "a finite number > 0", Positive, MiniBatch, "The step size; by default the optimizer's own (Sgd 0.05, Adam and RmsProp 0.001)."),
        Setting<double>(nameof(Regularization), DefaultRegularization, "a finite number >= 0", NonNegative, AllOptimizers, "lambda, the L2 strength: the loss adds (lambda / (2m)) (||W1||^2 + ||W2||^2)."),
        Setting<double>(nameof(Momentum), 0.9, "in [0, 1)", Fraction, new[] { OptimizerKind.Sgd }, "Sgd's momentum mu; 0 is plain SGD."),
        Setting<bool>(nameof(Nesterov), false, "true or false", _ => true, new[] { OptimizerKind.Sgd }, "Sgd: Nesterov's momentum."),
        Setting<double>(nameof(Beta1), 0.9, "in [0, 1)", Fraction, new[] { OptimizerKind.Adam }, "Adam's first-moment decay."),
        Setting<double>(nameof(Beta2), 0.999, "in [0, 1)", Fraction, new[] { OptimizerKind.Adam }, "Adam's second-moment decay."),
        Setting<double>(nameof(Rho), 0.9, "in [0, 1)", Fraction, new[] { OptimizerKind.RmsProp }, "RmsProp's decay of the mean square."),
        Setting<double>(nameof(Epsilon), 1e-8, "a finite number > 0", Positive, new[] { OptimizerKind.Adam, OptimizerKind.RmsProp }, "Adam's and RmsProp's epsilon."),
        Setting<double>(nameof(LearningRateDecay), 1.0, "in (0, 1]", v => v > 0 && v <= 1, MiniBatch, "The learning rate is multiplied by this after every epoch."),
        Setting<int>(nameof(PlateauPatience), null, "a positive whole number", v => v > 0, MiniBatch, "Epochs without improvement of the monitor before the learning rate is cut."),
        Setting<double>(nameof(PlateauFactor), 0.5, "in (0, 1)", v => v > 0 && v < 1, MiniBatch, "The factor reduce-on-plateau multiplies the learning rate by."),
        Setting<double>(nameof(MinLearningRate), 1e-7, "a finite number >= 0", NonNegative, MiniBatch, "The floor of both schedules."),
        Setting<int>(nameof(Patience), null, "a positive whole number", v => v > 0, AllOptimizers, "Stop after this many epochs without improvement of the monitor."),
        Setting<double>(nameof(MinDelta), 0.0, "a finite number >= 0", NonNegative, AllOptimizers, "The smallest change of the monitor that counts as improvement."),
        Setting<MonitorKind>(nameof(Monitor), MonitorKind.Auto, "Auto, ValidationLoss, ValidationAccuracy or Loss", Enum.IsDefined, AllOptimizers, "What early stopping, reduce-on-plateau and the best weights watch."),
        Setting<ClassWeights>(ClassWeightSetting, null, "'Balanced', class names with weights, or one weight per class", _ => true, AllOptimizers, "Per-class weights in the loss."),
        Setting<ScalingKind>(nameof(Scaling), null, "Standardize or MinMax", Enum.IsDefined, AllOptimizers, "Feature scaling fitted on the training data when the network has none yet."),
        Setting<int>(nameof(Seed), null, "a whole number", _ => true, AllOptimizers, "The seed for the shuffles; none draws one at random."),
    };

    /// <summary>The setting <see cref="ClassWeights"/> is: named as Invoke-Training's parameter, -ClassWeight.</summary>
    private const string ClassWeightSetting = "ClassWeight";

    private static readonly Dictionary<string, TrainingSetting> ByName =
        Settings.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The settings given, by name, each of its setting's type.</summary>
    private readonly Dictionary<string, object> _given = new(StringComparer.Ordinal);

    /// <summary>The setting called <paramref name="name"/> (case ignored), or null.</summary>
    public static TrainingSetting? FindSetting(string name) =>
        ByName.TryGetValue(name, out TrainingSetting? s) ? s : name.Equals(nameof(ClassWeights), StringComparison.OrdinalIgnoreCase) ? ByName[ClassWeightSetting] : null;

    /// <summary>
    /// Options from a table of settings by name (case ignored): <c>@{ Optimizer = 'Adam'; LearningRate = 0.01 }</c>.
    /// Values may be of the setting's type or convertible to it (numbers of any type, numeric text, enum names); a
    /// null value leaves the setting at its default. Checked by <see cref="Validate"/> before they are returned.
    /// </summary>
    /// <exception cref="MlpException"><c>UnknownTrainingSetting</c>, or the error of the first value that is not accepted.</exception>
    public static TrainingOptions FromSettings(IDictionary settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new TrainingOptions();
        foreach (DictionaryEntry entry in settings)
            options.Set(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "", entry.Value);
        options.Validate();
        return options;
    }

    /// <summary>Sets the setting called <paramref name="name"/> (case ignored) from a value of its type or one convertible to it; null clears it.</summary>
    public void Set(string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        TrainingSetting setting = FindSetting(name) ?? throw new MlpException("UnknownTrainingSetting", MlpErrorKind.InvalidArgument,
            $"There is no training setting '{name}'. The settings are: {string.Join(", ", Settings.Select(s => s.Name))}.", name);
        if (value is null) _given.Remove(setting.Name);
        else _given[setting.Name] = ConvertValue(setting, value);
    }

    /// <summary>The names of the settings given (the others take their defaults).</summary>
    public IEnumerable<string> Given => Settings.Where(s => _given.ContainsKey(s.Name)).Select(s => s.Name);

    /// <summary>The value of a setting: the one given, or its default (null for a setting that is then off).</summary>
    public object? Get(string name)
    {
        TrainingSetting setting = FindSetting(name) ?? throw new ArgumentException($"There is no training setting '{name}'.", nameof(name));
        return _given.TryGetValue(setting.Name, out object? v) ? v : setting.Default;
    }

    private TValue Value<TValue>(string name) where TValue : struct => (TValue)Get(name)!;

    private TValue? Optional<TValue>(string name) where TValue : struct => (TValue?)Get(name);

    private void Put(string name, object? value)
    {
        if (value is null) _given.Remove(name);
        else _given[name] = value;
    }

    /// <summary>How many passes over the training data (for L-BFGS: evaluations).</summary>
    public int Epochs { get => Value<int>(nameof(Epochs)); set => Put(nameof(Epochs), value); }

    /// <summary>Samples per mini-batch (the last batch of an epoch may be smaller). Ignored by L-BFGS (full batch).</summary>
    public int BatchSize { get => Value<int>(nameof(BatchSize)); set => Put(nameof(BatchSize), value); }

    /// <summary>The update rule.</summary>
    public OptimizerKind Optimizer { get => Value<OptimizerKind>(nameof(Optimizer)); set => Put(nameof(Optimizer), value); }

    /// <summary>The step size; null takes the optimizer's default (SGD 0.05, Adam and RMSProp 0.001).</summary>
    public double? LearningRate { get => Optional<double>(nameof(LearningRate)); set => Put(nameof(LearningRate), value); }

    /// <summary>The learning rate in effect at the start.</summary>
    public double EffectiveLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Sgd ? 0.05 : 0.001);

    /// <summary>
    /// The default lambda, 1e-4 (scikit-learn's MLPClassifier's default alpha): training's, and the gradient
    /// cmdlets' too, so the loss a user inspects is by default the loss training minimizes.
    /// </summary>
    public const double DefaultRegularization = 1e-4;

    /// <summary>lambda, the L2 strength: the loss adds (lambda / (2m)) (||W1||^2 + ||W2||^2), m the batch size.</summary>
    public double Regularization { get => Value<double>(nameof(Regularization)); set => Put(nameof(Regularization), value); }

    /// <summary>SGD momentum mu. Zero is plain SGD.</summary>
    public double Momentum { get => Value<double>(nameof(Momentum)); set => Put(nameof(Momentum), value); }

    /// <summary>SGD: use Nesterov's momentum.</summary>
    public bool Nesterov { get => Value<bool>(nameof(Nesterov)); set => Put(nameof(Nesterov), value ? true : null); }

    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get => Value<double>(nameof(Beta1)); set => Put(nameof(Beta1), value); }

    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get => Value<double>(nameof(Beta2)); set => Put(nameof(Beta2), value); }

    /// <summary>RMSProp's decay of the mean square.</summary>
    public double Rho { get => Value<double>(nameof(Rho)); set => Put(nameof(Rho), value); }

    /// <summary>Adam's and RMSProp's epsilon.</summary>
    public double Epsilon { get => Value<double>(nameof(Epsilon)); set => Put(nameof(Epsilon), value); }

    /// <summary>Multiply the learning rate by this after every epoch (1 keeps it fixed).</summary>
    public double LearningRateDecay { get => Value<double>(nameof(LearningRateDecay)); set => Put(nameof(LearningRateDecay), value); }

    /// <summary>When set, multiply the learning rate by <see cref="PlateauFactor"/> after this many epochs without improvement of the monitor.</summary>
    public int? PlateauPatience { get => Optional<int>(nameof(PlateauPatience)); set => Put(nameof(PlateauPatience), value); }

    /// <summary>The factor reduce-on-plateau applies.</summary>
    public double PlateauFactor { get => Value<double>(nameof(PlateauFactor)); set => Put(nameof(PlateauFactor), value); }

    /// <summary>The learning rate never drops below this.</summary>
    public double MinLearningRate { get => Value<double>(nameof(MinLearningRate)); set => Put(nameof(MinLearningRate), value); }

    /// <summary>Stop after this many epochs without improvement of the monitor (null: never stop early).</summary>
    public int? Patience { get => Optional<int>(nameof(Patience)); set => Put(nameof(Patience), value); }

    /// <summary>The smallest change of the monitor that counts as improvement.</summary>
    public double MinDelta { get => Value<double>(nameof(MinDelta)); set => Put(nameof(MinDelta), value); }

    /// <summary>What early stopping, reduce-on-plateau and the best weights watch.</summary>
    public MonitorKind Monitor { get => Value<MonitorKind>(nameof(Monitor)); set => Put(nameof(Monitor), value); }

    /// <summary>Per-class weights in the loss, or null for all 1 (the setting "ClassWeight").</summary>
    public ClassWeights? ClassWeights { get => (ClassWeights?)Get(ClassWeightSetting); set => Put(ClassWeightSetting, value); }

    /// <summary>
    /// Feature scaling to fit on the training data when the network has none yet (null: none). Once fitted it is part
    /// of the network and applied to everything the network takes.
    /// </summary>
    public ScalingKind? Scaling { get => Optional<ScalingKind>(nameof(Scaling)); set => Put(nameof(Scaling), value); }

    /// <summary>Seed for the shuffles; null draws one at random.</summary>
    public int? Seed { get => Optional<int>(nameof(Seed)); set => Put(nameof(Seed), value); }

    /// <summary>
    /// Whether epochs record their <see cref="EpochRecord.Diagnostics"/> (always, but for the benchmark, which compares
    /// epochs with and without them). Read at the start of every epoch, so it may change between the epochs of a run.
    /// </summary>
    internal bool RecordDiagnostics { get; set; } = true;

    /// <summary>
    /// Whether the training loss at the starting weights is measured over all the data before the first epoch, rather
    /// than only as far as the first epoch's comparison with it needs (the default). The results are the same bits
    /// either way; the tests and the benchmark compare the two.
    /// </summary>
    internal bool MeasureStartInFull { get; set; }

    /// <summary>
    /// Throws a clear error naming the first setting given that is out of range (<c>Invalid&lt;Setting&gt;</c>), or that
    /// does not apply to the optimizer (<c>ParameterNotApplicable</c>); both InvalidArgument.
    /// </summary>
    public void Validate()
    {
        foreach (TrainingSetting s in Settings)
        {
            if (!_given.TryGetValue(s.Name, out object? value)) continue;
            if (!s.IsValid(value))
                throw Error("Invalid" + s.Name, $"{s.Name} must be {s.Accepts}, but it is {Text(value)}.", value);
            if (!s.AppliesTo.Contains(Optimizer) && !(s.Type == typeof(bool) && value is false))
                throw Error("ParameterNotApplicable",
                    $"{s.Name} applies to {JoinAnd(s.AppliesTo)} only, but the optimizer is {Optimizer}. Leave out {s.Name}, or set Optimizer to {s.AppliesTo[0]}.",
                    s.Name, s.Name, nameof(Optimizer));
        }
    }

    /// <summary>A copy of these settings.</summary>
    public TrainingOptions Clone()
    {
        var copy = new TrainingOptions { RecordDiagnostics = RecordDiagnostics, MeasureStartInFull = MeasureStartInFull };
        foreach (var (name, value) in _given) copy._given[name] = value;
        return copy;
    }

    /// <summary>The settings given, as "Name = value" pairs, in the order of <see cref="Settings"/>.</summary>
    public override string ToString() => string.Join(", ", Given.Select(n => $"{n} = {Text(_given[n])}"));

    private static string Text(object value) => value switch
    {
        double d => Invariant.Number(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string JoinAnd(IReadOnlyList<OptimizerKind> kinds) =>
        kinds.Count == 1 ? kinds[0].ToString() : string.Join(", ", kinds.Take(kinds.Count - 1)) + " and " + kinds[^1];

    private static MlpException Error(string id, string message, object? target, params string[] settings) =>
        new(id, MlpErrorKind.InvalidArgument, message, target) { Settings = settings };

    /// <summary>A value given for <paramref name="setting"/>, as its type: refused (Invalid&lt;Setting&gt;) when it is not one.</summary>
    private static object ConvertValue(TrainingSetting setting, object value)
    {
        Type type = setting.Type;
        if (type.IsInstanceOfType(value)) return value;
        if (type == typeof(ClassWeights)) return Training.ClassWeights.Parse(value);
        object? converted = null;
        if (type.IsEnum)
        {
            if (value is string text && Enum.TryParse(type, text.Trim(), ignoreCase: true, out object? parsed) && !int.TryParse(text, out _)) converted = parsed;
            else if (value is Enum e && Enum.IsDefined(type, e.ToString())) converted = Enum.Parse(type, e.ToString());
        }
        else if (type == typeof(bool))
        {
            if (value is string text && bool.TryParse(text.Trim(), out bool b)) converted = b;
        }
        else if (AsDouble(value) is { } number)
        {
            if (type == typeof(double)) converted = number;
            else if (type == typeof(int) && number == Math.Floor(number) && number >= int.MinValue && number <= int.MaxValue) converted = (int)number;
        }
        return converted ?? throw Error("Invalid" + setting.Name, Invariant.Format(
            $"{setting.Name} must be {setting.Accepts}, but it is '{System.Convert.ToString(value, CultureInfo.InvariantCulture)}'{(type == typeof(int) && AsDouble(value) is not null ? ", not a whole number" : "")}."),
            value);
    }

    /// <summary>A number given loosely (any numeric type, or numeric text), as settings take them; null for anything else.</summary>
    internal static double? AsDouble(object value) => value switch
    {
        string s => double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null,
        bool or char or Enum => null,
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => null,
    };
}
