using System.Diagnostics;
using System.Globalization;
using MlpTools.Fuzz;

namespace MlpTools.Core.Tests.Fuzz;

/// <summary>One generated input: the target, its bytes, and for CSV the name the reader is given (its extension may choose the delimiter).</summary>
internal sealed record FuzzCase(FuzzTarget Target, byte[] Input, string CsvSource = FuzzTargets.CsvSource)
{
    /// <summary>The extension a saved copy gets, so that replaying it reads it the same way.</summary>
    public string Extension => Target switch
    {
        FuzzTarget.Csv => Path.GetExtension(CsvSource) is { Length: > 0 } e ? e : ".data",
        FuzzTarget.Idx => ".idxpair",
        _ => ".safetensors",
    };
}

/// <summary>An input that was neither read nor refused with an MlpException, or that hung or allocated too much.</summary>
internal sealed record FuzzFailure(int Index, string What, string SavedAs)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"input {Index}: {What} (saved as {SavedAs})");
}

/// <summary>What a pass did.</summary>
internal sealed record FuzzPassResult(string Name, int Seed, int Count, int Read, int Refused, IReadOnlyList<FuzzFailure> Failures,
    TimeSpan Elapsed, TimeSpan Slowest, long MostAllocated, double HighestAllocationRatio)
{
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Name} (seed {Seed}): {Count:N0} inputs in {Elapsed.TotalSeconds:N1} s: {Read:N0} read, {Refused:N0} refused, {Failures.Count} failed; " +
        $"slowest {Slowest.TotalMilliseconds:N1} ms, most allocated {MostAllocated:N0} bytes, highest allocation / cap {HighestAllocationRatio:P1}");
}

/// <summary>
/// Runs generated inputs through a reader, one after another on a worker thread, and holds each to the contract every
/// reader keeps: the input is read or refused with an <see cref="MlpException"/>; no other exception escapes; no input
/// runs longer than <see cref="PerInputLimit"/> (a watchdog on the calling thread); and no input allocates more than
/// <see cref="AllocationCap"/>. A failing input is written to <see cref="FuzzCorpus.FailureFolder"/> and reported with
/// the pass's seed and its index, from which <c>make(seed, index)</c> makes it again.
/// </summary>
internal sealed class FuzzPass
{
    /// <summary>A pass stops after this many failures; the first ones say enough.</summary>
    private const int MaxFailures = 10;

    private readonly string _name;
    private readonly int _seed;
    private readonly int _count;
    private readonly Func<int, int, FuzzCase> _make;
    private readonly Func<FuzzCase, object> _read;

    /// <param name="name">The pass's name, for messages and saved files.</param>
    /// <param name="seed">The pass's seed.</param>
    /// <param name="count">How many inputs.</param>
    /// <param name="make">The input for (seed, index): a pure function of the two, so any input can be made again alone.</param>
    /// <param name="read">Runs the reader (default: <see cref="FuzzTargets.Read"/>).</param>
    public FuzzPass(string name, int seed, int count, Func<int, int, FuzzCase> make, Func<FuzzCase, object>? read = null)
    {
        _name = name;
        _seed = seed;
        _count = count;
        _make = make;
        _read = read ?? (c => FuzzTargets.Read(c.Target, c.Input, c.CsvSource));
    }

