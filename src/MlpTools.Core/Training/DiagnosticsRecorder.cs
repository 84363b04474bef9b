using System.Numerics;
using MlpTools.Core.Model;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Training;

/// <summary>
/// Gathers one epoch's <see cref="TrainingDiagnostics"/> as the training loop runs, from what the loop computes anyway:
/// each batch's pre-activations Hpre (<see cref="Activations"/>), each step's gradients (<see cref="Gradients(ParameterSet{T})"/>,
/// or their sums of squares as the optimizer's step takes them) and the step itself, measured by the optimizer in its own
/// pass (<see cref="StepMeasured"/>). Everything it holds is sized
/// once, so a mini-batch allocates nothing; it only reads the weights, gradients and buffers, so training is the same
/// bits with or without it.
/// </summary>
/// <remarks>
/// Per parameter k (W1, b1, W2, b2), over the epoch's steps s = 1..S:
/// <code>
///   GradientNorm = (1/S) sum_s ||g_s||                    g_s the step's dL/dk
///   UpdateNorm   = (1/S) sum_s ||k_after - k_before||
///   UpdateRatio  = mean over the steps with ||k_before|| &gt; 0 of ||k_after - k_before|| / ||k_before||
///   WeightNorm   = ||k|| at the end of the epoch
/// </code>
/// and for the hidden layer, over the epoch's samples: DeadUnitShare = the share of units j with Hpre[i,j] &lt;= 0 for
/// every sample i; ZeroActivationShare = the share of all (i, j) with A[i,j] = max(0, Hpre[i,j]) = 0. Norms are
/// Frobenius norms, their squares summed in double (a measured step of a float network keeps its vector lanes' running
/// sums in float within a chunk: see Kernels.UpdateRange).
/// </remarks>
internal sealed class DiagnosticsRecorder<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _peak;
    private bool _on;
    private readonly double[] _gradient = new double[4], _update = new double[4], _ratio = new double[4];
    private readonly int[] _ratioSteps = new int[4];
    private readonly StepSquares[] _step = new StepSquares[4];
    private int _gradients, _steps;
    private long _zeros, _activations;

    /// <param name="hiddenSize">H, the hidden units.</param>
    public DiagnosticsRecorder(int hiddenSize)
    {
        _peak = new T[hiddenSize];
    }

    /// <summary>
    /// Where the optimizer writes how far its step moved each parameter (empty when off: the step is not measured);
    /// then call <see cref="StepMeasured"/>.
    /// </summary>
    public Span<StepSquares> StepSizes => _on ? _step : Span<StepSquares>.Empty;

    /// <summary>Starts an epoch: every sum back to zero, and every unit not yet seen active.</summary>
    /// <param name="on">
    /// False records only what the epoch record itself needs, the gradient norms (then <see cref="Finish"/> gives null).
    /// </param>
    public void BeginEpoch(bool on)
    {
        _on = on;
        Array.Clear(_gradient);
        Array.Clear(_update);
        Array.Clear(_ratio);
        Array.Clear(_ratioSteps);
        Array.Clear(_peak);
        _gradients = _steps = 0;
        _zeros = _activations = 0;
    }

    /// <summary>A batch's forward pass: its first <paramref name="m"/> rows of Hpre (m x H).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Activations(T[] hpre, int m)
    {
        if (!_on) return;
        int h = _peak.Length;
        _zeros += Kernels.ReluActivity<T>(hpre.AsSpan(0, m * h), m, h, _peak);
        _activations += (long)m * h;
    }

    /// <summary>A batch's gradients, by their sums of squares (taken by the optimizer's step): their norms join the epoch's sums.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Gradients(ReadOnlySpan<ArraySquares> squares)
    {
        for (int k = 0; k < 4; k++) _gradient[k] += Math.Sqrt(squares[k].Gradient);
        _gradients++;
    }

    /// <summary>A batch's gradients: their norms join the epoch's sums.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Gradients(ParameterSet<T> g)
    {
        for (int k = 0; k < 4; k++) _gradient[k] += Math.Sqrt(Kernels.SumOfSquares<T>(g[k]));
        _gradients++;
    }

    /// <summary>The mean gradient norm of parameter k over the epoch so far.</summary>
    public double GradientNorm(int k) => _gradient[k] / _gradients;

    /// <summary>The step whose sizes the optimizer has just written to <see cref="StepSizes"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void StepMeasured()
    {
        if (!_on) return;
        for (int k = 0; k < 4; k++)
        {
            double update = Math.Sqrt(_step[k].Update), before = Math.Sqrt(_step[k].Before);
            _update[k] += update;
            if (before > 0)
            {
                _ratio[k] += update / before;
                _ratioSteps[k]++;
            }
        }
        _steps++;
    }

    /// <summary>A move from <paramref name="before"/> to <paramref name="after"/> taken outside an optimizer (L-BFGS's next point).</summary>
    public void Moved(ParameterSet<T> before, ParameterSet<T> after)
    {
        if (!_on) return;
        for (int k = 0; k < 4; k++)
            _step[k] = new StepSquares(Kernels.SquaredDistance<T>(after[k], before[k]), Kernels.SumOfSquares<T>(before[k]));
        StepMeasured();
    }

    /// <summary>The epoch's diagnostics, with <paramref name="w"/> the weights at its end.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public TrainingDiagnostics? Finish(ParameterSet<T> w)
    {
        if (!_on) return null;
        ParameterDiagnostics Of(int k) => new(
            Math.Sqrt(Kernels.SumOfSquares<T>(w[k])),
            _gradient[k] / _gradients,
            _update[k] / _steps,
            _ratioSteps[k] == 0 ? double.NaN : _ratio[k] / _ratioSteps[k]);

        int dead = 0;
        foreach (T p in _peak)
            if (!(p > T.Zero)) dead++;
        double h = _peak.Length;
        return new TrainingDiagnostics(Of(0), Of(1), Of(2), Of(3),
            _activations == 0 ? double.NaN : dead / h,
            _activations == 0 ? double.NaN : (double)_zeros / _activations);
    }
}
