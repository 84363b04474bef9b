using System.Numerics;
using MlpTools.Core.Model;

namespace MlpTools.Core.Training;

/// <summary>The update rules <see cref="Trainer"/> offers.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, with optional (Nesterov) momentum.</summary>
    Sgd,
    /// <summary>Adam: per-parameter steps from bias-corrected first and second moment estimates.</summary>
    Adam,
    /// <summary>RMSProp: steps scaled by a running root-mean-square of the gradient.</summary>
    RmsProp,
    /// <summary>L-BFGS on the whole training set (MathNet.Numerics' limited-memory BFGS).</summary>
    Lbfgs,
}

/// <summary>
/// An update rule: given the parameters w and their gradient g, change w in place. One interface for all of
/// them, documented once:
/// <code>
///   Sgd       v = mu v - lr g;                     w += v                       (mu = 0: w -= lr g)
///   Nesterov  v' = mu v - lr g;                    w += -mu v + (1 + mu) v'
///   Adam      m = b1 m + (1-b1) g; s = b2 s + (1-b2) g^2; t += 1
///             w -= lr (m / (1-b1^t)) / (sqrt(s / (1-b2^t)) + eps)
///   RmsProp   s = rho s + (1-rho) g^2;             w -= lr g / (sqrt(s) + eps)
/// </code>
/// Each rule has settings (training settings of <see cref="TrainingOptions"/>, such as Momentum) and state arrays
/// shaped like the parameters (its slots: velocity; m and v; meanSquare), both named once in <see cref="Rules"/>. The
/// state lives in the <see cref="TrainingState"/> a run returns, so a later run continues it; a model file saves it by
/// asking the optimizer for its settings and slots.
/// </summary>
internal abstract class Optimizer
{
    /// <summary>What each update rule with state holds: its slots, in file order, and its settings.</summary>
    public static IReadOnlyDictionary<OptimizerKind, (string[] Slots, string[] Settings)> Rules { get; } =
        new Dictionary<OptimizerKind, (string[], string[])>
        {
            [OptimizerKind.Sgd] = (new[] { "velocity" }, new[] { nameof(TrainingOptions.Momentum), nameof(TrainingOptions.Nesterov) }),
            [OptimizerKind.Adam] = (new[] { "m", "v" }, new[] { nameof(TrainingOptions.Beta1), nameof(TrainingOptions.Beta2), nameof(TrainingOptions.Epsilon) }),
            [OptimizerKind.RmsProp] = (new[] { "meanSquare" }, new[] { nameof(TrainingOptions.Rho), nameof(TrainingOptions.Epsilon) }),
        };

    private protected Optimizer(OptimizerKind kind)
    {
        Kind = kind;
        SlotNames = Rules[kind].Slots;
        SettingNames = Rules[kind].Settings;
        var options = new TrainingOptions();
        _settings = SettingNames.ToDictionary(n => n, n => options.Get(n)!, StringComparer.Ordinal);
    }

    private readonly Dictionary<string, object> _settings;

    public OptimizerKind Kind { get; }

    /// <summary>The names of its state arrays, in file order.</summary>
    public IReadOnlyList<string> SlotNames { get; }

    /// <summary>The names of its settings (training settings: "Momentum", ...).</summary>
    public IReadOnlyList<string> SettingNames { get; }

    /// <summary>How many steps have been taken.</summary>
    public long StepCount { get; set; }

    /// <summary>The precision of its state.</summary>
    public abstract Type ElementType { get; }

    /// <summary>The value of one of its settings.</summary>
    public object Setting(string name) => _settings[name];

    /// <summary>Sets one of its settings (a value of the training setting's type).</summary>
    public void SetSetting(string name, object value)
    {
        if (!_settings.ContainsKey(name)) throw new ArgumentException($"The {Kind} optimizer has no setting '{name}'.", nameof(name));
        _settings[name] = value;
    }

    /// <summary>Takes its settings from <paramref name="o"/> (the state is kept).</summary>
    public void Configure(TrainingOptions o)
    {
        foreach (string name in SettingNames) _settings[name] = o.Get(name)!;
    }

    protected double Number(string name) => (double)_settings[name];

    /// <summary>A deep copy, state included.</summary>
    public abstract Optimizer Clone();

    private protected Dictionary<string, object> CopySettings() => new(_settings, StringComparer.Ordinal);

    private protected void RestoreSettings(Dictionary<string, object> settings)
    {
        foreach (var (name, value) in settings) _settings[name] = value;
    }
}

