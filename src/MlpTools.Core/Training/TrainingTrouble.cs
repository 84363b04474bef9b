namespace MlpTools.Core.Training;

/// <summary>What most likely made a training run diverge, or go wrong without diverging, as the trainer judges it.</summary>
public enum TroubleCause
{
    /// <summary>The steps are too large: a smaller learning rate is advised.</summary>
    LearningRate,

    /// <summary>With Sgd, each step's weight decay (learning rate x lambda/m) is 1 or more: a much smaller regularization is advised.</summary>
    Regularization,

    /// <summary>The network does not scale its inputs, and the largest |feature| it takes is 100 or more: scaling is advised.</summary>
    UnscaledInputs,

    /// <summary>The network scales its inputs, and some lie far outside the data its scaling was fitted to.</summary>
    InputsOutsideScaling,
}

/// <summary>
/// The likely cause of a run's trouble and the settings the trainer weighed: the target of a <c>TrainingDiverged</c>
/// error and of a <see cref="TrainingWarning"/>, so a caller can name its own way to change them.
/// </summary>
/// <param name="Cause">What most likely went wrong.</param>
/// <param name="LearningRate">The learning rate when it happened (after any decay).</param>
/// <param name="Regularization">The run's lambda.</param>
public sealed record TrainingTrouble(TroubleCause Cause, double LearningRate, double Regularization);

/// <summary>A run that went wrong without diverging, as <see cref="TrainingCallbacks.Warning"/> reports it.</summary>
/// <param name="Message">What happened and what to try.</param>
/// <param name="Trouble">The likely cause.</param>
public sealed record TrainingWarning(string Message, TrainingTrouble Trouble)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
