using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MlpTools.Core.Numerics;

/// <summary>
/// Lets a training have the cores before the runtime's background recompiling: on Linux, the .NET thread that
/// recompiles hot methods optimized (tiered compilation's worker) is set to the lowest priority (nice 19), so that
/// while the training's kernel threads keep every core busy it runs only in their gaps, and at full speed on any core
/// they leave idle.
/// </summary>
/// <remarks>
/// <para>
/// In a fresh PowerShell process the runtime holds back the optimized recompiling of PowerShell's own hot code
/// (about 2,200 methods, 0.6-0.8 s of compile time) while new code keeps being compiled, and does it once a tenth of
/// a second has passed with nothing new to compile: in a script, that is during the first training. Its worker
/// thread then takes one of the cores for about a second, the training's batches wait on the kernel thread that lost
/// its core, and on 2 cores epochs 3 to 6 of a first 784-100-10 training took 0.20-0.29 s instead of 0.13-0.15 s. At
/// low priority the same work waits for the training to end, or for a core it does not use, and nothing else
/// changes: the same code runs, optimized a little later.
/// </para>
/// <para>
/// The runtime starts a new worker after an idle one has ended, so a training looks again every
/// <see cref="Interval"/>. An unprivileged process cannot raise a thread's priority again, so the worker stays at low
/// priority until it ends; that matters only while the cores are busy, and then a training is what they are busy with.
/// Elsewhere than Linux (thread priorities work otherwise there) nothing is done.
/// </para>
/// </remarks>
internal static partial class RuntimeCompilerYield
{
    /// <summary>The worker's thread name as Linux keeps it (the first 15 bytes of ".NET Tiered Compilation Worker").</summary>
    internal const string WorkerName = ".NET Tiered Com";

    /// <summary>The lowest priority: the nice value the worker gets.</summary>
    internal const int LowestPriority = 19;

    /// <summary>How often a training looks for a new worker, in <see cref="Stopwatch"/> ticks: 100 ms.</summary>
    internal static long Interval => Stopwatch.Frequency / 10;

    /// <summary>The worker's name file: its name and a line end.</summary>
    private static readonly byte[] s_workerComm = System.Text.Encoding.ASCII.GetBytes(WorkerName + "\n");

    private static readonly bool s_supported = OperatingSystem.IsLinux() && Directory.Exists("/proc/self/task");
    private static readonly object s_lock = new();

    /// <summary>How many worker threads have been set to low priority in this process (for tests).</summary>
    internal static int Lowered { get; private set; }

    // The threads seen by the last look, with how many looks have read each one's name: a name is read at a thread's
    // first two sightings only (a new thread may be named just after it starts), so a look reads the directory of
    // threads and, for threads it already knows, nothing else.
    private static Dictionary<int, int> s_seen = new(), s_next = new();

    /// <summary>
    /// Calls <see cref="Apply"/> when <see cref="Interval"/> has passed since <paramref name="lastLook"/> (a
    /// <see cref="Stopwatch"/> timestamp, 0 before the first look), and sets it to now. A training calls this as it
    /// starts and after each mini-batch (before each pass over the data, for L-BFGS).
    /// </summary>
    public static void ApplyEvery(ref long lastLook)
    {
        long now = Stopwatch.GetTimestamp();
        if (lastLook != 0 && now - lastLook < Interval) return;
        Apply();
        lastLook = now;
    }

    /// <summary>
    /// Sets every worker thread of the runtime's tiered compilation that is not yet at the lowest priority to it. Costs
    /// a listing of the process's threads, and a read of each new thread's name; never throws.
    /// </summary>
    public static void Apply()
    {
        if (!s_supported) return;
        lock (s_lock)
        {
            try
            {
                Span<byte> name = stackalloc byte[32];
                s_next.Clear();
                foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
                {
                    if (!int.TryParse(Path.GetFileName(task.AsSpan()), out int tid)) continue;
                    int looks = s_seen.GetValueOrDefault(tid);
                    s_next[tid] = Math.Min(looks + 1, 2);
                    if (looks >= 2 || !IsWorker(Path.Join(task, "comm"), name)) continue;
                    // getpriority returns the nice value itself (and -1 on an error: the worker is then lowered anyway).
                    if (Libc.GetPriority(Libc.PrioProcess, tid) == LowestPriority) continue;
                    if (Libc.SetPriority(Libc.PrioProcess, tid, LowestPriority) == 0) Lowered++;
                }
                (s_seen, s_next) = (s_next, s_seen);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
            {
                // Lowering the worker only helps a training along: failing to is never a reason to stop it.
            }
        }
    }

    /// <summary>Whether the thread whose name file is <paramref name="comm"/> is the worker (false when it has ended meanwhile).</summary>
    private static bool IsWorker(string comm, Span<byte> buffer)
    {
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(comm);
            int read = RandomAccess.Read(handle, buffer, 0);
            return buffer[..read].SequenceEqual(s_workerComm);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The nice value of thread <paramref name="tid"/> (Linux), for tests.</summary>
    internal static int PriorityOf(int tid) => Libc.GetPriority(Libc.PrioProcess, tid);

    private static partial class Libc
    {
        /// <summary>PRIO_PROCESS: on Linux, with a thread id, the priority of that thread alone.</summary>
        public const int PrioProcess = 0;

        [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
        public static partial int GetPriority(int which, int who);

        [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
        public static partial int SetPriority(int which, int who, int priority);
    }
}
