using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Model;

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
