using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Model;

/// <summary>
/// Passes that take a dataset's rows in order and unscaled (Predict, Evaluate, the values check, the starting loss) read
/// the rows where the dataset keeps them when it keeps them in the network's precision, and gather a copy otherwise.
/// The same values must give the same bits either way: here the same samples stored in float and in double (values a
/// float holds exactly), one read in place and the other gathered.
/// </summary>
public class InPlaceReadTests
{
    // 2,500 rows: batches of 1,024, 1,024 and 452, so rows at every offset of a batch, and a last batch that is short.
    private const int Rows = 2500, Features = 23, Classes = 4;

    private static (Dataset Single, Dataset Double) SameSamples(int seed, Action<float[]>? change = null, int rows = Rows)
    {
        var random = new Random(seed);
        var single = new float[rows * Features];
        for (int i = 0; i < single.Length; i++) single[i] = (float)(random.NextDouble() * 4 - 2);
        change?.Invoke(single);
        var labels = Enumerable.Range(0, rows).Select(i => random.Next(Classes)).ToArray();
        var dbl = Array.ConvertAll(single, v => (double)v);
        return (Dataset.FromRows(single, rows, Features, labels, Dataset.DefaultClassNames(Classes), name: "Stored in float"),
            Dataset.FromRows(dbl, rows, Features, (int[])labels.Clone(), Dataset.DefaultClassNames(Classes), name: "Stored in double"));
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void Predict_and_Evaluate_give_the_same_bits_read_in_place_or_gathered(Precision precision)
    {
        (Dataset single, Dataset dbl) = SameSamples(7);
        Mlp net = Mlp.Create(Features, 17, Classes, precision, seed: 3);
        // A float network reads the float rows in place and gathers the double ones (exactly narrowed); a double
        // network the other way round (float rows exactly widened).
        SameResults.Predictions(net.Predict(single), net.Predict(dbl));
        SameResults.Evaluations(net.Evaluate(single), net.Evaluate(dbl));
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void Training_from_either_storage_gives_the_same_network(Precision precision)
    {
        // The starting loss is measured in order (in place where it can be); the epochs gather shuffled batches.
        (Dataset single, Dataset dbl) = SameSamples(11);
        Mlp a = Mlp.Create(Features, 9, Classes, precision, seed: 5), b = a.Clone();
        var options = new TrainingOptions { Epochs = 3, BatchSize = 100, Seed = 2, MeasureStartInFull = true };
        TrainingState sa = Trainer.Train(a, single, options), sb = Trainer.Train(b, dbl, options.Clone());
        Assert.Equal(sa.History.Select(r => r.Loss), sb.History.Select(r => r.Loss));
        Assert.Equal(sa.BestEpoch, sb.BestEpoch);
        Assert.Equal(a.Evaluate(single).Loss, b.Evaluate(single).Loss);
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void The_values_check_names_the_same_place_read_in_place_or_gathered(Precision precision)
    {
        // The check takes 65,536 values (2,849 rows of 23) at a time: 6,000 rows are three blocks. The largest magnitude
        // is the second block's last row; a value that is not finite, the third's.
        const int rows = 6000;
        (Dataset single, Dataset dbl) = SameSamples(13, v => v[5697 * Features + 6] = -9.5f, rows);
        Mlp net = Mlp.Create(Features, 5, Classes, precision, seed: 1);
        Assert.Equal(net.CheckValues(single, null), net.CheckValues(dbl, null));
        Assert.Equal(new InputExtreme(9.5, 5697, 6), net.CheckValues(single, null));

        (Dataset badSingle, Dataset badDouble) = SameSamples(13, v => v[5999 * Features + 21] = float.NaN, rows);
        var e1 = Assert.Throws<MlpException>(() => net.Evaluate(badSingle));
        var e2 = Assert.Throws<MlpException>(() => net.Evaluate(badDouble));
        Assert.Equal("FeatureValueNotFinite", e1.ErrorId);
        Assert.Equal(e1.Message.Replace("Stored in float", "Stored in double", StringComparison.Ordinal), e2.Message);
        Assert.Contains("Row 6000 ", e1.Message, StringComparison.Ordinal);
    }
}
