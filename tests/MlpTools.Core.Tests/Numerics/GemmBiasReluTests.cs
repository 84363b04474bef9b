using System.Numerics;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

/// <summary>
/// The hidden layer's product with its bias and ReLU done block by block inside the product gives the same bits as the
/// product followed by the separate pass, however the product is cut (row or column chunks, column chunks whole or in
/// blocks of rows, A and B packed or read in place, edge tiles or whole panels, AVX-512 or portable tiles) and on one
/// thread or two.
/// </summary>
[Collection(NumericsTestGroup.Name)]
public class GemmBiasReluTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        // The forward products of 784-100-10 and 784-1024-10 at batch 200 and 32, Predict's 1,024 rows, and odd sizes
        // (a last panel of a few rows, a last strip of a few columns, K split into blocks).
        { 200, 100, 784 }, { 200, 1024, 784 }, { 32, 100, 784 }, { 1024, 100, 784 }, { 199, 333, 517 }, { 7, 5, 3 }, { 61, 1800, 1100 },
    };

    private static readonly string[] Options = { "default", "rows", "columns", "packed", "no edge tiles", "portable", "whole columns" };

    private static GemmOptions Option(string name) => name switch
    {
        "rows" => new GemmOptions { RowChunks = true },
        "columns" => new GemmOptions { RowChunks = false },
        "packed" => new GemmOptions { DirectA = false, DirectB = false },
        "no edge tiles" => new GemmOptions { EdgeTiles = false },
        "portable" => new GemmOptions { UseAvx512 = false },
        "whole columns" => new GemmOptions { RowParts = false },
        _ => GemmOptions.Default,
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_matches_the_product_then_the_pass(int m, int n, int k)
    {
        foreach (string option in Options) Check<float>(m, n, k, Option(option), option);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_matches_the_product_then_the_pass(int m, int n, int k)
    {
        foreach (string option in Options) Check<double>(m, n, k, Option(option), option);
    }

    private static void Check<T>(int m, int n, int k, GemmOptions options, string option)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(m * 31 + n * 7 + k);
        // X (m x k) times the array of W1 (n x k), read transposed, as the forward pass does; values of both signs, so
        // about half the pre-activations are negative, and a bias with a zero and a -0.
        T[] x = Values<T>(random, m * k), w = Values<T>(random, n * k), bias = Values<T>(random, n);
        bias[0] = T.Zero;
        if (n > 1) bias[1] = T.NegativeZero;
        T[] expectedH = new T[m * n], expectedA = new T[m * n];
        Kernels.Gemm<T>(false, true, m, n, k, x, k, w, k, expectedH, n, accumulate: false, options);
        Kernels.AddBiasRelu<T>(expectedH, bias, expectedA, m, n);
        foreach (int threads in new[] { 1, KernelThreads.MaxThreads })
        {
            T[] h = Values<T>(random, m * n), a = Values<T>(random, m * n); // stale values, all overwritten
            KernelDeterminismTests.WithThreads(threads, () => Kernels.GemmBiasRelu<T>(false, true, m, n, k, x, k, w, k, h, n, bias, a, n, options));
            Assert.True(expectedH.AsSpan().SequenceEqual(h), $"{typeof(T).Name} {m}x{n}x{k} {option}, {threads} thread(s): Hpre differs");
            Assert.True(expectedA.AsSpan().SequenceEqual(a), $"{typeof(T).Name} {m}x{n}x{k} {option}, {threads} thread(s): A differs");
        }
    }

    [Fact]
    public void Leading_dimensions_wider_than_the_rows_are_kept()
    {
        // C and the activations as column blocks of wider matrices (ld 1,100 and 1,030 for 1,024 columns): the
        // padding between rows is left as it was.
        const int m = 45, n = 1024, k = 300, ldc = 1100, ldRelu = 1030;
        var random = new Random(5);
        float[] x = Values<float>(random, m * k), w = Values<float>(random, n * k), bias = Values<float>(random, n);
        float[] expectedH = new float[m * n], expectedA = new float[m * n];
        Kernels.Gemm<float>(false, true, m, n, k, x, k, w, k, expectedH, n, accumulate: false);
        Kernels.AddBiasRelu<float>(expectedH, bias, expectedA, m, n);
        float[] h = Enumerable.Repeat(7f, (m - 1) * ldc + n).ToArray(), a = Enumerable.Repeat(7f, (m - 1) * ldRelu + n).ToArray();
        Kernels.GemmBiasRelu<float>(false, true, m, n, k, x, k, w, k, h, ldc, bias, a, ldRelu);
        for (int i = 0; i < m; i++)
        {
            Assert.True(expectedH.AsSpan(i * n, n).SequenceEqual(h.AsSpan(i * ldc, n)), $"row {i} of Hpre");
            Assert.True(expectedA.AsSpan(i * n, n).SequenceEqual(a.AsSpan(i * ldRelu, n)), $"row {i} of A");
            if (i < m - 1)
            {
                Assert.All(h[(i * ldc + n)..((i + 1) * ldc)], v => Assert.Equal(7f, v));
                Assert.All(a[(i * ldRelu + n)..((i + 1) * ldRelu)], v => Assert.Equal(7f, v));
            }
        }
    }

    private static T[] Values<T>(Random random, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = new T[count];
        for (int i = 0; i < count; i++) v[i] = T.CreateTruncating(random.NextDouble() * 2 - 1);
        return v;
    }
}
