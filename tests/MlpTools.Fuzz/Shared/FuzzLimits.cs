using System.Globalization;
using System.IO.Compression;

using MlpTools.Core;

namespace MlpTools.Fuzz;

/// <summary>How much a reader may allocate for one input; what the fuzz harness and the mutation passes both hold the readers to.</summary>
internal static class FuzzLimits
{
    /// <summary>
    /// The most one input of <paramref name="target"/> may allocate: 128 bytes per byte of content plus 8 MiB. The
    /// content is the input, or what a gzip input inflates to (the readers inflate it). What the readers legitimately
    /// allocate: fixed buffers (the CSV reader's decoder and tokenizer buffers and its first 64K-value row block, about
    /// 1 MiB; the IDX reader's pooled 256 KiB chunk; the model reader's 64 KiB chunk), up to 100,000 class names
    /// (4 MiB), and per byte of content a few copies of the values and names it holds. The most measured per byte is
    /// an IDX file of one sample: its every one-byte value becomes a 4-byte float and gets a feature name, 92 bytes in
    /// all as x0, x1, ... (a string and the number's own string), 65 as pixel_r_c; a CSV byte about 50 at most (a wide
    /// row of one-character values and no header: the first row kept as strings, then as values, and x0, x1, ...
    /// named). For gzip IDX the reader may also allocate the final array for the size a header claims, once the file
    /// is long enough to inflate to it (its documented bound); the mutation passes keep such claims within the
    /// constant. A size claimed in a header and taken on trust beyond that blows far past the cap.
    /// </summary>
    public static long AllocationCap(FuzzTarget target, byte[] input) => CapFor(ContentBytes(target, input));

    /// <summary>The cap for <paramref name="contentBytes"/> bytes of content: 128 per byte plus 8 MiB.</summary>
    public static long CapFor(long contentBytes) => 128 * contentBytes + (8L << 20);

    /// <summary>Throws when <paramref name="allocated"/> is above <paramref name="cap"/>: to afl-fuzz, a crash like any other.</summary>
    public static void CheckAllocation(FuzzTarget target, long allocated, long cap, long contentBytes)
    {
        if (allocated > cap)
            throw new InvalidOperationException(Invariant.Format($"The {target} reader allocated {allocated:N0} bytes, more than the cap of {cap:N0} for {contentBytes:N0} bytes of content."));
    }

    /// <summary>The bytes a reader gets to see: the input, inflated when it is gzip and the reader inflates it (CSV; IDX: both files).</summary>
    public static long ContentBytes(FuzzTarget target, byte[] input)
    {
        switch (target)
        {
            case FuzzTarget.Csv:
                return Inflated(input);
            case FuzzTarget.Idx:
                var (images, labels) = IdxPair.Split(input);
                return Inflated(images) + Inflated(labels);
            default:
                return input.Length;
        }
    }

    private static long Inflated(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes.Length;
        long total = 0;
        var buffer = new byte[1 << 16];
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            for (int n; (n = gzip.Read(buffer)) > 0 && total < (1L << 30);) total += n;
        }
        catch (InvalidDataException)
        {
            // Corrupt: count what inflated before the damage, as the reader sees it.
        }
        return Math.Max(bytes.Length, total);
    }
}