/// <summary>An update rule for parameters of type <typeparamref name="T"/>; see <see cref="Optimizer"/>.</summary>
internal abstract class Optimizer<T> : Optimizer
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected Optimizer(OptimizerKind kind, ParameterSet<T> shape)
        : base(kind)
    {
        Slots = SlotNames.ToDictionary(n => n, _ => new ParameterSet<T>(shape.D, shape.H, shape.C), StringComparer.Ordinal);
    }

    /// <summary>The state arrays by name (for example "velocity", or "m" and "v"), each shaped like the parameters.</summary>
    public Dictionary<string, ParameterSet<T>> Slots { get; private set; }

    /// <inheritdoc />
    public override Type ElementType => typeof(T);

    /// <summary>Whether its state fits parameters of this shape.</summary>
    public bool Fits(ParameterSet<T> shape)
    {
        ParameterSet<T> first = Slots[SlotNames[0]];
        return first.D == shape.D && first.H == shape.H && first.C == shape.C;
    }

    /// <summary>
    /// One step: update <paramref name="w"/> in place from <paramref name="g"/>. When <paramref name="measured"/> is not
    /// empty (one entry per parameter, in the order of <see cref="ParameterSet{T}.Names"/>), it receives how far the step
    /// moved each parameter, measured in the same pass (the weights are the same bits either way). When
    /// <paramref name="squares"/> is not empty (one entry per parameter, in the same order), it receives each gradient's
    /// and each updated parameter's sum of squares, also taken in the same pass (the bits of
    /// <see cref="Numerics.Kernels.SumOfSquares{T}"/>).
    /// </summary>
    public abstract void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate, Span<Numerics.StepSquares> measured = default,
        Span<Numerics.ArraySquares> squares = default);

    /// <inheritdoc />
    public override Optimizer Clone()
    {
        Optimizer<T> copy = Create(Kind, Slots[SlotNames[0]]);
        copy.RestoreSettings(CopySettings());
        copy.StepCount = StepCount;
        foreach (var (name, set) in Slots) copy.Slots[name] = set.Clone();
        return copy;
    }

    /// <summary>A new optimizer of <paramref name="kind"/> with default settings and zero state, shaped like <paramref name="shape"/>.</summary>
    public static Optimizer<T> Create(OptimizerKind kind, ParameterSet<T> shape) => kind switch
    {
        OptimizerKind.Sgd => new SgdOptimizer<T>(shape),
        OptimizerKind.Adam => new AdamOptimizer<T>(shape),
        OptimizerKind.RmsProp => new RmsPropOptimizer<T>(shape),
        _ => throw new ArgumentException($"{kind} keeps no state between steps.", nameof(kind)),
    };

    /// <summary>The optimizer for <paramref name="o"/>: <paramref name="current"/> when it is of that kind (state continues), else a new one.</summary>
    public static Optimizer<T> For(TrainingOptions o, ParameterSet<T> shape, Optimizer<T>? current)
    {
        Optimizer<T> result = current is not null && current.Kind == o.Optimizer ? current : Create(o.Optimizer, shape);
        result.Configure(o);
        return result;
    }
}

/// <summary>SGD with optional momentum, classical or Nesterov.</summary>
internal sealed class SgdOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public SgdOptimizer(ParameterSet<T> shape) : base(OptimizerKind.Sgd, shape) { }

    public double Momentum => Number(nameof(TrainingOptions.Momentum));

    public bool Nesterov => (bool)Setting(nameof(TrainingOptions.Nesterov));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate, Span<Numerics.StepSquares> measured = default,
        Span<Numerics.ArraySquares> squares = default)
    {
        T mu = T.CreateTruncating(Momentum), lr = T.CreateTruncating(learningRate);
        ParameterSet<T> velocity = Slots["velocity"];
        bool measure = !measured.IsEmpty;
        for (int k = 0; k < 4; k++)
        {
            Numerics.StepSquares size = squares.IsEmpty
                ? Numerics.Kernels.MomentumStep<T>(w[k], velocity[k], g[k], mu, lr, Nesterov, measure)
                : Numerics.Kernels.MomentumStep<T>(w[k], velocity[k], g[k], mu, lr, Nesterov, measure, out squares[k]);
            if (measure) measured[k] = size;
        }
        StepCount++;
    }
}

/// <summary>Adam with bias correction.</summary>
internal sealed class AdamOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public AdamOptimizer(ParameterSet<T> shape) : base(OptimizerKind.Adam, shape) { }

    public double Beta1 => Number(nameof(TrainingOptions.Beta1));
    public double Beta2 => Number(nameof(TrainingOptions.Beta2));
    public double Epsilon => Number(nameof(TrainingOptions.Epsilon));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate, Span<Numerics.StepSquares> measured = default,
        Span<Numerics.ArraySquares> squares = default)
    {
        StepCount++;
        T b1 = T.CreateTruncating(Beta1), b2 = T.CreateTruncating(Beta2);
        // Fold both bias corrections into the step: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), eps_t = eps sqrt(1 - b2^t).
        double c1 = 1 - Math.Pow(Beta1, StepCount), c2 = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        T lrT = T.CreateTruncating(learningRate * c2 / c1), epsT = T.CreateTruncating(Epsilon * c2);
        ParameterSet<T> m = Slots["m"], v = Slots["v"];
        bool measure = !measured.IsEmpty;
        for (int k = 0; k < 4; k++)
        {
            Numerics.StepSquares size = squares.IsEmpty
                ? Numerics.Kernels.AdamStep<T>(w[k], m[k], v[k], g[k], b1, b2, lrT, epsT, measure)
                : Numerics.Kernels.AdamStep<T>(w[k], m[k], v[k], g[k], b1, b2, lrT, epsT, measure, out squares[k]);
            if (measure) measured[k] = size;
        }
    }
}

/// <summary>RMSProp.</summary>
internal sealed class RmsPropOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public RmsPropOptimizer(ParameterSet<T> shape) : base(OptimizerKind.RmsProp, shape) { }

    public double Rho => Number(nameof(TrainingOptions.Rho));
    public double Epsilon => Number(nameof(TrainingOptions.Epsilon));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate, Span<Numerics.StepSquares> measured = default,
        Span<Numerics.ArraySquares> squares = default)
    {
        T rho = T.CreateTruncating(Rho), eps = T.CreateTruncating(Epsilon), lr = T.CreateTruncating(learningRate);
        ParameterSet<T> s = Slots["meanSquare"];
        bool measure = !measured.IsEmpty;
        for (int k = 0; k < 4; k++)
        {
            Numerics.StepSquares size = squares.IsEmpty
                ? Numerics.Kernels.RmsPropStep<T>(w[k], s[k], g[k], rho, lr, eps, measure)
                : Numerics.Kernels.RmsPropStep<T>(w[k], s[k], g[k], rho, lr, eps, measure, out squares[k]);
            if (measure) measured[k] = size;
        }
        StepCount++;
    }
}
