using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Tests.Training;

namespace MlpTools.Core.Tests.Model;

/// <summary>
/// Predict and Evaluate leave their buffers for the next call of a network of the same shape, and a forward-only pass over rows
/// read in place makes no copy of the inputs. A call after another, on other data or data of another size, must give
/// the bits a network that never ran gives; and a repeated call must allocate what it returns and little more. They run
/// alone, so that no other test's call takes or replaces the spare buffers meanwhile.
/// </summary>
[Collection(nameof(RunsAlone))]
public class EvaluationBufferTests
{
    private const int Features = 31, Classes = 5;

    private static Dataset Data(int rows, int seed, double scale = 1)
    {
        var random = new Random(seed);
        var values = new float[rows * Features];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 4 - 2) * scale);
        var labels = Enumerable.Range(0, rows).Select(_ => random.Next(Classes)).ToArray();
        return Dataset.FromRows(values, rows, Features, labels, Dataset.DefaultClassNames(Classes), name: $"{rows} rows");
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void A_call_after_others_gives_the_bits_of_a_first_call(Precision precision)
    {
        // 3,000 rows: batches of 1,024, 1,024 and 952; then 2,100 rows (a short last batch of 52, after rows the first
        // call filled), 1,500 with large values, and 700 (buffers of another size). Each call on the buffers the one
        // before left, against a clone's call on buffers never used before (the spare set dropped).
        Mlp net = Mlp.Create(Features, 19, Classes, precision, seed: 4);
        foreach (Dataset data in new[] { Data(3000, 1), Data(2100, 2), Data(1500, 3, scale: 50), Data(700, 4), Data(2100, 5) })
        {
            var reused = net.Predict(data);
            Evaluation reusedEvaluation = net.Evaluate(data);
            SpareRelease.DropAll();
            SameResults.Predictions(net.Clone().Predict(data), reused);
            SpareRelease.DropAll();
            SameResults.Evaluations(net.Clone().Evaluate(data), reusedEvaluation);
        }
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void PredictRows_gives_Predicts_bits_one_array_a_sample(Precision precision)
    {
        Mlp net = Mlp.Create(Features, 13, Classes, precision, seed: 8);
        Dataset data = Data(2500, 6);
        (double[][] rows, int[] rowClasses) = net.PredictRows(data);
        Assert.Equal(2500, rows.Length);
        Assert.Equal(2500, rows.Distinct().Count());
        var asMatrix = new double[rows.Length, Classes];
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(Classes, rows[i].Length);
            for (int k = 0; k < Classes; k++) asMatrix[i, k] = rows[i][k];
        }
        SameResults.Predictions(net.Predict(data), (asMatrix, rowClasses));
    }
}

/// <summary>The allocations of a repeated prediction (counted alone, so that no other test takes the spare buffers meanwhile).</summary>
[Collection(nameof(RunsAlone))]
public class EvaluationAllocationTests
{
    [Fact]
    public void A_repeated_prediction_allocates_about_what_it_returns()
    {
        // 784-100-10 on 10,000 rows stored in float, read in place by a float network. A new set of buffers alone would
        // be 1,024 x (100 x 2 + 10 x 2) floats (880 KB), and a copy of the inputs 1,024 x 784 floats (3.2 MB); the
        // result is 10,000 x 10 doubles and 10,000 classes (840 KB).
        const int n = 10_000, d = 784;
        var random = new Random(9);
        var values = new float[n * d];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble();
        var data = Dataset.FromRows(values, n, d, Enumerable.Range(0, n).Select(i => i % 10).ToArray(), Dataset.DefaultClassNames(10));
        Mlp net = Mlp.Create(d, 100, 10, Precision.Single, seed: 1);
        net.Predict(data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        net.Predict(data);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long result = (long)n * 10 * sizeof(double) + (long)n * sizeof(int);
        Assert.InRange(allocated, result, result + 64 * 1024);

        // Evaluate returns a few numbers and a 10 x 10 matrix.
        net.Evaluate(data);
        before = GC.GetAllocatedBytesForCurrentThread();
        net.Evaluate(data);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 * 1024);
    }
}
