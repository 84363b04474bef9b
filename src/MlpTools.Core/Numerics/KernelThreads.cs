using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MlpTools.Core.Numerics;

/// <summary>Work cut into chunks 0..count-1 that may run in any order, on any thread, at the same time.</summary>
internal interface IKernelJob
{
    /// <summary>Runs chunk <paramref name="chunk"/>.</summary>
    void Execute(int chunk);
}

/// <summary>
/// The kernels' own worker threads: persistent, so handing work to another core costs no allocation and,
/// while the workers are still polling after the last job, well under a microsecond.
/// </summary>
/// <remarks>
/// A job is a number of chunks; the caller and the workers claim them one at a time from a shared counter
/// until none is left, and the caller returns when every chunk is done. So a worker that the operating
/// system has not scheduled yet (on a busy machine) costs nothing: the caller takes its share. A worker
/// polls for <see cref="SpinTime"/> after each job (a training step calls the kernels every few dozen to
/// few hundred microseconds) and then sleeps until the next one. One job runs at a time: a thread that
/// arrives while another's job runs gets <c>false</c> from <see cref="TryEnter"/> and does its work alone.
/// Kernels cut their work over output elements only, never over a sum, so a result does not depend on
/// which thread ran which chunk, nor on how many threads there were.
/// </remarks>
internal static class KernelThreads
{
    private static readonly object s_gate = new();
    private static readonly object s_sleep = new();
    // 250 us: longer than the gaps between the kernels of a training step (tens to hundreds of microseconds), so a
    // worker is still polling when the next job comes; short enough that a worker left idle soon sleeps instead of
    // holding a core. Bench's epoch section (build.ps1 -Task Bench) is the place to measure another choice.
    private static long s_spinTicks = Stopwatch.Frequency / 4000;
    // All cores up to 8: beyond that, waking and spinning more workers for products of this size costs more than it saves.
    private static int s_maxThreads = Math.Clamp(Environment.ProcessorCount, 1, 8);
    private static int s_workerCount;

    // The current job. s_state holds the job's generation (high 32 bits) and the next unclaimed chunk (low 32):
    // claiming a chunk is one compare-and-swap that also checks the job is still the current one.
    private static long s_state;
    private static int s_generation;
    private static IKernelJob? s_job;
    private static int s_chunks;
    private static int s_done;
    private static int s_sleepers;
    private static ExceptionDispatchInfo? s_error;

    /// <summary>
    /// How many threads (the caller included) a kernel may use. 1 makes every kernel serial; tests use it to
    /// check that results do not depend on the thread count.
    /// </summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set => Volatile.Write(ref s_maxThreads, Math.Clamp(value, 1, 64));
    }

    /// <summary>How long an idle worker polls for the next job before it sleeps (it then takes a wake-up to start).</summary>
    public static TimeSpan SpinTime
    {
        get => Stopwatch.GetElapsedTime(0, Volatile.Read(ref s_spinTicks));
        set => Volatile.Write(ref s_spinTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    /// <summary>Takes the right to run a parallel job; false when another thread holds it.</summary>
    public static bool TryEnter() => Monitor.TryEnter(s_gate);

    /// <summary>Gives back the right taken by <see cref="TryEnter"/>.</summary>
    public static void Exit() => Monitor.Exit(s_gate);

    /// <summary>
    /// Runs chunks 0..<paramref name="chunks"/>-1 of <paramref name="job"/> on the calling thread and up to
    /// <see cref="MaxThreads"/> - 1 workers, and returns when all are done. The caller must hold the right from
    /// <see cref="TryEnter"/>.
    /// </summary>
    public static void Run(IKernelJob job, int chunks)
    {
        Debug.Assert(Monitor.IsEntered(s_gate));
        int threads = Math.Min(chunks, MaxThreads);
        if (threads <= 1)
        {
            for (int c = 0; c < chunks; c++) job.Execute(c);
            return;
        }
        EnsureWorkers(threads - 1);
        // First close the previous job: a worker that has just found all of its chunks claimed may still compare its
        // stale claim with the chunk count, and must not do so against this job's count (it would run a chunk of
        // this job under the old generation, and count it done). A closed generation has no chunk left to claim.
        Interlocked.Exchange(ref s_state, ((long)++s_generation << 32) | int.MaxValue);
        int generation = ++s_generation;
        s_job = job;
        s_chunks = chunks;
        s_error = null;
        Volatile.Write(ref s_done, 0);
        // Interlocked is a full fence: the job is visible before a worker can see the new generation.
        Interlocked.Exchange(ref s_state, (long)generation << 32);
        if (Volatile.Read(ref s_sleepers) > 0)
        {
            lock (s_sleep) Monitor.PulseAll(s_sleep);
        }

        RunChunks(generation);
        // The last chunks are running on other threads and end within microseconds: poll, do not yield.
        while (Volatile.Read(ref s_done) < chunks) Thread.SpinWait(1);
        s_job = null;
        s_error?.Throw();
    }

    /// <summary>Claims and runs chunks of job <paramref name="generation"/> until none is left (or the job is over).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void RunChunks(int generation)
    {
        while (true)
        {
            long state = Volatile.Read(ref s_state);
            if ((int)(state >> 32) != generation || (int)state >= Volatile.Read(ref s_chunks)) return;
            if (Interlocked.CompareExchange(ref s_state, state + 1, state) != state) continue;
            // The claim succeeded, so this job cannot end before this chunk is done: s_job is stable.
            try
            {
                s_job!.Execute((int)state);
            }
#pragma warning disable CA1031 // a worker must not die: the error is handed to the caller, which rethrows it
            catch (Exception e)
            {
                s_error = ExceptionDispatchInfo.Capture(e);
            }
#pragma warning restore CA1031
            finally
            {
                Interlocked.Increment(ref s_done);
            }
        }
    }

    private static void EnsureWorkers(int count)
    {
        while (s_workerCount < count)
        {
            var thread = new Thread(WorkerLoop, 256 * 1024)
            {
                IsBackground = true,
                Name = "MlpTools kernel worker",
            };
            thread.Start();
            s_workerCount++;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void WorkerLoop()
    {
        // Generation 0 is "no job yet": a worker that starts after its first job was published still joins it
        // (and a worker that joins late finds no chunk left; the caller never waits for a worker, only for chunks).
        int seen = 0;
        while (true)
        {
            seen = WaitForJob(seen);
            RunChunks(seen);
        }
    }

    /// <summary>Spins, then sleeps, until a job newer than <paramref name="seen"/> is published; returns its generation.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int WaitForJob(int seen)
    {
        long until = Stopwatch.GetTimestamp() + Volatile.Read(ref s_spinTicks);
        int g;
        while ((g = (int)(Volatile.Read(ref s_state) >> 32)) == seen)
        {
            if (Stopwatch.GetTimestamp() < until)
            {
                // One short pause per poll: a job of a few tens of microseconds must not wait a microsecond for its helper.
                Thread.SpinWait(1);
                continue;
            }
            lock (s_sleep)
            {
                Interlocked.Increment(ref s_sleepers); // a full fence before the state is read again
                while ((int)(Volatile.Read(ref s_state) >> 32) == seen) Monitor.Wait(s_sleep);
                Interlocked.Decrement(ref s_sleepers);
            }
        }
        return g;
    }
}
