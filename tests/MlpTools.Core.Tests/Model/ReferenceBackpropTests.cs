using System.Globalization;
using System.Numerics;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Model;

namespace MlpTools.Core.Tests.Model;

/// <summary>
/// The reference path (Backprop, plain loops stage by stage) against PyTorch's answers, and the training path
/// (FusedBackprop, the same stages fused into the Numerics kernels) against the reference.
/// </summary>
public class ReferenceBackpropTests
{
    public static IEnumerable<object[]> Cases => TestData.CaseNames;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_path_matches_PyTorch_autograd_in_double(string name)
    {
        var c = TestData.Case(name);
        (BatchBuffers<double> b, ParameterSet<double> g, BatchLoss loss) = RunReference<double>(c, Precision.Double);
        // The same tolerance as the training path's test against these cases (BackpropTests).
        const double tol = 1e-12;
        TestData.Close(c.Hpre, RowMajor(b.Hpre, c.M, c.H), tol, "Hpre");
        TestData.Close(c.A, RowMajor(b.A, c.M, c.H), tol, "A");
        TestData.Close(c.Z, RowMajor(b.Z, c.M, c.C), tol, "Z");
        TestData.Close(c.P, RowMajor(b.P, c.M, c.C), tol, "P");
        TestData.Close(c.DataLoss, loss.DataLoss, tol, "DataLoss");
        TestData.Close(c.RegLoss, loss.RegularizationLoss, tol, "RegularizationLoss");
        TestData.Close(c.Loss, loss.Total, tol, "Loss");
        TestData.Close(c.DW1, g.BindMatrix(0), tol, "dW1");
        TestData.Close(c.DB1, g.BindVector(1), tol, "db1");
        TestData.Close(c.DW2, g.BindMatrix(2), tol, "dW2");
        TestData.Close(c.DB2, g.BindVector(3), tol, "db2");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_path_matches_PyTorch_within_float_rounding(string name)
    {
        var c = TestData.Case(name);
        (BatchBuffers<float> b, ParameterSet<float> g, BatchLoss loss) = RunReference<float>(c, Precision.Single);
        // As for the training path (BackpropTests): float32 carries about 7 digits; sums of up to 16 terms lose a few more ulps.
        const double tol = 2e-5;
        TestData.Close(c.P, RowMajor(b.P, c.M, c.C), tol, "P");
        TestData.Close(c.Loss, loss.Total, tol, "Loss");
        TestData.Close(c.DW1, g.BindMatrix(0).Map(v => (double)v), tol, "dW1");
        TestData.Close(c.DB1, g.BindVector(1).Map(v => (double)v), tol, "db1");
        TestData.Close(c.DW2, g.BindMatrix(2).Map(v => (double)v), tol, "dW2");
        TestData.Close(c.DB2, g.BindVector(3).Map(v => (double)v), tol, "db2");
    }

    [Fact]
    public void Reference_path_takes_class_weights_as_a_weighted_mean_of_the_per_sample_losses()
    {
        var c = TestData.Case("regularized");
        double[] weights = { 0.5, 2.0, 1.25 };
        (BatchBuffers<double> b, _, BatchLoss loss) = RunReference<double>(c, Precision.Double, weights);
        double expected = 0;
        for (int i = 0; i < c.M; i++) expected -= weights[c.Y[i]] * Math.Log(c.P[i, c.Y[i]]);
        TestData.Close(expected / c.M, loss.DataLoss, 1e-12, "weighted DataLoss");
        // dZ = w[y] (P - Y) / m, from PyTorch's P.
        for (int i = 0; i < c.M; i++)
            for (int j = 0; j < c.C; j++)
                TestData.Close(weights[c.Y[i]] * (c.P[i, j] - (j == c.Y[i] ? 1 : 0)) / c.M, b.dZ[i * c.C + j], 1e-12, $"dZ[{i},{j}]");
    }

    /// <summary>A reference case's batch through the reference path, forward then backward, in precision T.</summary>
    private static (BatchBuffers<T> Batch, ParameterSet<T> Gradients, BatchLoss Loss) RunReference<T>(ReferenceCase c, Precision precision,
        T[]? classWeights = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var net = (Mlp<T>)c.Network(precision);
        BatchBuffers<T> b = net.LoadBatch(c.Data());
        var g = new ParameterSet<T>(c.D, c.H, c.C);
        BatchLoss loss = Backprop.Forward(net.Parameters, b, c.M, c.Lambda, classWeights);
        Backprop.Backward(net.Parameters, b, c.M, c.Lambda, g, classWeights);
        return (b, g, loss);
    }

    /// <summary>
    /// One batch through both paths: (m, D, H, C), whether to use class weights, and lambda. The shapes include a
    /// single sample, two classes, sizes that are not multiples of the kernels' tiles or vectors, K past one cache
    /// block (D = 784) and products big enough to be split over threads.
    /// </summary>
    public static TheoryData<int, int, int, int, bool, double> Batches => new()
    {
        { 1, 1, 1, 2, false, 0.0 }, { 1, 4, 6, 5, true, 1e-2 }, { 3, 2, 3, 3, false, 0.0 }, { 7, 5, 4, 3, true, 0.3 },
        { 9, 3, 5, 2, false, 0.5 }, { 16, 10, 12, 4, true, 1e-3 }, { 33, 17, 24, 5, false, 1e-4 }, { 64, 64, 32, 10, true, 0.0 },
        { 200, 100, 40, 10, false, 1e-4 }, { 100, 784, 100, 10, true, 0.1 },
    };

    [Theory]
    [MemberData(nameof(Batches))]
    public void Fused_path_matches_the_reference_in_float(int m, int d, int h, int c, bool weighted, double lambda) =>
        CompareFusedWithReference<float>(m, d, h, c, weighted, lambda);

    [Theory]
    [MemberData(nameof(Batches))]
    public void Fused_path_matches_the_reference_in_double(int m, int d, int h, int c, bool weighted, double lambda) =>
        CompareFusedWithReference<double>(m, d, h, c, weighted, lambda);

    /// <summary>
    /// Runs one batch through both paths and compares every output. Some Hpre are exactly 0 (a dead unit whose
    /// weights and bias are 0, and an all-zero sample through a unit with bias 0), so both must take the ReLU's
    /// slope there as 0; the two paths must agree on which units are open for every sample.
    /// </summary>
    /// <remarks>
    /// Why not bit for bit: the two paths round differently on purpose. The fused products chain fused multiply-adds
    /// (one rounding each), the reference rounds each product and each sum; the fused dW starts its chain from
    /// (lambda/m) W, the reference adds the L2 term last; the fused softmax multiplies by 1/sum and dZ by 1/m, the
    /// reference divides. Each path is then within a few units of roundoff u (2^-24 float, 2^-53 double) of the exact
    /// value, relative to the size of what it sums, so they are compared within <see cref="Tolerance"/> = 64 u of the
    /// largest entry of each quantity. The worst seen over these batches is 14 u (db1 of the 9-sample batch, a column
    /// sum with cancellation), most are 2 to 6 u. A wrong index, a missing term, a forgotten class weight or L2 term, or
    /// a sample on the other side of the ReLU moves some entry by far more: at least about 1/k of the quantity for a
    /// sum of k terms (k &lt;= 1000 here, so 1e-3 against a tolerance of 4e-6 in float).
    /// The losses are compared within 64 u relative too, except the L2 term, a sum of n squares in double on both paths
    /// in different orders: within 2 n u_double of each other (see the SumOfSquares kernel test).
    /// </remarks>
    private static void CompareFusedWithReference<T>(int m, int d, int h, int c, bool weighted, double lambda)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(m * 1_000_003 + d * 1009 + h * 31 + c);
        var w = new ParameterSet<T>(d, h, c);
        for (int k = 0; k < 4; k++)
        {
            T[] values = w[k];
            double scale = k % 2 == 0 ? 1 / Math.Sqrt(k == 0 ? d : h) : 0.1;
            for (int i = 0; i < values.Length; i++) values[i] = T.CreateTruncating((random.NextDouble() * 2 - 1) * scale);
        }
        // Unit 0 is dead: W1[:, 0] = 0 (column-major: the first D entries) and b1[0] = 0, so Hpre[:, 0] = 0 exactly.
        Array.Clear(w.W1, 0, d);
        w.b1[0] = T.Zero;
        if (h > 1) w.b1[h - 1] = T.Zero;

        var fused = new BatchBuffers<T>(m, d, h, c);
        var reference = new BatchBuffers<T>(m, d, h, c);
        for (int i = 0; i < m * d; i++) fused.X[i] = T.CreateTruncating(random.NextDouble() * 2 - 1);
        // The last sample is all zeros: its Hpre is b1, so Hpre[m-1, H-1] = 0 exactly too.
        if (m > 1) Array.Clear(fused.X, (m - 1) * d, d);
        for (int i = 0; i < m; i++) fused.Labels[i] = random.Next(c);
        fused.X.CopyTo(reference.X, 0);
        fused.Labels.CopyTo(reference.Labels, 0);
        T[]? classWeights = weighted ? Enumerable.Range(0, c).Select(j => T.CreateTruncating(j == 0 ? 0.0 : 0.5 + j * 0.75)).ToArray() : null;

        var gFused = new ParameterSet<T>(d, h, c);
        var gReference = new ParameterSet<T>(d, h, c);
        BatchLoss lossFused = FusedBackprop.Forward(w, fused, m, lambda, withGradientSeed: true, classWeights);
        // A caller that knows the weights' sum of squares (a pass over many batches of the same weights) gets the same bits.
        double known = FusedBackprop.WeightSquares(w);
        Assert.True(known > 0);
        var again = new BatchBuffers<T>(m, d, h, c);
        fused.X.CopyTo(again.X, 0);
        fused.Labels.CopyTo(again.Labels, 0);
        BatchLoss lossKnown = FusedBackprop.Forward(w, again, m, lambda, withGradientSeed: true, classWeights, known);
        Assert.Equal(BitConverter.DoubleToInt64Bits(lossFused.Total), BitConverter.DoubleToInt64Bits(lossKnown.Total));
        Assert.Equal(BitConverter.DoubleToInt64Bits(lossFused.DataLoss), BitConverter.DoubleToInt64Bits(lossKnown.DataLoss));
        FusedBackprop.Backward(w, fused, m, lambda, gFused);
        BatchLoss lossReference = Backprop.Forward(w, reference, m, lambda, classWeights);
        Backprop.Backward(w, reference, m, lambda, gReference, classWeights);

        string what = string.Create(CultureInfo.InvariantCulture, $"{typeof(T).Name} {m}x{d}-{h}-{c}{(weighted ? " weighted" : "")} lambda {lambda}");
        for (int i = 0; i < m; i++)
        {
            Assert.True(T.IsZero(fused.Hpre[i * h]) && T.IsZero(reference.Hpre[i * h]), $"{what}: Hpre[{i}, 0] is not exactly 0");
            for (int j = 0; j < h; j++)
                Assert.True((fused.Hpre[i * h + j] > T.Zero) == (reference.Hpre[i * h + j] > T.Zero), $"{what}: the paths disagree on whether unit {j} is open for sample {i}");
        }
        Assert.True(gFused.b1[0] == T.Zero && gReference.b1[0] == T.Zero, $"{what}: the dead unit has a bias gradient");
        Compare(fused.Hpre, reference.Hpre, m * h, $"{what}: Hpre");
        Compare(fused.A, reference.A, m * h, $"{what}: A");
        Compare(fused.Z, reference.Z, m * c, $"{what}: Z");
        Compare(fused.P, reference.P, m * c, $"{what}: P");
        Compare(fused.dZ, reference.dZ, m * c, $"{what}: dZ");
        Compare(fused.dA, reference.dA, m * h, $"{what}: dA");
        Compare(fused.dH, reference.dH, m * h, $"{what}: dH");
        Compare(gFused.W2, gReference.W2, h * c, $"{what}: dW2");
        Compare(gFused.b2, gReference.b2, c, $"{what}: db2");
        Compare(gFused.W1, gReference.W1, d * h, $"{what}: dW1");
        Compare(gFused.b1, gReference.b1, h, $"{what}: db1");

        Assert.True(Math.Abs(lossFused.DataLoss - lossReference.DataLoss) <= Tolerance<T>() * lossReference.DataLoss,
            string.Create(CultureInfo.InvariantCulture, $"{what}: DataLoss {lossFused.DataLoss:R}, reference {lossReference.DataLoss:R}"));
        double squares = 2 * (d * h + h * c) * Math.Pow(2, -53);
        Assert.True(Math.Abs(lossFused.RegularizationLoss - lossReference.RegularizationLoss) <= squares * lossReference.RegularizationLoss,
            string.Create(CultureInfo.InvariantCulture, $"{what}: RegularizationLoss {lossFused.RegularizationLoss:R}, reference {lossReference.RegularizationLoss:R}"));
    }

