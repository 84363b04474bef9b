using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Model;

/// <summary>The sanity checks every two-layer net should pass before it is trusted (CS231n's list).</summary>
public class SanityTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    public void Initial_loss_with_small_weights_is_near_ln_C(int classes)
    {
        var data = BuiltInDatasets.Spiral(classes, 50, seed: 1);
        var net = Mlp.Create(2, 50, classes, Precision.Double, seed: 2, weightScale: 1e-4);
        double loss = net.ComputeGradient(data, 0.0, trace: false).DataLoss;
        // With tiny weights every score is ~0, P ~ 1/C, so the loss is -log(1/C) = ln C.
        Assert.InRange(loss, Math.Log(classes) - 1e-3, Math.Log(classes) + 1e-3);
    }

    [Fact]
    public void Loss_rises_with_regularization()
    {
        var data = BuiltInDatasets.Spiral(3, 30, seed: 3);
        var net = Mlp.Create(2, 20, 3, Precision.Double, seed: 4);
        double previous = net.ComputeGradient(data, 0.0, trace: false).Loss;
        foreach (double lambda in new[] { 0.1, 1.0, 10.0, 100.0 })
        {
            double loss = net.ComputeGradient(data, lambda, trace: false).Loss;
            Assert.True(loss > previous, $"loss {loss} at lambda {lambda} should exceed {previous}");
            previous = loss;
        }
    }

    [Fact]
    public void Twenty_samples_overfit_to_full_accuracy()
    {
        var digits = BuiltInDatasets.Digits();
        var small = digits.Subset(Enumerable.Range(0, 20).ToArray());
        var net = Mlp.Create(64, 50, 10, Precision.Single, seed: 5);
        Trainer.Train(net, small, new TrainingOptions { Epochs = 200, BatchSize = 20, LearningRate = 0.1, Regularization = 0, Seed = 6 });
        var eval = net.Evaluate(small);
        Assert.Equal(1.0, eval.Accuracy);
        Assert.True(eval.Loss < 0.05, $"training loss {eval.Loss} should approach zero");
    }

    [Fact]
    public void Spiral_is_learned_by_the_two_layer_net()
    {
        var spiral = BuiltInDatasets.Spiral(3, 100, seed: 7);
        var net = Mlp.Create(2, 100, 3, Precision.Single, seed: 8);
        Trainer.Train(net, spiral, new TrainingOptions { Epochs = 300, BatchSize = 30, LearningRate = 0.1, Regularization = 1e-3, Seed = 9 });
        Assert.True(net.Evaluate(spiral).Accuracy >= 0.95, $"training accuracy {net.Evaluate(spiral).Accuracy}");
    }
}
