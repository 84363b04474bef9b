using System.Globalization;
using System.Numerics;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

/// <summary>
/// Kernels.Gemm against ReferenceKernels.Gemm, in all four forms, both precisions, on shapes chosen to hit
/// every edge of the blocking: 1 x 1, k = 1, sizes that are not multiples of the tile (12 rows) or of the
/// vector width (16 floats, 8 doubles), leading dimensions longer than the rows, K past one cache block,
/// N past one column block, and products big enough to be split over threads.
/// </summary>
[Collection(NumericsTestGroup.Name)]
public class GemmTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 1, 7 }, { 3, 5, 1 }, { 1, 33, 2 }, { 13, 1, 9 },
        { 12, 32, 16 }, { 12, 16, 5 }, { 11, 31, 17 }, { 13, 33, 8 }, { 25, 17, 3 },
        { 10, 100, 200 }, { 200, 10, 100 }, { 200, 100, 10 }, { 100, 784, 200 }, { 200, 100, 784 },
        { 37, 49, 300 }, { 7, 1800, 600 }, { 61, 47, 1031 }, { 130, 250, 270 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_matches_reference_in_every_form(int m, int n, int k)
    {
        foreach ((bool ta, bool tb) in Forms)
            foreach (bool accumulate in new[] { false, true })
                GemmCase<float>.Check(ta, tb, m, n, k, accumulate, extraLd: 0, seed: Seed(m, n, k));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_matches_reference_in_every_form(int m, int n, int k)
    {
        foreach ((bool ta, bool tb) in Forms)
            foreach (bool accumulate in new[] { false, true })
                GemmCase<double>.Check(ta, tb, m, n, k, accumulate, extraLd: 0, seed: Seed(m, n, k));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 17, 5)]
    [InlineData(50, 70, 300)]
    public void Leading_dimensions_longer_than_rows_are_respected(int m, int n, int k)
    {
        foreach ((bool ta, bool tb) in Forms)
        {
            foreach (int extra in new[] { 1, 3, 16 })
            {
                GemmCase<float>.Check(ta, tb, m, n, k, accumulate: true, extraLd: extra, seed: extra);
                GemmCase<double>.Check(ta, tb, m, n, k, accumulate: false, extraLd: extra, seed: extra);
            }
        }
    }

    [Fact]
    public void Rows_of_A_at_a_4_KiB_stride_match_reference()
    {
        // A stride of 4 KiB (1024 floats, 512 doubles) puts every row of a panel in the same cache sets; the last
        // panel has a single row.
        foreach ((bool ta, bool tb) in Forms)
        {
            GemmCase<float>.Check(ta, tb, 37, 130, 1000, accumulate: true, extraLd: 24, seed: 1);
            GemmCase<float>.Check(ta, tb, 205, 300, 1024, accumulate: false, extraLd: 0, seed: 2);
            GemmCase<double>.Check(ta, tb, 37, 70, 500, accumulate: false, extraLd: 12, seed: 3);
            // A^T with rows of 512 floats (2 KiB, read through packed panels), 8 rows in its last panel.
            GemmCase<float>.Check(ta, tb, 500, 70, 33, accumulate: true, extraLd: 12, seed: 4);
        }
    }

    [Fact]
    public void Random_shapes_match_reference()
    {
        var random = new Random(20240611);
        for (int t = 0; t < 60; t++)
        {
            int m = random.Next(1, 80), n = random.Next(1, 80), k = random.Next(1, 80);
            bool ta = random.Next(2) == 1, tb = random.Next(2) == 1, acc = random.Next(2) == 1;
            int extra = random.Next(3) == 0 ? random.Next(1, 9) : 0;
            GemmCase<float>.Check(ta, tb, m, n, k, acc, extra, seed: t);
            GemmCase<double>.Check(ta, tb, m, n, k, acc, extra, seed: t);
        }
    }

    [Fact]
    public void The_portable_tiles_match_reference()
    {
        var portable = new GemmOptions { UseAvx512 = false };
        foreach ((bool ta, bool tb) in Forms)
        {
            GemmCase<float>.Check(ta, tb, 29, 45, 70, accumulate: true, extraLd: 2, seed: 1, portable);
            GemmCase<double>.Check(ta, tb, 29, 45, 70, accumulate: false, extraLd: 0, seed: 2, portable);
            GemmCase<float>.Check(ta, tb, 200, 100, 300, accumulate: false, extraLd: 0, seed: 3, portable);
        }
    }

    [Fact]
    public void Packing_every_operand_matches_reference()
    {
        var packed = new GemmOptions { DirectA = false, DirectB = false };
        foreach ((bool ta, bool tb) in Forms)
        {
            GemmCase<float>.Check(ta, tb, 37, 70, 90, accumulate: true, extraLd: 1, seed: 4, packed);
            GemmCase<double>.Check(ta, tb, 37, 70, 90, accumulate: false, extraLd: 0, seed: 5, packed);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(10, 100, 200)]
    [InlineData(13, 33, 7)]
    [InlineData(100, 784, 200)]
    [InlineData(37, 50, 0)]
    public void GemmPlusScaled_gives_the_bits_of_Scale_then_an_accumulating_Gemm(int m, int n, int k)
    {
        foreach ((bool ta, bool tb) in Forms)
        {
            Check<float>(ta, tb, 0.37f);
            Check<double>(ta, tb, -1.5);
        }

        void Check<T>(bool ta, bool tb, T beta)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var random = new Random(m * 31 + n + k);
            int lda = ta ? m : k, ldb = tb ? k : n, ldc = n + 2, ldd = n + 3;
            T[] a = GemmCase<T>.Matrix(random, ta ? k : m, ta ? m : k, Math.Max(lda, 1), T.Zero);
            T[] b = GemmCase<T>.Matrix(random, tb ? n : k, tb ? k : n, Math.Max(ldb, 1), T.Zero);
            T[] d = GemmCase<T>.Matrix(random, m, n, ldd, T.Zero);
            T[] expected = GemmCase<T>.Matrix(random, m, n, ldc, T.Zero), actual = (T[])expected.Clone();
            for (int i = 0; i < m; i++) Kernels.Scale<T>(expected.AsSpan(i * ldc, n), beta, d.AsSpan(i * ldd, n));
            Kernels.Gemm<T>(ta, tb, m, n, k, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), expected, ldc, accumulate: true);
            Kernels.GemmPlusScaled<T>(ta, tb, m, n, k, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), actual, ldc, beta, d, ldd);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{typeof(T).Name} {ta}/{tb} {m}x{n}x{k}");

            // D may be C itself (FusedBackprop passes the gradient array as C and the weights as D; here both are C).
            T[] same = (T[])d.Clone(), reference = (T[])d.Clone();
            for (int i = 0; i < m; i++) Kernels.Scale<T>(reference.AsSpan(i * ldd, n), beta, reference.AsSpan(i * ldd, n));
            Kernels.Gemm<T>(ta, tb, m, n, k, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), reference, ldd, accumulate: true);
            Kernels.GemmPlusScaled<T>(ta, tb, m, n, k, a, Math.Max(lda, 1), b, Math.Max(ldb, 1), same, ldd, beta, same, ldd);
            Assert.True(reference.AsSpan().SequenceEqual(same), $"{typeof(T).Name} {ta}/{tb} {m}x{n}x{k}, D = C");
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 33, 7)]
    [InlineData(37, 50, 0)]
    [InlineData(64, 100, 200)]
    [InlineData(200, 100, 784)]
    public void GemmPlusScaled_matches_reference(int m, int n, int k)
    {
        foreach ((bool ta, bool tb) in Forms)
        {
            GemmCase<float>.CheckPlusScaled(ta, tb, m, n, k, 0.37f, extraLd: 0, seed: m + n + k);
            GemmCase<float>.CheckPlusScaled(ta, tb, m, n, k, -2.5e-3f, extraLd: 3, seed: m * n + k);
            GemmCase<double>.CheckPlusScaled(ta, tb, m, n, k, -1.5, extraLd: 1, seed: m + n * k);
        }
    }

    [Fact]
    public void Empty_products_clear_or_keep_C()
    {
        float[] c = { 1, 2, 3, 4 };
        Kernels.Gemm<float>(false, false, 2, 2, 0, Array.Empty<float>(), 1, Array.Empty<float>(), 2, c, 2, accumulate: true);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, c);
        Kernels.Gemm<float>(false, false, 2, 2, 0, Array.Empty<float>(), 1, Array.Empty<float>(), 2, c, 2, accumulate: false);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, c);
        Kernels.Gemm<float>(false, false, 0, 2, 3, Array.Empty<float>(), 3, new float[6], 2, Array.Empty<float>(), 2, accumulate: false);
    }

    [Fact]
    public void Spans_too_short_for_the_shape_are_rejected()
    {
        var a = new float[12];
        var b = new float[12];
        var c = new float[9];
        Assert.Throws<ArgumentException>(() => Kernels.Gemm<float>(false, false, 3, 3, 4, a, 4, b, 3, new float[8], 3, false));
        Assert.Throws<ArgumentException>(() => Kernels.Gemm<float>(false, false, 3, 3, 5, a, 5, b, 3, c, 3, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Gemm<float>(false, false, 3, 3, 4, a, 3, b, 3, c, 3, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Gemm<float>(false, false, -1, 3, 4, a, 4, b, 3, c, 3, false));
    }

    internal static readonly (bool TransA, bool TransB)[] Forms = { (false, false), (false, true), (true, false), (true, true) };

    private static int Seed(int m, int n, int k) => m * 7919 + n * 104729 + k;
}

/// <summary>One product checked against the reference, with its error bound.</summary>
internal static class GemmCase<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Runs op(A) op(B) (+ C) through Kernels.Gemm and ReferenceKernels.Gemm and checks every element:
    /// <code>
    ///   |kernel - reference| &lt;= (k + 1) u S / (1 - (k + 1) u),   S = |C0| + sum_p |A(i,p)| |B(p,j)|,   u = eps / 2
    /// </code>
    /// Why this bound: the kernel sums k products into C0 in precision T (a chain of k fused multiply-adds,
    /// or k products and k additions on the portable path without FMA). The classical bound for such a sum
    /// is |computed - exact| &lt;= gamma_k S with gamma_k = k u / (1 - k u) (Higham, Accuracy and Stability of
    /// Numerical Algorithms, 3.1; FMA only tightens it). The reference sums in double and rounds once to T,
    /// so it is within u |exact| &lt;= u S of the exact value (its double error is ~1e-16 S, far below).
    /// Together: (k u / (1 - k u) + u) S &lt;= (k + 1) u S / (1 - (k + 1) u). A wrong index or a missing
    /// term moves an element by about S / k, which this bound catches for every k used here.
    /// The padding of C between rows (leading dimension &gt; n) must be left untouched, and NaN in the
    /// padding of A and B must not leak into the result.
    /// </summary>
    public static void Check(bool transA, bool transB, int m, int n, int k, bool accumulate, int extraLd, int seed, GemmOptions? options = null)
    {
        var random = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + extraLd, ldb = bCols + extraLd, ldc = n + extraLd;
        T[] a = Matrix(random, aRows, aCols, lda, T.NaN);
        T[] b = Matrix(random, bRows, bCols, ldb, T.NaN);
        T sentinel = T.CreateTruncating(-12345.5);
        T[] c0 = Matrix(random, m, n, ldc, sentinel);
        T[] expected = (T[])c0.Clone();
        T[] actual = (T[])c0.Clone();

        ReferenceKernels.Gemm<T>(transA, transB, m, n, k, a, lda, b, ldb, expected, ldc, accumulate);
        Kernels.Gemm<T>(transA, transB, m, n, k, a, lda, b, ldb, actual, ldc, accumulate, options);
        AssertWithinBound(transA, transB, m, n, k, a, lda, b, ldb, accumulate ? c0 : null, expected, actual, ldc, sentinel,
            $"{typeof(T).Name} transA={transA} transB={transB} {m}x{n}x{k} acc={accumulate} ld+{extraLd}");
    }

    /// <summary>
    /// GemmPlusScaled against its reference, C = beta D + op(A) op(B): both scale D in T first (one rounding, the same
    /// bits), so C0 = beta D and the bound of <see cref="Check"/> applies as for an accumulating product.
    /// </summary>
    public static void CheckPlusScaled(bool transA, bool transB, int m, int n, int k, T beta, int extraLd, int seed)
    {
        var random = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = Math.Max(aCols + extraLd, 1), ldb = Math.Max(bCols + extraLd, 1), ldc = n + extraLd, ldd = n + 2 * extraLd;
        T[] a = Matrix(random, aRows, aCols, lda, T.NaN);
        T[] b = Matrix(random, bRows, bCols, ldb, T.NaN);
        T[] d = Matrix(random, m, n, ldd, T.NaN);
        T sentinel = T.CreateTruncating(-12345.5);
        T[] expected = Matrix(random, m, n, ldc, sentinel);
        T[] actual = (T[])expected.Clone();
        ReferenceKernels.GemmPlusScaled<T>(transA, transB, m, n, k, a, lda, b, ldb, expected, ldc, beta, d, ldd);
        Kernels.GemmPlusScaled<T>(transA, transB, m, n, k, a, lda, b, ldb, actual, ldc, beta, d, ldd);
        var c0 = new T[Math.Max(0, (m - 1) * ldc + n)];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c0[i * ldc + j] = beta * d[i * ldd + j];
        AssertWithinBound(transA, transB, m, n, k, a, lda, b, ldb, c0, expected, actual, ldc, sentinel,
            $"{typeof(T).Name} GemmPlusScaled transA={transA} transB={transB} {m}x{n}x{k} ld+{extraLd}");
    }

    private static void AssertWithinBound(bool transA, bool transB, int m, int n, int k, T[] a, int lda, T[] b, int ldb,
        T[]? c0, T[] expected, T[] actual, int ldc, T sentinel, string what)
    {
        double u = UnitRoundoff();
        double gamma = (k + 1) * u / (1 - (k + 1) * u);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = c0 is null ? 0 : Math.Abs(double.CreateTruncating(c0[i * ldc + j]));
                for (int p = 0; p < k; p++)
                {
                    double aip = double.CreateTruncating(transA ? a[p * lda + i] : a[i * lda + p]);
                    double bpj = double.CreateTruncating(transB ? b[j * ldb + p] : b[p * ldb + j]);
                    s += Math.Abs(aip * bpj);
                }
                double e = double.CreateTruncating(expected[i * ldc + j]), g = double.CreateTruncating(actual[i * ldc + j]);
                Assert.True(Math.Abs(e - g) <= gamma * s, string.Create(CultureInfo.InvariantCulture,
                    $"{what}: C[{i},{j}] = {g:R}, reference {e:R}, bound {gamma * s:E3}"));
            }
            for (int j = n; j < ldc && i < m - 1; j++)
                Assert.True(actual[i * ldc + j] == sentinel, string.Create(CultureInfo.InvariantCulture, $"padding C[{i},{j}] was written"));
        }
    }

    /// <summary>u = 2^-24 for float, 2^-53 for double.</summary>
    private static double UnitRoundoff() => typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);

    /// <summary>A rows x cols matrix with leading dimension ld, entries uniform in [-1, 1), the padding set to <paramref name="pad"/>.</summary>
    public static T[] Matrix(Random random, int rows, int cols, int ld, T pad)
    {
        var x = new T[Math.Max(0, (rows - 1) * ld + cols)];
        for (int i = 0; i < x.Length; i++) x[i] = i % ld < cols ? T.CreateTruncating(random.NextDouble() * 2 - 1) : pad;
        return x;
    }
}

/// <summary>The numerics tests share a static switch (KernelThreads.MaxThreads), so they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NumericsTestGroup
{
    public const string Name = "Numerics kernels";
}
