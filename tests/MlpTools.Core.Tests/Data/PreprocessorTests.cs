using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Statistics;
using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

public class PreprocessorTests
{
    /// <summary>Six samples: a varied feature, a constant 0.1 (not exact in binary), and a large-offset feature.</summary>
    private static Dataset Train(bool inFloat)
    {
        double[] rows =
        {
            1.0, 0.1, 1000.5,
            2.0, 0.1, 1001.5,
            4.0, 0.1, 1000.0,
            8.0, 0.1, 1003.0,
            -3.0, 0.1, 999.0,
            0.5, 0.1, 1002.0,
        };
        int[] y = { 0, 1, 0, 1, 0, 1 };
        return inFloat
            ? Dataset.FromRows(rows.Select(v => (float)v).ToArray(), 6, 3, y, Dataset.DefaultClassNames(2), name: "train")
            : Dataset.FromRows(rows, 6, 3, y, Dataset.DefaultClassNames(2), name: "train");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Standardize_gives_mean_0_and_population_deviation_1_and_constants_become_0(bool inFloat)
    {
        var train = Train(inFloat);
        var p = Preprocessor.Fit(train, ScalingKind.Standardize);
        var x = train.Features;
        for (int j = 0; j < 3; j++)
        {
            var column = x.Column(j);
            if (j == 1)
            {
                Assert.Equal(1.0, p.Scales[j]);
                Assert.Equal(column[0], p.Offsets[j]);
                continue;
            }
            Assert.Equal(column.Mean(), p.Offsets[j], 12);
            Assert.Equal(column.PopulationStandardDeviation(), p.Scales[j], 12);
        }

        var scaled = p.Apply(train).Features;
        double tol = inFloat ? 1e-6 : 1e-12;
        for (int j = 0; j < 3; j++)
        {
            var c = scaled.Column(j);
            Assert.All(c, v => Assert.True(double.IsFinite(v)));
            Assert.Equal(0.0, c.Mean(), tol);
            Assert.Equal(j == 1 ? 0.0 : 1.0, c.PopulationStandardDeviation(), inFloat ? 1e-5 : 1e-12);
        }
        Assert.All(scaled.Column(1), v => Assert.Equal(0.0, v)); // exactly 0, not rounding noise
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MinMax_maps_the_training_range_to_0_1_and_constants_to_0(bool inFloat)
    {
        var train = Train(inFloat);
        var p = Preprocessor.Fit(train, ScalingKind.MinMax);
        Assert.Equal(ScalingKind.MinMax, p.Kind);
        Assert.Equal(new[] { -3.0, 11.0 }, new[] { p.Offsets[0], p.Scales[0] });
        var scaled = p.Apply(train).Features;
        Assert.Equal(0.0, scaled.Column(0).Minimum());
        Assert.Equal(1.0, scaled.Column(0).Maximum(), 6);
        Assert.Equal(0.0, scaled.Column(2).Minimum());
        Assert.Equal(1.0, scaled.Column(2).Maximum(), 6);
        Assert.All(scaled.Column(1), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Other_data_is_scaled_with_the_training_statistics_not_its_own()
    {
        var p = Preprocessor.Fit(Train(inFloat: false), ScalingKind.MinMax);
        var test = Dataset.FromRows(new[] { 14.0, 5.0, 1010.0 }, 1, 3, new[] { 1 }, Dataset.DefaultClassNames(2));
        var row = p.Apply(test).Features.Row(0);
        Assert.Equal(17.0 / 11.0, row[0], 12); // outside [0,1]: that is the point
        Assert.Equal(4.9, row[1], 12); // (5 - 0.1) / 1 for the constant feature
        Assert.Equal(11.0 / 4.0, row[2], 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Applying_to_a_dataset_and_to_a_batch_span_give_identical_values(bool inFloat)
    {
        var train = Train(inFloat);
        var p = Preprocessor.Fit(train);
        var applied = p.Apply(train);
        Assert.Equal(train.StoragePrecision, applied.StoragePrecision);
        Assert.Equal(train.Labels, applied.Labels);
        Assert.Equal(train.FeatureNames, applied.FeatureNames);
        Assert.Equal(train.Name, applied.Name);

        int[] rows = { 0, 1, 2, 3, 4, 5 };
        if (inFloat)
        {
            var batch = new float[18];
            train.GatherRows<float>(rows, batch);
            p.ApplyInPlace<float>(batch);
            var expected = new float[18];
            applied.GatherRows<float>(rows, expected);
            Assert.Equal(expected, batch);
        }
        else
        {
            var batch = new double[18];
            train.GatherRows<double>(rows, batch);
            p.ApplyInPlace<double>(batch);
            var expected = new double[18];
            applied.GatherRows<double>(rows, expected);
            Assert.Equal(expected, batch);
        }
        Assert.Throws<ArgumentException>(() => p.ApplyInPlace<double>(new double[4]));
    }

    [Fact]
    public void Simd_and_scalar_paths_agree_for_wide_rows()
    {
        // 37 features: vector lanes and a scalar tail in every row.
        var rnd = new Random(3);
        int n = 50, d = 37;
        var rows = Enumerable.Range(0, n * d).Select(_ => rnd.NextDouble() * 100 - 50).ToArray();
        var data = Dataset.FromRows(rows, n, d, new int[n], Dataset.DefaultClassNames(1));
        var p = Preprocessor.Fit(data);
        var batch = (double[])rows.Clone();
        p.ApplyInPlace<double>(batch);
        for (int i = 0; i < batch.Length; i++)
            Assert.Equal((rows[i] - p.Offsets[i % d]) / p.Scales[i % d], batch[i]);
    }

    [Fact]
    public void The_state_is_plain_data_that_round_trips()
    {
        var p = Preprocessor.Fit(Train(inFloat: false));
        var copy = new Preprocessor(p.Kind, p.Offsets, p.Scales);
        Assert.Equal(p.Apply(Train(false)).Features, copy.Apply(Train(false)).Features);

        string json = JsonSerializer.Serialize(p);
        var back = JsonSerializer.Deserialize<Preprocessor>(json)!;
        Assert.Equal(p.Kind, back.Kind);
        Assert.Equal(p.Offsets, back.Offsets);
        Assert.Equal(p.Scales, back.Scales);
    }

    [Fact]
    public void Bad_state_and_mismatched_data_are_refused_with_their_ids()
    {
        Assert.Equal("PreprocessorShapeMismatch", Assert.Throws<MlpException>(() => new Preprocessor(ScalingKind.MinMax, new[] { 0.0 }, new[] { 1.0, 2.0 })).ErrorId);
        Assert.Equal("PreprocessorShapeMismatch", Assert.Throws<MlpException>(() => new Preprocessor(ScalingKind.MinMax, Array.Empty<double>(), Array.Empty<double>())).ErrorId);
        Assert.Equal("PreprocessorInvalidValue", Assert.Throws<MlpException>(() => new Preprocessor(ScalingKind.Standardize, new[] { 0.0 }, new[] { 0.0 })).ErrorId);
        Assert.Equal("PreprocessorInvalidValue", Assert.Throws<MlpException>(() => new Preprocessor(ScalingKind.Standardize, new[] { double.NaN }, new[] { 1.0 })).ErrorId);
        Assert.Equal("PreprocessorInvalidValue", Assert.Throws<MlpException>(() => new Preprocessor(ScalingKind.Standardize, new[] { 0.0 }, new[] { 1e-60 })).ErrorId);
        Assert.Equal("InvalidScalingKind", Assert.Throws<MlpException>(() => new Preprocessor((ScalingKind)7, new[] { 0.0 }, new[] { 1.0 })).ErrorId);

        var p = Preprocessor.Fit(Train(false));
        var narrow = Dataset.FromMatrix(Matrix<double>.Build.Dense(2, 2), new[] { 0, 1 });
        Assert.Equal("PreprocessorFeatureMismatch", Assert.Throws<MlpException>(() => p.Apply(narrow)).ErrorId);
        var empty = Dataset.FromRows(Array.Empty<double>(), 0, 3, Array.Empty<int>(), Dataset.DefaultClassNames(1));
        Assert.Equal("PreprocessorNoData", Assert.Throws<MlpException>(() => Preprocessor.Fit(empty)).ErrorId);
        var infinite = Dataset.FromRows(new[] { 1.0, double.PositiveInfinity }, 2, 1, new[] { 0, 0 }, Dataset.DefaultClassNames(1));
        Assert.Equal("PreprocessorNonFiniteData", Assert.Throws<MlpException>(() => Preprocessor.Fit(infinite)).ErrorId);
    }
}
