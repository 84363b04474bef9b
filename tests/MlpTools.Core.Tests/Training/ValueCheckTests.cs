using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Tests.Data;
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

    /// <summary>
    /// An IDX file of <paramref name="rows"/> x 784 values of element type <paramref name="type"/> (0x08 bytes, 0x0C int32,
    /// 0x0D float32), over several of the reader's blocks: small values, with <paramref name="peak"/> at each given flat index.
    /// </summary>
    private static Dataset ReadIdx(TempFolder dir, byte type, int rows, float peak, params int[] peakAt)
    {
        int d = 784, size = type == 0x08 ? 1 : 4;
        var payload = new byte[rows * d * size];
        var random = new Random(rows + type);
        for (int i = 0; i < rows * d; i++)
        {
            float v = peakAt.Contains(i) ? peak : (float)Math.Round(random.NextDouble() * 100) * (i % 3 == 0 ? -1 : 1);
            if (type == 0x08) payload[i] = (byte)Math.Abs(v);
            else if (type == 0x0C) System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(i * 4), (int)v);
            else System.Buffers.Binary.BinaryPrimitives.WriteSingleBigEndian(payload.AsSpan(i * 4), v);
        }
        string images = dir.Write($"images-{type}-{rows}.idx", DataTestFiles.Idx(type, new[] { rows, 28, 28 }, payload));
        string labels = dir.Write($"labels-{rows}.idx", DataTestFiles.Idx(0x08, new[] { rows }, Enumerable.Range(0, rows).Select(i => (byte)(i % 3)).ToArray()));
        return IdxReader.Read(images, labels, new IdxOptions { ScaleBytes = false });
    }

    [Theory]
    [InlineData((byte)0x08, 255f)]
    [InlineData((byte)0x0D, -1e30f)]
    [InlineData((byte)0x0C, 2e9f)]
    public void Data_read_from_IDX_is_checked_as_it_is_read_and_needs_no_pass_with_the_same_answer(byte type, float peak)
    {
        using var dir = new TempFolder();
        // 700 rows of 784: 549,000 values, several of the reader's blocks; the peak twice, the first in the second block,
        // so the answer is its first place. The magnitude is also met with the other sign after it.
        int rows = 700, first = 300_001, second = 500_003;
        Dataset data = ReadIdx(dir, type, rows, peak, first, second);
        Assert.NotNull(data.ReadExtreme);
        var expected = new InputExtreme(Math.Abs((double)peak), first / 784, first % 784);
        Assert.Equal(expected, data.ReadExtreme);

        // A pass over the same values (a copy the reader did not make) finds the same answer.
        Dataset copy = Unread(data);
        Assert.Null(copy.ReadExtreme);
        var single = (Mlp<float>)Mlp.Create(784, 4, 3, seed: 1);
        var dbl = (Mlp<double>)Mlp.Create(784, 4, 3, Precision.Double, seed: 1);
        if (data.StoragePrecision == Precision.Single) Assert.Equal(expected, single.CheckValues(copy, null));
        Assert.Equal(expected, dbl.CheckValues(copy, null));

        // Trained unscaled by a network that holds the stored values exactly, the data takes no pass; the answer is
        // the reader's (the warning about large inputs names its place).
        long passes32 = Mlp<float>.CheckPassesOnThisThread, passes64 = Mlp<double>.CheckPassesOnThisThread;
        Assert.Equal(expected, dbl.CheckValues(data, null));
        Assert.Equal(passes64, Mlp<double>.CheckPassesOnThisThread);
        if (data.StoragePrecision == Precision.Single)
        {
            Assert.Equal(expected, single.CheckValues(data, null));
            Assert.Equal(passes32, Mlp<float>.CheckPassesOnThisThread);
        }
        else
        {
            // Double values taken in single precision are converted first (they may round or overflow): that check still
            // makes its pass.
            Assert.Equal(expected, single.CheckValues(data, null));
            Assert.Equal(passes32 + 1, Mlp<float>.CheckPassesOnThisThread);
        }
    }

    [Fact]
    public void Data_read_from_IDX_and_trained_with_scaling_or_relabelled_is_checked_as_before()
    {
        using var dir = new TempFolder();
        Dataset data = ReadIdx(dir, 0x08, 50, 255f, 1234);
        var net = (Mlp<float>)Mlp.Create(784, 4, 3, seed: 1);
        long passes = Mlp<float>.CheckPassesOnThisThread;
        Trainer.Train(net, data, new TrainingOptions { Epochs = 1, Seed = 1 });
        Assert.Equal(passes, Mlp<float>.CheckPassesOnThisThread);
        // Scaled values are other values: checked by a pass (one for the raw values' check before fitting would be the
        // reader's answer, so one pass in all).
        var scaled = (Mlp<float>)Mlp.Create(784, 4, 3, seed: 1);
        Trainer.Train(scaled, data, new TrainingOptions { Epochs = 1, Seed = 1, Scaling = ScalingKind.Standardize });
        Assert.Equal(passes + 1, Mlp<float>.CheckPassesOnThisThread);
        // The same features under other class numbers keep the reader's answer.
        Dataset relabelled = data.Relabel(new[] { 2, 0, 1 }, new[] { "c", "a", "b" });
        Assert.Equal(data.ReadExtreme, relabelled.ReadExtreme);
        // All zeros: no place to name, as a pass finds.
        Dataset zeros = ReadIdx(dir, 0x0D, 3, 0f);
        Assert.NotNull(zeros.ReadExtreme);
        Assert.Equal(net.CheckValues(Unread(zeros), null), zeros.ReadExtreme);
    }

    /// <summary>The same values and labels in a dataset no reader made (so a check makes its pass).</summary>
    private static Dataset Unread(Dataset data) => data.StoragePrecision == Precision.Single
        ? Dataset.FromRows(data.SingleRows!.ToArray(), data.Count, data.FeatureCount, data.Labels, data.ClassNames, data.FeatureNames)
        : Dataset.FromRows(data.DoubleRows!.ToArray(), data.Count, data.FeatureCount, data.Labels, data.ClassNames, data.FeatureNames);

    [Theory]
    [InlineData((byte)0x08, 30)]   // a gather on one thread
    [InlineData((byte)0x08, 640)]  // on the kernel threads, in chunks
    [InlineData((byte)0x0C, 640)]  // double storage
    public void A_subset_of_data_read_from_IDX_finds_its_own_answer_as_it_copies_and_trains_without_a_pass(byte type, int take)
    {
        using var dir = new TempFolder();
        // The peak three times: the subset takes two of them, in a shuffled order.
        int first = 300_001, second = 500_003, third = 100_002;
        Dataset data = ReadIdx(dir, type, 700, type == 0x08 ? 255f : 2e9f, first, second, third);
        var random = new Random(take);
        // The first peak's row near the start and the second's last: in different chunks of a parallel copy.
        var others = Enumerable.Range(0, 700).Where(r => r != first / 784 && r != second / 784 && r != third / 784)
            .OrderBy(_ => random.Next()).Take(take).ToList();
        others.Insert(Math.Min(5, others.Count), second / 784);
        int[] rows = others.Append(first / 784).ToArray();
        Dataset part = data.Subset(rows);
        Assert.NotNull(part.ReadExtreme);
        var dbl = (Mlp<double>)Mlp.Create(784, 4, 3, Precision.Double, seed: 1);
        InputExtreme expected = dbl.CheckValues(Unread(part), null);
        // The first of the two peaks in the subset's order (the third's row is not in it).
        Assert.Equal(5, expected.Row);
        Assert.Equal(second % 784, expected.Feature);
        Assert.Equal(expected, part.ReadExtreme);

        // Training on it (and on a subset of it) takes no pass, in the precision that holds its values exactly.
        long passes = Mlp<double>.CheckPassesOnThisThread;
        Trainer.Train(Mlp.Create(784, 4, 3, Precision.Double, seed: 1), part, new TrainingOptions { Epochs = 1, Seed = 1 });
        Dataset again = part.Subset(Enumerable.Range(0, part.Count).Reverse().ToArray());
        Assert.Equal(dbl.CheckValues(Unread(again), null), again.ReadExtreme);
        Assert.Equal(passes + 1, Mlp<double>.CheckPassesOnThisThread); // the Unread copy's pass, and no other

        // Split-Dataset's parts are subsets: they carry theirs too. A subset of data no reader made has none.
        DatasetSplit split = DatasetSplitter.Split(data, 0.2, 0.2, stratify: false, seed: 1);
        Assert.NotNull(split.Train.ReadExtreme);
        Assert.Null(Unread(data).Subset(rows).ReadExtreme);
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
