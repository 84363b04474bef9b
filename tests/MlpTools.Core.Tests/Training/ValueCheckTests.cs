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

        // A pass over the same values (a copy of the rows, which the reader did not make) finds the same answer.
        Dataset copy = data.Subset(Enumerable.Range(0, rows).ToArray());
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
        Assert.Equal(net.CheckValues(zeros.Subset(new[] { 0, 1, 2 }), null), zeros.ReadExtreme);
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
