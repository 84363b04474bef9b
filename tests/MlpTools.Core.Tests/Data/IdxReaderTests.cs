using System.Buffers.Binary;
using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

public class IdxReaderTests
{
    private static readonly int[] Labels4 = { 3, 0, 1, 3 };

    /// <summary>Writes images (4 samples of 2 x 3, element type <paramref name="type"/>) and labels, raw or gzipped.</summary>
    private static (string Images, string Labels) Pair(TempFolder dir, byte type, byte[] payload, bool gzip, string stem = "images")
    {
        byte[] images = DataTestFiles.Idx(type, new[] { 4, 2, 3 }, payload);
        byte[] labels = DataTestFiles.Idx(0x08, new[] { 4 }, Labels4.Select(v => (byte)v).ToArray());
        string ext = gzip ? ".idx.gz" : ".idx";
        return (dir.Write(stem + ext, gzip ? DataTestFiles.Gzip(images) : images), dir.Write("labels" + ext, gzip ? DataTestFiles.Gzip(labels) : labels));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unsigned_bytes_are_scaled_to_0_1_in_single_precision(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] pixels = { 0, 1, 127, 128, 254, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180 };
        var (images, labels) = Pair(dir, 0x08, pixels, gzip, "train-images-idx3-ubyte");
        var d = IdxReader.Read(images, labels);

        Assert.Equal(4, d.Count);
        Assert.Equal(6, d.FeatureCount);
        Assert.Equal(Precision.Single, d.StoragePrecision);
        Assert.Equal(Labels4, d.Labels);
        Assert.Equal(new[] { "0", "1", "2", "3" }, d.ClassNames); // max label 3: four classes, class 2 empty
        Assert.Equal(new[] { "pixel_0_0", "pixel_0_1", "pixel_0_2", "pixel_1_0", "pixel_1_1", "pixel_1_2" }, d.FeatureNames);
        Assert.Equal("train-images-idx3-ubyte", d.Name);
        Assert.Equal(images + "; " + labels, d.Source);
        var x = d.Features;
        for (int i = 0; i < 24; i++) Assert.Equal((double)(pixels[i] / 255f), x[i / 6, i % 6]);
        Assert.Equal(0.0, x[0, 0]);
        Assert.Equal(1.0, x[0, 5]);
    }

