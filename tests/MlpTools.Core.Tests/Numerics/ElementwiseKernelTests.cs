using System.Numerics;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

/// <summary>
/// The element-wise kernels (and the row-wise softmax and cross-entropy) against the plain loops of
/// ReferenceKernels. They round exactly as the loops do (the same operations on each element, sums in the same
/// order), so they must agree bit for bit; only SumOfSquares, which sums in interleaved partial sums, is compared
/// within a bound.
/// Lengths cover empty, shorter than one vector, not a multiple of the vector width, and long.
/// </summary>
[Collection(NumericsTestGroup.Name)]
public class ElementwiseKernelTests
{
    public static TheoryData<int, int> Shapes => new() { { 0, 5 }, { 1, 1 }, { 3, 7 }, { 5, 16 }, { 9, 33 }, { 200, 100 }, { 17, 1024 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddBiasRelu_matches_reference(int rows, int cols)
    {
        Both(rows, cols, static (r, c, random) => Check<float>(r, c, random));
        Both(rows, cols, static (r, c, random) => Check<double>(r, c, random));

        static void Check<T>(int rows, int cols, Random random)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] h = Values<T>(random, rows * cols, withSpecials: true), bias = Values<T>(random, cols, withSpecials: false);
            T[] h1 = (T[])h.Clone(), h2 = (T[])h.Clone(), a1 = new T[h.Length], a2 = new T[h.Length];
            ReferenceKernels.AddBiasRelu<T>(h1, bias, a1, rows, cols);
            Kernels.AddBiasRelu<T>(h2, bias, a2, rows, cols);
            AssertBits(h1, h2);
            AssertBits(a1, a2);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ReluBackward_fused_with_ColumnSums_matches_reference(int rows, int cols)
    {
        Both(rows, cols, static (r, c, random) => Check<float>(r, c, random));
        Both(rows, cols, static (r, c, random) => Check<double>(r, c, random));

        static void Check<T>(int rows, int cols, Random random)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] da = Values<T>(random, rows * cols, false), h = Values<T>(random, rows * cols, withSpecials: true);
            T[] dh1 = new T[da.Length], dh3 = new T[da.Length];
            T[] s1 = new T[cols], s2 = new T[cols], s3 = Values<T>(random, cols, false);
            ReferenceKernels.ReluBackward<T>(da, h, dh1);
            ReferenceKernels.ColumnSums<T>(dh1, rows, cols, s1);
            Kernels.ColumnSums<T>(dh1, rows, cols, s2);
            Kernels.ReluBackwardColumnSums<T>(da, h, dh3, rows, cols, s3);
            AssertBits(dh1, dh3);
            AssertBits(s1, s2);
            AssertBits(s1, s3);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Scale_AddScaled_AddBias_match_reference(int rows, int cols)
    {
        Both(rows, cols, static (r, c, random) => Check<float>(r, c, random));
        Both(rows, cols, static (r, c, random) => Check<double>(r, c, random));

        static void Check<T>(int rows, int cols, Random random)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int n = rows * cols;
            T[] x = Values<T>(random, n, withSpecials: true), y = Values<T>(random, n, withSpecials: true), bias = Values<T>(random, cols, false);
            T alpha = T.CreateTruncating(0.37), beta = T.CreateTruncating(-1.25);
            T[] scaled1 = new T[n], scaled2 = new T[n], added1 = (T[])y.Clone(), added2 = (T[])y.Clone(), biased1 = (T[])y.Clone(), biased2 = (T[])y.Clone();
            ReferenceKernels.Scale<T>(scaled1, alpha, x);
            Kernels.Scale<T>(scaled2, alpha, x);
            ReferenceKernels.AddScaled<T>(added1, beta, x);
            Kernels.AddScaled<T>(added2, beta, x);
            ReferenceKernels.AddBias<T>(biased1, bias, rows, cols);
            Kernels.AddBias<T>(biased2, bias, rows, cols);
            AssertBits(scaled1, scaled2);
            AssertBits(added1, added2);
            AssertBits(biased1, biased2);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(13, 10)]
    [InlineData(200, 10)]
    [InlineData(5, 33)]
    public void Softmax_and_cross_entropy_match_reference_with_and_without_class_weights(int rows, int cols)
    {
        Both(rows, cols, static (r, c, random) => Check<float>(r, c, random));
        Both(rows, cols, static (r, c, random) => Check<double>(r, c, random));

        static void Check<T>(int rows, int cols, Random random)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // Scores up to +-30, so some probabilities are tiny; the last row has a tie for the largest score.
            T[] z = Values<T>(random, rows * cols, false).Select(v => v * T.CreateTruncating(30)).ToArray();
            if (cols > 1) z[(rows - 1) * cols] = z[(rows - 1) * cols + 1];
            int[] labels = Enumerable.Range(0, rows).Select(_ => random.Next(cols)).ToArray();
            T[] weights = Enumerable.Range(0, cols).Select(j => T.CreateTruncating(j % 3 == 0 ? 0.0 : 0.25 + j)).ToArray();
            T scale = T.One / T.CreateTruncating(rows);
            foreach (T[] w in new[] { Array.Empty<T>(), weights })
            {
                foreach (bool withDz in new[] { true, false })
                {
                    T[] p1 = new T[z.Length], p2 = new T[z.Length];
                    T[] dz1 = withDz ? new T[z.Length] : Array.Empty<T>(), dz2 = withDz ? new T[z.Length] : Array.Empty<T>();
                    double expected = ReferenceKernels.SoftmaxCrossEntropy<T>(z, labels, p1, dz1, rows, cols, scale, w);
                    double actual = Kernels.SoftmaxCrossEntropy<T>(z, labels, p2, dz2, rows, cols, scale, w);
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
                    AssertBits(p1, p2);
                    AssertBits(dz1, dz2);
                }
            }
            T[] p3 = new T[z.Length], p4 = new T[z.Length];
            ReferenceKernels.Softmax<T>(z, p3, rows, cols);
            Kernels.Softmax<T>(z, p4, rows, cols);
            AssertBits(p3, p4);
        }
    }

    [Fact]
    public void Class_weights_of_1_give_the_unweighted_bits()
    {
        var random = new Random(11);
        int rows = 9, cols = 4;
        float[] z = Values<float>(random, rows * cols, false), ones = { 1, 1, 1, 1 };
        int[] labels = Enumerable.Range(0, rows).Select(i => i % cols).ToArray();
        float[] p1 = new float[z.Length], p2 = new float[z.Length], dz1 = new float[z.Length], dz2 = new float[z.Length];
        double plain = Kernels.SoftmaxCrossEntropy<float>(z, labels, p1, dz1, rows, cols, 1f / rows);
        double weighted = Kernels.SoftmaxCrossEntropy<float>(z, labels, p2, dz2, rows, cols, 1f / rows, ones);
        Assert.Equal(BitConverter.DoubleToInt64Bits(plain), BitConverter.DoubleToInt64Bits(weighted));
        AssertBits(p1, p2);
        AssertBits(dz1, dz2);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(1000)]
    [InlineData(100_003)]
    public void MomentumStep_matches_reference(int n)
    {
        foreach (bool nesterov in new[] { false, true })
        {
            Check<float>(n, nesterov);
            Check<double>(n, nesterov);
        }

        static void Check<T>(int n, bool nesterov)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(n);
            T[] w = Values<T>(random, n, false), v = Values<T>(random, n, false), g = Values<T>(random, n, false);
            T[] w1 = (T[])w.Clone(), v1 = (T[])v.Clone(), w2 = (T[])w.Clone(), v2 = (T[])v.Clone();
            T mu = T.CreateTruncating(0.9), lr = T.CreateTruncating(0.01);
            ReferenceKernels.MomentumStep<T>(w1, v1, g, mu, lr, nesterov);
            Kernels.MomentumStep<T>(w2, v2, g, mu, lr, nesterov);
            AssertBits(w1, w2);
            AssertBits(v1, v2);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(1000)]
    [InlineData(100_003)]
    public void AdamStep_matches_reference(int n)
    {
        Check<float>(n);
        Check<double>(n);

        static void Check<T>(int n)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(n);
            T[] w = Values<T>(random, n, false), m = Values<T>(random, n, false), g = Values<T>(random, n, false);
            // The second moment is a running mean of squares: non-negative, and some exactly zero (a first step).
            T[] s = Values<T>(random, n, false).Select((x, i) => i % 5 == 0 ? T.Zero : x * x).ToArray();
            T[] w1 = (T[])w.Clone(), m1 = (T[])m.Clone(), s1 = (T[])s.Clone(), w2 = (T[])w.Clone(), m2 = (T[])m.Clone(), s2 = (T[])s.Clone();
            T b1 = T.CreateTruncating(0.9), b2 = T.CreateTruncating(0.999), lr = T.CreateTruncating(1e-3), eps = T.CreateTruncating(1e-8);
            ReferenceKernels.AdamStep<T>(w1, m1, s1, g, b1, b2, lr, eps);
            Kernels.AdamStep<T>(w2, m2, s2, g, b1, b2, lr, eps);
            AssertBits(w1, w2);
            AssertBits(m1, m2);
            AssertBits(s1, s2);
            Assert.NotEqual(w, w2);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(1000)]
    [InlineData(100_003)]
    public void RmsPropStep_matches_reference(int n)
    {
        Check<float>(n);
        Check<double>(n);

        static void Check<T>(int n)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(n);
            T[] w = Values<T>(random, n, false), g = Values<T>(random, n, false);
            T[] s = Values<T>(random, n, false).Select((x, i) => i % 5 == 0 ? T.Zero : x * x).ToArray();
            T[] w1 = (T[])w.Clone(), s1 = (T[])s.Clone(), w2 = (T[])w.Clone(), s2 = (T[])s.Clone();
            T rho = T.CreateTruncating(0.9), lr = T.CreateTruncating(1e-3), eps = T.CreateTruncating(1e-8);
            ReferenceKernels.RmsPropStep<T>(w1, s1, g, rho, lr, eps);
            Kernels.RmsPropStep<T>(w2, s2, g, rho, lr, eps);
            AssertBits(w1, w2);
            AssertBits(s1, s2);
            Assert.NotEqual(w, w2);
        }
    }

