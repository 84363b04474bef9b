namespace MlpTools.Core.Model;

/// <summary>
/// A regularization too large for a network's precision: the target of the error <c>InvalidRegularization</c> when
/// lambda is a finite number >= 0 but, over a batch of <paramref name="BatchSize"/> samples, the L2 term or the penalty
/// overflows <paramref name="Precision"/>.
/// </summary>
/// <param name="Regularization">lambda, as it was given.</param>
/// <param name="BatchSize">The fewest samples a batch has (m).</param>
/// <param name="Precision">The precision of the network that refused it.</param>
public sealed record RegularizationProblem(double Regularization, int BatchSize, Precision Precision);