    [Fact]
    public void Bytes_can_be_kept_unscaled_and_classes_named()
    {
        using var dir = new TempFolder();
        var (images, labels) = Pair(dir, 0x08, Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray(), gzip: false);
        var names = new[] { "zero", "one", "two", "three" };
        var d = IdxReader.Read(images, labels, new IdxOptions { ScaleBytes = false, ClassNames = names, Name = "Mine" });
        Assert.Equal(230.0, d.Features[3, 5]);
        Assert.Equal(names, d.ClassNames);
        Assert.Equal("Mine", d.Name);

        var e = Assert.Throws<MlpException>(() => IdxReader.Read(images, labels, new IdxOptions { ClassNames = names.Take(3).ToArray() }));
        Assert.Equal("IdxLabelOutOfRange", e.ErrorId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Streams_read_as_the_files_do_name_their_sources_and_stay_open(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] pixels = Enumerable.Range(0, 24).Select(i => (byte)(i * 7)).ToArray();
        var (imagesPath, labelsPath) = Pair(dir, 0x08, pixels, gzip);
        var fromFiles = IdxReader.Read(imagesPath, labelsPath);

        using var images = new MemoryStream(File.ReadAllBytes(imagesPath));
        using var labels = new MemoryStream(File.ReadAllBytes(labelsPath));
        var fromStreams = IdxReader.Read(images, "a.idx", labels, "b.idx");
        Assert.Equal(fromFiles.Features, fromStreams.Features);
        Assert.Equal(fromFiles.Labels, fromStreams.Labels);
        Assert.Equal(fromFiles.FeatureNames, fromStreams.FeatureNames);
        Assert.Equal("a", fromStreams.Name);
        Assert.Equal("a.idx; b.idx", fromStreams.Source);
        Assert.True(images.CanRead && labels.CanRead);

        using var empty = new MemoryStream();
        labels.Position = 0;
        var e = Assert.Throws<MlpException>(() => IdxReader.Read(empty, "empty.idx", labels, "b.idx"));
        Assert.Equal("IdxEmptyFile", e.ErrorId);
        Assert.Contains("'empty.idx'", e.Message, StringComparison.Ordinal);
        Assert.True(labels.CanRead);
    }

    [Theory]
    [InlineData(new[] { 1, 3000, 3000 })]
    [InlineData(new[] { 1, 9_000_000 })]
    public void A_gzip_file_that_breaks_off_after_a_big_claim_costs_no_name_per_claimed_feature(int[] dims)
    {
        // The header claims 9,000,000 values and the file is long enough (1/1032 of that) to pass the inflation check,
        // but only 100,000 values are there. The final array may be allocated for the claim (the documented bound for
        // gzip); 9,000,000 feature names were, too, before the values were read: 1.7 GB for a 9 KB file.
        byte[] header = DataTestFiles.Idx(0x08, dims, Array.Empty<byte>());
        byte[] gzip = DataTestFiles.Gzip(header.Concat(new byte[100_000]).ToArray());
        byte[] file = gzip.Concat(new byte[9_000_000 / 1032 + 1 - gzip.Length]).ToArray();
        byte[] labels = DataTestFiles.Idx(0x08, new[] { 1 }, new byte[] { 0 });

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<MlpException>(() => IdxReader.Read(new MemoryStream(file), "claim.idx.gz", new MemoryStream(labels), "labels.idx"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(e.ErrorId, new[] { "IdxTruncated", "IdxCorruptGzip" });
        Assert.True(allocated < 4L * 9_000_000 + (8 << 20), $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Pixel_names_are_read_row_by_row()
    {
        using var dir = new TempFolder();
        byte[] images = DataTestFiles.Idx(0x08, new[] { 1, 2, 12 }, new byte[24]);
        byte[] labels = DataTestFiles.Idx(0x08, new[] { 1 }, new byte[] { 0 });
        var d = IdxReader.Read(dir.Write("i.idx", images), dir.Write("l.idx", labels));
        Assert.Equal("pixel_0_0", d.FeatureNames[0]);
        Assert.Equal("pixel_0_11", d.FeatureNames[11]);
        Assert.Equal("pixel_1_10", d.FeatureNames[22]);
    }

    public static IEnumerable<object[]> ElementTypes()
    {
        // type, bytes per element, writer, storage precision
        yield return new object[] { (byte)0x09, Precision.Single };
        yield return new object[] { (byte)0x0B, Precision.Single };
        yield return new object[] { (byte)0x0C, Precision.Double };
        yield return new object[] { (byte)0x0D, Precision.Single };
        yield return new object[] { (byte)0x0E, Precision.Double };
    }

    [Theory]
    [MemberData(nameof(ElementTypes))]
    public void Every_element_type_is_read_big_endian_and_exactly(byte type, Precision storage)
    {
        double[] values = type switch
        {
            0x09 => Enumerable.Range(0, 24).Select(i => (double)(i * 11 - 128)).ToArray(),
            0x0B => Enumerable.Range(0, 24).Select(i => (double)(i * 2731 - 32768)).ToArray(),
            0x0C => Enumerable.Range(0, 24).Select(i => i * 123456789.0 - 2147483648.0).ToArray(),
            0x0D => Enumerable.Range(0, 24).Select(i => (double)(float)(i * 0.1 - 1.3)).ToArray(),
            _ => Enumerable.Range(0, 24).Select(i => i * 0.1 - 1.3 + 1e-12).ToArray(),
        };
        byte[] payload = Encode(type, values);
        foreach (bool gzip in new[] { false, true })
        {
            using var dir = new TempFolder();
            var (images, labels) = Pair(dir, type, payload, gzip);
            var d = IdxReader.Read(images, labels);
            Assert.Equal(storage, d.StoragePrecision);
            for (int i = 0; i < 24; i++) Assert.Equal(values[i], d.Features[i / 6, i % 6]);
        }
    }

    [Theory]
    [InlineData((byte)0x09)]
    [InlineData((byte)0x0B)]
    [InlineData((byte)0x0C)]
    public void Labels_of_every_integer_type_are_read(byte type)
    {
        using var dir = new TempFolder();
        string images = dir.Write("images.idx", DataTestFiles.Idx(0x08, new[] { 4, 1 }, new byte[4]));
        string labels = dir.Write("labels.idx", DataTestFiles.Idx(type, new[] { 4 }, Encode(type, new double[] { 2, 0, 1, 2 })));
        var d = IdxReader.Read(images, labels);
        Assert.Equal(new[] { 2, 0, 1, 2 }, d.Labels);
        Assert.Equal(3, d.ClassCount);
        Assert.Equal(new[] { "x0" }, d.FeatureNames); // one-dimensional samples are not images
    }

    [Fact]
    public void A_claim_above_MaxElements_is_refused_before_reading()
    {
        using var dir = new TempFolder();
        var (images, labels) = Pair(dir, 0x08, new byte[24], gzip: false);
        var e = Assert.Throws<MlpException>(() => IdxReader.Read(images, labels, new IdxOptions { MaxElements = 23 }));
        Assert.Equal("IdxTooLarge", e.ErrorId);
        Assert.Equal("InvalidMaxElements", Assert.Throws<MlpException>(() => IdxReader.Read(images, labels, new IdxOptions { MaxElements = 0 })).ErrorId);
    }

    [Fact]
    public void A_missing_file_is_NotFound()
    {
        using var dir = new TempFolder();
        var (images, _) = Pair(dir, 0x08, new byte[24], gzip: false);
        var e = Assert.Throws<MlpException>(() => IdxReader.Read(images, Path.Combine(dir.Path, "nope.idx")));
        Assert.Equal("DataFileNotFound", e.ErrorId);
        Assert.Equal(MlpErrorKind.NotFound, e.Kind);
        Assert.Contains("nope.idx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Progress_rises_to_1_and_cancellation_stops_the_read()
    {
        using var dir = new TempFolder();
        // 200 samples of 40 x 40 = 320,000 bytes: more than one chunk.
        int n = 200;
        var rnd = new Random(5);
        byte[] pixels = new byte[n * 1600];
        rnd.NextBytes(pixels);
        string images = dir.Write("big.idx.gz", DataTestFiles.Gzip(DataTestFiles.Idx(0x08, new[] { n, 40, 40 }, pixels)));
        string labels = dir.Write("big-labels.idx", DataTestFiles.Idx(0x08, new[] { n }, Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray()));

        var seen = new List<double>();
        var d = IdxReader.Read(images, labels, progress: seen.Add);
        Assert.True(seen.Count >= 2);
        Assert.Equal(1.0, seen[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First <= p.Second), "progress never goes back");
        Assert.Equal(pixels[^1] / 255f, (float)d.Features[n - 1, 1599]);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => IdxReader.Read(images, labels, cancellationToken: cts.Token));
    }

    [Fact]
    public void The_simd_byte_conversion_matches_division_by_255_for_every_byte_and_tail_length_and_finds_the_largest_byte()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(Enumerable.Range(0, 100).Select(i => (byte)(255 - i))).ToArray();
        for (int length = 0; length <= all.Length; length += length < 70 ? 1 : 37)
        {
            var scaled = new float[length];
            var raw = new float[length];
            byte largest = length == 0 ? (byte)0 : all.Take(length).Max();
            Assert.Equal(largest, IdxConvert.UByteToSingle(all.AsSpan(0, length), scaled, scale: true));
            Assert.Equal(largest, IdxConvert.UByteToSingle(all.AsSpan(0, length), raw, scale: false));
            // Also where the largest byte sits only in the tail after the vectors, or only in the vectors.
            byte[] reversed = all.Take(length).Reverse().ToArray();
            Assert.Equal(largest, IdxConvert.UByteToSingle(reversed, new float[length], scale: true));
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(all[i] / 255f, scaled[i]);
                Assert.Equal((float)all[i], raw[i]);
            }
        }
    }

    [Fact]
    public void Dataset_names_drop_the_compression_extension_and_one_more()
    {
        Assert.Equal("train-images-idx3-ubyte", DataFile.NameFromPath("/x/train-images-idx3-ubyte.gz"));
        Assert.Equal("iris", DataFile.NameFromPath("/x/iris.csv.gz"));
        Assert.Equal("iris", DataFile.NameFromPath("iris.csv"));
        Assert.Equal("my.data", DataFile.NameFromPath("my.data.tsv"));
        Assert.Equal("noext", DataFile.NameFromPath("noext"));
    }

    /// <summary>The real Fashion-MNIST files, when the machine has them (Debian's dataset-fashion-mnist).</summary>
    [FashionMnistFact]
    public void Fashion_mnist_loads_with_its_documented_shape_and_balance()
    {
        string dir = DataTestFiles.FashionMnistDir;
        var train = IdxReader.Read(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"),
            new IdxOptions { ClassNames = IdxReader.FashionMnistClassNames });
        Assert.Equal(60000, train.Count);
        Assert.Equal(784, train.FeatureCount);
        Assert.Equal(Precision.Single, train.StoragePrecision);
        Assert.All(train.ClassCounts(), c => Assert.Equal(6000, c));
        Assert.Equal("Ankle boot", train.ClassNames[train.Labels[0]]);

        var test = IdxReader.Read(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));
        Assert.Equal(10000, test.Count);
        Assert.All(test.ClassCounts(), c => Assert.Equal(1000, c));
        var rows = new float[784];
        test.GatherRows<float>(new[] { 0 }, rows);
        Assert.All(rows, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(rows, v => v == 1f || v > 0.9f);
    }

    private static byte[] Encode(byte type, double[] values)
    {
        int size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, _ => 8 };
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            Span<byte> b = bytes.AsSpan(i * size, size);
            switch (type)
            {
                case 0x08: b[0] = (byte)values[i]; break;
                case 0x09: b[0] = (byte)(sbyte)values[i]; break;
                case 0x0B: BinaryPrimitives.WriteInt16BigEndian(b, (short)values[i]); break;
                case 0x0C: BinaryPrimitives.WriteInt32BigEndian(b, (int)values[i]); break;
                case 0x0D: BinaryPrimitives.WriteSingleBigEndian(b, (float)values[i]); break;
                default: BinaryPrimitives.WriteDoubleBigEndian(b, values[i]); break;
            }
        }
        return bytes;
    }
}

/// <summary>A fact that runs only where the Fashion-MNIST IDX files are installed, and is skipped (not failed) elsewhere.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public FashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(DataTestFiles.FashionMnistDir, "train-images-idx3-ubyte.gz")))
            Skip = $"Fashion-MNIST is not installed in {DataTestFiles.FashionMnistDir} (apt package dataset-fashion-mnist, or set FMNIST_DIR).";
    }
}
