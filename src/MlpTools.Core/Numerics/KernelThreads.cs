using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MlpTools.Core.Numerics;

/// <summary>Work cut into chunks 0..count-1 that may run in any order, on any thread, at the same time.</summary>
/// <remarks>
/// An abstract class, not an interface, so that the module's warm-up can compile each job's Execute ahead of a first
/// training (<see cref="KernelWarmup"/>): RuntimeHelpers.PrepareMethod compiles an override, and leaves a method that
/// implements an interface to be compiled at its first call, which was inside the first call's first batches.
/// </remarks>
internal abstract class KernelJob
{
    /// <summary>Runs chunk <paramref name="chunk"/>.</summary>
    public abstract void Execute(int chunk);
}

/// <summary>
/// A team of kernel worker threads: persistent, so handing work to another core costs no allocation and,
/// while the workers are still polling after the last job, well under a microsecond. Kernels reach the pool of
/// their thread through <see cref="KernelThreads"/>.
/// </summary>
/// <remarks>
/// A job is a number of chunks; the caller and the workers claim them one at a time, the caller from the first chunk
/// up and the workers from the last one down, until none is left, and the caller returns when every chunk is done.
/// So a worker that the operating system has not scheduled yet (on a busy machine) costs nothing: the caller takes its
/// share. And the same job run again splits at about the same chunk, so each core mostly gets back the parts of the
/// arrays its cache already holds (claimed from one shared counter, the chunks alternated between the threads, and a
/// 784-1024-10 epoch took 10-15% longer, mostly moving cache lines between the cores). A worker
/// polls for <see cref="KernelThreads.SpinTime"/> after each job (a training step calls the kernels every few dozen to
/// few hundred microseconds) and then sleeps until the next one. One job runs at a time: a thread that
/// arrives while another's job runs gets <c>false</c> from <see cref="TryEnter"/> and does its work alone.
/// Kernels cut their work over output elements only, never over a sum, so a result does not depend on
/// which thread ran which chunk, nor on how many threads there were.
/// </remarks>
internal sealed class KernelPool
{
    private readonly object _gate = new();
    private readonly object _sleep = new();
    private int _workerCount;

    // The current job. _state holds the job's generation (high 32 bits) and its unclaimed chunks (low 32): claiming a
    // chunk is one compare-and-swap that also checks the job is still the current one. The caller claims chunks from
    // the first one up, the workers from the last one down (bits 0-15: the first unclaimed chunk; 16-31: one past the
    // last), so that a product or pass run again over the same arrays gives each thread mostly the same chunks as the
    // time before: the same parts of the arrays stay in its core's caches instead of moving to the other core. A job of
    // more than MaxTwoEnded chunks is claimed from the first one up by every thread (bits 0-31: the next chunk).
    private long _state;
    private int _generation;
    private KernelJob? _job;
    private int _chunks;
    private bool _twoEnded;
    private int _done;
    private int _sleepers;
    private ExceptionDispatchInfo? _error;

    /// <summary>The most chunks a job may have to be claimed from both ends (each end is a 16-bit count).</summary>
    internal const int MaxTwoEnded = 0xFFFF;

    /// <summary>Takes the right to run a parallel job; false when another thread holds it.</summary>
    public bool TryEnter() => Monitor.TryEnter(_gate);

    /// <summary>Gives back the right taken by <see cref="TryEnter"/>.</summary>
    public void Exit() => Monitor.Exit(_gate);