    [Fact]
    public void Updates_refuse_state_arrays_shorter_than_the_parameters()
    {
        float[] w = new float[8], shortState = new float[7], g = new float[8];
        Assert.Throws<ArgumentException>(() => Kernels.AdamStep<float>(w, new float[8], shortState, g, 0.9f, 0.999f, 1e-3f, 1e-8f));
        Assert.Throws<ArgumentException>(() => Kernels.RmsPropStep<float>(w, shortState, g, 0.9f, 1e-3f, 1e-8f));
        Assert.Throws<ArgumentException>(() => Kernels.MomentumStep<float>(w, new float[8], shortState, 0.9f, 0.01f, nesterov: false));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(78_400)]
    [InlineData(802_816)]
    public void SumOfSquares_matches_reference(int n)
    {
        var random = new Random(n);
        float[] f = Values<float>(random, n, false);
        double[] d = Values<double>(random, n, false);
        // Both sum n non-negative terms in double, in different orders: each is within (n - 1) u_double of the
        // exact sum (Higham 3.1; terms are non-negative, so the bound is relative to the sum itself), and so
        // within 2 (n - 1) u_double of each other. Float inputs square exactly in double.
        double u = Math.Pow(2, -53);
        double rf = ReferenceKernels.SumOfSquares<float>(f), rd = ReferenceKernels.SumOfSquares<double>(d);
        Assert.True(Math.Abs(Kernels.SumOfSquares<float>(f) - rf) <= 2 * n * u * rf);
        Assert.True(Math.Abs(Kernels.SumOfSquares<double>(d) - rd) <= 2 * n * u * rd * 1.0000001 + 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(100)]
    [InlineData(16_391)]
    [InlineData(65_536)]
    [InlineData(78_400)]
    [InlineData(2 * 65_536 + 16_384 + 13)]
    public void SumOfSquares_keeps_its_order_of_additions(int n)
    {
        // The order SumOfSquares documents, spelled out: chunks of 65,536 elements, their sums added in order; in a chunk,
        // two interleaved partial sums of C double lanes each (C = Vector<double>.Count): for each step of 2C elements,
        // lane k of the first adds the square of element k of the step and lane k of the second that of element C + k;
        // then the lanes of their sum added as Vector.Sum adds them, then the squares of the tail one by one. A
        // training's loss (the L2 penalty) and gradient norms come from these sums, so any other order, however close,
        // changes a result. Terms of magnitudes from 1e-3 to 1e3 make the order show in the bits.
        var random = new Random(n + 11);
        float[] f = new float[n];
        double[] d = new double[n];
        for (int i = 0; i < n; i++)
        {
            double x = (random.NextDouble() < 0.5 ? -1 : 1) * Math.Pow(10, 6 * random.NextDouble() - 3);
            f[i] = (float)x;
            d[i] = x * (1 + 1e-9 * random.NextDouble());
        }
        Assert.Equal(BitConverter.DoubleToInt64Bits(InOrder(f.Select(x => (double)x).ToArray())), BitConverter.DoubleToInt64Bits(Kernels.SumOfSquares<float>(f)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(InOrder(d)), BitConverter.DoubleToInt64Bits(Kernels.SumOfSquares<double>(d)));

        static double InOrder(double[] x)
        {
            int lanes = Vector<double>.Count, step = 2 * lanes, chunk = 65_536;
            double total = 0;
            for (int start = 0; start < x.Length; start += chunk)
            {
                int length = Math.Min(chunk, x.Length - start), vector = Vector.IsHardwareAccelerated ? length / step * step : 0;
                double[] first = new double[lanes], second = new double[lanes], sum = new double[lanes];
                for (int i = 0; i < vector; i += step)
                {
                    for (int k = 0; k < lanes; k++)
                    {
                        first[k] += x[start + i + k] * x[start + i + k];
                        second[k] += x[start + i + lanes + k] * x[start + i + lanes + k];
                    }
                }
                for (int k = 0; k < lanes; k++) sum[k] = first[k] + second[k];
                double s = Vector.IsHardwareAccelerated ? Vector.Sum(new Vector<double>(sum)) : 0;
                for (int i = vector; i < length; i++) s += x[start + i] * x[start + i];
                total += s;
            }
            return total;
        }
    }

    [Fact]
    public void AllFinite_finds_any_NaN_or_infinity()
    {
        foreach (int n in new[] { 1, 7, 8, 9, 64, 100 })
        {
            foreach (int at in new[] { 0, n / 2, n - 1 })
            {
                foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                {
                    var x = new float[n];
                    Assert.True(Kernels.AllFinite<float>(x));
                    x[at] = bad;
                    Assert.False(Kernels.AllFinite<float>(x));
                    var y = new double[n];
                    y[at] = bad;
                    Assert.False(Kernels.AllFinite<double>(y));
                }
            }
        }
        Assert.True(Kernels.AllFinite<float>(new[] { float.MaxValue, float.MinValue, float.Epsilon, -0f }));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AllFinite_matches_reference(int rows, int cols)
    {
        var random = new Random(rows * 7 + cols);
        for (int t = 0; t < 20; t++)
        {
            // Specials one entry in 8, so long arrays nearly always hold one and short ones often do not.
            float[] f = Values<float>(random, rows * cols, withSpecials: true);
            double[] d = Values<double>(random, rows * cols, withSpecials: true);
            Assert.Equal(ReferenceKernels.AllFinite<float>(f), Kernels.AllFinite<float>(f));
            Assert.Equal(ReferenceKernels.AllFinite<double>(d), Kernels.AllFinite<double>(d));
        }
    }

    [Fact]
    public void Softmax_cross_entropy_matches_a_double_computation()
    {
        var random = new Random(3);
        int rows = 7, cols = 10;
        float[] z = Values<float>(random, rows * cols, false);
        for (int i = 0; i < z.Length; i++) z[i] *= 20;
        int[] labels = Enumerable.Range(0, rows).Select(i => i % cols).ToArray();
        float[] p = new float[z.Length], dz = new float[z.Length], p2 = new float[z.Length];
        double loss = Kernels.SoftmaxCrossEntropy<float>(z, labels, p, dz, rows, cols, 0.5f);
        Kernels.Softmax<float>(z, p2, rows, cols);
        double expectedLoss = 0;
        for (int i = 0; i < rows; i++)
        {
            double max = Enumerable.Range(0, cols).Max(j => (double)z[i * cols + j]);
            double sum = Enumerable.Range(0, cols).Sum(j => Math.Exp(z[i * cols + j] - max));
            expectedLoss += Math.Log(sum) - (z[i * cols + labels[i]] - max);
            for (int j = 0; j < cols; j++)
            {
                double pij = Math.Exp(z[i * cols + j] - max) / sum;
                // A handful of float roundings (exp, sum of 10, divide): a few ulps, 1e-6 relative plus 1e-7 absolute.
                Assert.True(Math.Abs(p[i * cols + j] - pij) <= 1e-6 * pij + 1e-7);
                Assert.Equal(p[i * cols + j], p2[i * cols + j]);
                Assert.True(Math.Abs(dz[i * cols + j] - 0.5 * (pij - (j == labels[i] ? 1 : 0))) <= 1e-6);
            }
        }
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * expectedLoss);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ReluActivity_matches_reference(int rows, int cols)
    {
        Both(rows, cols, static (r, c, random) => Check<float>(r, c, random));
        Both(rows, cols, static (r, c, random) => Check<double>(r, c, random));

        static void Check<T>(int rows, int cols, Random random)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // Two batches into the same peaks, as an epoch takes them; the second starts from the first's peaks.
            for (int batch = 0; batch < 2; batch++)
            {
                T[] h = Values<T>(random, rows * cols, withSpecials: true);
                T[] peak1 = new T[cols], peak2 = new T[cols];
                if (batch == 1)
                {
                    peak1 = Values<T>(random, cols, withSpecials: false).Select(v => T.Abs(v)).ToArray();
                    peak2 = (T[])peak1.Clone();
                }
                long expected = ReferenceKernels.ReluActivity<T>(h, rows, cols, peak1);
                long actual = Kernels.ReluActivity<T>(h, rows, cols, peak2);
                Assert.Equal(expected, actual);
                AssertBits(peak1, peak2);
            }
        }
    }

    [Fact]
    public void ReluActivity_counts_the_zero_activations_and_keeps_each_units_largest_preactivation()
    {
        // 3 samples x 2 units (row-major): unit 0 is active once; unit 1 never is (0, -0 and -2 are all <= 0).
        float[] h = { -1f, 0f, 2.5f, -0f, -3f, -2f };
        float[] peak = new float[2];
        Assert.Equal(5, Kernels.ReluActivity<float>(h, 3, 2, peak));
        Assert.Equal(2.5f, peak[0]);
        Assert.False(peak[1] > 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(78_400)]
    public void SquaredDistance_matches_reference(int n)
    {
        Check<float>(n);
        Check<double>(n);

        static void Check<T>(int n)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(n);
            T[] a = Values<T>(random, n, false), b = Values<T>(random, n, false);
            // The same terms in double, summed in another order: within 2 (n - 1) u_double of each other (see SumOfSquares).
            double expected = ReferenceKernels.SquaredDistance<T>(a, b), actual = Kernels.SquaredDistance<T>(a, b);
            Assert.True(Math.Abs(actual - expected) <= 2 * n * Math.Pow(2, -53) * expected, $"{actual:R} vs {expected:R}");
            Assert.Equal(0.0, Kernels.SquaredDistance<T>(a, a));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(1000)]
    [InlineData(100_003)]
    public void Measured_steps_write_the_same_bits_and_measure_their_move(int n)
    {
        Check<float>(n);
        Check<double>(n);

        static void Check<T>(int n)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(n);
            T[] w = Values<T>(random, n, false), g = Values<T>(random, n, false), v = Values<T>(random, n, false);
            T[] s = Values<T>(random, n, false).Select(x => x * x).ToArray();
            T mu = T.CreateTruncating(0.9), lr = T.CreateTruncating(0.01), b1 = T.CreateTruncating(0.9), b2 = T.CreateTruncating(0.999);
            T eps = T.CreateTruncating(1e-8);
            var steps = new (string Name, Func<T[], T[], T[], bool, StepSquares> Step)[]
            {
                ("momentum", (wi, si, ti, measure) => Kernels.MomentumStep<T>(wi, si, g, mu, lr, nesterov: false, measure)),
                ("nesterov", (wi, si, ti, measure) => Kernels.MomentumStep<T>(wi, si, g, mu, lr, nesterov: true, measure)),
                ("adam", (wi, si, ti, measure) => Kernels.AdamStep<T>(wi, si, ti, g, b1, b2, lr, eps, measure)),
                ("rmsprop", (wi, si, ti, measure) => Kernels.RmsPropStep<T>(wi, ti, g, mu, lr, eps, measure)),
            };
            foreach (var (name, step) in steps)
            {
                T[] plainW = (T[])w.Clone(), plainS = (T[])v.Clone(), plainT = (T[])s.Clone();
                T[] measuredW = (T[])w.Clone(), measuredS = (T[])v.Clone(), measuredT = (T[])s.Clone();
                StepSquares none = step(plainW, plainS, plainT, false);
                StepSquares size = step(measuredW, measuredS, measuredT, true);
                // Measuring changes nothing the step writes.
                AssertBits(plainW, measuredW);
                AssertBits(plainS, measuredS);
                AssertBits(plainT, measuredT);
                Assert.Equal(default, none);
                // The sums are those of the plain loops, in another order and, for float, with the vector lanes' running
                // sums kept in float: at most 16384 / 8 = 2048 terms a lane, each within u_float of its value.
                double update = ReferenceKernels.SquaredDistance<T>(measuredW, w), before = ReferenceKernels.SumOfSquares<T>(w);
                double bound = typeof(T) == typeof(float) ? 2100 * Math.Pow(2, -24) : 2 * n * Math.Pow(2, -53);
                Assert.True(update > 0, name);
                Assert.True(Math.Abs(size.Update - update) <= bound * update, $"{name}: update {size.Update:R} vs {update:R}");
                Assert.True(Math.Abs(size.Before - before) <= bound * before, $"{name}: before {size.Before:R} vs {before:R}");

                // Chunked in the same way on one thread as on several: the same bits.
                StepSquares one = default, many = default;
                KernelDeterminismTests.WithThreads(1, () => one = step((T[])w.Clone(), (T[])v.Clone(), (T[])s.Clone(), true));
                KernelDeterminismTests.WithThreads(KernelThreads.MaxThreads, () => many = step((T[])w.Clone(), (T[])v.Clone(), (T[])s.Clone(), true));
                Assert.Equal(BitConverter.DoubleToInt64Bits(one.Update), BitConverter.DoubleToInt64Bits(many.Update));
                Assert.Equal(BitConverter.DoubleToInt64Bits(one.Before), BitConverter.DoubleToInt64Bits(many.Before));
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(29_008)]
    [InlineData(50_176)]
    [InlineData(65_536)]
    [InlineData(78_400)]
    [InlineData(2 * 65_536 + 16_384 + 13)]
    public void Steps_sum_the_squares_of_gradient_and_new_weights_with_the_bits_of_SumOfSquares(int n)
    {
        // Sizes around the update's chunks (16,384) and SumOfSquares' (65,536), with a tail shorter than a vector.
        Check<float>(n);
        Check<double>(n);

        static void Check<T>(int n)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(n + 7);
            T[] w = Values<T>(random, n, false), g = Values<T>(random, n, false), v = Values<T>(random, n, false);
            T[] s = Values<T>(random, n, false).Select(x => x * x).ToArray();
            T mu = T.CreateTruncating(0.9), lr = T.CreateTruncating(0.01), b1 = T.CreateTruncating(0.9), b2 = T.CreateTruncating(0.999);
            T eps = T.CreateTruncating(1e-8);
            var steps = new (string Name, Func<T[], T[], T[], bool, StepSquares> Plain, SquaresStep<T> Summed)[]
            {
                ("momentum", (wi, si, ti, measure) => Kernels.MomentumStep<T>(wi, si, g, mu, lr, nesterov: false, measure),
                    (T[] wi, T[] si, T[] ti, bool measure, out ArraySquares q) => Kernels.MomentumStep<T>(wi, si, g, mu, lr, false, measure, out q)),
                ("nesterov", (wi, si, ti, measure) => Kernels.MomentumStep<T>(wi, si, g, mu, lr, nesterov: true, measure),
                    (T[] wi, T[] si, T[] ti, bool measure, out ArraySquares q) => Kernels.MomentumStep<T>(wi, si, g, mu, lr, true, measure, out q)),
                ("adam", (wi, si, ti, measure) => Kernels.AdamStep<T>(wi, si, ti, g, b1, b2, lr, eps, measure),
                    (T[] wi, T[] si, T[] ti, bool measure, out ArraySquares q) => Kernels.AdamStep<T>(wi, si, ti, g, b1, b2, lr, eps, measure, out q)),
                ("rmsprop", (wi, si, ti, measure) => Kernels.RmsPropStep<T>(wi, ti, g, mu, lr, eps, measure),
                    (T[] wi, T[] si, T[] ti, bool measure, out ArraySquares q) => Kernels.RmsPropStep<T>(wi, ti, g, mu, lr, eps, measure, out q)),
            };
            foreach (var (name, plain, summed) in steps)
            {
                foreach (bool measure in new[] { false, true })
                {
                    foreach (int threads in new[] { 1, 2, 3 })
                    {
                        T[] plainW = (T[])w.Clone(), plainS = (T[])v.Clone(), plainT = (T[])s.Clone();
                        T[] summedW = (T[])w.Clone(), summedS = (T[])v.Clone(), summedT = (T[])s.Clone();
                        StepSquares plainSize = default, summedSize = default;
                        ArraySquares squares = default;
                        KernelDeterminismTests.WithThreads(threads, () =>
                        {
                            plainSize = plain(plainW, plainS, plainT, measure);
                            summedSize = summed(summedW, summedS, summedT, measure, out squares);
                        });
                        string at = $"{typeof(T).Name} {name} n={n} measure={measure} threads={threads}";
                        // The step writes the same bits and measures the same move...
                        AssertBits(plainW, summedW);
                        AssertBits(plainS, summedS);
                        AssertBits(plainT, summedT);
                        Assert.True(plainSize == summedSize, $"{at}: step {summedSize} vs {plainSize}");
                        // ...and its sums are those of SumOfSquares, bit for bit (the gradient's, and the new weights').
                        Assert.True(Kernels.SumOfSquares<T>(g) == squares.Gradient, $"{at}: gradient {squares.Gradient:R} vs {Kernels.SumOfSquares<T>(g):R}");
                        Assert.True(Kernels.SumOfSquares<T>(summedW) == squares.Weights, $"{at}: weights {squares.Weights:R} vs {Kernels.SumOfSquares<T>(summedW):R}");
                    }
                }
            }
        }
    }

    private delegate StepSquares SquaresStep<T>(T[] w, T[] s, T[] t, bool measure, out ArraySquares squares);

    private static void Both(int rows, int cols, Action<int, int, Random> check) => check(rows, cols, new Random(rows * 1000 + cols));

    /// <summary>Uniform in [-1, 1); with specials, also zeros of both signs, NaN and infinities.</summary>
    private static T[] Values<T>(Random random, int n, bool withSpecials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new T[n];
        T[] specials = { T.Zero, T.NegativeZero, T.NaN, T.PositiveInfinity, T.NegativeInfinity };
        for (int i = 0; i < n; i++)
            x[i] = withSpecials && random.Next(8) == 0 ? specials[random.Next(specials.Length)] : T.CreateTruncating(random.NextDouble() * 2 - 1);
        return x;
    }

    private static void AssertBits<T>(T[] expected, T[] actual)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            // Compare bits: NaN equals NaN, and +0 differs from -0.
            double e = double.CreateTruncating(expected[i]), a = double.CreateTruncating(actual[i]);
            Assert.True(BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(a) || (double.IsNaN(e) && double.IsNaN(a)),
                $"element {i}: expected {e:R}, got {a:R}");
        }
    }
}