    /// <summary>64 units of roundoff of T: 64 * 2^-24 for float, 64 * 2^-53 for double.</summary>
    private static double Tolerance<T>() => 64 * (typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53));

    /// <summary>Asserts max |fused - reference| over the first n entries &lt;= <see cref="Tolerance{T}"/> times the largest |reference| there.</summary>
    private static void Compare<T>(T[] fused, T[] reference, int n, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double largest = 0, worst = 0;
        int at = 0;
        for (int i = 0; i < n; i++)
        {
            double r = double.CreateTruncating(reference[i]), f = double.CreateTruncating(fused[i]);
            largest = Math.Max(largest, Math.Abs(r));
            if (!(Math.Abs(f - r) <= worst))
            {
                worst = Math.Abs(f - r);
                at = i;
            }
        }
        Assert.True(worst <= Tolerance<T>() * largest, string.Create(CultureInfo.InvariantCulture,
            $"{what}[{at}]: fused {double.CreateTruncating(fused[at]):R}, reference {double.CreateTruncating(reference[at]):R}; the difference is {worst / largest:E2} of the largest entry ({largest:E3}), more than {Tolerance<T>():E2}"));
    }

    private static Matrix<double> RowMajor<T>(T[] data, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Matrix<double>.Build.Dense(rows, cols, (i, j) => double.CreateTruncating(data[i * cols + j]));
}
