namespace MlpTools.Core.Training;

/// <summary>
/// How one parameter (W1, b1, W2 or b2) moved during an epoch: the Frobenius norms of the parameter, of its gradient and
/// of its updates, and the update/weight ratio. The gradient, update and ratio are means over the epoch's steps (its
/// mini-batches; for L-BFGS, whose every evaluation is an epoch, the one move from the point evaluated before).
/// </summary>
/// <param name="WeightNorm">||W|| at the end of the epoch.</param>
/// <param name="GradientNorm">The mean over the epoch's steps of ||dL/dW||, each taken on the step's batch before the step.</param>
/// <param name="UpdateNorm">
/// The mean over the epoch's steps of ||W after the step - W before it||; NaN when no step was taken (L-BFGS's first
/// evaluation).
/// </param>
/// <param name="UpdateRatio">
/// The mean of ||update|| / ||W before the step|| over the epoch's steps that started from a W that was not zero; NaN
/// when there were none (biases start at zero, so b1 and b2 read NaN until their first step). Near 1e-3 is the usual
/// rule of thumb; far above it, the learning rate is too high; far below, too low.
/// </param>
public sealed record ParameterDiagnostics(double WeightNorm, double GradientNorm, double UpdateNorm, double UpdateRatio);

/// <summary>What an epoch did to the network beyond its loss: each parameter's movement, and the state of the hidden ReLUs.</summary>
/// <param name="W1">First-layer weights.</param>
/// <param name="b1">First-layer biases.</param>
/// <param name="W2">Second-layer weights.</param>
/// <param name="b2">Second-layer biases.</param>
/// <param name="DeadUnitShare">
/// The share of hidden units that were inactive (Hpre &lt;= 0) for every sample the epoch trained on: "dead" ReLUs,
/// which pass no gradient and so stop learning.
/// </param>
/// <param name="ZeroActivationShare">
/// The share of all hidden activations A = max(0, Hpre) of the epoch (every sample, every unit) that were zero. Many are
/// normal for ReLUs; a share near 1 leaves little of the layer working.
/// </param>
#pragma warning disable IDE1006, CA1707 // b1 and b2 are named as in the math.
public sealed record TrainingDiagnostics(
    ParameterDiagnostics W1, ParameterDiagnostics b1, ParameterDiagnostics W2, ParameterDiagnostics b2,
    double DeadUnitShare, double ZeroActivationShare)
{
    /// <summary>The diagnostics of the epoch <paramref name="record"/> describes; null when they were not recorded.</summary>
    public static TrainingDiagnostics? Of(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Diagnostics;
    }
}
#pragma warning restore IDE1006, CA1707