    /// <summary>How long one input may take before it counts as a hang: far above the milliseconds a read of these small inputs takes, even on a busy machine.</summary>
    public TimeSpan PerInputLimit { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where failing inputs are written.</summary>
    public string FailureFolder { get; init; } = FuzzCorpus.FailureFolder();

    /// <summary>The most one input may allocate: <see cref="FuzzLimits.AllocationCap"/>.</summary>
    public static long AllocationCap(FuzzCase c) => FuzzLimits.AllocationCap(c.Target, c.Input);

    public FuzzPassResult Run()
    {
        var failures = new List<FuzzFailure>();
        int read = 0, refused = 0, done = 0;
        long mostAllocated = 0, slowestTicks = 0;
        double highestRatio = 0;
        // Shared with the watchdog: which input is running, since when, and the case itself (to save it on a hang).
        long currentIndex = -1, currentStart = 0;
        FuzzCase? current = null;
        bool abandoned = false;
        Exception? broken = null;
        var clock = Stopwatch.StartNew();

        void Work()
        {
            try
            {
                WorkOn();
            }
            catch (Exception e)
            {
                broken = e;
            }
        }

        void WorkOn()
        {
            for (int i = 0; i < _count && failures.Count < MaxFailures && !Volatile.Read(ref abandoned); i++)
            {
                FuzzCase c = _make(_seed, i);
                long cap = AllocationCap(c);
                Volatile.Write(ref current, c);
                Volatile.Write(ref currentStart, Stopwatch.GetTimestamp());
                Volatile.Write(ref currentIndex, i);
                long before = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                string? failure = null;
                try
                {
                    _read(c);
                    read++;
                }
                catch (Exception e) when (e is MlpException or OperationCanceledException)
                {
                    refused++;
                }
                catch (Exception e)
                {
                    failure = e.GetType().Name + ": " + e.Message + Environment.NewLine + e.StackTrace;
                }
                long elapsed = Stopwatch.GetTimestamp() - start;
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                slowestTicks = Math.Max(slowestTicks, elapsed);
                mostAllocated = Math.Max(mostAllocated, allocated);
                highestRatio = Math.Max(highestRatio, (double)allocated / cap);
                if (failure is null && allocated > cap)
                    failure = string.Create(CultureInfo.InvariantCulture, $"allocated {allocated:N0} bytes, more than the cap of {cap:N0} for {ContentBytes(c):N0} bytes of content");
                if (failure is not null && !Volatile.Read(ref abandoned))
                {
                    lock (failures) failures.Add(new FuzzFailure(i, failure, Save(c, i)));
                }
                Volatile.Write(ref currentIndex, -1);
                done = i + 1;
            }
        }

        var worker = new Thread(Work) { IsBackground = true, Name = "fuzz pass " + _name };
        worker.Start();
        long limit = (long)(PerInputLimit.TotalSeconds * Stopwatch.Frequency);
        while (!worker.Join(50))
        {
            long index = Volatile.Read(ref currentIndex);
            if (index >= 0 && Stopwatch.GetTimestamp() - Volatile.Read(ref currentStart) > limit && Volatile.Read(ref currentIndex) == index)
            {
                // A hang: the worker cannot be stopped, so it is left behind (a background thread, told to do nothing
                // more should it ever return) and the pass ends here.
                Volatile.Write(ref abandoned, true);
                FuzzCase c = Volatile.Read(ref current)!;
                lock (failures) failures.Add(new FuzzFailure((int)index, string.Create(CultureInfo.InvariantCulture, $"still running after {PerInputLimit.TotalSeconds:N0} s (a hang)"), Save(c, (int)index)));
                return new FuzzPassResult(_name, _seed, (int)index + 1, read, refused, failures.ToArray(), clock.Elapsed,
                    PerInputLimit, mostAllocated, highestRatio);
            }
        }
        if (broken is not null)
            throw new InvalidOperationException($"The pass {_name} stopped at input {done}: making or running it threw outside the reader.", broken);
        return new FuzzPassResult(_name, _seed, done, read, refused, failures.ToArray(), clock.Elapsed,
            TimeSpan.FromSeconds((double)slowestTicks / Stopwatch.Frequency), mostAllocated, highestRatio);
    }

    private string Save(FuzzCase c, int index)
    {
        Directory.CreateDirectory(FailureFolder);
        string path = Path.Combine(FailureFolder, string.Create(CultureInfo.InvariantCulture, $"{_name}-seed{_seed}-{index:D5}{c.Extension}"));
        File.WriteAllBytes(path, c.Input);
        return path;
    }

    /// <summary>The bytes the reader gets to see: <see cref="FuzzLimits.ContentBytes"/>.</summary>
    public static long ContentBytes(FuzzCase c) => FuzzLimits.ContentBytes(c.Target, c.Input);
}
