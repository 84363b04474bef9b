using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlpTools.Core.Numerics;

/// <summary>
/// A family of register-tiled micro-kernels for <see cref="GemmDriver{T, TTiles}"/>: each computes one tile of C,
/// <see cref="MR"/> rows by 2V (wide) or V (narrow) columns, V the vector width, as a sum of outer products
/// <code>
///   for p in 0..kc-1:  C[i, j] = fma(A(i, p), B(p, j), C[i, j])     i &lt; MR, j &lt; width
/// </code>
/// with B(p, j) = b[p * bStride + j] (a packed strip, or op(B) read in place) and A(i, p) either
/// a[p * aStride + i] (a packed panel, or a transposed A read in place) or, in the Rows kernels,
/// a[i * lda + p] (an untransposed A read in place, one broadcast per row). The tile starts from C when
/// <c>load</c> is set, else from zero.
/// </summary>
/// <remarks>
/// Each element of C is one chain of fused multiply-adds in the order p = 0, 1, ..., so it does not
/// depend on which kernel, which tile, which cache block or which thread computed it: that is what makes
/// results identical with one thread or two.
/// The kernels are written out, one local per accumulator, so the JIT keeps the whole tile in registers
/// (the 12 x 2V tile uses 24 of the 32 AVX-512 registers, plus 2 for B and 1 for the broadcast) and folds
/// each broadcast into a load. The kernels themselves are in GemmTiles.Generated.cs, written by
/// tools/New-GemmTiles.ps1: edit the pattern there, not one line.
/// </remarks>
internal unsafe interface IGemmTiles<T>
    where T : unmanaged
{
    /// <summary>Rows of a tile.</summary>
    static abstract int MR { get; }

    /// <summary>The vector width V: a narrow tile is V columns wide, a wide tile 2V.</summary>
    static abstract int V { get; }

    /// <summary>The largest kc: how many steps of p a cache block of the product takes, by default.</summary>
    static abstract int KcMax { get; }

    /// <summary>The MR x 2V tile, A(i, p) = a[p * aStride + i].</summary>
    static abstract void Wide(nint kc, T* a, nint aStride, T* b, nint bStride, T* c, nint ldc, bool load);

    /// <summary>The MR x V tile, A(i, p) = a[p * aStride + i].</summary>
    static abstract void Narrow(nint kc, T* a, nint aStride, T* b, nint bStride, T* c, nint ldc, bool load);

    /// <summary>The MR x 2V tile, A(i, p) = a[i * lda + p].</summary>
    static abstract void WideRows(nint kc, T* a, nint lda, T* b, nint bStride, T* c, nint ldc, bool load);

    /// <summary>The MR x V tile, A(i, p) = a[i * lda + p].</summary>
    static abstract void NarrowRows(nint kc, T* a, nint lda, T* b, nint bStride, T* c, nint ldc, bool load);

    /// <summary>
    /// A tile of only <paramref name="rows"/> (&lt; MR) rows, 2V wide or V, A in either form: for the last rows of C.
    /// False, doing nothing, when the family has no tile of that many rows (<see cref="HasEdgeTile"/>).
    /// </summary>
    static abstract bool EdgeTile(int rows, bool wide, bool rowsForm, nint kc, T* a, nint aStride, T* b, nint bStride, T* c, nint ldc, bool load);

    /// <summary>Whether <see cref="EdgeTile"/> has a tile of <paramref name="rows"/> rows.</summary>
    static abstract bool HasEdgeTile(int rows);

    /// <summary>
    /// Transposes a V x V block: dst[q * ldDst + r] = src[r * ldSrc + q] for r, q &lt; V.
    /// </summary>
    static abstract void TransposeBlock(T* src, nint ldSrc, T* dst, nint ldDst);
}

