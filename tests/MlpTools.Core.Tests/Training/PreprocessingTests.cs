using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

public class PreprocessingTests
{
    // The spiral moved far from the origin and stretched: hopeless for SGD without scaling.
    private static Dataset Shifted(int seed)
    {
        var s = BuiltInDatasets.Spiral(3, 60, seed);
        var x = s.Features;
        var rows = new double[s.Count * 2];
        for (int i = 0; i < s.Count; i++)
        {
            rows[2 * i] = 1000 + 50 * x[i, 0];
            rows[2 * i + 1] = -300 + 0.01 * x[i, 1];
        }
        return Dataset.FromRows(rows, s.Count, 2, s.Labels, s.ClassNames, s.FeatureNames, "shifted spiral");
    }

    [Theory]
    [InlineData(ScalingKind.Standardize)]
    [InlineData(ScalingKind.MinMax)]
    public void Scaling_is_fitted_on_the_training_data_and_applied_wherever_the_network_takes_data(ScalingKind kind)
    {
        var split = DatasetSplitter.Split(Shifted(1), 0.25, stratify: true, seed: 2);
        var net = Mlp.Create(2, 50, 3, Precision.Double, seed: 3);
        Trainer.Train(net, split.Train, new TrainingOptions { Epochs = 5, Scaling = kind, Seed = 4 });
        Assert.NotNull(net.Preprocessor);
        var fitted = Preprocessor.Fit(split.Train, kind);
        Assert.Equal(fitted.Offsets, net.Preprocessor!.Offsets);
        Assert.Equal(fitted.Scales, net.Preprocessor.Scales);

        // The same network without the preprocessor, fed data scaled by hand, sees exactly the same inputs.
        var bare = net.Clone();
        bare.Preprocessor = null;
        var scaledTest = fitted.Apply(split.Test);
        Assert.Equal(bare.Evaluate(scaledTest).Loss, net.Evaluate(split.Test).Loss);
        Assert.Equal(bare.Predict(scaledTest).Probabilities, net.Predict(split.Test).Probabilities);
        Assert.Equal(bare.ComputeGradient(scaledTest, 0.1, false).Loss, net.ComputeGradient(split.Test, 0.1, false).Loss);

        // Continued training keeps the first statistics rather than refitting on new data.
        Trainer.Train(net, split.Test, new TrainingOptions { Epochs = 1, Scaling = kind, Seed = 4 });
        Assert.Equal(fitted.Offsets, net.Preprocessor.Offsets);
    }

    [Fact]
    public void Scaling_makes_badly_scaled_data_learnable()
    {
        var data = Shifted(5);
        var raw = Mlp.Create(2, 100, 3, seed: 6);
        var o = new TrainingOptions { Epochs = 300, BatchSize = 30, LearningRate = 0.1, Regularization = 1e-3, Seed = 7 };
        try { Trainer.Train(raw, data, o); } catch (MlpException e) when (e.ErrorId == "TrainingDiverged") { }
        var scaled = Mlp.Create(2, 100, 3, seed: 6);
        var so = o.Clone();
        so.Scaling = ScalingKind.Standardize;
        Trainer.Train(scaled, data, so);
        Assert.True(scaled.Evaluate(data).Accuracy >= 0.95, $"scaled: {scaled.Evaluate(data).Accuracy}");
        Assert.True(raw.Evaluate(data).Accuracy < 0.8, $"raw: {raw.Evaluate(data).Accuracy}");
    }
}
