using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Data;

public class BuiltInDatasetTests
{
    [Fact]
    public void Digits_has_the_documented_shape_scaling_and_attribution()
    {
        var d = BuiltInDatasets.Digits();
        Assert.Equal((1797, 64, 10), (d.Count, d.FeatureCount, d.ClassCount));
        Assert.Equal(new[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }, d.ClassCounts());
        Assert.All(d.Features.Enumerate(), v => Assert.InRange(v, 0.0, 1.0));
        Assert.Equal(1.0, d.Features.Enumerate().Max());
        // The first sample of the file is a zero whose first row reads 0,0,5,13,9,1,0,0 (in sixteenths).
        Assert.Equal(0, d.Labels[0]);
        Assert.Equal(new[] { 0, 0, 5 / 16.0, 13 / 16.0, 9 / 16.0, 1 / 16.0, 0, 0 }, d.Features.Row(0).SubVector(0, 8).ToArray());
        Assert.Equal("pixel_0_2", d.FeatureNames[2]);
        Assert.Contains("CC BY 4.0", d.Attribution, StringComparison.Ordinal);
        Assert.Contains("Alpaydin", d.Attribution, StringComparison.Ordinal);
    }

    [Fact]
    public void Spiral_is_seeded_and_shaped()
    {
        var a = BuiltInDatasets.Spiral(4, 25, seed: 1);
        var b = BuiltInDatasets.Spiral(4, 25, seed: 1);
        Assert.Equal((100, 2, 4), (a.Count, a.FeatureCount, a.ClassCount));
        Assert.Equal(a.Features.ToColumnMajorArray(), b.Features.ToColumnMajorArray());
        Assert.NotEqual(a.Features.ToColumnMajorArray(), BuiltInDatasets.Spiral(4, 25, seed: 2).Features.ToColumnMajorArray());
        Assert.All(a.Features.RowNorms(2.0), r => Assert.InRange(r, 0.0, 1.0 + 1e-12));
    }

    [Fact]
    public void Spiral_defeats_a_linear_model_but_not_the_two_layer_net()
    {
        var spiral = BuiltInDatasets.Spiral(3, 100, seed: 11);
        // A linear softmax classifier, fitted by gradient descent on the same loss, for comparison.
        var x = spiral.Features;
        var y = spiral.Labels;
        var w = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(3, 3); // rows: x, y, bias
        for (int step = 0; step < 2000; step++)
        {
            var grad = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(3, 3);
            for (int i = 0; i < x.RowCount; i++)
            {
                double[] s = new double[3];
                for (int k = 0; k < 3; k++) s[k] = x[i, 0] * w[0, k] + x[i, 1] * w[1, k] + w[2, k];
                double max = s.Max(), sum = s.Sum(v => Math.Exp(v - max));
                for (int k = 0; k < 3; k++)
                {
                    double g = Math.Exp(s[k] - max) / sum - (k == y[i] ? 1 : 0);
                    grad[0, k] += g * x[i, 0]; grad[1, k] += g * x[i, 1]; grad[2, k] += g;
                }
            }
            w -= grad * (1.0 / x.RowCount);
        }
        int correct = 0;
        for (int i = 0; i < x.RowCount; i++)
        {
            var s = Enumerable.Range(0, 3).Select(k => x[i, 0] * w[0, k] + x[i, 1] * w[1, k] + w[2, k]).ToArray();
            if (Array.IndexOf(s, s.Max()) == y[i]) correct++;
        }
        double linear = (double)correct / x.RowCount;
        Assert.InRange(linear, 0.35, 0.65);

        var net = Mlp.Create(2, 100, 3, seed: 12);
        Trainer.Train(net, spiral, new TrainingOptions { Epochs = 300, BatchSize = 30, LearningRate = 0.1, Regularization = 1e-3, Seed = 13 });
        Assert.True(net.Evaluate(spiral).Accuracy >= 0.95);
    }

    [Fact]
    public void Unknown_names_and_bad_sizes_are_refused()
    {
        Assert.Equal("UnknownDataset", Assert.Throws<MlpException>(() => BuiltInDatasets.Load("Iris")).ErrorId);
        Assert.Equal("InvalidClassCount", Assert.Throws<MlpException>(() => BuiltInDatasets.Spiral(0, 10)).ErrorId);
        Assert.Equal("InvalidSamplesPerClass", Assert.Throws<MlpException>(() => BuiltInDatasets.Spiral(3, -1)).ErrorId);
    }

    [Fact]
    public void Split_is_stratified_exact_and_seeded()
    {
        var d = BuiltInDatasets.Digits();
        var s = DatasetSplitter.Split(d, 0.25, stratify: true, seed: 1);
        Assert.Equal(449, s.Test.Count);
        Assert.Equal(1797 - 449, s.Train.Count);
        var testCounts = s.Test.ClassCounts();
        var all = d.ClassCounts();
        for (int k = 0; k < 10; k++) Assert.InRange(testCounts[k], Math.Floor(all[k] * 0.25), Math.Ceiling(all[k] * 0.25));
        var again = DatasetSplitter.Split(d, 0.25, stratify: true, seed: 1);
        Assert.Equal(s.Test.Labels, again.Test.Labels);
        Assert.Equal(s.Test.Features.ToColumnMajorArray(), again.Test.Features.ToColumnMajorArray());
    }
}
