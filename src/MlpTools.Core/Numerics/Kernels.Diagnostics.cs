using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlpTools.Core.Numerics;

/// <summary>
/// The passes training's diagnostics take besides the optimizers' measured steps (<see cref="StepSquares"/>): the
/// state of the hidden ReLUs in a batch, and the distance between two parameter arrays. They only read what training
/// computed; nothing they do changes a weight or a loss.
/// </summary>
internal static partial class Kernels
{
    /// <summary>
    /// One pass over a batch's pre-activations Hpre (rows x cols, row-major, contiguous; one hidden unit a column):
    /// <code>
    ///   peak[j] = Hpre[i,j] &gt; peak[j] ? Hpre[i,j] : peak[j]      for every row i, in order
    ///   returns  #{ (i, j) : not Hpre[i,j] &gt; 0 }                the zero activations A = max(0, Hpre) = 0
    /// </code>
    /// With <paramref name="peak"/> zeroed at the start of an epoch, a unit whose peak is still 0 at its end had
    /// Hpre &lt;= 0 for every sample: a dead ReLU. Element-wise comparisons and selections only, so the vector path
    /// gives the bits of <see cref="ReferenceKernels.ReluActivity{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long ReluActivity<T>(ReadOnlySpan<T> hpre, int rows, int cols, Span<T> peak)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        peak = peak.Slice(0, cols);
        long positive = 0;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> h = hpre.Slice(r * cols, cols);
            int j = 0;
            if (IsVectorizable<T>())
            {
                ref T rh = ref MemoryMarshal.GetReference(h), rp = ref MemoryMarshal.GetReference(peak);
                // A comparison's lanes are all ones (-1 as an integer) where it holds: subtracting them counts.
                Vector<int> count32 = Vector<int>.Zero;
                Vector<long> count64 = Vector<long>.Zero;
                for (; j <= cols - Vector<T>.Count; j += Vector<T>.Count)
                {
                    Vector<T> v = Vector.LoadUnsafe(ref rh, (nuint)j), p = Vector.LoadUnsafe(ref rp, (nuint)j);
                    Vector.ConditionalSelect(Vector.GreaterThan(v, p), v, p).StoreUnsafe(ref rp, (nuint)j);
                    Vector<T> active = Vector.GreaterThan(v, Vector<T>.Zero);
                    if (typeof(T) == typeof(float)) count32 -= Vector.As<T, int>(active);
                    else count64 -= Vector.As<T, long>(active);
                }
                positive += typeof(T) == typeof(float) ? Vector.Sum(count32) : Vector.Sum(count64);
            }
            for (; j < cols; j++)
            {
                T v = h[j];
                if (v > peak[j]) peak[j] = v;
                if (v > T.Zero) positive++;
            }
        }
        return (long)rows * cols - positive;
    }

    /// <summary>
    /// sum_i (a[i] - b[i])^2, each difference taken in double: the squared distance ||a - b||^2 between two parameter
    /// arrays (for L-BFGS, the move from the point evaluated before). Summed in two interleaved vector partial sums
    /// and then the tail, so it is compared with <see cref="ReferenceKernels.SquaredDistance{T}"/> within a bound.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SquaredDistance<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Length, i = 0;
        b = b.Slice(0, n);
        double s = 0;
        if (Vector.IsHardwareAccelerated && typeof(T) == typeof(float))
        {
            ref float ra = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<T, float>(a));
            ref float rb = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<T, float>(b));
            Vector<double> s0 = Vector<double>.Zero, s1 = s0;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref ra, (nuint)i), out Vector<double> a0, out Vector<double> a1);
                Vector.Widen(Vector.LoadUnsafe(ref rb, (nuint)i), out Vector<double> b0, out Vector<double> b1);
                Vector<double> d0 = a0 - b0, d1 = a1 - b1;
                s0 += d0 * d0;
                s1 += d1 * d1;
            }
            s = Vector.Sum(s0 + s1);
        }
        else if (Vector.IsHardwareAccelerated && typeof(T) == typeof(double))
        {
            ref double ra = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<T, double>(a));
            ref double rb = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<T, double>(b));
            Vector<double> s0 = Vector<double>.Zero;
            for (; i <= n - Vector<double>.Count; i += Vector<double>.Count)
            {
                Vector<double> d = Vector.LoadUnsafe(ref ra, (nuint)i) - Vector.LoadUnsafe(ref rb, (nuint)i);
                s0 += d * d;
            }
            s = Vector.Sum(s0);
        }
        for (; i < n; i++)
        {
            double d = double.CreateTruncating(a[i]) - double.CreateTruncating(b[i]);
            s += d * d;
        }
        return s;
    }
}
