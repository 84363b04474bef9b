using System.Runtime.InteropServices;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

/// <summary>
/// The training loss at a run's starting weights (the first candidate for best) is measured only as far as the first
/// epoch's comparison with it needs. These tests hold every result of a run to the bits of a run that measures it over
/// all the data first, in runs where the start wins, loses, is continued from, or where a rise in the loss is reported
/// from it; and they count the samples measured.
/// </summary>
public class StartingLossTests
{
    private static Dataset Digits(int n) => BuiltInDatasets.Digits().Subset(Enumerable.Range(0, n).ToArray());

    public static TheoryData<string> Cases() => new()
    {
        "learns", "learns, batch 64 of 500", "learns, Double, class weights, lambda 0.1", "learns, Adam, MinDelta 0.05",
        "learns nothing (learning rate 1e-12, MinDelta 1)", "rises (learning rate 1000)", "continued, then rises (learning rate 20)",
        "L-BFGS", "continued with the same settings",
    };

    /// <summary>One or two runs of a case on a fresh network, recording what a caller can see of them.</summary>
    private static (Mlp Network, TrainingState State, List<string> Warnings) RunCase(string name, bool measureStartInFull)
    {
        Dataset data = Digits(500);
        Precision precision = name.Contains("Double") ? Precision.Double : Precision.Single;
        Mlp net = Mlp.Create(64, 32, 10, precision, seed: 3);
        var warnings = new List<string>();
        var callbacks = new TrainingCallbacks { Warning = w => warnings.Add(w.Message) };
        TrainingState state = new();
        void Train(TrainingOptions o)
        {
            o.MeasureStartInFull = measureStartInFull;
            try { Trainer.Train(net, data, o, callbacks: callbacks, state: state); }
            catch (MlpException e) { warnings.Add(e.ErrorId + ": " + e.Message); }
        }
        switch (name)
        {
            case "learns": Train(new TrainingOptions { Epochs = 3, Seed = 7 }); break;
            case "learns, batch 64 of 500": Train(new TrainingOptions { Epochs = 2, BatchSize = 64, Seed = 7 }); break;
            case "learns, Double, class weights, lambda 0.1":
                Train(new TrainingOptions { Epochs = 3, Seed = 7, Regularization = 0.1, ClassWeights = ClassWeights.Balanced });
                break;
            case "learns, Adam, MinDelta 0.05": Train(new TrainingOptions { Epochs = 4, Seed = 7, Optimizer = OptimizerKind.Adam, MinDelta = 0.05 }); break;
            case "learns nothing (learning rate 1e-12, MinDelta 1)": Train(new TrainingOptions { Epochs = 3, Seed = 7, LearningRate = 1e-12, MinDelta = 1 }); break;
            case "rises (learning rate 1000)": Train(new TrainingOptions { Epochs = 5, Seed = 1, LearningRate = 1000 }); break;
            case "continued, then rises (learning rate 20)":
                Train(new TrainingOptions { Epochs = 8, Seed = 1, Optimizer = OptimizerKind.Adam, LearningRate = 0.04 });
                Train(new TrainingOptions { Epochs = 3, Seed = 1, LearningRate = 20 });
                break;
            case "L-BFGS": Train(new TrainingOptions { Epochs = 6, Optimizer = OptimizerKind.Lbfgs }); break;
            case "continued with the same settings":
                Train(new TrainingOptions { Epochs = 2, Seed = 7 });
                Train(new TrainingOptions { Epochs = 2, Seed = 8 });
                break;
            default: throw new ArgumentException(name);
        }
        return (net, state, warnings);
    }

    private static byte[] Bits(Mlp net) => net switch
    {
        Mlp<float> f => Enumerable.Range(0, 4).SelectMany(k => MemoryMarshal.AsBytes(f.Parameters[k].AsSpan()).ToArray()).ToArray(),
        Mlp<double> d => Enumerable.Range(0, 4).SelectMany(k => MemoryMarshal.AsBytes(d.Parameters[k].AsSpan()).ToArray()).ToArray(),
        _ => throw new ArgumentException("precision"),
    };

