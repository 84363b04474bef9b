using MlpTools.Core.Training;

namespace MlpTools.Core.Inspection;

/// <summary>The checks of <see cref="SanityChecker"/>, in the order it runs them (CS231n's list, made commands).</summary>
public enum SanityCheck
{
    /// <summary>With weights of scale 1e-4 and lambda 0 the data loss is ln C; at the initial weights asked for it is near ln C.</summary>
    InitialLoss,

    /// <summary>At the initial weights, the loss rises with lambda, by (lambda/2m)(||W1||^2 + ||W2||^2).</summary>
    RegularizationRaisesLoss,

    /// <summary>The gradient of the data loss (lambda 0) agrees with centered differences, in float64.</summary>
    DataGradient,

    /// <summary>The gradient of the L2 term, (lambda/m) W, agrees with the centered difference of the penalty, in float64.</summary>
    RegularizationGradient,

    /// <summary>20 samples are fitted to 100% training accuracy with lambda 0 within a bounded number of epochs.</summary>
    Overfit,

    /// <summary>In the first steps, ||update|| / ||W|| of W1 and W2 is within a factor of 10 of 1e-3.</summary>
    UpdateRatio,
}

/// <summary>The outcome of one sanity check.</summary>
/// <param name="Check">Which check (a stable name).</param>
/// <param name="Passed">Whether what was measured is what was expected.</param>
/// <param name="Expected">What was expected, with the tolerance, as a sentence.</param>
/// <param name="Measured">What was measured, numbers included, as a sentence.</param>
/// <param name="Advice">What to do about it when the check failed (in the training settings' terms); empty when it passed.</param>
/// <param name="Measurements">The numbers measured, by name (for example W1 and W2 for the update ratios).</param>
public sealed record SanityCheckResult(
    SanityCheck Check, bool Passed, string Expected, string Measured, string Advice, IReadOnlyDictionary<string, double> Measurements)
{
    /// <inheritdoc />
    public override string ToString() => Invariant.Format($"{Check}: {(Passed ? "passed" : "FAILED")}");
}

/// <summary>The network and training settings whose sanity <see cref="SanityChecker"/> checks.</summary>
public sealed class SanitySettings
{
    /// <summary>H, the number of hidden units (64 by default).</summary>
    public int HiddenSize { get; init; } = 64;

    /// <summary>The precision the network computes in (the gradient checks always run in float64).</summary>
    public Precision Precision { get; init; } = Precision.Single;

    /// <summary>
    /// The scale of the initial weights, N(0, WeightScale^2); null for Glorot's uniform initialization (as <see
    /// cref="Model.Mlp.Create"/> takes it).
    /// </summary>
    public double? WeightScale { get; init; }

    /// <summary>
    /// The training settings: the optimizer and its settings, LearningRate, BatchSize, Regularization, ClassWeights,
    /// Scaling and Seed. Seed seeds the initial weights and the shuffles alike; without it the checks use seed 0, so
    /// the same settings always get the same verdict. Settings of a whole run (Epochs, schedules, early stopping) do not apply.
    /// </summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>The checks to run; null (the default) runs them all.</summary>
    public IReadOnlyCollection<SanityCheck>? Checks { get; init; }
}

/// <summary>Where a sanity run is: the check running, and the share of the whole run done.</summary>
/// <param name="Check">The check running.</param>
/// <param name="Number">Its number among the checks run, from 1.</param>
/// <param name="Count">How many checks run.</param>
/// <param name="Done">The share of the run done, 0 to 1.</param>
/// <param name="Status">What it is doing, in a few words.</param>
public readonly record struct SanityProgress(SanityCheck Check, int Number, int Count, double Done, string Status);
