using System.Globalization;

namespace MlpTools.Core.Training;

/// <summary>Settings for a training run. Defaults train the built-in Digits set well in 20 epochs.</summary>
public sealed class TrainingOptions
{
    /// <summary>How many passes over the training data.</summary>
    public int Epochs { get; set; } = 20;

    /// <summary>Samples per mini-batch (the last batch of an epoch may be smaller).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>The SGD step size.</summary>
    public double LearningRate { get; set; } = 0.05;

    /// <summary>lambda, the L2 strength: the loss adds (lambda / (2m)) (||W1||^2 + ||W2||^2), m the batch size.</summary>
    public double Regularization { get; set; } = 1e-4;

    /// <summary>Momentum mu in v = mu v - lr g; w += v. Zero is plain SGD.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Seed for the shuffles; null draws one at random.</summary>
    public int? Seed { get; set; }

    /// <summary>Throws a clear error naming the first setting that is out of range.</summary>
    public void Validate()
    {
        MlpException.RequirePositive(Epochs, "Epochs", "InvalidEpochs");
        MlpException.RequirePositive(BatchSize, "BatchSize", "InvalidBatchSize");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0)
            throw MlpException.Argument("InvalidLearningRate", $"LearningRate must be a finite number > 0, but it is {Format(LearningRate)}.", LearningRate);
        if (!double.IsFinite(Regularization) || Regularization < 0)
            throw MlpException.Argument("InvalidRegularization", $"Regularization must be a finite number >= 0, but it is {Format(Regularization)}.", Regularization);
        if (!double.IsFinite(Momentum) || Momentum < 0 || Momentum >= 1)
            throw MlpException.Argument("InvalidMomentum", $"Momentum must be in [0, 1), but it is {Format(Momentum)}.", Momentum);
    }

    private static string Format(double v) => v.ToString(CultureInfo.InvariantCulture);
}
