using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace MlpTools.Core.Data;

/// <summary>
/// Converts the big-endian element bytes of an IDX payload into the numbers a dataset stores. The unsigned-byte
/// path (MNIST pixels) is the hot one and runs on SIMD vectors; its scalar tail computes the identical value
/// (<c>b / 255f</c>, one correctly rounded float division), so results do not depend on the vector width.
/// </summary>
internal static class IdxConvert
{
    /// <summary>
    /// dst[i] = src[i] / 255 (or src[i] when <paramref name="scale"/> is false), in single precision; returns the largest
    /// byte of <paramref name="src"/> (0 when it is empty), found in the same pass. Compiled optimized from its first
    /// call (a file of images runs it on every block; the module's warm-up compiles it ahead).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static byte UByteToSingle(ReadOnlySpan<byte> src, Span<float> dst, bool scale)
    {
        if (dst.Length < src.Length) throw new ArgumentException("Destination too short.", nameof(dst));
        int i = 0;
        byte largest = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<byte>.Count, q = Vector<int>.Count;
            var divisor = new Vector<float>(scale ? 255f : 1f);
            Vector<byte> max = Vector<byte>.Zero;
            for (; i <= src.Length - w; i += w)
            {
                var bytes = new Vector<byte>(src.Slice(i, w));
                max = Vector.Max(max, bytes);
                Vector.Widen(bytes, out Vector<ushort> lo, out Vector<ushort> hi);
                Vector.Widen(lo, out Vector<uint> a0, out Vector<uint> a1);
                Vector.Widen(hi, out Vector<uint> a2, out Vector<uint> a3);
                Span<float> d = dst.Slice(i, w);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(a0)) / divisor).CopyTo(d);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(a1)) / divisor).CopyTo(d[q..]);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(a2)) / divisor).CopyTo(d[(2 * q)..]);
                (Vector.ConvertToSingle(Vector.AsVectorInt32(a3)) / divisor).CopyTo(d[(3 * q)..]);
            }
            for (int j = 0; j < w; j++) largest = Math.Max(largest, max[j]);
        }
        float div = scale ? 255f : 1f;
        for (; i < src.Length; i++)
        {
            dst[i] = src[i] / div;
            largest = Math.Max(largest, src[i]);
        }
        return largest;
    }

    /// <summary>Signed bytes, exactly, in single precision.</summary>
    public static void SByteToSingle(ReadOnlySpan<byte> src, Span<float> dst)
    {
        ReadOnlySpan<sbyte> s = MemoryMarshal.Cast<byte, sbyte>(src);
        for (int i = 0; i < s.Length; i++) dst[i] = s[i];
    }

    /// <summary>Big-endian 16-bit integers, exactly, in single precision.</summary>
    public static void Int16ToSingle(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length && 2 * i + 1 < src.Length; i++) dst[i] = BinaryPrimitives.ReadInt16BigEndian(src[(2 * i)..]);
    }

    /// <summary>Big-endian 32-bit integers, exactly, in double precision (a float holds only 24 bits).</summary>
    public static void Int32ToDouble(ReadOnlySpan<byte> src, Span<double> dst)
    {
        for (int i = 0; i < dst.Length && 4 * i + 3 < src.Length; i++) dst[i] = BinaryPrimitives.ReadInt32BigEndian(src[(4 * i)..]);
    }

    /// <summary>Big-endian IEEE singles. Returns the index of the first value that is not finite, or -1.</summary>
    public static int Float32ToSingle(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int bad = -1;
        for (int i = 0; i < dst.Length && 4 * i + 3 < src.Length; i++)
        {
            float v = BinaryPrimitives.ReadSingleBigEndian(src[(4 * i)..]);
            if (bad < 0 && !float.IsFinite(v)) bad = i;
            dst[i] = v;
        }
        return bad;
    }

    /// <summary>Big-endian IEEE doubles. Returns the index of the first value that is not finite, or -1.</summary>
    public static int Float64ToDouble(ReadOnlySpan<byte> src, Span<double> dst)
    {
        int bad = -1;
        for (int i = 0; i < dst.Length && 8 * i + 7 < src.Length; i++)
        {
            double v = BinaryPrimitives.ReadDoubleBigEndian(src[(8 * i)..]);
            if (bad < 0 && !double.IsFinite(v)) bad = i;
            dst[i] = v;
        }
        return bad;
    }

    /// <summary>Integer elements of any IDX integer type as ints.</summary>
    public static void ToInt32(IdxElementType type, ReadOnlySpan<byte> src, Span<int> dst)
    {
        switch (type)
        {
            case IdxElementType.UByte:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
            case IdxElementType.SByte:
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i];
                break;
            case IdxElementType.Int16:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16BigEndian(src[(2 * i)..]);
                break;
            case IdxElementType.Int32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32BigEndian(src[(4 * i)..]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Not an integer IDX type.");
        }
    }
}
