using System.Globalization;

namespace MlpTools.Core.Training;

/// <summary>What early stopping and "best weights" watch.</summary>
public enum MonitorKind
{
    /// <summary>Validation loss when there is validation data, else training loss.</summary>
    Auto,
    /// <summary>Mean cross-entropy on the validation data (lower is better).</summary>
    ValidationLoss,
    /// <summary>Accuracy on the validation data (higher is better).</summary>
    ValidationAccuracy,
    /// <summary>The epoch's training loss (lower is better).</summary>
    Loss,
}

/// <summary>Settings for a training run. Defaults train the built-in Digits set well in 20 epochs.</summary>
public sealed class TrainingOptions
{
    /// <summary>How many passes over the training data (for L-BFGS: iterations).</summary>
    public int Epochs { get; set; } = 20;

    /// <summary>Samples per mini-batch (the last batch of an epoch may be smaller). Ignored by L-BFGS (full batch).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>The update rule.</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Sgd;

    /// <summary>The step size; null takes the optimizer's default (SGD 0.05, Adam and RMSProp 0.001).</summary>
    public double? LearningRate { get; set; }

    /// <summary>The learning rate in effect at the start.</summary>
    public double EffectiveLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Sgd ? 0.05 : 0.001);

    /// <summary>
    /// The default lambda, 1e-4 (scikit-learn's MLPClassifier's default alpha): training's, and the gradient
    /// cmdlets' too, so the loss a user inspects is by default the loss training minimizes.
    /// </summary>
    public const double DefaultRegularization = 1e-4;

    /// <summary>lambda, the L2 strength: the loss adds (lambda / (2m)) (||W1||^2 + ||W2||^2), m the batch size.</summary>
    public double Regularization { get; set; } = DefaultRegularization;

    /// <summary>SGD momentum mu. Zero is plain SGD.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>SGD: use Nesterov's momentum.</summary>
    public bool Nesterov { get; set; }

    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>RMSProp's decay of the mean square.</summary>
    public double Rho { get; set; } = 0.9;

    /// <summary>Adam's and RMSProp's epsilon.</summary>
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>Multiply the learning rate by this after every epoch (1 keeps it fixed).</summary>
    public double LearningRateDecay { get; set; } = 1.0;

    /// <summary>When set, multiply the learning rate by <see cref="PlateauFactor"/> after this many epochs without improvement of the monitor.</summary>
    public int? PlateauPatience { get; set; }

    /// <summary>The factor reduce-on-plateau applies.</summary>
    public double PlateauFactor { get; set; } = 0.5;

    /// <summary>The learning rate never drops below this.</summary>
    public double MinLearningRate { get; set; } = 1e-7;

    /// <summary>Stop after this many epochs without improvement of the monitor (null: never stop early).</summary>
    public int? Patience { get; set; }

    /// <summary>The smallest change of the monitor that counts as improvement.</summary>
    public double MinDelta { get; set; }

    /// <summary>What early stopping, reduce-on-plateau and the best weights watch.</summary>
    public MonitorKind Monitor { get; set; } = MonitorKind.Auto;

    /// <summary>Per-class weights in the loss (length C), or null for all 1.</summary>
    public IReadOnlyList<double>? ClassWeights { get; set; }

    /// <summary>
    /// Feature scaling to fit on the training data when the network has none yet (null: none). Once fitted it is part
    /// of the network and applied to everything the network takes.
    /// </summary>
    public Data.ScalingKind? Scaling { get; set; }

    /// <summary>Seed for the shuffles; null draws one at random.</summary>
    public int? Seed { get; set; }

    /// <summary>Throws a clear error naming the first setting that is out of range.</summary>
    public void Validate()
    {
        MlpException.RequirePositive(Epochs, "Epochs", "InvalidEpochs");
        MlpException.RequirePositive(BatchSize, "BatchSize", "InvalidBatchSize");
        Require(double.IsFinite(EffectiveLearningRate) && EffectiveLearningRate > 0, "InvalidLearningRate", "LearningRate", "a finite number > 0", EffectiveLearningRate);
        Require(double.IsFinite(Regularization) && Regularization >= 0, "InvalidRegularization", "Regularization", "a finite number >= 0", Regularization);
        Require(Momentum >= 0 && Momentum < 1, "InvalidMomentum", "Momentum", "in [0, 1)", Momentum);
        Require(Beta1 >= 0 && Beta1 < 1, "InvalidBeta1", "Beta1", "in [0, 1)", Beta1);
        Require(Beta2 >= 0 && Beta2 < 1, "InvalidBeta2", "Beta2", "in [0, 1)", Beta2);
        Require(Rho >= 0 && Rho < 1, "InvalidRho", "Rho", "in [0, 1)", Rho);
        Require(double.IsFinite(Epsilon) && Epsilon > 0, "InvalidEpsilon", "Epsilon", "a finite number > 0", Epsilon);
        Require(LearningRateDecay > 0 && LearningRateDecay <= 1, "InvalidLearningRateDecay", "LearningRateDecay", "in (0, 1]", LearningRateDecay);
        Require(PlateauFactor > 0 && PlateauFactor < 1, "InvalidPlateauFactor", "PlateauFactor", "in (0, 1)", PlateauFactor);
        Require(double.IsFinite(MinLearningRate) && MinLearningRate >= 0, "InvalidMinLearningRate", "MinLearningRate", "a finite number >= 0", MinLearningRate);
        Require(double.IsFinite(MinDelta) && MinDelta >= 0, "InvalidMinDelta", "MinDelta", "a finite number >= 0", MinDelta);
        if (PlateauPatience is { } pp) MlpException.RequirePositive(pp, "PlateauPatience", "InvalidPlateauPatience");
        if (Patience is { } p) MlpException.RequirePositive(p, "Patience", "InvalidPatience");
        if (ClassWeights is not null)
        {
            for (int k = 0; k < ClassWeights.Count; k++)
                Require(double.IsFinite(ClassWeights[k]) && ClassWeights[k] >= 0, "InvalidClassWeight", $"ClassWeight[{k}]", "a finite number >= 0", ClassWeights[k]);
        }
    }

    /// <summary>A copy of these settings.</summary>
    public TrainingOptions Clone() => (TrainingOptions)MemberwiseClone();

    private static void Require(bool ok, string errorId, string name, string what, double value)
    {
        if (!ok)
            throw MlpException.Argument(errorId, $"{name} must be {what}, but it is {value.ToString(CultureInfo.InvariantCulture)}.", value);
    }
}
