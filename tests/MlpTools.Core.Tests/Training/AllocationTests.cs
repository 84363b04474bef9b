using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

/// <summary>Tests that count the process's allocations: they run alone, after every other test, so nothing else allocates meanwhile.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone
{
}

/// <summary>The training loop allocates nothing per mini-batch once it is running (an allocation test, not a timing test).</summary>
[Collection(nameof(RunsAlone))]
public class AllocationTests
{
    private static long AllocatedBy(Action run)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        run();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }

    [Theory]
    [InlineData(Precision.Single, OptimizerKind.Sgd)]
    [InlineData(Precision.Double, OptimizerKind.Sgd)]
    [InlineData(Precision.Single, OptimizerKind.Adam)]
    public void Extra_epochs_allocate_only_their_history_records(Precision precision, OptimizerKind optimizer)
    {
        // 3,000 samples x 100 features at batch 10: 300 mini-batches an epoch, with progress reported after each.
        var random = new Random(1);
        int n = 3000, d = 100;
        var rows = new float[n * d];
        for (int i = 0; i < rows.Length; i++) rows[i] = (float)random.NextDouble();
        var labels = Enumerable.Range(0, n).Select(i => i % 10).ToArray();
        var data = Dataset.FromRows(rows, n, d, labels, Dataset.DefaultClassNames(10));
        int batches = 0;
        var callbacks = new TrainingCallbacks { Progress = _ => batches++ };
        TrainingOptions Options(int epochs) => new() { Epochs = epochs, BatchSize = 10, Optimizer = optimizer, Seed = 1 };

        // Warm up: JIT, tiering and the kernels' worker threads.
        Trainer.Train(Mlp.Create(d, 32, 10, precision, seed: 1), data, Options(3), callbacks: callbacks);

        // Three more epochs are 900 more mini-batches. The smallest .NET object takes 24 bytes, so one allocation per
        // mini-batch would add at least 21,600 bytes; what the extra epochs may allocate is their own bookkeeping
        // (history records with their diagnostics, list growth: a few hundred bytes each) and the runtime's own
        // background work. That work (the JIT's tier-up, which a busy machine delays past the warm-up) only ever adds
        // bytes, and does not recur, so the least of three measurements is taken: an allocation per mini-batch would be
        // in every one of them.
        long perExtraEpochs = long.MaxValue;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long one = AllocatedBy(() => Trainer.Train(Mlp.Create(d, 32, 10, precision, seed: 1), data, Options(1), callbacks: callbacks));
            long four = AllocatedBy(() => Trainer.Train(Mlp.Create(d, 32, 10, precision, seed: 1), data, Options(4), callbacks: callbacks));
            perExtraEpochs = Math.Min(perExtraEpochs, four - one);
        }
        Assert.True(perExtraEpochs < 8192, $"3 extra epochs (900 mini-batches) allocated {perExtraEpochs} bytes");
        Assert.True(batches > 0);

        // The measured runs recorded each epoch's diagnostics (the default): their passes allocate nothing per batch either.
        TrainingState state = Trainer.Train(Mlp.Create(d, 32, 10, precision, seed: 1), data, Options(1), callbacks: callbacks);
        Assert.NotNull(state.History[0].Diagnostics);
    }
}

/// <summary>
/// A run leaves its batch buffers, its gradients and its copy of the best weights for the next run of the same shape
/// (see Spares): the next one allocates none of them, and gives the bits of a run on objects never used before.
/// </summary>
[Collection(nameof(RunsAlone))]
public class SpareTrainingBufferTests
{
    private static Dataset Data(int n, int d, int seed)
    {
        var random = new Random(seed);
        var rows = new float[n * d];
        for (int i = 0; i < rows.Length; i++) rows[i] = (float)(random.NextDouble() * 2 - 1);
        return Dataset.FromRows(rows, n, d, Enumerable.Range(0, n).Select(i => (i * 7 + seed) % 10).ToArray(), Dataset.DefaultClassNames(10));
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void A_run_after_another_gives_the_bits_of_a_run_on_new_buffers(Precision precision)
    {
        // The run before leaves its buffers full of its own values (other data, other weights, its starting loss's
        // batches); the run after must not see them.
        Dataset before = Data(1500, 40, seed: 1), data = Data(1200, 40, seed: 2);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 100, Seed = 3, Regularization = 0.01, Momentum = 0.9 };
        byte[] Run(bool afterAnother)
        {
            SpareRelease.DropAll();
            if (afterAnother) Trainer.Train(Mlp.Create(40, 24, 10, precision, seed: 9), before, options);
            Mlp net = Mlp.Create(40, 24, 10, precision, seed: 4);
            TrainingState state = Trainer.Train(net, data, options);
            string history = string.Join(";", state.History.Select(r => FormattableString.Invariant($"{r.Loss:R} {r.Accuracy:R} {r.GradientNormW1:R} {r.GradientNormW2:R}")));
            return System.Text.Encoding.UTF8.GetBytes(history).Concat(Bits(net)).ToArray();
        }
        Assert.Equal(Run(afterAnother: false), Run(afterAnother: true));
    }

    private static byte[] Bits(Mlp net) => net switch
    {
        Mlp<float> f => Enumerable.Range(0, 4).SelectMany(k => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.Parameters[k].AsSpan()).ToArray()).ToArray(),
        Mlp<double> d => Enumerable.Range(0, 4).SelectMany(k => System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.Parameters[k].AsSpan()).ToArray()).ToArray(),
        _ => throw new ArgumentException("precision"),
    };

    [Fact]
    public void A_second_run_of_the_same_shape_allocates_no_batch_buffers_gradients_or_copy_of_the_weights()
    {
        // 200-300-10 at batch 500: a set of batch buffers is 500 x (200 + 4 x 300 + 3 x 10) floats (2.9 MB) and the
        // gradients and the best weights' copy 63,310 floats (253 KB) each; the velocity (253 KB), the shuffled order
        // (8 KB) and the run's bookkeeping are new every run.
        Dataset data = Data(2000, 200, seed: 5);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 500, Seed = 1, Momentum = 0.9 };
        SpareRelease.DropAll();
        long first = AllocatedBy(() => Trainer.Train(Mlp.Create(200, 300, 10, Precision.Single, seed: 1), data, options));
        long second = AllocatedBy(() => Trainer.Train(Mlp.Create(200, 300, 10, Precision.Single, seed: 1), data, options));
        long buffers = 500L * (200 + 4 * 300 + 3 * 10) * sizeof(float), set = (200L * 300 + 300 + 300 * 10 + 10) * sizeof(float);
        Assert.True(first >= buffers + 2 * set, $"the first run allocated {first} bytes");
        Assert.True(second < first - buffers - 2 * set + 64 * 1024, $"the first run allocated {first} bytes, the second {second}");
    }

    [Fact]
    public void Buffers_beyond_the_size_kept_are_not_held_on_to()
    {
        // L-BFGS measures its start over the whole data in one batch: 3,000 rows x 2 x 1,500 hidden floats (36 MB) are
        // more than a spare may be, and the next run of that shape finds none.
        SpareRelease.DropAll();
        var large = BatchBuffers<float>.Take(3000, 10, 1500, 10);
        BatchBuffers<float>.GiveBack(large);
        Assert.NotSame(large, BatchBuffers<float>.Take(3000, 10, 1500, 10));
        var small = BatchBuffers<float>.Take(300, 10, 1500, 10);
        BatchBuffers<float>.GiveBack(small);
        Assert.Same(small, BatchBuffers<float>.Take(300, 10, 1500, 10));
    }

    private static long AllocatedBy(Action run)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        run();
        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }
}
