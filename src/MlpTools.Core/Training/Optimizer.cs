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
/// The state (v, m, s, t) stays on the network, so a later training run continues it.
/// </summary>
internal abstract class Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected Optimizer(OptimizerKind kind, ParameterSet<T> shape, params string[] slotNames)
    {
        Kind = kind;
        Slots = slotNames.ToDictionary(n => n, _ => new ParameterSet<T>(shape.D, shape.H, shape.C), StringComparer.Ordinal);
    }

    public OptimizerKind Kind { get; }

    /// <summary>The state arrays by name (for example "velocity", or "m" and "v"), each shaped like the parameters.</summary>
    public Dictionary<string, ParameterSet<T>> Slots { get; private set; }

    /// <summary>How many steps have been taken.</summary>
    public long StepCount { get; set; }

    /// <summary>One step: update <paramref name="w"/> in place from <paramref name="g"/>.</summary>
    public abstract void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate);

    /// <summary>Takes the hyperparameters of <paramref name="o"/> (the state is kept).</summary>
    public abstract void Configure(TrainingOptions o);

    /// <summary>A deep copy, state included.</summary>
    public Optimizer<T> Clone()
    {
        var copy = (Optimizer<T>)MemberwiseClone();
        copy.Slots = Slots.ToDictionary(p => p.Key, p => p.Value.Clone(), StringComparer.Ordinal);
        return copy;
    }

    /// <summary>The optimizer for <paramref name="o"/>: <paramref name="current"/> when it is of that kind (state continues), else a new one.</summary>
    public static Optimizer<T> For(TrainingOptions o, ParameterSet<T> shape, Optimizer<T>? current)
    {
        Optimizer<T> result = current is not null && current.Kind == o.Optimizer ? current : o.Optimizer switch
        {
            OptimizerKind.Adam => new AdamOptimizer<T>(shape),
            OptimizerKind.RmsProp => new RmsPropOptimizer<T>(shape),
            _ => new SgdOptimizer<T>(shape),
        };
        result.Configure(o);
        return result;
    }
}

/// <summary>SGD with optional momentum, classical or Nesterov.</summary>
internal sealed class SgdOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public SgdOptimizer(ParameterSet<T> shape) : base(OptimizerKind.Sgd, shape, "velocity") { }

    public double Momentum { get; set; }

    public bool Nesterov { get; set; }

    public override void Configure(TrainingOptions o)
    {
        Momentum = o.Momentum;
        Nesterov = o.Nesterov;
    }

    public override void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate)
    {
        T mu = T.CreateTruncating(Momentum), lr = T.CreateTruncating(learningRate);
        ParameterSet<T> velocity = Slots["velocity"];
        for (int k = 0; k < 4; k++) Numerics.Kernels.MomentumStep<T>(w[k], velocity[k], g[k], mu, lr, Nesterov);
        StepCount++;
    }
}

/// <summary>Adam with bias correction.</summary>
internal sealed class AdamOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public AdamOptimizer(ParameterSet<T> shape) : base(OptimizerKind.Adam, shape, "m", "v") { }

    public double Beta1 { get; set; }
    public double Beta2 { get; set; }
    public double Epsilon { get; set; }

    public override void Configure(TrainingOptions o)
    {
        Beta1 = o.Beta1;
        Beta2 = o.Beta2;
        Epsilon = o.Epsilon;
    }

    public override void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate)
    {
        StepCount++;
        T b1 = T.CreateTruncating(Beta1), b2 = T.CreateTruncating(Beta2);
        // Fold both bias corrections into the step: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), eps_t = eps sqrt(1 - b2^t).
        double c1 = 1 - Math.Pow(Beta1, StepCount), c2 = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        T lrT = T.CreateTruncating(learningRate * c2 / c1), epsT = T.CreateTruncating(Epsilon * c2);
        ParameterSet<T> m = Slots["m"], v = Slots["v"];
        for (int k = 0; k < 4; k++) Numerics.Kernels.AdamStep<T>(w[k], m[k], v[k], g[k], b1, b2, lrT, epsT);
    }
}

/// <summary>RMSProp.</summary>
internal sealed class RmsPropOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public RmsPropOptimizer(ParameterSet<T> shape) : base(OptimizerKind.RmsProp, shape, "meanSquare") { }

    public double Rho { get; set; }
    public double Epsilon { get; set; }

    public override void Configure(TrainingOptions o)
    {
        Rho = o.Rho;
        Epsilon = o.Epsilon;
    }

    public override void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate)
    {
        T rho = T.CreateTruncating(Rho), eps = T.CreateTruncating(Epsilon), lr = T.CreateTruncating(learningRate);
        ParameterSet<T> s = Slots["meanSquare"];
        for (int k = 0; k < 4; k++) Numerics.Kernels.RmsPropStep<T>(w[k], s[k], g[k], rho, lr, eps);
        StepCount++;
    }
}
