using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Model;

public class BackpropTests
{
    // A case small enough to work by hand. X is 2x2, W1 2x2, b1 2, W2 2x2, b2 2, labels [0, 1], lambda 0.1.
    private static readonly double[,] X = { { 1.0, 2.0 }, { 2.0, -0.5 } };
    private static readonly int[] Y = { 0, 1 };
    private static readonly double[,] W1 = { { 0.1, -0.2 }, { 0.3, 0.4 } };
    private static readonly double[] B1 = { 0.01, -0.02 };
    private static readonly double[,] W2 = { { 0.5, -0.5 }, { 0.25, 0.75 } };
    private static readonly double[] B2 = { 0.1, -0.1 };
    private const double Lambda = 0.1;

    private static GradientReport<double> HandCase(bool trace)
    {
        var net = Mlp.FromParameters(Matrix<double>.Build.DenseOfArray(W1), Vector<double>.Build.DenseOfArray(B1),
            Matrix<double>.Build.DenseOfArray(W2), Vector<double>.Build.DenseOfArray(B2), Precision.Double);
        var data = Dataset.FromMatrix(Matrix<double>.Build.DenseOfArray(X), Y, 2);
        return (GradientReport<double>)net.ComputeGradient(data, Lambda, trace);
    }

    [Fact]
    public void Forward_matches_the_hand_computation()
    {
        var r = HandCase(trace: true);
        // Hpre = X W1 + b1:  row 0: 1*0.1 + 2*0.3 + 0.01 = 0.71,  1*(-0.2) + 2*0.4 - 0.02 = 0.58
        //                    row 1: 2*0.1 - 0.5*0.3 + 0.01 = 0.06, 2*(-0.2) - 0.5*0.4 - 0.02 = -0.62
        TestData.Close(new[,] { { 0.71, 0.58 }, { 0.06, -0.62 } }, r.Hpre!, 1e-15, "Hpre");
        // A = max(0, Hpre): the one negative entry is cut to zero.
        TestData.Close(new[,] { { 0.71, 0.58 }, { 0.06, 0.0 } }, r.A!, 1e-15, "A");
        // Z = A W2 + b2:  row 0: 0.71*0.5 + 0.58*0.25 + 0.1 = 0.6,  0.71*(-0.5) + 0.58*0.75 - 0.1 = -0.02
        //                 row 1: 0.06*0.5 + 0.1 = 0.13,             0.06*(-0.5) - 0.1 = -0.13
        TestData.Close(new[,] { { 0.6, -0.02 }, { 0.13, -0.13 } }, r.Z!, 1e-14, "Z");
        // P = softmax(Z): for two classes P[i,0] = 1 / (1 + exp(Z[i,1] - Z[i,0])).
        double p0 = 1 / (1 + Math.Exp(-0.62)), p1 = 1 / (1 + Math.Exp(-0.26));
        TestData.Close(new[,] { { p0, 1 - p0 }, { p1, 1 - p1 } }, r.P!, 1e-14, "P");
        // L = -(1/2)(log P[0,0] + log P[1,1]) + (0.1 / 4)(0.01 + 0.04 + 0.09 + 0.16 + 0.25 + 0.25 + 0.0625 + 0.5625)
        TestData.Close(-0.5 * (Math.Log(p0) + Math.Log(1 - p1)), r.DataLoss, 1e-15, "DataLoss");
        TestData.Close(0.1 / 4 * 1.425, r.RegularizationLoss, 1e-15, "RegularizationLoss");
        TestData.Close(r.DataLoss + r.RegularizationLoss, r.Loss, 0, "Loss");
    }

    [Fact]
    public void Backward_matches_the_hand_computation()
    {
        var r = HandCase(trace: true);
        double p0 = 1 / (1 + Math.Exp(-0.62)), p1 = 1 / (1 + Math.Exp(-0.26));
        // dZ = (P - Y) / m, m = 2.
        double[,] dz = { { (p0 - 1) / 2, (1 - p0) / 2 }, { p1 / 2, (1 - p1 - 1) / 2 } };
        TestData.Close(dz, r.dZ!, 1e-14, "dZ");
        // db2 = column sums of dZ.
        TestData.Close(new[] { dz[0, 0] + dz[1, 0], dz[0, 1] + dz[1, 1] }, r.db2, 1e-14, "db2");
        // dW2 = A^T dZ + (lambda/m) W2.
        double[,] a = { { 0.71, 0.58 }, { 0.06, 0.0 } };
        var dw2 = new double[2, 2];
        for (int j = 0; j < 2; j++)
            for (int c = 0; c < 2; c++) dw2[j, c] = a[0, j] * dz[0, c] + a[1, j] * dz[1, c] + Lambda / 2 * W2[j, c];
        TestData.Close(dw2, r.dW2, 1e-14, "dW2");
        // dA = dZ W2^T; dH = dA * 1[Hpre > 0] (Hpre[1,1] = -0.62 blocks that entry).
        var dh = new double[2, 2];
        bool[,] open = { { true, true }, { true, false } };
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
            {
                double da = dz[i, 0] * W2[j, 0] + dz[i, 1] * W2[j, 1];
                Assert.Equal(da, r.dA![i, j], 14);
                dh[i, j] = open[i, j] ? da : 0.0;
            }
        TestData.Close(dh, r.dH!, 1e-14, "dH");
        Assert.Equal(0.0, r.dH![1, 1]);
        // dW1 = X^T dH + (lambda/m) W1; db1 = column sums of dH.
        var dw1 = new double[2, 2];
        for (int d = 0; d < 2; d++)
            for (int j = 0; j < 2; j++) dw1[d, j] = X[0, d] * dh[0, j] + X[1, d] * dh[1, j] + Lambda / 2 * W1[d, j];
        TestData.Close(dw1, r.dW1, 1e-14, "dW1");
        TestData.Close(new[] { dh[0, 0] + dh[1, 0], dh[0, 1] + dh[1, 1] }, r.db1, 1e-14, "db1");
    }

