using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlpTools.Core.Numerics;

/// <summary>
/// The Numerics seam: every matrix product and element-wise pass the network makes goes through here,
/// so faster kernels can replace these without touching the network code.
/// </summary>
/// <remarks>
/// All buffers are row-major spans with an explicit leading dimension (the distance between rows).
/// A MathNet <c>DenseMatrix</c> stores columns contiguously, so its storage read row-major is the
/// transpose; the network uses that to multiply by its parameters without copying them.
/// <see cref="ReferenceKernels"/> holds the plain loops these are tested against.
/// </remarks>
internal static class Kernels
{
    /// <summary>
    /// C = op(A) op(B), or C += op(A) op(B) when <paramref name="accumulate"/> is set.
    /// C is m x n; op(A) is m x k; op(B) is k x n. op(X) is X, or its transpose when the flag is set
    /// (then X itself is stored k x m, or n x k).
    /// </summary>
    public static void Gemm<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!accumulate)
        {
            for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        }
        if (m == 0 || n == 0 || k == 0) return;

        if (!transA && !transB)
        {
            // C[i,:] += A[i,p] * B[p,:]
            for (int i = 0; i < m; i++)
            {
                Span<T> ci = c.Slice(i * ldc, n);
                ReadOnlySpan<T> ai = a.Slice(i * lda, k);
                for (int p = 0; p < k; p++)
                {
                    T s = ai[p];
                    if (s != T.Zero) AddScaled(ci, s, b.Slice(p * ldb, n));
                }
            }
        }
        else if (!transA && transB)
        {
            // C[i,j] += A[i,:] . B[j,:]
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<T> ai = a.Slice(i * lda, k);
                Span<T> ci = c.Slice(i * ldc, n);
                for (int j = 0; j < n; j++) ci[j] += Dot(ai, b.Slice(j * ldb, k));
            }
        }
        else if (transA && !transB)
        {
            // C[i,:] += A[p,i] * B[p,:]
            for (int p = 0; p < k; p++)
            {
                ReadOnlySpan<T> ap = a.Slice(p * lda, m);
                ReadOnlySpan<T> bp = b.Slice(p * ldb, n);
                for (int i = 0; i < m; i++)
                {
                    T s = ap[i];
                    if (s != T.Zero) AddScaled(c.Slice(i * ldc, n), s, bp);
                }
            }
        }
        else
        {
            // C[i,j] += sum_p A[p,i] B[j,p]
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    T s = T.Zero;
                    for (int p = 0; p < k; p++) s += a[p * lda + i] * b[j * ldb + p];
                    c[i * ldc + j] += s;
                }
            }
        }
    }

    /// <summary>Hpre[i,:] += b; A = max(0, Hpre). Both rows x cols, row-major, contiguous.</summary>
    public static void AddBiasRelu<T>(Span<T> hpre, ReadOnlySpan<T> bias, Span<T> activation, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            Span<T> h = hpre.Slice(i * cols, cols);
            Span<T> act = activation.Slice(i * cols, cols);
            for (int j = 0; j < cols; j++)
            {
                T v = h[j] + bias[j];
                h[j] = v;
                act[j] = v > T.Zero ? v : T.Zero;
            }
        }
    }

    /// <summary>Z[i,:] += b.</summary>
    public static void AddBias<T>(Span<T> z, ReadOnlySpan<T> bias, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++) AddScaled(z.Slice(i * cols, cols), T.One, bias);
    }

    /// <summary>
    /// Row-wise softmax of Z into P (each row's max subtracted before exp), and, when <paramref name="dz"/>
    /// is not empty, dZ = (P - Y) * scale with Y the one-hot labels. Returns the summed cross-entropy
    /// -sum_i log P[i, y_i], computed as log-sum-exp minus the label's score, accumulated in double.
    /// </summary>
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> z, ReadOnlySpan<int> labels, Span<T> p, Span<T> dz,
        int rows, int cols, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<T> zi = z.Slice(i * cols, cols);
            Span<T> pi = p.Slice(i * cols, cols);
            T max = zi[0];
            for (int j = 1; j < cols; j++) if (zi[j] > max) max = zi[j];
            T sum = T.Zero;
            for (int j = 0; j < cols; j++)
            {
                T e = T.Exp(zi[j] - max);
                pi[j] = e;
                sum += e;
            }
            T inv = T.One / sum;
            for (int j = 0; j < cols; j++) pi[j] *= inv;
            int y = labels[i];
            total += double.CreateTruncating(T.Log(sum) - (zi[y] - max));
            if (!dz.IsEmpty)
            {
                Span<T> di = dz.Slice(i * cols, cols);
                for (int j = 0; j < cols; j++) di[j] = pi[j] * scale;
                di[y] = (pi[y] - T.One) * scale;
            }
        }
        return total;
    }

    /// <summary>Row-wise softmax only (no labels): P = softmax(Z).</summary>
    public static void Softmax<T>(ReadOnlySpan<T> z, Span<T> p, int rows, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<T> zi = z.Slice(i * cols, cols);
            Span<T> pi = p.Slice(i * cols, cols);
            T max = zi[0];
            for (int j = 1; j < cols; j++) if (zi[j] > max) max = zi[j];
            T sum = T.Zero;
            for (int j = 0; j < cols; j++)
            {
                T e = T.Exp(zi[j] - max);
                pi[j] = e;
                sum += e;
            }
            T inv = T.One / sum;
            for (int j = 0; j < cols; j++) pi[j] *= inv;
        }
    }

    /// <summary>dH = dA * 1[Hpre &gt; 0], element-wise.</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> da, ReadOnlySpan<T> hpre, Span<T> dh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dh.Length; i++) dh[i] = hpre[i] > T.Zero ? da[i] : T.Zero;
    }

    /// <summary>sums[j] = sum_i X[i,j] (X is rows x cols, contiguous).</summary>
    public static void ColumnSums<T>(ReadOnlySpan<T> x, int rows, int cols, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        sums.Slice(0, cols).Clear();
        for (int i = 0; i < rows; i++) AddScaled(sums.Slice(0, cols), T.One, x.Slice(i * cols, cols));
    }

    /// <summary>y = alpha * x.</summary>
    public static void Scale<T>(Span<T> y, T alpha, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) y[i] = alpha * x[i];
    }

    /// <summary>y += alpha * x.</summary>
    public static void AddScaled<T>(Span<T> y, T alpha, ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<T>.Count)
        {
            var va = new Vector<T>(alpha);
            Span<Vector<T>> vy = MemoryMarshal.Cast<T, Vector<T>>(y);
            ReadOnlySpan<Vector<T>> vx = MemoryMarshal.Cast<T, Vector<T>>(x.Slice(0, y.Length));
            for (int v = 0; v < vy.Length; v++) vy[v] += va * vx[v];
            i = vy.Length * Vector<T>.Count;
        }
        for (; i < y.Length; i++) y[i] += alpha * x[i];
    }

    /// <summary>The dot product of two equal-length spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T s = T.Zero;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            Vector<T> acc = Vector<T>.Zero;
            ReadOnlySpan<Vector<T>> vx = MemoryMarshal.Cast<T, Vector<T>>(x);
            ReadOnlySpan<Vector<T>> vy = MemoryMarshal.Cast<T, Vector<T>>(y.Slice(0, x.Length));
            for (int v = 0; v < vx.Length; v++) acc += vx[v] * vy[v];
            s = Vector.Sum(acc);
            i = vx.Length * Vector<T>.Count;
        }
        for (; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>The sum of squares, accumulated in double.</summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        foreach (T v in x)
        {
            double d = double.CreateTruncating(v);
            s += d * d;
        }
        return s;
    }

    /// <summary>True when every element is finite.</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (T v in x) if (!T.IsFinite(v)) return false;
        return true;
    }
}
