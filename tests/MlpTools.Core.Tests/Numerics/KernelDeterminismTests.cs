using System.Numerics;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

/// <summary>
/// The same inputs give the same bits: on a second run, with one thread or several, and on the portable
/// tiles (where the CPU fuses multiply-adds, as every x64 CPU with AVX2 does).
/// </summary>
[Collection(NumericsTestGroup.Name)]
public class KernelDeterminismTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        // The network's products at batch 200 (784-100-10 and 784-1024-10), and odd sizes that split unevenly.
        { 200, 100, 784 }, { 100, 784, 200 }, { 200, 1024, 784 }, { 1024, 784, 200 }, { 10, 1024, 200 },
        { 200, 1024, 10 }, { 200, 10, 1024 }, { 199, 333, 517 }, { 37, 1800, 300 },
        // A batch of evaluation or prediction: A larger than the caches' share, cut by rows.
        { 1024, 100, 784 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_products_are_identical_across_runs_and_thread_counts(int m, int n, int k) => Check<float>(m, n, k);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_products_are_identical_across_runs_and_thread_counts(int m, int n, int k) => Check<double>(m, n, k);

    [Fact]
    public void Large_products_are_cut_into_chunks_for_several_threads()
    {
        var g = new GemmArgs<float> { M = 200, N = 1024, K = 784, TransB = true, Lda = 784, Ldb = 784, Ldc = 1024 };
        var plan = GemmDriver<float, Avx512Tiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default);
        Assert.False(plan.ByRows);
        Assert.True(plan.Chunks >= 4, $"{plan.Chunks} chunks");
        // Few columns and many rows: row chunks over one shared packed B.
        g = new GemmArgs<float> { M = 200, N = 10, K = 1024, TransB = true, Lda = 1024, Ldb = 1024, Ldc = 10 };
        plan = GemmDriver<float, Avx512Tiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default);
        Assert.True(plan.ByRows);
        Assert.True(plan.Chunks >= 4, $"{plan.Chunks} chunks");
        // A large A (a batch of 1,024 samples read in place by evaluation and prediction) is read once, by rows;
        // a training batch of 200 (just gathered, and small) by columns, in either precision.
        g = new GemmArgs<float> { M = 1024, N = 100, K = 784, TransB = true, Lda = 784, Ldb = 784, Ldc = 100 };
        Assert.True(GemmDriver<float, Avx512Tiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default).ByRows);
        Assert.True(GemmDriver<float, VectorTiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default).ByRows);
        g.M = 200;
        Assert.False(GemmDriver<float, Avx512Tiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default).ByRows);
        Assert.False(GemmDriver<float, VectorTiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default).ByRows);
        var d = new GemmArgs<double> { M = 200, N = 100, K = 784, TransB = true, Lda = 784, Ldb = 784, Ldc = 100 };
        Assert.False(GemmDriver<double, VectorTiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).ByRows);
        d.M = 1024;
        Assert.True(GemmDriver<double, VectorTiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).ByRows);
        // dW1 of 784-1024-10 in float64: dH^T must be packed (a stride of 8 KiB), so by rows, though the shared op(B)
        // (1.2 MiB) is larger than L2; not when that op(B) would be more than 8 MiB.
        d = new GemmArgs<double> { M = 1024, N = 784, K = 200, TransA = true, Lda = 1024, Ldb = 784, Ldc = 784 };
        Assert.True(GemmDriver<double, VectorTiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).ByRows);
        Assert.True(GemmDriver<double, Avx512Tiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).ByRows);
        d = new GemmArgs<double> { M = 1024, N = 4096, K = 1024, TransA = true, Lda = 1024, Ldb = 4096, Ldc = 4096 };
        Assert.False(GemmDriver<double, VectorTiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).ByRows);
    }

    [Fact]
    public void Each_tile_family_blocks_K_by_its_own_limit()
    {
        // Both families take 512 steps of p in either precision: the forward pass's K of 784 inputs is two blocks
        // (a multiple of V each), 3,072 six.
        var g = new GemmArgs<float> { M = 200, N = 100, K = 784, TransB = true, Lda = 784, Ldb = 784, Ldc = 100 };
        Assert.Equal(2, Blocks(784, GemmDriver<float, Avx512Tiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default).KcStep));
        Assert.Equal(2, Blocks(784, GemmDriver<float, VectorTiles<float>>.MakePlan(g, threads: 2, GemmOptions.Default).KcStep));
        var d = new GemmArgs<double> { M = 200, N = 1024, K = 784, TransB = true, Lda = 784, Ldb = 784, Ldc = 1024 };
        Assert.Equal(392, GemmDriver<double, Avx512Tiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).KcStep);
        Assert.Equal(2, Blocks(784, GemmDriver<double, VectorTiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).KcStep));
        d = new GemmArgs<double> { M = 200, N = 100, K = 3072, TransB = true, Lda = 3072, Ldb = 3072, Ldc = 100 };
        Assert.Equal(512, GemmDriver<double, Avx512Tiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).KcStep);
        Assert.Equal(512, GemmDriver<double, VectorTiles<double>>.MakePlan(d, threads: 2, GemmOptions.Default).KcStep);
        // An explicit limit (bytes of a panel row) still rules.
        Assert.Equal(256, GemmDriver<double, Avx512Tiles<double>>.MakePlan(d, threads: 2, new GemmOptions { KcBytes = 2048 }).KcStep);

        static int Blocks(int k, int kcStep) => (k + kcStep - 1) / kcStep;
    }

    [Fact]
    public void Momentum_step_is_identical_across_thread_counts()
    {
        var random = new Random(7);
        int n = 100_003;
        float[] w = Vector(random, n), v = Vector(random, n), g = Vector(random, n);
        float[] w1 = (float[])w.Clone(), v1 = (float[])v.Clone(), w2 = (float[])w.Clone(), v2 = (float[])v.Clone();
        WithThreads(1, () => Kernels.MomentumStep<float>(w1, v1, g, 0.9f, 0.01f, nesterov: false));
        WithThreads(KernelThreads.MaxThreads, () => Kernels.MomentumStep<float>(w2, v2, g, 0.9f, 0.01f, nesterov: false));
        Assert.Equal(w1, w2);
        Assert.Equal(v1, v2);
    }

    [Theory]
    [InlineData(200, 100, 784)]
    [InlineData(1024, 784, 200)]
    [InlineData(61, 130, 1100)]
    [InlineData(205, 300, 1024)]
    [InlineData(100, 784, 200)]
    [InlineData(1024, 100, 784)]
    [InlineData(401, 37, 300)]
    public void Products_are_identical_however_they_are_blocked_and_chunked(int m, int n, int k)
    {
        foreach ((bool ta, bool tb) in GemmTests.Forms)
        {
            var random = new Random(m ^ n ^ k);
            float[] a = GemmCase<float>.Matrix(random, ta ? k : m, ta ? m : k, ta ? m : k, 0f);
            float[] b = GemmCase<float>.Matrix(random, tb ? n : k, tb ? k : n, tb ? k : n, 0f);
            float[] Run(GemmOptions options)
            {
                var c = new float[m * n];
                Kernels.Gemm<float>(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, n, accumulate: false, options);
                return c;
            }

            float[] reference = Run(GemmOptions.Default);
            GemmOptions[] variants =
            {
                new() { KcBytes = 1024 }, new() { KcBytes = 4096 }, new() { RowChunks = true }, new() { RowChunks = false },
                new() { KcBytes = 512, RowChunks = true, DirectA = false, DirectB = false }, new() { EdgeTiles = false },
                new() { DirectA = false, EdgeTiles = false }, new() { RowParts = false }, new() { RowParts = false, EdgeTiles = false },
            };
            foreach (GemmOptions options in variants)
                Assert.True(reference.AsSpan().SequenceEqual(Run(options)), $"{ta}/{tb} {m}x{n}x{k}: {options}");
        }
    }

    [Fact]
    public void Sum_of_squares_is_identical_across_thread_counts()
    {
        var random = new Random(8);
        float[] x = Vector(random, 1_000_003);
        double one = 0, several = 0;
        WithThreads(1, () => one = Kernels.SumOfSquares<float>(x));
        WithThreads(KernelThreads.MaxThreads, () => several = Kernels.SumOfSquares<float>(x));
        Assert.Equal(BitConverter.DoubleToInt64Bits(one), BitConverter.DoubleToInt64Bits(several));
    }

    private static void Check<T>(int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach ((bool ta, bool tb) in GemmTests.Forms)
        {
            var random = new Random(m + n + k);
            T[] a = GemmCase<T>.Matrix(random, ta ? k : m, ta ? m : k, ta ? m : k, T.Zero);
            T[] b = GemmCase<T>.Matrix(random, tb ? n : k, tb ? k : n, tb ? k : n, T.Zero);
            T[] c0 = GemmCase<T>.Matrix(random, m, n, n, T.Zero);
            T[] Run(GemmOptions? options = null)
            {
                T[] c = (T[])c0.Clone();
                Kernels.Gemm<T>(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c, n, accumulate: true, options);
                return c;
            }

            T[] first = Run(), second = Run();
            T[] serial = Array.Empty<T>();
            WithThreads(1, () => serial = Run());
            T[] portable = Run(new GemmOptions { UseAvx512 = false });
            Assert.True(first.AsSpan().SequenceEqual(second), $"{typeof(T).Name} {ta}/{tb} {m}x{n}x{k}: a second run differs");
            Assert.True(first.AsSpan().SequenceEqual(serial), $"{typeof(T).Name} {ta}/{tb} {m}x{n}x{k}: one thread differs from several");
            if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
                Assert.True(first.AsSpan().SequenceEqual(portable), $"{typeof(T).Name} {ta}/{tb} {m}x{n}x{k}: the portable tiles differ");
        }
    }

    internal static void WithThreads(int threads, Action action)
    {
        int saved = KernelThreads.MaxThreads;
        try
        {
            KernelThreads.MaxThreads = threads;
            action();
        }
        finally
        {
            KernelThreads.MaxThreads = saved;
        }
    }

    private static float[] Vector(Random random, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        return x;
    }
}
