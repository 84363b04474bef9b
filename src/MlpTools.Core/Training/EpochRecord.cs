namespace MlpTools.Core.Training;

/// <summary>
/// One epoch of training. <see cref="Loss"/> and <see cref="Accuracy"/> are averaged over the epoch's
/// mini-batches as they were trained (the loss includes each batch's regularization term); the validation
/// figures are measured on the whole validation set after the epoch. The gradient norms are the Frobenius
/// norms of dL/dW1 and dL/dW2, averaged over the epoch's mini-batches. L-BFGS takes no learning rate:
/// its records hold NaN there.
/// </summary>
public sealed record EpochRecord(
    int Epoch,
    double Loss,
    double Accuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double GradientNormW1,
    double GradientNormW2,
    double Seconds)
{
    /// <summary>
    /// What the epoch did to each parameter and to the hidden ReLUs (recorded by every epoch training runs); null in
    /// records read from model files written before diagnostics were recorded. Read it with
    /// <see cref="TrainingDiagnostics.Of"/>; PowerShell shows it as the record's Diagnostics property (hidden, so a
    /// history exported as CSV keeps one flat column per figure).
    /// </summary>
    internal TrainingDiagnostics? Diagnostics { get; init; }
}
