using MlpTools.Core.Data;
using MlpTools.Core.Numerics;
using MlpTools.Core.Tests.Numerics;

namespace MlpTools.Core.Tests.Data;

/// <summary>
/// Mini-batches are gathered by row index; large ones on the kernel threads. Every element must be the element of
/// the storage it names, whichever path copied it, from either storage precision into either batch precision.
/// </summary>
[Collection(NumericsTestGroup.Name)]
public class GatherTests
{
    [Theory]
    [InlineData(7, 5)]        // small: one thread
    [InlineData(300, 200)]    // 60,000 elements: split across the threads
    [InlineData(201, 784)]    // a Fashion-MNIST batch with one row more than 200
    public void Gathered_rows_are_the_rows_asked_for(int batch, int features)
    {
        const int Count = 1000;
        var random = new Random(batch);
        var single = new float[Count * features];
        for (int i = 0; i < single.Length; i++) single[i] = (float)random.NextDouble();
        double[] wide = single.Select(v => (double)v + 1e-12).ToArray();
        int[] labels = Enumerable.Range(0, Count).Select(i => i % 3).ToArray();
        string[] classes = { "a", "b", "c" };
        Dataset f = Dataset.FromRows(single, Count, features, labels, classes);
        Dataset d = Dataset.FromRows(wide, Count, features, labels, classes);
        int[] rows = Enumerable.Range(0, batch).Select(_ => random.Next(Count)).ToArray();

        foreach (int threads in new[] { 1, KernelThreads.MaxThreads })
        {
            int saved = KernelThreads.MaxThreads;
            try
            {
                KernelThreads.MaxThreads = threads;
                var toFloat = new float[batch * features];
                var toDouble = new double[batch * features];
                f.GatherRows<float>(rows, toFloat);
                d.GatherRows<double>(rows, toDouble);
                for (int r = 0; r < batch; r++)
                {
                    for (int j = 0; j < features; j++)
                    {
                        Assert.Equal(single[rows[r] * features + j], toFloat[r * features + j]);
                        Assert.Equal(wide[rows[r] * features + j], toDouble[r * features + j]);
                    }
                }
                var narrowed = new float[batch * features];
                d.GatherRows<float>(rows, narrowed);
                Assert.Equal((float)wide[rows[^1] * features + features - 1], narrowed[^1]);
            }
            finally
            {
                KernelThreads.MaxThreads = saved;
            }
        }
    }
}
