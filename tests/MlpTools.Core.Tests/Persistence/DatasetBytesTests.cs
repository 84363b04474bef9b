using System.Runtime.InteropServices;
using MlpTools.Core.Data;
using MlpTools.Core.Persistence;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>A dataset's bytes: everything it holds comes back, bit for bit, in the precision it was stored in.</summary>
public class DatasetBytesTests
{
    internal const string Name = "the serialized dataset";

    /// <summary>The raw bits of a dataset's features, in its storage precision.</summary>
    internal static byte[] FeatureBits(Dataset d) =>
        d.SingleRows is { } s ? MemoryMarshal.AsBytes(s.AsSpan()).ToArray() : MemoryMarshal.AsBytes(d.DoubleRows.AsSpan()).ToArray();

    /// <summary>Asserts <paramref name="back"/> holds exactly what <paramref name="original"/> holds.</summary>
    internal static void AssertSame(Dataset original, Dataset back)
    {
        Assert.Equal(original.StoragePrecision, back.StoragePrecision);
        Assert.Equal(original.Count, back.Count);
        Assert.Equal(original.FeatureCount, back.FeatureCount);
        Assert.Equal(FeatureBits(original), FeatureBits(back));
        Assert.Equal(original.Labels, back.Labels);
        Assert.Equal(original.ClassNames, back.ClassNames);
        Assert.Equal(original.FeatureNames, back.FeatureNames);
        Assert.Equal(original.Name, back.Name);
        Assert.Equal(original.Source, back.Source);
        Assert.Equal(original.Attribution, back.Attribution);
        Assert.Equal(original.LabelName, back.LabelName);
        Assert.Equal(original.ImageShape, back.ImageShape);
        Assert.Equal(original.SourceRows, back.SourceRows);
    }

    /// <summary>Small datasets of every kind: both precisions, with and without image shape, source rows and optional names.</summary>
    internal static Dataset Small(Precision precision, bool subset = false)
    {
        var random = new Random(7);
        const int Count = 6, D = 4;
        int[] labels = { 0, 1, 2, 0, 1, 2 };
        string[] classes = { "setosa", "versicolor", "virginica" };
        string[] features = { "a", "b", "c", "d" };
        Dataset data = precision == Precision.Single
            ? Dataset.FromRows(Enumerable.Range(0, Count * D).Select(_ => (float)random.NextDouble() - 0.5f).ToArray(), Count, D, labels, classes, features,
                "Small", "made in a test", "Credit: a test", "species", new ImageShape(2, 2))
            : Dataset.FromRows(Enumerable.Range(0, Count * D).Select(_ => random.NextDouble() * 1e300 - 1e299).ToArray(), Count, D, labels, classes, features,
                "Small", "made in a test");
        return subset ? data.Subset(new[] { 5, 0, 3 }, "Small part") : data;
    }

