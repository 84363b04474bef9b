using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

/// <summary>A dataset's values are checked once per precision and scaling; later calls on the same data reuse the answer.</summary>
public class ValueCheckTests
{
    [Fact]
    public void Later_calls_on_the_same_data_skip_the_pass_and_keep_its_answer()
    {
        Dataset data = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 300).ToArray());
        var net = (Mlp<float>)Mlp.Create(64, 16, 10, seed: 1);
        long before = Mlp<float>.CheckPassesOnThisThread;
        Trainer.Train(net, data, new TrainingOptions { Epochs = 1, Seed = 1 });
        Assert.Equal(before + 1, Mlp<float>.CheckPassesOnThisThread);
        // The same data again (training, scoring): no further pass.
        Trainer.Train(net, data, new TrainingOptions { Epochs = 1, Seed = 1 });
        net.Evaluate(data);
        Assert.Equal(before + 1, Mlp<float>.CheckPassesOnThisThread);
        // Other data, or the same data with a scaling fitted: a pass each.
        Dataset other = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 200).ToArray());
        net.Evaluate(other);
        Assert.Equal(before + 2, Mlp<float>.CheckPassesOnThisThread);
        var scaled = (Mlp<float>)Mlp.Create(64, 16, 10, seed: 1);
        Trainer.Train(scaled, data, new TrainingOptions { Epochs = 1, Seed = 1, Scaling = ScalingKind.Standardize });
        Assert.Equal(before + 3, Mlp<float>.CheckPassesOnThisThread);
    }

    [Fact]
    public void Data_that_fails_the_check_fails_it_every_time()
    {
        var rows = new float[] { 1, 2, float.NaN, 4 };
        Dataset bad = Dataset.FromRows(rows, 2, 2, new[] { 0, 1 }, Dataset.DefaultClassNames(2), name: "Bad");
        Mlp net = Mlp.Create(2, 3, 2, seed: 1);
        for (int i = 0; i < 2; i++)
            Assert.Equal("FeatureValueNotFinite", Assert.Throws<MlpException>(() => Trainer.Train(net, bad, new TrainingOptions { Epochs = 1 })).ErrorId);
    }
}
