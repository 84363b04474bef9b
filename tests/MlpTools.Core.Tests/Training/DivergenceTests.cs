using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

/// <summary>A diverged run's advice names the cause it can tell: inputs out of range, regularization, or the learning rate.</summary>
public class DivergenceTests
{
    private static Dataset Digits(int n = 200) => BuiltInDatasets.Digits().Subset(Enumerable.Range(0, n).ToArray());

    /// <summary>The digits (pixels in [0, 1]) with every pixel multiplied: finite in float32, far out of a network's comfortable range.</summary>
    private static Dataset Scaled(double factor)
    {
        Dataset d = Digits();
        var x = d.Features;
        var rows = new double[d.Count * d.FeatureCount];
        for (int i = 0; i < d.Count; i++)
            for (int j = 0; j < d.FeatureCount; j++) rows[i * d.FeatureCount + j] = factor * x[i, j];
        return Dataset.FromRows(rows, d.Count, d.FeatureCount, d.Labels, d.ClassNames, d.FeatureNames, "loud digits");
    }

    private static MlpException Diverges(Mlp net, Dataset data, TrainingOptions o)
    {
        var e = Assert.Throws<MlpException>(() => Trainer.Train(net, data, o));
        Assert.Equal("TrainingDiverged", e.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidOperation, e.Kind);
        return e;
    }

    [Theory]
    [InlineData(1e10)]
    [InlineData(3.2e38)]   // the largest pixel, 1, becomes 3.2e38: finite in float32, but the products overflow
    public void Inputs_out_of_range_are_named_with_their_largest_value_and_scaling_is_advised(double factor)
    {
        var e = Diverges(Mlp.Create(64, 16, 10, Precision.Single, seed: 1), Scaled(factor), new TrainingOptions { Epochs = 5, Seed = 1 });
        Assert.Contains("Scaling set to Standardize", e.Message, StringComparison.Ordinal);
        Assert.Contains("largest |feature|", e.Message, StringComparison.Ordinal);
        Assert.Contains(factor.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LearningRate", e.Message, StringComparison.Ordinal);
        Assert.Equal(TroubleCause.UnscaledInputs, Assert.IsType<TrainingTrouble>(e.Target).Cause);
    }

    [Theory]
    [InlineData(Precision.Single, 1e6)]
    [InlineData(Precision.Double, 1e300)]
    public void A_regularization_that_dominates_the_step_is_named(Precision precision, double lambda)
    {
        var e = Diverges(Mlp.Create(64, 16, 10, precision, seed: 1), Digits(), new TrainingOptions { Epochs = 5, Regularization = lambda, Seed = 1 });
        Assert.Contains("Regularization (lambda) " + lambda.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Contains("Use a much smaller Regularization", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LearningRate", e.Message, StringComparison.Ordinal);
        Assert.Equal(new TrainingTrouble(TroubleCause.Regularization, 0.05, lambda), e.Target);
    }

    [Fact]
    public void A_huge_learning_rate_on_well_scaled_data_is_still_blamed_on_the_learning_rate()
    {
        var e = Diverges(Mlp.Create(64, 16, 10, Precision.Single, seed: 1), Digits(), new TrainingOptions { LearningRate = 1e6, Seed = 1 });
        Assert.EndsWith("The LearningRate (1000000) is most likely too large.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Regularization", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Scaling", e.Message, StringComparison.Ordinal);
        Assert.Equal(new TrainingTrouble(TroubleCause.LearningRate, 1e6, TrainingOptions.DefaultRegularization), e.Target);
    }

    [Fact]
    public void Stop_reasons_say_one_epoch_not_one_epochs()
    {
        var net = Mlp.Create(64, 8, 10, seed: 1);
        TrainingState state = Trainer.Train(net, Digits(), new TrainingOptions { Epochs = 1, Seed = 1 });
        Assert.Equal("Completed 1 epoch", state.StopReason);
        Trainer.Train(net, Digits(), new TrainingOptions { Epochs = 2, Seed = 1 }, state: state);
        Assert.Equal("Completed 2 epochs", state.StopReason);

        // An absurd learning rate makes every epoch worse than the start, so Patience 1 stops after one epoch.
        var stuck = Mlp.Create(64, 8, 10, seed: 1);
        TrainingState stuckState = Trainer.Train(stuck, Digits(), new TrainingOptions { Epochs = 5, Patience = 1, LearningRate = 1e-12, Seed = 1, MinDelta = 1 });
        Assert.Matches(@"^Stopped early after epoch 1: Loss did not improve for 1 epoch \(best epoch 0\); no epoch improved on the starting weights, which were kept$", stuckState.StopReason);
    }
}