    public static TheoryData<Precision, bool> Kinds => new()
    {
        { Precision.Single, false },
        { Precision.Single, true },
        { Precision.Double, false },
        { Precision.Double, true },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Round_trips_everything_bit_for_bit(Precision precision, bool subset)
    {
        Dataset original = Small(precision, subset);
        byte[] bytes = DatasetBytes.ToBytes(original);
        Dataset back = DatasetBytes.Load(bytes, Name);
        AssertSame(original, back);
        Assert.Equal(bytes, DatasetBytes.ToBytes(back));
        if (subset) Assert.Equal(new[] { 5, 0, 3 }, back.SourceRows);
        else Assert.Null(back.SourceRows);
    }

    [Fact]
    public void Loads_from_a_slice_of_memory()
    {
        byte[] bytes = DatasetBytes.ToBytes(Small(Precision.Single));
        byte[] padded = new byte[] { 1, 2, 3 }.Concat(bytes).Append((byte)9).ToArray();
        AssertSame(Small(Precision.Single), DatasetBytes.Load(padded.AsMemory(3, bytes.Length), Name));
    }

    [Fact]
    public void The_built_in_digits_round_trip_with_their_image_shape()
    {
        Dataset digits = BuiltInDatasets.Load("Digits");
        Dataset back = DatasetBytes.Load(DatasetBytes.ToBytes(digits), Name);
        AssertSame(digits, back);
        Assert.Equal(new ImageShape(8, 8), back.ImageShape);
        Assert.Equal(Precision.Single, back.StoragePrecision);
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void Extreme_values_keep_their_bits(Precision precision)
    {
        // Signed zeros, subnormals, the largest and smallest values, infinities and NaNs with payloads: the bytes copy
        // bits, never values, so nothing is canonicalized.
        Dataset original;
        if (precision == Precision.Single)
        {
            float[] values =
            {
                0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity,
                BitConverter.Int32BitsToSingle(0x7FC00001), BitConverter.Int32BitsToSingle(unchecked((int)0xFF800123)), 1e-40f, 3.14159274f,
            };
            original = Dataset.FromRows(values, 6, 2, new[] { 0, 0, 0, 0, 0, 0 }, new[] { "only" });
        }
        else
        {
            double[] values =
            {
                0d, -0d, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, double.PositiveInfinity, double.NegativeInfinity,
                BitConverter.Int64BitsToDouble(0x7FF8000000000001), BitConverter.Int64BitsToDouble(unchecked((long)0xFFF0000000ABCDEF)), 1e-310, Math.PI,
            };
            original = Dataset.FromRows(values, 6, 2, new[] { 0, 0, 0, 0, 0, 0 }, new[] { "only" });
        }
        AssertSame(original, DatasetBytes.Load(DatasetBytes.ToBytes(original), Name));
    }

    [Fact]
    public void One_row_one_feature_one_class_round_trips()
    {
        Dataset one = Dataset.FromRows(new[] { 2.5f }, 1, 1, new[] { 0 }, new[] { "c" });
        AssertSame(one, DatasetBytes.Load(DatasetBytes.ToBytes(one), Name));
    }

    [Fact]
    public void A_dataset_of_no_rows_round_trips()
    {
        Dataset none = Small(Precision.Double).Subset(Array.Empty<int>(), "none");
        Dataset back = DatasetBytes.Load(DatasetBytes.ToBytes(none), Name);
        AssertSame(none, back);
        Assert.Equal(0, back.Count);
        Assert.Equal(3, back.ClassCount);

        Dataset noClasses = Dataset.FromRows(Array.Empty<double>(), 0, 3, Array.Empty<int>(), Array.Empty<string>());
        AssertSame(noClasses, DatasetBytes.Load(DatasetBytes.ToBytes(noClasses), Name));
    }

    [Fact]
    public void Unicode_names_and_characters_json_escapes_round_trip()
    {
        string[] classes = { "chat 🐈", "犬", "e\u0301", "\"quoted\" \\ back/slash", "tab\tand\nnew line\u0000nul", "" };
        string[] features = { "Größe", "𝑥₁", "<b>&amp;</b>", "\u2028\u2029" };
        var data = Dataset.FromRows(new double[24], 6, 4, new[] { 0, 1, 2, 3, 4, 5 }, classes, features,
            "Jeu de données ✓", "C:\\données\\fichier.csv", "© les auteurs", "espèce 🌸");
        Dataset back = DatasetBytes.Load(DatasetBytes.ToBytes(data), Name);
        AssertSame(data, back);
    }

    [Fact]
    public void A_name_that_is_not_valid_unicode_cannot_be_serialized()
    {
        var data = Dataset.FromRows(new float[2], 1, 2, new[] { 0 }, new[] { "c" }, new[] { "ok", "bad\uD800" }, "Broken");
        var ex = Assert.Throws<MlpException>(() => DatasetBytes.ToBytes(data));
        Assert.Equal("DatasetTextInvalid", ex.ErrorId);
        Assert.Contains("feature name", ex.Message, StringComparison.Ordinal);
        Assert.Contains("position 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal("DatasetTextInvalid", Assert.Throws<MlpException>(() => DatasetBytes.CheckSerializable(data)).ErrorId);

        DatasetBytes.CheckSerializable(Small(Precision.Single));
    }

    [Fact]
    public void The_bytes_of_a_model_are_not_a_dataset()
    {
        byte[] model = ModelFileFixtures.Bytes(ModelFileFixtures.Trained(Precision.Single, hidden: 3, epochs: 1));
        var ex = Assert.Throws<MlpException>(() => DatasetBytes.Load(model, Name));
        Assert.Equal("DatasetHeaderInvalid", ex.ErrorId);
        Assert.Contains("safetensors", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("The serialized dataset ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("serialize the dataset again", ex.Message, StringComparison.Ordinal);
    }
}
