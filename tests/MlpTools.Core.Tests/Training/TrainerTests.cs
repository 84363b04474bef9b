using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

public class TrainerTests
{
    private static float[] Weights(Mlp<float> net) =>
        net.W1.ToColumnMajorArray().Concat(net.b1.ToArray()).Concat(net.W2.ToColumnMajorArray()).Concat(net.b2.ToArray()).ToArray();

    [Fact]
    public void The_same_seed_gives_the_same_weights_bit_for_bit()
    {
        var a = (Mlp<float>)Mlp.Create(64, 32, 10, Precision.Single, seed: 42);
        var b = (Mlp<float>)Mlp.Create(64, 32, 10, Precision.Single, seed: 42);
        var other = (Mlp<float>)Mlp.Create(64, 32, 10, Precision.Single, seed: 43);
        Assert.Equal(Weights(a), Weights(b));
        Assert.NotEqual(Weights(a), Weights(other));

        var digits = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 300).ToArray());
        var options = new TrainingOptions { Epochs = 3, Seed = 7 };
        TrainingState trainedA = Trainer.Train(a, digits, options);
        TrainingState trainedB = Trainer.Train(b, digits, options);
        Assert.Equal(Weights(a), Weights(b));
        Assert.Equal(trainedA.History.Select(h => h.Loss), trainedB.History.Select(h => h.Loss));
    }

    [Fact]
    public void Digits_defaults_reach_95_percent_on_a_stratified_hold_out()
    {
        var split = DatasetSplitter.Split(BuiltInDatasets.Digits(), 0.25, stratify: true, seed: 1);
        var net = Mlp.Create(64, 64, 10, Precision.Single, seed: 1, classNames: split.Train.ClassNames);
        TrainingState trained = Trainer.Train(net, split.Train, new TrainingOptions { Seed = 1 }, validation: split.Test);
        Assert.Equal(20, trained.History.Count);
        double accuracy = net.Evaluate(split.Test).Accuracy;
        Assert.True(accuracy >= 0.95, $"hold-out accuracy {accuracy}");
        Assert.Equal(accuracy, trained.History[^1].ValidationAccuracy);
        Assert.True(trained.History[^1].Loss < trained.History[0].Loss);
    }

    [Fact]
    public void History_continues_across_runs_and_momentum_state_is_kept()
    {
        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 1);
        var net = Mlp.Create(2, 10, 3, seed: 2);
        TrainingState state = Trainer.Train(net, spiral, new TrainingOptions { Epochs = 2, Seed = 3 });
        Assert.Same(state, Trainer.Train(net, spiral, new TrainingOptions { Epochs = 3, Seed = 3 }, state: state));
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, state.History.Select(h => h.Epoch));
        Assert.Equal("Completed 3 epochs", state.StopReason);
        Assert.Equal(OptimizerKind.Sgd, state.Optimizer);
    }

    [Fact]
    public void A_huge_learning_rate_stops_with_the_divergence_error_and_finite_weights()
    {
        var digits = BuiltInDatasets.Digits();
        var net = (Mlp<float>)Mlp.Create(64, 32, 10, seed: 1);
        var ex = Assert.Throws<MlpException>(() => Trainer.Train(net, digits, new TrainingOptions { LearningRate = 1e6, Seed = 1 }));
        Assert.Equal("TrainingDiverged", ex.ErrorId);
        Assert.Contains("LearningRate", ex.Message);
        Assert.All(Weights(net), w => Assert.True(float.IsFinite(w)));
    }

    [Fact]
    public void Cancellation_stops_before_the_next_batch_and_keeps_the_weights()
    {
        var digits = BuiltInDatasets.Digits();
        var net = (Mlp<float>)Mlp.Create(64, 32, 10, seed: 1);
        float[] start = Weights(net);
        using var cts = new CancellationTokenSource();
        int batches = 0;
        TrainingState state = Trainer.Train(net, digits, new TrainingOptions { Epochs = 50, Seed = 1 },
            callbacks: new TrainingCallbacks { Progress = _ => { if (++batches == 5) cts.Cancel(); } }, cancellationToken: cts.Token);
        Assert.Equal(5, batches);
        Assert.StartsWith("Interrupted in epoch 1", state.StopReason, StringComparison.Ordinal);
        Assert.Empty(state.History);
        // No epoch was measured, so the best weights so far are the ones training started from.
        Assert.Equal(start, Weights(net));
        Assert.Equal(0, state.BestEpoch);
    }

    [Theory]
    [InlineData(nameof(TrainingOptions.Epochs), "InvalidEpochs")]
    [InlineData(nameof(TrainingOptions.BatchSize), "InvalidBatchSize")]
    [InlineData(nameof(TrainingOptions.LearningRate), "InvalidLearningRate")]
    [InlineData(nameof(TrainingOptions.Momentum), "InvalidMomentum")]
    [InlineData(nameof(TrainingOptions.Regularization), "InvalidRegularization")]
    public void Bad_settings_are_refused_with_their_ids(string setting, string errorId)
    {
        var o = new TrainingOptions();
        switch (setting)
        {
            case nameof(TrainingOptions.Epochs): o.Epochs = 0; break;
            case nameof(TrainingOptions.BatchSize): o.BatchSize = -1; break;
            case nameof(TrainingOptions.LearningRate): o.LearningRate = double.NaN; break;
            case nameof(TrainingOptions.Momentum): o.Momentum = 1; break;
            default: o.Regularization = -1; break;
        }
        var net = Mlp.Create(2, 3, 3, seed: 1);
        Assert.Equal(errorId, Assert.Throws<MlpException>(() => Trainer.Train(net, BuiltInDatasets.Spiral(3, 5, 1), o)).ErrorId);
    }

    [Fact]
    public void A_dataset_that_does_not_fit_is_refused_by_name()
    {
        var net = Mlp.Create(3, 4, 3, seed: 1);
        var ex = Assert.Throws<MlpException>(() => Trainer.Train(net, BuiltInDatasets.Spiral(3, 5, 1), new TrainingOptions()));
        Assert.Equal("FeatureCountMismatch", ex.ErrorId);
        Assert.Contains("2 features", ex.Message);
        Assert.Contains("3 inputs", ex.Message);

        var twoClass = Mlp.Create(2, 4, 2, seed: 1);
        Assert.Equal("LabelOutOfRange", Assert.Throws<MlpException>(() => twoClass.Evaluate(BuiltInDatasets.Spiral(3, 5, 1))).ErrorId);
    }
}
