using System.Numerics;
using MlpTools.Core.Model;

namespace MlpTools.Core.Training;

/// <summary>
/// An update rule: given the parameters w and their gradient g, change w in place. An optimizer holds its
/// own state (velocities, moments), which stays on the network so a later training run continues it.
/// </summary>
internal abstract class Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>One step: update <paramref name="w"/> in place from <paramref name="g"/>.</summary>
    public abstract void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate);

    /// <summary>A deep copy, state included.</summary>
    public abstract Optimizer<T> Clone();
}

/// <summary>SGD with (optional) momentum: v = mu v - lr g; w = w + v. With mu = 0 this is plain SGD, w -= lr g.</summary>
internal sealed class SgdOptimizer<T> : Optimizer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterSet<T> _velocity;

    public SgdOptimizer(ParameterSet<T> shape, double momentum)
    {
        Momentum = momentum;
        _velocity = new ParameterSet<T>(shape.D, shape.H, shape.C);
    }

    private SgdOptimizer(ParameterSet<T> velocity, double momentum, bool _)
    {
        Momentum = momentum;
        _velocity = velocity;
    }

    public double Momentum { get; set; }

    public override void Step(ParameterSet<T> w, ParameterSet<T> g, double learningRate)
    {
        T mu = T.CreateTruncating(Momentum), lr = T.CreateTruncating(learningRate);
        for (int k = 0; k < 4; k++)
        {
            Span<T> wk = w[k], gk = g[k], vk = _velocity[k];
            for (int i = 0; i < wk.Length; i++)
            {
                T v = mu * vk[i] - lr * gk[i];
                vk[i] = v;
                wk[i] += v;
            }
        }
    }

    public override Optimizer<T> Clone() => new SgdOptimizer<T>(_velocity.Clone(), Momentum, true);
}
