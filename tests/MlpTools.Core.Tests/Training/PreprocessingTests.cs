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

public class ClassAlignmentTests
{
    private static Dataset Named(int[] labels, string[] classNames, int seed)
    {
        var spiral = BuiltInDatasets.Spiral(3, 40, seed);
        var rows = new double[spiral.Count * 2];
        var x = spiral.Features;
        for (int i = 0; i < spiral.Count; i++) { rows[2 * i] = x[i, 0]; rows[2 * i + 1] = x[i, 1]; }
        var relabelled = spiral.Labels.Select(l => labels[l]).ToArray();
        return Dataset.FromRows(rows, spiral.Count, 2, relabelled, classNames, null, "named");
    }

    [Fact]
    public void Classes_are_matched_by_name_when_both_sides_name_them()
    {
        // Trained with classes a, b, c; tested on a file whose classes came out as c, a (b absent), numbered 0 and 1.
        var train = Named(new[] { 0, 1, 2 }, new[] { "a", "b", "c" }, 1);
        var net = Mlp.Create(2, 50, 3, seed: 2);
        Trainer.Train(net, train, new TrainingOptions { Epochs = 200, BatchSize = 30, LearningRate = 0.1, Seed = 3 });
        Assert.Equal(new[] { "a", "b", "c" }, net.ClassNames);
        var full = Named(new[] { 0, 1, 2 }, new[] { "a", "b", "c" }, 4);
        var keep = Enumerable.Range(0, full.Count).Where(i => full.Labels[i] != 1).ToArray();
        var subset = full.Subset(keep);
        // Re-express the subset with its own class list, as a reader would produce it: c -> 0, a -> 1.
        var rows = new double[keep.Length * 2];
        for (int i = 0; i < keep.Length; i++) { rows[2 * i] = subset.Features[i, 0]; rows[2 * i + 1] = subset.Features[i, 1]; }
        var own = Dataset.FromRows(rows, keep.Length, 2, subset.Labels.Select(l => l == 2 ? 0 : 1).ToArray(), new[] { "c", "a" }, null, "subset");
        Assert.Equal(net.Evaluate(subset).Accuracy, net.Evaluate(own).Accuracy);
        Assert.Equal(net.Evaluate(subset).Loss, net.Evaluate(own).Loss);
        Assert.Equal(net.ComputeGradient(subset, 0.1, false).Loss, net.ComputeGradient(own, 0.1, false).Loss);

        var stranger = Dataset.FromRows(new double[] { 0, 0 }, 1, 2, new[] { 0 }, new[] { "zebra" }, null, "zoo");
        var ex = Assert.Throws<MlpException>(() => net.Evaluate(stranger));
        Assert.Equal("UnknownClass", ex.ErrorId);
        Assert.Contains("'zebra'", ex.Message, StringComparison.Ordinal);
    }
}
