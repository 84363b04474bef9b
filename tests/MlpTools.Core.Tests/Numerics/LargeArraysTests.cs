using System.Globalization;
using System.Runtime.InteropServices;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

/// <summary>A fact that runs only on Linux with transparent huge pages on for memory that asks (or always), else skipped.</summary>
public sealed class HugePagesFactAttribute : FactAttribute
{
    public HugePagesFactAttribute()
    {
        const string setting = "/sys/kernel/mm/transparent_hugepage/enabled";
        string? mode = OperatingSystem.IsLinux() && File.Exists(setting) ? File.ReadAllText(setting) : null;
        if (mode is null || !(mode.Contains("[madvise]", StringComparison.Ordinal) || mode.Contains("[always]", StringComparison.Ordinal)))
            Skip = "Transparent huge pages are off here (or this is not Linux).";
    }
}

public class LargeArraysTests
{
    [HugePagesFact]
    public void A_large_array_asks_for_huge_pages_before_its_first_touch()
    {
        long before = LargeArrays.AdvisedOnThisThread;
        float[] large = LargeArrays.Uninitialized<float>(32 << 20); // 128 MiB
        Assert.Equal(32 << 20, large.Length);
        Assert.Equal(before + 1, LargeArrays.AdvisedOnThisThread);
        large.AsSpan().Fill(1.5f);
        Assert.All(new[] { 0, 12345, large.Length - 1 }, i => Assert.Equal(1.5f, large[i]));
        GCHandle pin = GCHandle.Alloc(large, GCHandleType.Pinned);
        long middle = pin.AddrOfPinnedObject() + (long)large.Length * sizeof(float) / 2;
        pin.Free();
        // The mapping that holds the array's middle, as the kernel reports it (it maps the advised whole huge pages apart
        // from the partial ones at the ends), carries the advice ("hg"). Whether huge pages then back it is the kernel's
        // choice (memory this process touched before keeps its small pages; fragmented memory may have none to give),
        // so the test asks only that the advice reached the kernel.
        Assert.Contains("hg", VmFlags(middle));
        GC.KeepAlive(large);

        // A small one is an ordinary array.
        float[] small = LargeArrays.Uninitialized<float>(1000);
        Assert.Equal(1000, small.Length);
        Assert.Equal(before + 1, LargeArrays.AdvisedOnThisThread);
    }

    /// <summary>The VmFlags of the /proc/self/smaps mapping that holds <paramref name="address"/>.</summary>
    private static string[] VmFlags(long address)
    {
        bool inside = false, found = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal), space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && long.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long from)
                && long.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long to))
            {
                inside = from <= address && address < to;
                found |= inside;
                continue;
            }
            if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
                return line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        Assert.True(found, $"no mapping in /proc/self/smaps holds 0x{address:x}");
        return [];
    }
}