    private static string Record(EpochRecord r) =>
        FormattableString.Invariant($"{r.Epoch} {r.Loss:R} {r.Accuracy:R} {r.LearningRate:R} {r.GradientNormW1:R} {r.GradientNormW2:R}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_result_is_the_bits_of_a_run_that_measured_the_start_in_full(string name)
    {
        var (lazy, lazyState, lazyWarnings) = RunCase(name, measureStartInFull: false);
        var (full, fullState, fullWarnings) = RunCase(name, measureStartInFull: true);
        Assert.Equal(Bits(full), Bits(lazy));
        Assert.Equal(fullState.History.Select(Record), lazyState.History.Select(Record));
        Assert.Equal(fullState.BestEpoch, lazyState.BestEpoch);
        Assert.Equal(fullState.StopReason, lazyState.StopReason);
        Assert.Equal(fullWarnings, lazyWarnings);
    }

    [Theory]
    [InlineData(Precision.Single, 32, 10, 0.0, false)]
    [InlineData(Precision.Single, 32, 64, 1e-3, true)]
    [InlineData(Precision.Double, 32, 7, 0.1, false)]
    [InlineData(Precision.Single, 4096, 100, 1e-4, false)]
    [InlineData(Precision.Double, 1500, 300, 1e-4, true)]
    public void The_starting_loss_is_the_sum_of_the_runs_batches_each_measured_alone(Precision precision, int hidden, int batchSize, double lambda, bool weighted)
    {
        // The measuring computes the scores of several batches at once, then each batch's loss as a batch of its own
        // (Forward's): the sum must be the bits of the batches measured one by one, in the data's order (1,000 samples:
        // blocks of whole batches and a last partial batch; at 4,096 hidden units a block is 2 batches, at 1,500 one).
        Dataset data = Digits(1000);
        Mlp net = Mlp.Create(64, hidden, 10, precision, seed: 6);
        double expected = precision == Precision.Single ? Reference((Mlp<float>)net.Clone()) : Reference((Mlp<double>)net.Clone());
        var o = new TrainingOptions { Epochs = 1, BatchSize = batchSize, Seed = 2, Regularization = lambda, MeasureStartInFull = true };
        if (weighted) o.ClassWeights = ClassWeights.Balanced;
        TrainingState state = Trainer.Train(net, data, o);
        Assert.Equal(expected, state.StartLoss);

        double Reference<T>(Mlp<T> start)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            T[]? weights = weighted
                ? ClassWeights.Balanced.Resolve(start.ClassNames, data)!.Select(T.CreateTruncating).ToArray()
                : null;
            var buffers = new BatchBuffers<T>(batchSize, 64, hidden, 10);
            double sum = 0;
            for (int first = 0; first < data.Count; first += batchSize)
            {
                int m = Math.Min(batchSize, data.Count - first);
                start.Gather(data, Enumerable.Range(first, m).ToArray(), buffers, withLabels: true);
                sum += FusedBackprop.Forward(start.Parameters, buffers, m, lambda, withGradientSeed: false, weights).Total * m;
            }
            return sum / data.Count;
        }
    }

    [Fact]
    public void The_cases_cover_a_kept_start_a_rise_from_it_and_a_start_measured_in_part()
    {
        // Without these, the comparison above would not see the start decide anything.
        Assert.Equal(0, RunCase("learns nothing (learning rate 1e-12, MinDelta 1)", false).State.BestEpoch);
        Assert.Contains(RunCase("rises (learning rate 1000)", false).Warnings, w => w.Contains("rose from 2.", StringComparison.Ordinal) && w.Contains("(its starting value)", StringComparison.Ordinal));
        Assert.Contains(RunCase("continued, then rises (learning rate 20)", false).Warnings, w => w.Contains("(its starting value)", StringComparison.Ordinal));
        Assert.InRange(RunCase("learns", false).State.StartSamplesMeasured, 1, 499);
    }

    [Fact]
    public void A_first_epoch_far_below_the_start_measures_a_part_of_the_data_and_a_close_one_all_of_it()
    {
        Dataset data = Digits(1000);
        // One epoch at batch 10 takes Digits' loss from about ln 10 = 2.3 to well under 1: a few batches of the start settle it.
        TrainingState learned = Trainer.Train(Mlp.Create(64, 32, 10, seed: 1), data, new TrainingOptions { Epochs = 1, BatchSize = 10, Seed = 1 });
        Assert.InRange(learned.StartSamplesMeasured, 10, 500);

        var full = new TrainingOptions { Epochs = 1, BatchSize = 10, Seed = 1, MeasureStartInFull = true };
        Assert.Equal(1000, Trainer.Train(Mlp.Create(64, 32, 10, seed: 1), data, full).StartSamplesMeasured);

        // A learning rate too small to move the loss: the first epoch is no better, and only the whole start can say so.
        TrainingState still = Trainer.Train(Mlp.Create(64, 32, 10, seed: 1), data, new TrainingOptions { Epochs = 1, Seed = 1, LearningRate = 1e-12 });
        Assert.Equal(1000, still.StartSamplesMeasured);
        Assert.Equal(0, still.BestEpoch);

        // A validation monitor scores the start on the validation data, not the training data.
        TrainingState validated = Trainer.Train(Mlp.Create(64, 32, 10, seed: 1), data, new TrainingOptions { Epochs = 1, Seed = 1 }, validation: Digits(100));
        Assert.Equal(0, validated.StartSamplesMeasured);
    }
}