/// <summary>12 x 2V and 12 x V tiles on AVX-512 (V = 16 floats or 8 doubles), with FMA.</summary>
internal readonly unsafe partial struct Avx512Tiles<T> : IGemmTiles<T>
    where T : unmanaged
{
    public static bool IsSupported => Avx512F.IsSupported && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    public static int V => Vector512<T>.Count;

    /// <summary>
    /// 512 steps of p in either precision, as on the 256-bit tiles: a 12-row A panel of 24 KiB (floats) or 48 KiB
    /// (doubles), a packed strip of B (kc x 2V) of 64 KiB. Doubles took rows of 2 KiB (256 steps) before; on a Zen 5
    /// (48 KiB L1, 1 MiB L2) 512 took 0.92-0.98x the time, alone (the forward pass's products at 100 and 1,024 hidden
    /// units) and in the training step (784-1024-10's step 0.98x, 8 paired runs). Whole blocks of K = 784 were
    /// faster for floats and doubles alone (0.88-0.99x), but not in the step at 1,024 hidden units in float64
    /// (1.05x the forward product: a 1.25 MB block of the batch no longer stays in L2 between strips).
    /// </summary>
    public static int KcMax => 512;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void TransposeBlock(T* src, nint ldSrc, T* dst, nint ldDst)
    {
        if (typeof(T) == typeof(float)) Transpose16x16((float*)src, ldSrc, (float*)dst, ldDst);
        else Transpose8x8((double*)src, ldSrc, (double*)dst, ldDst);
    }

    /// <summary>x * y + z, rounded once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> MulAdd(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float)) return Avx512F.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Avx512F.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    /// <summary>
    /// A 16 x 16 float transpose in registers: interleave pairs of rows (32-bit), then pairs of pairs (64-bit),
    /// which transposes each 4 x 4 block within the 128-bit lanes, then move the lanes into place (two rounds of
    /// 128-bit shuffles). Each group of four rows is done in turn so that the live values fit the 32 registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16x16(float* src, nint ldSrc, float* dst, nint ldDst)
    {
        Quad(src, ldSrc, out Vector512<float> u0, out Vector512<float> u1, out Vector512<float> u2, out Vector512<float> u3);
        Quad(src + 4 * ldSrc, ldSrc, out Vector512<float> u4, out Vector512<float> u5, out Vector512<float> u6, out Vector512<float> u7);
        Quad(src + 8 * ldSrc, ldSrc, out Vector512<float> u8, out Vector512<float> u9, out Vector512<float> u10, out Vector512<float> u11);
        Quad(src + 12 * ldSrc, ldSrc, out Vector512<float> u12, out Vector512<float> u13, out Vector512<float> u14, out Vector512<float> u15);
        // u[4g + c], 128-bit lane L: rows 4g..4g+3 of column 4L + c. Output row 4L + c gathers lane L of u[c], u[4 + c], u[8 + c], u[12 + c].
        Lanes(u0, u4, u8, u12, dst, ldDst);
        Lanes(u1, u5, u9, u13, dst + ldDst, ldDst);
        Lanes(u2, u6, u10, u14, dst + 2 * ldDst, ldDst);
        Lanes(u3, u7, u11, u15, dst + 3 * ldDst, ldDst);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Quad(float* s, nint ld, out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3)
        {
            Vector512<float> r0 = Vector512.Load(s), r1 = Vector512.Load(s + ld), r2 = Vector512.Load(s + 2 * ld), r3 = Vector512.Load(s + 3 * ld);
            Vector512<double> t0 = Avx512F.UnpackLow(r0, r1).AsDouble(), t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
            Vector512<double> t2 = Avx512F.UnpackLow(r2, r3).AsDouble(), t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
            c0 = Avx512F.UnpackLow(t0, t2).AsSingle();
            c1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
            c2 = Avx512F.UnpackLow(t1, t3).AsSingle();
            c3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
        }

        // Rows d, d + 4 ld, d + 8 ld, d + 12 ld of the output: lanes 0, 1, 2, 3 of a, b, c, e side by side.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Lanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> e, float* d, nint ld)
        {
            Vector512<float> v0 = Avx512F.Shuffle4x128(a, b, 0x88), v1 = Avx512F.Shuffle4x128(a, b, 0xDD);
            Vector512<float> v2 = Avx512F.Shuffle4x128(c, e, 0x88), v3 = Avx512F.Shuffle4x128(c, e, 0xDD);
            Avx512F.Shuffle4x128(v0, v2, 0x88).Store(d);
            Avx512F.Shuffle4x128(v1, v3, 0x88).Store(d + 4 * ld);
            Avx512F.Shuffle4x128(v0, v2, 0xDD).Store(d + 8 * ld);
            Avx512F.Shuffle4x128(v1, v3, 0xDD).Store(d + 12 * ld);
        }
    }

    /// <summary>An 8 x 8 double transpose: interleave pairs of rows, then move the 128-bit lanes into place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8x8(double* src, nint ldSrc, double* dst, nint ldDst)
    {
        Pair(src, ldSrc, out Vector512<double> t0, out Vector512<double> t1);
        Pair(src + 2 * ldSrc, ldSrc, out Vector512<double> t2, out Vector512<double> t3);
        Pair(src + 4 * ldSrc, ldSrc, out Vector512<double> t4, out Vector512<double> t5);
        Pair(src + 6 * ldSrc, ldSrc, out Vector512<double> t6, out Vector512<double> t7);
        // t[2i + c], 128-bit lane L: rows 2i, 2i+1 of column 2L + c. Output row 2L + c gathers lane L of t[c], t[2 + c], t[4 + c], t[6 + c].
        Lanes(t0, t2, t4, t6, dst, ldDst);
        Lanes(t1, t3, t5, t7, dst + ldDst, ldDst);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Pair(double* s, nint ld, out Vector512<double> c0, out Vector512<double> c1)
        {
            Vector512<double> r0 = Vector512.Load(s), r1 = Vector512.Load(s + ld);
            c0 = Avx512F.UnpackLow(r0, r1);
            c1 = Avx512F.UnpackHigh(r0, r1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Lanes(Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> e, double* d, nint ld)
        {
            Vector512<double> v0 = Avx512F.Shuffle4x128(a, b, 0x88), v1 = Avx512F.Shuffle4x128(a, b, 0xDD);
            Vector512<double> v2 = Avx512F.Shuffle4x128(c, e, 0x88), v3 = Avx512F.Shuffle4x128(c, e, 0xDD);
            Avx512F.Shuffle4x128(v0, v2, 0x88).Store(d);
            Avx512F.Shuffle4x128(v1, v3, 0x88).Store(d + 2 * ld);
            Avx512F.Shuffle4x128(v0, v2, 0xDD).Store(d + 4 * ld);
            Avx512F.Shuffle4x128(v1, v3, 0xDD).Store(d + 6 * ld);
        }
    }
}

/// <summary>
/// 6 x 2V and 6 x V tiles on <see cref="Vector{T}"/>: the portable fallback (16 vector registers suffice).
/// With FMA hardware it fuses like the AVX-512 tiles, so results match them bit for bit.
/// </summary>
internal readonly unsafe partial struct VectorTiles<T> : IGemmTiles<T>
    where T : unmanaged
{
    public static int V => Vector<T>.Count;

    /// <summary>
    /// 512 steps of p in either precision, so a packed strip of B (kc x 2V) is 32 KiB with 256-bit vectors and
    /// the 6-row A panel 12 KiB (floats) or 24 KiB (doubles). On a Zen 3 (32 KiB L1), doubles took 0.89-0.97x
    /// the time of 256-step blocks (the forward pass's products at 100 to 4,096 hidden units, and at 3,072
    /// inputs); floats at 1,024 steps were no faster than at 512.
    /// </summary>
    public static int KcMax => 512;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void TransposeBlock(T* src, nint ldSrc, T* dst, nint ldDst)
    {
        if (Avx.IsSupported && Vector<byte>.Count == 32)
        {
            if (typeof(T) == typeof(float))
            {
                Transpose8x8((float*)src, ldSrc, (float*)dst, ldDst);
                return;
            }
            if (typeof(T) == typeof(double))
            {
                Transpose4x4((double*)src, ldSrc, (double*)dst, ldDst);
                return;
            }
        }
        int v = Vector<T>.Count;
        for (int r = 0; r < v; r++)
            for (int q = 0; q < v; q++) dst[q * ldDst + r] = src[r * ldSrc + q];
    }

    /// <summary>
    /// An 8 x 8 float transpose in AVX registers: interleave pairs of rows (32-bit), then pairs of pairs (64-bit),
    /// which transposes each 4 x 4 block within the 128-bit lanes, then swap the lanes into place.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose8x8(float* src, nint ldSrc, float* dst, nint ldDst)
    {
        Quad(src, ldSrc, out Vector256<float> u0, out Vector256<float> u1, out Vector256<float> u2, out Vector256<float> u3);
        Quad(src + 4 * ldSrc, ldSrc, out Vector256<float> u4, out Vector256<float> u5, out Vector256<float> u6, out Vector256<float> u7);
        // u[c] (rows 0-3) and u[4 + c] (rows 4-7), 128-bit lane L: column 4L + c.
        Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        Avx.Permute2x128(u1, u5, 0x20).Store(dst + ldDst);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + 2 * ldDst);
        Avx.Permute2x128(u3, u7, 0x20).Store(dst + 3 * ldDst);
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + 4 * ldDst);
        Avx.Permute2x128(u1, u5, 0x31).Store(dst + 5 * ldDst);
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + 6 * ldDst);
        Avx.Permute2x128(u3, u7, 0x31).Store(dst + 7 * ldDst);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Quad(float* s, nint ld, out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2, out Vector256<float> c3)
        {
            Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ld), r2 = Avx.LoadVector256(s + 2 * ld), r3 = Avx.LoadVector256(s + 3 * ld);
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            c0 = Avx.Shuffle(t0, t2, 0x44);
            c1 = Avx.Shuffle(t0, t2, 0xEE);
            c2 = Avx.Shuffle(t1, t3, 0x44);
            c3 = Avx.Shuffle(t1, t3, 0xEE);
        }
    }

    /// <summary>A 4 x 4 double transpose in AVX registers: interleave pairs of rows, then swap the 128-bit lanes into place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose4x4(double* src, nint ldSrc, double* dst, nint ldDst)
    {
        Vector256<double> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ldSrc);
        Vector256<double> r2 = Avx.LoadVector256(src + 2 * ldSrc), r3 = Avx.LoadVector256(src + 3 * ldSrc);
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Avx.Permute2x128(t0, t2, 0x20).Store(dst);
        Avx.Permute2x128(t1, t3, 0x20).Store(dst + ldDst);
        Avx.Permute2x128(t0, t2, 0x31).Store(dst + 2 * ldDst);
        Avx.Permute2x128(t1, t3, 0x31).Store(dst + 3 * ldDst);
    }

    /// <summary>x * y + z: one rounding where the hardware fuses, else two.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> MulAdd(Vector<T> x, Vector<T> y, Vector<T> z)
    {
        if (Fma.IsSupported && Vector<byte>.Count == 32)
        {
            if (typeof(T) == typeof(float))
                return Fma.MultiplyAdd(x.AsVector256().AsSingle(), y.AsVector256().AsSingle(), z.AsVector256().AsSingle()).As<float, T>().AsVector();
            if (typeof(T) == typeof(double))
                return Fma.MultiplyAdd(x.AsVector256().AsDouble(), y.AsVector256().AsDouble(), z.AsVector256().AsDouble()).As<double, T>().AsVector();
        }
        return x * y + z;
    }
}
