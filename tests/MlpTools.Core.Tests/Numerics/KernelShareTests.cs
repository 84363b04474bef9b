using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Numerics;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Numerics;

/// <summary>
/// Trainings side by side in one process: the cores are divided among the trainings running at each moment, each
/// training's kernels run on a pool of their own, and every result is the bits of the same training run alone.
/// </summary>
[Collection(NumericsTestGroup.Name)]
public class KernelShareTests
{
    [Fact]
    public void The_cores_are_divided_among_the_threads_joined_now_and_a_lone_one_gets_them_all()
    {
        KernelDeterminismTests.WithThreads(4, () =>
        {
            Assert.Equal(0, KernelThreads.Joined);
            Assert.Equal(4, KernelThreads.Threads); // not joined: the whole process's threads
            using (KernelThreads.Join())
            {
                Assert.Equal(1, KernelThreads.Joined);
                Assert.Equal(4, KernelThreads.Threads);
                using (KernelThreads.Join()) Assert.Equal(1, KernelThreads.Joined); // joining again changes nothing
                Assert.Equal(1, KernelThreads.Joined);

                using var joined = new ManualResetEventSlim();
                using var leave = new ManualResetEventSlim();
                int otherThreads = 0;
                var other = new Thread(() =>
                {
                    using (KernelThreads.Join())
                    {
                        otherThreads = KernelThreads.Threads;
                        joined.Set();
                        leave.Wait();
                    }
                });
                other.Start();
                joined.Wait();
                Assert.Equal(2, KernelThreads.Joined);
                Assert.Equal(2, KernelThreads.Threads);
                Assert.Equal(2, otherThreads);
                leave.Set();
                other.Join();
                Assert.Equal(1, KernelThreads.Joined);
                Assert.Equal(4, KernelThreads.Threads); // alone again: all of them from the next kernel on
            }
            Assert.Equal(0, KernelThreads.Joined);
        });
    }

    [Fact]
    public void More_trainings_than_cores_get_one_thread_each_and_never_zero()
    {
        KernelDeterminismTests.WithThreads(2, () =>
        {
            const int trainings = 5;
            using var barrier = new Barrier(trainings);
            var seen = new int[trainings];
            Parallel.For(0, trainings, new ParallelOptions { MaxDegreeOfParallelism = trainings }, i =>
            {
                using (KernelThreads.Join())
                {
                    barrier.SignalAndWait();
                    seen[i] = KernelThreads.Threads;
                    barrier.SignalAndWait();
                }
            });
            Assert.All(seen, t => Assert.Equal(1, t));
            Assert.Equal(0, KernelThreads.Joined);
        });
    }

    [Fact]
    public void A_training_takes_a_share_while_it_runs_and_gives_it_back_however_it_ends()
    {
        KernelDeterminismTests.WithThreads(4, () =>
        {
            var data = Synthetic(120, 20, 3, seed: 1);
            int during = -1;
            var callbacks = new TrainingCallbacks { EpochEnded = _ => during = KernelThreads.Joined };
            Trainer.Train(Mlp.Create(20, 8, 3, seed: 1), data, new TrainingOptions { Epochs = 1, Seed = 1 }, callbacks: callbacks);
            Assert.Equal(1, during);
            Assert.Equal(0, KernelThreads.Joined);
            Assert.Throws<MlpException>(() => Trainer.Train(Mlp.Create(20, 8, 3, seed: 1), data, new TrainingOptions { LearningRate = 1e9, Epochs = 3, Seed = 1 }));
            Assert.Equal(0, KernelThreads.Joined);
        });
    }

    /// <summary>
    /// Trainings of alternating shapes, precisions and update rules, run four at a time on pools of two threads each
    /// (and then on one each), against the same trainings run one by one on a single thread: every weight and every
    /// loss of the history is the same bits.
    /// </summary>
    [Fact]
    public void Parallel_trainings_of_alternating_shapes_give_the_bits_of_each_training_run_alone()
    {
        // Large enough for the products and the gather to be cut across threads (D = 300, batch 200).
        var data = Synthetic(1200, 300, 5, seed: 3);
        var cases = new (int Hidden, Precision Precision, OptimizerKind Optimizer)[]
        {
            (256, Precision.Single, OptimizerKind.Sgd),
            (40, Precision.Double, OptimizerKind.Adam),
            (200, Precision.Double, OptimizerKind.Sgd),
            (96, Precision.Single, OptimizerKind.RmsProp),
            (256, Precision.Single, OptimizerKind.Adam),
            (64, Precision.Double, OptimizerKind.RmsProp),
            (128, Precision.Single, OptimizerKind.Sgd),
            (300, Precision.Double, OptimizerKind.Sgd),
        };
        (byte[] Weights, double[] Losses) Train(int i)
        {
            var (hidden, precision, optimizer) = cases[i];
            Mlp net = Mlp.Create(300, hidden, 5, precision, seed: 10 + i);
            var options = new TrainingOptions { Epochs = 3, BatchSize = 200, Optimizer = optimizer, Seed = 20 + i, Regularization = 1e-3 };
            TrainingState state = Trainer.Train(net, data, options);
            return (MlpTools.Core.Persistence.ModelFile.ToBytes(net, null), state.History.Select(h => h.Loss).ToArray());
        }

        var alone = new (byte[] Weights, double[] Losses)[cases.Length];
        KernelDeterminismTests.WithThreads(1, () =>
        {
            for (int i = 0; i < cases.Length; i++) alone[i] = Train(i);
        });
        foreach (int threads in new[] { 8, 4 })
        {
            var together = new (byte[] Weights, double[] Losses)[cases.Length];
            KernelDeterminismTests.WithThreads(threads, () =>
                Parallel.For(0, cases.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => together[i] = Train(i)));
            for (int i = 0; i < cases.Length; i++)
            {
                Assert.True(alone[i].Weights.AsSpan().SequenceEqual(together[i].Weights), $"case {i} {cases[i]}, {threads} threads among 4 trainings: the weights differ from the training run alone");
                Assert.Equal(alone[i].Losses, together[i].Losses);
            }
        }
        Assert.Equal(0, KernelThreads.Joined);
    }

    /// <summary>Rows of uniform values in [-1, 1), each class's features shifted by 0.5: learnable, for any shape.</summary>
    internal static Dataset Synthetic(int count, int features, int classes, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * features];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % classes;
            for (int j = 0; j < features; j++)
                rows[i * features + j] = (float)(random.NextDouble() * 2 - 1 + (j % classes == labels[i] ? 0.5 : 0));
        }
        return Dataset.FromRows(rows, count, features, labels, Dataset.DefaultClassNames(classes));
    }
}
