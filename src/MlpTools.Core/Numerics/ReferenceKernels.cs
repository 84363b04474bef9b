using System.Numerics;

namespace MlpTools.Core.Numerics;

/// <summary>
/// The plainest possible loops for the kernels in <see cref="Kernels"/>: the reference every one of them is
/// tested against. A fused kernel's reference is the plain loops of its parts in turn (ReluBackwardColumnSums:
/// <see cref="ReluBackward{T}"/>, then <see cref="ColumnSums{T}"/>). Not used on the training path.
/// </summary>
/// <remarks>
/// The products sum in double and round once, so a kernel is checked against a near-exact value within an error
/// bound. Every other loop rounds exactly as its kernel promises to (the same operations on each element, sums in the
/// same order), so the kernel must match it bit for bit; only SumOfSquares, which the kernel sums in interleaved
/// partial sums, is compared within a bound, and so are the other sums in double (SquaredDistance, a measured step's).
/// </remarks>
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

    /// <summary>C = beta D + op(A) op(B): D scaled in T (one rounding), then the products added as <see cref="Gemm{T}"/> adds them.</summary>
    public static void GemmPlusScaled<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, T beta, ReadOnlySpan<T> d, int ldd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[i * ldc + j] = beta * d[i * ldd + j];
        Gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate: true);
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

    /// <summary>Z[i,j] += b[j].</summary>
    public static void AddBias<T>(Span<T> z, ReadOnlySpan<T> bias, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) z[i * cols + j] += bias[j];
    }

    /// <summary>
    /// Row by row: max = the largest z; e[j] = exp(z[j] - max), summed in order; P[j] = e[j] * (1 / sum). The
    /// cross-entropy of the row, log(sum) - (z[y] - max) in T, is added to the total in double, times w[y] when
    /// weighted; dZ[j] = (P[j] - 1[j = y]) * scale * w[y] (w[y] = 1 unweighted), when dZ is not empty.
    /// </summary>
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> z, ReadOnlySpan<int> labels, Span<T> p, Span<T> dz,
        int rows, int cols, T scale, ReadOnlySpan<T> classWeights)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            int y = labels[i];
            T sum = SoftmaxRow(z.Slice(i * cols, cols), p.Slice(i * cols, cols), out T max);
            double loss = double.CreateTruncating(T.Log(sum) - (z[i * cols + y] - max));
            total += classWeights.IsEmpty ? loss : double.CreateTruncating(classWeights[y]) * loss;
            if (dz.IsEmpty) continue;
            T weight = classWeights.IsEmpty ? T.One : classWeights[y];
            for (int j = 0; j < cols; j++)
                dz[i * cols + j] = (p[i * cols + j] - (j == y ? T.One : T.Zero)) * scale * weight;
        }
        return total;
    }

    /// <summary>P = softmax(Z), row by row, as <see cref="SoftmaxCrossEntropy{T}"/> computes it.</summary>
    public static void Softmax<T>(ReadOnlySpan<T> z, Span<T> p, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++) SoftmaxRow(z.Slice(i * cols, cols), p.Slice(i * cols, cols), out _);
    }

    private static T SoftmaxRow<T>(ReadOnlySpan<T> z, Span<T> p, out T max)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        max = z[0];
        for (int j = 1; j < z.Length; j++) if (z[j] > max) max = z[j];
        T sum = T.Zero;
        for (int j = 0; j < z.Length; j++) sum += T.Exp(z[j] - max);
        for (int j = 0; j < z.Length; j++) p[j] = T.Exp(z[j] - max) * (T.One / sum);
        return sum;
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

    /// <summary>y[i] = alpha x[i].</summary>
    public static void Scale<T>(Span<T> y, T alpha, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] = alpha * x[i];
    }

    /// <summary>y[i] += alpha x[i] (the product rounded, then the sum).</summary>
    public static void AddScaled<T>(Span<T> y, T alpha, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] += alpha * x[i];
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

    /// <summary>sum_i (a[i] - b[i])^2, each difference in double: the plain loop of a measured step's update sum.</summary>
    public static double SquaredDistance<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = double.CreateTruncating(a[i]) - double.CreateTruncating(b[i]);
            s += d * d;
        }
        return s;
    }

    /// <summary>peak[j] = Hpre[i,j] &gt; peak[j] ? Hpre[i,j] : peak[j], row by row; returns how many Hpre[i,j] are not &gt; 0.</summary>
    public static long ReluActivity<T>(ReadOnlySpan<T> hpre, int rows, int cols, Span<T> peak)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long zeros = 0;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                T v = hpre[i * cols + j];
                if (v > peak[j]) peak[j] = v;
                if (!(v > T.Zero)) zeros++;
            }
        }
        return zeros;
    }

    /// <summary>True when no element is NaN or infinite.</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (T v in x) if (!T.IsFinite(v)) return false;
        return true;
    }
}
