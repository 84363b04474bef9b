using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;

namespace MlpTools.Core.Tests.Inspection;

public class GradientCheckerTests
{
    public static IEnumerable<object[]> Cases => TestData.CaseNames;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Analytic_gradients_pass_on_every_entry(string name)
    {
        var c = TestData.Case(name);
        var results = GradientChecker.Check(c.Network(Precision.Double), c.Data(), c.Lambda);
        Assert.Equal(new[] { "W1", "b1", "W2", "b2" }, results.Select(r => r.Parameter));
        foreach (var r in results)
        {
            Assert.True(r.Passed, $"{r.Parameter}: max relative error {r.MaxRelativeError:E2} at ({r.WorstRow},{r.WorstColumn}), analytic {r.Analytic}, numerical {r.Numerical}");
            Assert.Equal(r.Rows * r.Columns, r.EntriesChecked);
            Assert.True(r.EntriesChecked > 0);
            // The difference is formed without cancellation, so a correct gradient agrees far below the threshold.
            Assert.True(r.MaxRelativeError < 1e-9, $"{r.Parameter}: {r.MaxRelativeError:E2}");
        }
    }

    [Fact]
    public void A_network_in_single_precision_is_checked_in_double()
    {
        var spiral = BuiltInDatasets.Spiral(3, 10, seed: 1);
        var net = Mlp.Create(2, 10, 3, Precision.Single, seed: 2);
        var results = GradientChecker.Check(net, spiral, 1e-2);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Parameter}: {r.MaxRelativeError:E2}"));
        Assert.All(results, r => Assert.True(r.MaxRelativeError < 1e-6));
    }

    [Theory]
    [InlineData("W1", 1, 2)]
    [InlineData("b1", 3, 0)]
    [InlineData("W2", 2, 1)]
    [InlineData("b2", 0, 0)]
    public void A_corrupted_gradient_entry_is_caught_and_located(string parameter, int row, int column)
    {
        var c = TestData.Case("regularized");
        var net = (Mlp<double>)c.Network(Precision.Double);
        var report = (GradientReport<double>)net.ComputeGradient(c.Data(), c.Lambda, trace: false);
        double[,] given = parameter switch
        {
            "W1" => report.dW1.ToArray(),
            "W2" => report.dW2.ToArray(),
            "b1" => Column(report.db1.ToArray()),
            _ => Column(report.db2.ToArray()),
        };
        // A small slip, as a hand derivation might make: one entry off by 1%.
        given[row, column] = given[row, column] * 1.01 + 1e-6;
        var results = GradientChecker.Check(net, c.Data(), c.Lambda, analytic: new Dictionary<string, double[,]> { [parameter] = given });
        var bad = results.Single(r => r.Parameter == parameter);
        Assert.False(bad.Passed);
        Assert.True(bad.MaxRelativeError > 1e-3);
        Assert.Equal((row, column), (bad.WorstRow, bad.WorstColumn));
        Assert.All(results.Where(r => r.Parameter != parameter), r => Assert.True(r.Passed));
    }

    [Fact]
    public void Sampling_checks_the_requested_number_of_entries()
    {
        var c = TestData.Case("wide");
        var results = GradientChecker.Check(c.Network(Precision.Double), c.Data(), c.Lambda, sampleCount: 5, seed: 3);
        foreach (var r in results) Assert.Equal(Math.Min(5, r.Rows * r.Columns), r.EntriesChecked);
    }

    [Fact]
    public void Steps_that_would_cross_the_relu_kink_are_shortened_not_misreported()
    {
        // One sample whose first hidden pre-activation is 1e-7: a step of 1e-5 on b1[0] or W1[0,0] would cross zero.
        var w1 = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, 0.5 } });
        var b1 = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(new[] { -1.0 + 1e-7, 0.1 });
        var w2 = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, -1.0 }, { 0.5, 0.2 } });
        var b2 = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(new[] { 0.0, 0.0 });
        var net = Mlp.FromParameters(w1, b1, w2, b2);
        var data = Dataset.FromMatrix(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(new[,] { { 1.0 } }), new[] { 0 }, 2);
        var results = GradientChecker.Check(net, data, 0.0, step: 1e-5);
        Assert.Equal(1, results.Single(r => r.Parameter == "b1").ReducedSteps);
        Assert.Equal(1, results.Single(r => r.Parameter == "W1").ReducedSteps);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Parameter}: {r.MaxRelativeError:E2}"));
    }

    [Fact]
    public void Zero_biases_and_an_input_at_the_origin_still_check_every_entry()
    {
        // New networks start with b1 = 0, and the spiral's arms all start at (0, 0): Hpre is exactly 0 there.
        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 4);
        var results = GradientChecker.Check(Mlp.Create(2, 16, 3, Precision.Double, seed: 5), spiral, 1e-3);
        Assert.All(results, r => Assert.True(r.Passed && r.EntriesChecked == r.Rows * r.Columns, $"{r.Parameter}: {r.MaxRelativeError:E2}"));
    }

    [Fact]
    public void Bad_settings_are_refused_with_their_ids()
    {
        var c = TestData.Case("tiny");
        Assert.Equal("InvalidSampleCount", Assert.Throws<MlpException>(() => GradientChecker.Check(c.Network(Precision.Double), c.Data(), 0, sampleCount: 0)).ErrorId);
        Assert.Equal("InvalidStep", Assert.Throws<MlpException>(() => GradientChecker.Check(c.Network(Precision.Double), c.Data(), 0, step: -1)).ErrorId);
        Assert.Equal("GradientShapeMismatch", Assert.Throws<MlpException>(() => GradientChecker.Check(c.Network(Precision.Double), c.Data(), 0,
            analytic: new Dictionary<string, double[,]> { ["W1"] = new double[1, 1] })).ErrorId);
    }

    private static double[,] Column(double[] v)
    {
        var m = new double[v.Length, 1];
        for (int i = 0; i < v.Length; i++) m[i, 0] = v[i];
        return m;
    }
}