    public static IEnumerable<object[]> Cases => TestData.CaseNames;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Double_precision_matches_PyTorch_autograd(string name)
    {
        var c = TestData.Case(name);
        var r = (GradientReport<double>)c.Network(Precision.Double).ComputeGradient(c.Data(), c.Lambda, trace: true);
        const double tol = 1e-12;
        TestData.Close(c.Hpre, r.Hpre!, tol, "Hpre");
        TestData.Close(c.A, r.A!, tol, "A");
        TestData.Close(c.Z, r.Z!, tol, "Z");
        TestData.Close(c.P, r.P!, tol, "P");
        TestData.Close(c.DataLoss, r.DataLoss, tol, "DataLoss");
        TestData.Close(c.RegLoss, r.RegularizationLoss, tol, "RegularizationLoss");
        TestData.Close(c.Loss, r.Loss, tol, "Loss");
        TestData.Close(c.DW1, r.dW1, tol, "dW1");
        TestData.Close(c.DB1, r.db1, tol, "db1");
        TestData.Close(c.DW2, r.dW2, tol, "dW2");
        TestData.Close(c.DB2, r.db2, tol, "db2");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Single_precision_matches_PyTorch_within_float_rounding(string name)
    {
        var c = TestData.Case(name);
        var r = (GradientReport<float>)c.Network(Precision.Single).ComputeGradient(c.Data(), c.Lambda, trace: false);
        // float32 carries about 7 digits; sums of up to 16 terms lose at most a few more ulps.
        const double tol = 2e-5;
        TestData.Close(c.Loss, r.Loss, tol, "Loss");
        TestData.Close(c.DW1, r.dW1.Map(v => (double)v), tol, "dW1");
        TestData.Close(c.DB1, r.db1.Map(v => (double)v), tol, "db1");
        TestData.Close(c.DW2, r.dW2.Map(v => (double)v), tol, "dW2");
        TestData.Close(c.DB2, r.db2.Map(v => (double)v), tol, "db2");
    }

    [Fact]
    public void Gradient_shapes_match_the_parameters()
    {
        var c = TestData.Case("wide");
        var net = (Mlp<double>)c.Network(Precision.Double);
        var r = (GradientReport<double>)net.ComputeGradient(c.Data(), c.Lambda, trace: false);
        Assert.Equal((net.W1.RowCount, net.W1.ColumnCount), (r.dW1.RowCount, r.dW1.ColumnCount));
        Assert.Equal(net.b1.Count, r.db1.Count);
        Assert.Equal((net.W2.RowCount, net.W2.ColumnCount), (r.dW2.RowCount, r.dW2.ColumnCount));
        Assert.Equal(net.b2.Count, r.db2.Count);
        Assert.False(r.HasTrace);
        Assert.Null(r.Hpre);
    }
}

public class ConsistencyTests
{
    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void Probabilities_do_not_depend_on_the_batch_a_sample_is_in(Precision precision)
    {
        // 1,500 samples: Predict works in chunks of 1,024, the gradient trace in one batch of all, and single rows alone.
        var digits = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 1500).ToArray());
        var net = Mlp.Create(64, 37, 10, precision, seed: 3);
        var (p, predicted) = net.Predict(digits);
        var trace = net.ComputeGradient(digits, 0.0, trace: true);
        dynamic traced = trace;
        for (int i = 0; i < digits.Count; i += 7)
        {
            var alone = net.Predict(digits.Subset(new[] { i })).Probabilities;
            for (int j = 0; j < 10; j++)
            {
                Assert.Equal(p[i, j], alone[0, j]);
                Assert.Equal(p[i, j], (double)traced.P[i, j]);
            }
        }
        var eval = net.Evaluate(digits);
        Assert.Equal(eval.Accuracy, predicted.Zip(digits.Labels).Count(t => t.First == t.Second) / (double)digits.Count);
    }
}
