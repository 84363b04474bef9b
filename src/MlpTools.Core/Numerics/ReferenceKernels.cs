using System.Numerics;

namespace MlpTools.Core.Numerics;

/// <summary>
/// The plainest possible loops for the kernels in <see cref="Kernels"/>: the reference every faster
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

    /// <summary>Hpre[i,j] += b[j]; A[i,j] = Hpre[i,j] &gt; 0 ? Hpre[i,j] : 0.</summary>
    public static void AddBiasRelu<T>(Span<T> hpre, ReadOnlySpan<T> bias, Span<T> activation, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                T v = hpre[i * cols + j] + bias[j];
                hpre[i * cols + j] = v;
                activation[i * cols + j] = v > T.Zero ? v : T.Zero;
            }
        }
    }

    /// <summary>dH[i] = Hpre[i] &gt; 0 ? dA[i] : 0.</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> da, ReadOnlySpan<T> hpre, Span<T> dh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dh.Length; i++) dh[i] = hpre[i] > T.Zero ? da[i] : T.Zero;
    }

    /// <summary>sums[j] = X[0,j] + X[1,j] + ... in that order.</summary>
    public static void ColumnSums<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < cols; j++)
        {
            T s = T.Zero;
            for (int i = 0; i < rows; i++) s += x[i * cols + j];
            sums[j] = s;
        }
    }

    /// <summary>v' = mu v - lr g; w += v' (classical) or w += (1 + mu) v' - mu v (Nesterov).</summary>
    public static void MomentumStep<T>(Span<T> w, Span<T> v, ReadOnlySpan<T> g, T mu, T lr, bool nesterov)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < w.Length; i++)
        {
            T previous = v[i];
            T next = mu * previous - lr * g[i];
            v[i] = next;
            w[i] += nesterov ? (T.One + mu) * next - mu * previous : next;
        }
    }

    /// <summary>m = b1 m + (1 - b1) g; s = b2 s + (1 - b2) g g; w -= lr m / (sqrt(s) + eps).</summary>
    public static void AdamStep<T>(Span<T> w, Span<T> m, Span<T> s, ReadOnlySpan<T> g, T beta1, T beta2, T lr, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < w.Length; i++)
        {
            T mi = beta1 * m[i] + (T.One - beta1) * g[i];
            T si = beta2 * s[i] + (T.One - beta2) * g[i] * g[i];
            m[i] = mi;
            s[i] = si;
            w[i] -= lr * mi / (T.Sqrt(si) + eps);
        }
    }

    /// <summary>s = rho s + (1 - rho) g g; w -= lr g / (sqrt(s) + eps).</summary>
    public static void RmsPropStep<T>(Span<T> w, Span<T> s, ReadOnlySpan<T> g, T rho, T lr, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < w.Length; i++)
        {
            T si = rho * s[i] + (T.One - rho) * g[i] * g[i];
            s[i] = si;
            w[i] -= lr * g[i] / (T.Sqrt(si) + eps);
        }
    }

    /// <summary>sum_i x[i]^2 in double.</summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        foreach (T v in x) s += double.CreateTruncating(v) * double.CreateTruncating(v);
        return s;
    }
}
