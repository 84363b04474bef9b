using System.Buffers.Binary;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Persistence;

namespace MlpTools.Fuzz;

/// <summary>The readers under fuzzing: what the bytes of one input are taken to be.</summary>
internal enum FuzzTarget
{
    /// <summary>A delimited text file, read with the default options; its delimiter is detected (the source has no known extension).</summary>
    Csv,

    /// <summary>An images file and a labels file, packed into one input by <see cref="IdxPair"/>.</summary>
    Idx,

    /// <summary>A model file, as it is.</summary>
    Model,

    /// <summary>
    /// A model file whose two checksums are recomputed before it is read (<see cref="ModelChecksums.Recompute"/>), so
    /// that a change to its metadata or tensor bytes reaches the checks behind the checksums instead of stopping at them.
    /// </summary>
    ModelStructured,
}

/// <summary>What a reader did with one input.</summary>
internal enum FuzzOutcome
{
    /// <summary>It returned a dataset or a network.</summary>
    Read,

    /// <summary>It threw an <see cref="MlpException"/> (the one way a reader may refuse bad input) or was cancelled.</summary>
    Refused,
}

/// <summary>
/// One entry per reader: bytes in; a dataset, a network or an <see cref="MlpException"/> out. Anything else that is
/// thrown escapes (the fuzzers count it as a crash), and <see cref="Run"/> throws for an allocation past the cap; a
/// hang is for the caller to catch (afl-fuzz's timeout, the mutation pass's watchdog).
/// </summary>
internal static class FuzzTargets
{
    /// <summary>The name the CSV reader is given: an extension it does not know, so it detects the delimiter.</summary>
    public const string CsvSource = "fuzz.data";

    public const string ImagesSource = "fuzz-images.idx";

    public const string LabelsSource = "fuzz-labels.idx";

    public const string ModelSource = "fuzz.safetensors";

    /// <summary>
    /// Runs <paramref name="target"/> on <paramref name="input"/>; see the class remarks for what may escape. An input
    /// that makes the reader allocate more than <see cref="FuzzLimits.AllocationCap"/> throws too.
    /// </summary>
    /// <param name="target">The reader.</param>
    /// <param name="input">The input's bytes.</param>
    /// <param name="csvSource">For <see cref="FuzzTarget.Csv"/>: the name the reader is given, whose extension may choose the delimiter.</param>
    public static FuzzOutcome Run(FuzzTarget target, byte[] input, string csvSource = CsvSource)
    {
        long content = FuzzLimits.ContentBytes(target, input), cap = FuzzLimits.CapFor(content);
        long before = GC.GetAllocatedBytesForCurrentThread();
        FuzzOutcome outcome;
        try
        {
            Read(target, input, csvSource);
            outcome = FuzzOutcome.Read;
        }
        catch (Exception e) when (e is MlpException or OperationCanceledException)
        {
            outcome = FuzzOutcome.Refused;
        }
        FuzzLimits.CheckAllocation(target, GC.GetAllocatedBytesForCurrentThread() - before, cap, content);
        return outcome;
    }

    /// <summary>Reads <paramref name="input"/> as <paramref name="target"/> says; returns the dataset or network.</summary>
    public static object Read(FuzzTarget target, byte[] input, string csvSource = CsvSource)
    {
        switch (target)
        {
            case FuzzTarget.Csv:
                return CsvDatasetReader.Read(new MemoryStream(input, writable: false), csvSource);
            case FuzzTarget.Idx:
                var (images, labels) = IdxPair.Split(input);
                return IdxReader.Read(new MemoryStream(images, writable: false), ImagesSource, new MemoryStream(labels, writable: false), LabelsSource);
            case FuzzTarget.Model:
                return ModelFile.Read(new MemoryStream(input, writable: false), ModelSource);
            case FuzzTarget.ModelStructured:
                return ModelFile.Read(new MemoryStream(ModelChecksums.Recompute(input) ?? input, writable: false), ModelSource);
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target, "No such fuzz target.");
        }
    }
}

/// <summary>
/// An IDX images file and its labels file as one input: two bytes, big-endian, giving the labels file's length L, then
/// the images file, then the labels file (its last L bytes; fewer when the input is shorter). Any bytes make a pair.
/// </summary>
internal static class IdxPair
{
    public static byte[] Join(ReadOnlySpan<byte> images, ReadOnlySpan<byte> labels)
    {
        if (labels.Length > ushort.MaxValue)
            throw new ArgumentException("A labels file of more than 65,535 bytes does not fit an IDX pair.", nameof(labels));
        var input = new byte[2 + images.Length + labels.Length];
        BinaryPrimitives.WriteUInt16BigEndian(input, (ushort)labels.Length);
        images.CopyTo(input.AsSpan(2));
        labels.CopyTo(input.AsSpan(2 + images.Length));
        return input;
    }

    public static (byte[] Images, byte[] Labels) Split(byte[] input)
    {
        if (input.Length < 2) return (input.ToArray(), Array.Empty<byte>());
        int rest = input.Length - 2;
        int labels = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input), rest);
        return (input.AsSpan(2, rest - labels).ToArray(), input.AsSpan(2 + rest - labels, labels).ToArray());
    }
}