    /// <summary>
    /// Runs chunks 0..<paramref name="chunks"/>-1 of <paramref name="job"/> on the calling thread and up to
    /// <paramref name="threads"/> - 1 workers, and returns when all are done. The caller must hold the right from
    /// <see cref="TryEnter"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Run(KernelJob job, int chunks, int threads)
    {
        Debug.Assert(Monitor.IsEntered(_gate));
        threads = Math.Min(chunks, threads);
        if (threads <= 1)
        {
            for (int c = 0; c < chunks; c++) job.Execute(c);
            return;
        }
        EnsureWorkers(threads - 1);
        KernelThreads.NoteBusy();
        // First close the previous job: a worker that has just found all of its chunks claimed may still compare its
        // stale claim with the chunk count, and must not do so against this job's count (it would run a chunk of
        // this job under the old generation, and count it done). A closed generation has no chunk left to claim.
        Interlocked.Exchange(ref _state, ((long)++_generation << 32) | int.MaxValue);
        int generation = ++_generation;
        _job = job;
        _chunks = chunks;
        _twoEnded = chunks <= MaxTwoEnded;
        _error = null;
        Volatile.Write(ref _done, 0);
        // Interlocked is a full fence: the job is visible before a worker can see the new generation.
        Interlocked.Exchange(ref _state, ((long)generation << 32) | (_twoEnded ? (long)chunks << 16 : 0));
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_sleep) Monitor.PulseAll(_sleep);
        }

        RunChunks(generation, fromTop: false);
        // The last chunks are running on other threads and end within microseconds: poll, do not yield.
        while (Volatile.Read(ref _done) < chunks) Thread.SpinWait(1);
        _job = null;
        _error?.Throw();
    }

    /// <summary>
    /// Claims and runs chunks of job <paramref name="generation"/> until none is left (or the job is over): from the
    /// first one up, or (<paramref name="fromTop"/>, the workers) from the last one down.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void RunChunks(int generation, bool fromTop)
    {
        while (true)
        {
            long state = Volatile.Read(ref _state);
            if ((int)(state >> 32) != generation) return;
            // The job's shape is read after its state: should the job have ended meanwhile, the state has changed and
            // the claim below fails, whatever these say.
            int chunk;
            long claimed;
            if (Volatile.Read(ref _twoEnded))
            {
                int first = (int)(state & 0xFFFF), end = (int)((state >> 16) & 0xFFFF);
                if (first >= end) return;
                (chunk, claimed) = fromTop ? (end - 1, state - (1L << 16)) : (first, state + 1);
            }
            else
            {
                chunk = (int)state;
                if (chunk >= Volatile.Read(ref _chunks)) return;
                claimed = state + 1;
            }
            if (Interlocked.CompareExchange(ref _state, claimed, state) != state) continue;
            // The claim succeeded, so this job cannot end before this chunk is done: _job is stable.
            try
            {
                _job!.Execute(chunk);
            }
#pragma warning disable CA1031 // a worker must not die: the error is handed to the caller, which rethrows it
            catch (Exception e)
            {
                _error = ExceptionDispatchInfo.Capture(e);
            }
#pragma warning restore CA1031
            finally
            {
                Interlocked.Increment(ref _done);
            }
        }
    }

    private void EnsureWorkers(int count)
    {
        while (_workerCount < count)
        {
            var thread = new Thread(WorkerLoop, 256 * 1024)
            {
                IsBackground = true,
                Name = "MlpTools kernel worker",
            };
            thread.Start();
            _workerCount++;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void WorkerLoop()
    {
        // Generation 0 is "no job yet": a worker that starts after its first job was published still joins it
        // (and a worker that joins late finds no chunk left; the caller never waits for a worker, only for chunks).
        int seen = 0;
        while (true)
        {
            seen = WaitForJob(seen);
            RunChunks(seen, fromTop: true);
        }
    }

    /// <summary>Spins, then sleeps, until a job newer than <paramref name="seen"/> is published; returns its generation.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private int WaitForJob(int seen)
    {
        long until = Stopwatch.GetTimestamp() + KernelThreads.SpinTicks;
        int g;
        while ((g = (int)(Volatile.Read(ref _state) >> 32)) == seen)
        {
            if (Stopwatch.GetTimestamp() < until)
            {
                // One short pause per poll: a job of a few tens of microseconds must not wait a microsecond for its helper.
                Thread.SpinWait(1);
                continue;
            }
            lock (_sleep)
            {
                Interlocked.Increment(ref _sleepers); // a full fence before the state is read again
                while ((int)(Volatile.Read(ref _state) >> 32) == seen) Monitor.Wait(_sleep);
                Interlocked.Decrement(ref _sleepers);
            }
        }
        return g;
    }
}

/// <summary>
/// How the kernels share the cores: every thread that does kernel work has a pool of workers and a number of threads
/// it may use now. A training (<see cref="Join"/>) takes a pool of its own, and the cores are divided among the
/// trainings running at that moment: a lone training gets them all, two on two cores get one each (no workers, no
/// hand-offs), and when one ends the other gets both again from its next product on.
/// </summary>
/// <remarks>
/// A thread that has not joined uses the process's first pool with all <see cref="MaxThreads"/> threads, as long as
/// no other thread holds it (<see cref="TryEnter"/> then says no and the kernel runs alone). Results never depend on
/// this: kernels cut their work over output elements only, so any number of threads gives the same bits.
/// </remarks>
internal static class KernelThreads
{
    // All cores up to 8: beyond that, waking and spinning more workers for products of this size costs more than it saves.
    private static int s_maxThreads = Math.Clamp(Environment.ProcessorCount, 1, 8);

    // 250 us: longer than the gaps between the kernels of a training step (tens to hundreds of microseconds), so a
    // worker is still polling when the next job comes; short enough that a worker left idle soon sleeps instead of
    // holding a core. Bench's epoch section (build.ps1 -Task Bench) is the place to measure another choice.
    private static long s_spinTicks = Stopwatch.Frequency / 4000;

    // The first pool: threads that have not joined use it; it is also the first one a joining thread gets.
    private static readonly KernelPool s_shared = new();
    private static readonly object s_poolsLock = new();
    private static readonly Stack<KernelPool> s_free = new(new[] { s_shared });
    private static int s_joined;

    [ThreadStatic]
    private static KernelPool? t_pool;

    /// <summary>
    /// How many threads (the caller included) the kernels of the process may use in all. 1 makes every kernel serial;
    /// tests use it to check that results do not depend on the thread count.
    /// </summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set => Volatile.Write(ref s_maxThreads, Math.Clamp(value, 1, 64));
    }

    /// <summary>How long an idle worker polls for the next job before it sleeps (it then takes a wake-up to start).</summary>
    public static TimeSpan SpinTime
    {
        get => Stopwatch.GetElapsedTime(0, SpinTicks);
        set => Volatile.Write(ref s_spinTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    internal static long SpinTicks => Volatile.Read(ref s_spinTicks);

    /// <summary>How many trainings hold a share of the cores now.</summary>
    public static int Joined => Volatile.Read(ref s_joined);

    /// <summary>
    /// How many threads (the caller included) a kernel called on this thread may use now: all of them, or, on a thread
    /// that joined, its share of <see cref="MaxThreads"/> among the threads joined at this moment (at least one).
    /// </summary>
    public static int Threads
    {
        get
        {
            int threads = t_pool is null ? MaxThreads : Math.Max(1, MaxThreads / Math.Max(1, Joined));
            return t_limit > 0 ? Math.Min(threads, t_limit) : threads;
        }
    }

    // This thread's own limit (0: none), set between a training's mini-batches (see ThreadChoice).
    [ThreadStatic]
    private static int t_limit;

    /// <summary>
    /// The most threads the kernels this thread starts may use (0: no limit of its own). The results do not depend on
    /// it, only the time.
    /// </summary>
    public static int OwnLimit => t_limit;

    /// <summary>Sets <see cref="OwnLimit"/>.</summary>
    public static void Limit(int threads) => t_limit = Math.Max(0, threads);

    // When a job last ran on more than one thread (a Stopwatch timestamp).
    private static long s_lastBusy;

    /// <summary>Notes that a job is starting on more than one thread: the cores are busy with a kernel.</summary>
    internal static void NoteBusy() => Volatile.Write(ref s_lastBusy, Stopwatch.GetTimestamp());

    /// <summary>
    /// Waits, in steps of 10 ms, until no job has started on more than one thread for <see cref="IdleTime"/>: for work
    /// that should take only the cores the kernels leave idle (the module's warm-up).
    /// </summary>
    internal static void WaitForIdleCores()
    {
        while (Stopwatch.GetElapsedTime(Volatile.Read(ref s_lastBusy)) < IdleTime) Thread.Sleep(10);
    }

    /// <summary>How long without a job on several threads counts as the cores being left idle: 50 ms.</summary>
    internal static TimeSpan IdleTime => TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Takes a share of the cores for the calling thread until the result is disposed: its kernels then run on a pool
    /// of their own, with <see cref="Threads"/> threads. Joining again on a thread that has joined changes nothing.
    /// </summary>
    public static Share Join()
    {
        if (t_pool is not null) return default;
        KernelPool pool;
        lock (s_poolsLock)
        {
            pool = s_free.Count > 0 ? s_free.Pop() : new KernelPool();
            s_joined++;
        }
        t_pool = pool;
        return new Share(pool);
    }

    /// <summary>A thread's share of the cores, from <see cref="Join"/>; disposing it gives the share back.</summary>
    public readonly struct Share : IDisposable
    {
        private readonly KernelPool? _pool;

        internal Share(KernelPool pool) => _pool = pool;

        /// <summary>Gives the share back (on the thread that joined).</summary>
        public void Dispose()
        {
            if (_pool is null) return;
            Debug.Assert(ReferenceEquals(t_pool, _pool));
            t_pool = null;
            lock (s_poolsLock)
            {
                s_joined--;
                s_free.Push(_pool);
            }
        }
    }

    private static KernelPool Pool => t_pool ?? s_shared;

    /// <summary>
    /// Takes the right to run a parallel job on this thread's pool; false when the pool is busy with another thread's
    /// job, or when this thread may use one thread only now (then the kernel runs alone, on the caller).
    /// </summary>
    public static bool TryEnter() => Threads > 1 && Pool.TryEnter();

    /// <summary>Gives back the right taken by <see cref="TryEnter"/>.</summary>
    public static void Exit() => Pool.Exit();

    /// <summary>
    /// Runs chunks 0..<paramref name="chunks"/>-1 of <paramref name="job"/> on the calling thread and up to
    /// <see cref="Threads"/> - 1 workers of its pool, and returns when all are done. The caller must hold the right
    /// from <see cref="TryEnter"/>.
    /// </summary>
    public static void Run(KernelJob job, int chunks) => Pool.Run(job, chunks, Threads);
}
