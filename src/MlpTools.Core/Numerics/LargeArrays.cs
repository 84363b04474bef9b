using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlpTools.Core.Numerics;

/// <summary>
/// Arrays of a dataset's size (hundreds of megabytes), which the caller fills at once. Memory new to the process costs
/// a page fault per 4 KiB page at its first touch, and on these machines that is most of reading a large file: filling
/// a new 150 MB float array took 370-520 ms, the same array in reused memory 8-16 ms. On Linux, where transparent huge
/// pages are on for memory that asks (the "madvise" setting, common and these machines'), the array's whole 2 MiB pages
/// ask for them before the first touch: a fault per 2 MiB instead (measured: 287-308 ms for the same fill). Elsewhere,
/// or when the kernel says no, the array is as it would be. The advice changes no value.
/// </summary>
internal static partial class LargeArrays
{
    /// <summary>Arrays from this many bytes up ask for huge pages (smaller ones have few pages to fault).</summary>
    internal const long AdviseBytes = 8 << 20;

    private const long HugePage = 2 << 20;

    /// <summary>How many times an array made on the calling thread had its pages advised (for the tests, which run in
    /// parallel with others that make large arrays).</summary>
    internal static long AdvisedOnThisThread => t_advised;

    [ThreadStatic]
    private static long t_advised;

    /// <summary>
    /// A new array of <paramref name="length"/> elements whose contents the caller writes in full before reading any
    /// (not cleared).
    /// </summary>
    public static T[] Uninitialized<T>(int length)
        where T : unmanaged
    {
        T[] array = GC.AllocateUninitializedArray<T>(length);
        if ((long)length * Unsafe.SizeOf<T>() >= AdviseBytes && OperatingSystem.IsLinux()) AdviseHugePages(array);
        return array;
    }

    private static unsafe void AdviseHugePages<T>(T[] array)
        where T : unmanaged
    {
        // A large array is not moved by the collector unless a compaction of the large objects is asked for, and the
        // advice is about address ranges, not objects: if it were moved, only the page size of the range would differ.
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        nint end = start + (nint)((long)array.Length * sizeof(T));
        // Only the whole huge pages inside the array: advice never reaches memory that is not the array's.
        nint first = (start + (nint)(HugePage - 1)) & ~(nint)(HugePage - 1), last = end & ~(nint)(HugePage - 1);
        if (last <= first) return;
        try
        {
            if (Libc.MAdvise(first, (nuint)(last - first), Libc.MadvHugePage) == 0) t_advised++;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library without madvise: the array is as it would be.
        }
    }

    private static partial class Libc
    {
        /// <summary>MADV_HUGEPAGE (Linux).</summary>
        public const int MadvHugePage = 14;

        [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
        public static partial int MAdvise(nint address, nuint length, int advice);
    }
}
