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
