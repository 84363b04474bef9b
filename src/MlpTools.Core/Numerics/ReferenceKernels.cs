using System.Numerics;

namespace MlpTools.Core.Numerics;

/// <summary>
/// The plainest possible loops for the products in <see cref="Kernels"/>: the reference every faster
/// kernel is tested against. Not used on the training path.
/// </summary>
internal static class ReferenceKernels
{
    /// <summary>C = op(A) op(B) (+ C when accumulating), summed in double, then rounded to T.</summary>
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? double.CreateTruncating(c[i * ldc + j]) : 0.0;
                for (int p = 0; p < k; p++)
                {
                    T aip = transA ? a[p * lda + i] : a[i * lda + p];
                    T bpj = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += double.CreateTruncating(aip) * double.CreateTruncating(bpj);
                }
                c[i * ldc + j] = T.CreateTruncating(s);
            }
        }
    }
}
