using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Numerics;
using MlpTools.Core.Training;

namespace MlpTools.Bench;

/// <summary>
/// The performance benchmark (issue 5: train faster than numpy and PyTorch on this CPU). A program, not a test:
/// <code>
///   dotnet run -c Release --project bench/MlpTools.Bench -- [--compare] [options]
/// </code>
/// bench/Invoke-Bench.ps1 (build.ps1 -Task Bench) builds and runs it, with --peers set, before its own figures.
/// It prints, in this order:
/// <list type="number">
/// <item>peak: this machine's fp32 fused-multiply-add peak, measured with an FMA-only loop on 1 and on all cores; and
///   what handing work between the cores costs now (a round trip between two threads, a fork-join of the kernel
///   threads), which on a shared host swings between runs and sets the cost of the paths that pass data between the
///   cores (small batches, the optimizer's pass);</item>
/// <item>gemm: float32 Kernels.Gemm GFLOP/s (median [min-max] of several samples) and share of the measured peak, for
///   the five products of a training step of 784-100-10 and 784-1024-10 at batch 200, in the forms FusedBackprop uses,
///   and for 1024^3; the share both of the session's best peak and of the peak measured beside each sample (the
///   host's speed swings); and the micro-kernel alone on one core with its operands in cache;</item>
/// <item>epoch: seconds per training epoch (Trainer.Train, 60,000 Fashion-MNIST samples, batch 200, SGD momentum 0.9,
///   lr 0.01, lambda 1e-4, float32), median [min-max] of the timed epochs after a warm-up epoch.</item>
/// <item>diagnostics: what recording each epoch's diagnostics (EpochRecord.Diagnostics: norms, update/weight ratios,
///   dead and zero ReLUs) costs: epochs of one run with them on and off in turn, as ratios on / off of the wall-clock
///   medians and minima, of neighbouring epochs, and of the process's CPU time.</item>
/// <item>stages: where a training step's time goes (gather, forward, backward, the optimizer's step) for float32 and
///   float64, each a fresh batch of a shuffled epoch, as medians (the least beside them), against the FLOP limit at the
///   FMA peak of each precision, after the hand-off between the cores measured again.</item>
/// </list>
/// With --compare it also runs the peers (bench/peers, or the folder --peers names) in the same session (numpy + OpenBLAS, PyTorch and scikit-learn,
/// interleaved round by round with ours, and gemm.py) and prints ours / best peer. Every peer runs with OPENBLAS_CORETYPE and
/// OPENBLAS_L2_SIZE removed from its environment (set for older OpenBLAS builds, they slow a current one) and with its best
/// threads: OPENBLAS_NUM_THREADS and torch.set_num_threads at the number of cores.
/// Options:
/// <code>
///   --compare                 run the peers too
///   --sections peak,gemm,epoch,diagnostics,stages   which parts to run (default: all)
///   --rounds N                epoch rounds (each: 1 warm-up + --epochs timed epochs per contender); default 3
///   --epochs N                timed epochs per round; default 3
///   --hidden 100,1024         hidden sizes for the epoch benchmark
///   --quick                   fewer samples and rounds (a smoke run)
///   --threads N               kernel threads (default: all cores)
///   --optimizer sgd|adam|rmsprop  the epoch section's update rule for our side (default sgd; the peers run SGD only)
///   --peers DIR               where mlp_numpy.py, mlp_torch.py and gemm.py are (default $MLPTOOLS_PEERS; --compare needs one of them)
///   --python PATH             the Python that runs them (default /usr/bin/python3)
///   --peer-blas TEXT          a line for the header: a peer's BLAS, version, kernel and threads (bench/Invoke-Bench.ps1
///                             gives one per peer, from bench/peers/blas_info.py); repeatable
///   --json FILE               also append every result as a JSON line to FILE
/// </code>
/// Exit code 0 when everything ran; 2 for a bad option.
/// </summary>
internal static class Program
{
    private const int Batch = 200, Inputs = 784, Classes = 10;

    private static readonly List<string> s_jsonLines = new();

    private static int Main(string[] args)
    {
        Options o;
        try
        {
            o = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        if (o.Threads is int t) KernelThreads.MaxThreads = t;

        PrintMachine(o);
        double peak = 0;
        if (o.Sections.Contains("peak")) peak = MeasurePeak(o);
        if (o.Sections.Contains("gemm")) BenchGemm(o, peak, o.Sections.Contains("peak") ? () => MeasurePeak(o) : null);
        if (o.Sections.Contains("epoch")) BenchEpochs(o);
        if (o.Sections.Contains("diagnostics")) BenchDiagnostics(o);
        if (o.Sections.Contains("stages"))
        {
            // The stages swing most with the hand-off between the cores: its cost now, beside them.
            Console.WriteLine("== hand-off before the stages");
            MeasureHandOff(o);
            Console.WriteLine();
            BenchStages(o);
        }

        if (o.JsonPath is not null) File.AppendAllLines(o.JsonPath, s_jsonLines);
        return 0;
    }

    // ---------------------------------------------------------------- machine and peak

    private static void PrintMachine(Options o)
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : RuntimeInformation.ProcessArchitecture.ToString();
        Console.WriteLine(I($"MlpTools benchmark  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        Console.WriteLine(I($"CPU      {cpu}, {Environment.ProcessorCount} cores; AVX-512F {Avx512F.IsSupported}, FMA {Fma.IsSupported}, Vector512 accelerated {Vector512.IsHardwareAccelerated}"));
        Console.WriteLine(I($"Runtime  {RuntimeInformation.FrameworkDescription}; kernel threads {KernelThreads.MaxThreads}"));
        if (o.Compare)
        {
            Console.WriteLine(I($"Peers    {o.PeersDir} with {o.Python}; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, {Environment.ProcessorCount} threads each"));
            foreach (string line in o.PeerBlas) Console.WriteLine("  BLAS   " + line);
        }
        Console.WriteLine();
    }

    /// <summary>
    /// The FMA peak in GFLOP/s on all cores, float32 and float64 (the best of several runs; noise only lowers it);
    /// returns float32's (the float64 figure is printed and emitted for the FLOP limits of float64 epochs).
    /// </summary>
    private static double MeasurePeak(Options o)
    {
        Console.WriteLine("== peak: an FMA-only loop (12 independent chains per core), float32 and float64");
        int runs = o.Quick ? 3 : 7;
        double best = 0;
        foreach (bool dbl in new[] { false, true })
        {
            foreach (int threads in new[] { 1, Environment.ProcessorCount }.Distinct())
            {
                var rates = new List<double>();
                for (int r = 0; r < runs; r++) rates.Add(PeakOnce(threads, dbl));
                double max = rates.Max();
                string precision = dbl ? "float64" : "float32";
                Console.WriteLine(I($"  {precision} {threads} thread(s): best {max,7:F1} GFLOP/s, median {Median(rates),7:F1}"));
                Emit(new { bench = "peak", precision, threads, gflops_best = max, gflops_median = Median(rates) });
                if (threads == Environment.ProcessorCount && !dbl) best = max;
            }
        }
        MeasureHandOff(o);
        Console.WriteLine();
        return best;
    }

    /// <summary>
    /// What passing work between two cores costs now: a round trip of a value between two threads (each waits for the
    /// other's write), and a fork-join of 8 empty chunks on the kernel threads, medians of several runs. On these shared
    /// hosts it swings within minutes, and with it the paths that move data between the cores: read a run's figures
    /// beside it. Measured: a round trip of 0.13 us on quick cores, 0.42-0.46 us while the cores passed data slowly (a
    /// batch-32 step then took 1.5x as long on two threads as on one), 1.3-1.8 us while another process held one of the
    /// two cores (the float64 peak on 2 threads was then that of 1, and a fork-join short, as the caller ran every chunk
    /// itself). Both states came in one Bench run, minutes apart.
    /// </summary>
    private static void MeasureHandOff(Options o)
    {
        if (Environment.ProcessorCount < 2 || KernelThreads.MaxThreads < 2) return;
        int runs = o.Quick ? 3 : 5, trips = 100_000;
        var roundTrips = new List<double>();
        for (int r = 0; r < runs; r++) roundTrips.Add(RoundTripNanoseconds(trips));
        var job = new EmptyJob();
        var forkJoins = new List<double>();
        using (KernelThreads.Join())
        {
            for (int r = 0; r < runs; r++)
            {
                var times = new double[trips / 10];
                for (int i = 0; i < times.Length; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    if (KernelThreads.TryEnter())
                    {
                        try { KernelThreads.Run(job, 8); }
                        finally { KernelThreads.Exit(); }
                    }
                    times[i] = Stopwatch.GetElapsedTime(t0).TotalNanoseconds;
                }
                forkJoins.Add(Median(times));
            }
        }
        double trip = Median(roundTrips), fork = Median(forkJoins);
        Console.WriteLine(I($"  hand-off between cores: a round trip between two threads {trip / 1000:F2} us, a fork-join of 8 empty chunks on the kernel threads {fork / 1000:F2} us (medians of {runs} runs)"));
        Emit(new { bench = "handoff", round_trip_ns = trip, fork_join_8_ns = fork });
    }

    /// <summary>The mean time of a round trip of a value between the calling thread and another, over <paramref name="trips"/>.</summary>
    private static double RoundTripNanoseconds(int trips)
    {
        long flag = 0;
        var other = new Thread(() =>
        {
            for (long i = 0; i < trips; i++)
            {
                while (Volatile.Read(ref flag) != 2 * i + 1) Thread.SpinWait(1);
                Volatile.Write(ref flag, 2 * i + 2);
            }
        });
        other.Start();
        while (other.ThreadState == System.Threading.ThreadState.Unstarted) Thread.Yield();
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < trips; i++)
        {
            Volatile.Write(ref flag, 2 * i + 1);
            while (Volatile.Read(ref flag) != 2 * i + 2) Thread.SpinWait(1);
        }
        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / trips;
        other.Join();
        return ns;
    }

    /// <summary>A job whose chunks do nothing: what handing out chunks costs.</summary>
    private sealed class EmptyJob : KernelJob
    {
        public override void Execute(int chunk)
        {
        }
    }

    private static double PeakOnce(int threads, bool dbl = false)
    {
        const long Iterations = 10_000_000;
        int lanes = (Avx512F.IsSupported ? 16 : 8) / (dbl ? 2 : 1);
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        var sink = new float[threads];
        // Each worker times itself: the span runs from the first start to the last end. (Timed from the calling
        // thread, a caller scheduled late after the barrier missed part of the work and reported up to 1.3x the
        // machine's peak.)
        var starts = new long[threads];
        var ends = new long[threads];
        for (int i = 0; i < threads; i++)
        {
            int id = i;
            workers[i] = new Thread(() =>
            {
                start.SignalAndWait();
                starts[id] = Stopwatch.GetTimestamp();
                sink[id] = (float)(dbl ? (Avx512F.IsSupported ? FmaLoop512<double>(Iterations) : FmaLoop256<double>(Iterations))
                    : Avx512F.IsSupported ? FmaLoop512<float>(Iterations) : FmaLoop256<float>(Iterations));
                ends[id] = Stopwatch.GetTimestamp();
            });
            workers[i].Start();
        }
        foreach (Thread w in workers) w.Join();
        double seconds = Stopwatch.GetElapsedTime(starts.Min(), ends.Max()).TotalSeconds;
        return threads * Iterations * 12.0 * lanes * 2 / seconds / 1e9;
    }

    // Never inlined: inlined into the thread body once that is re-jitted (after 30 calls), the loop ran 5x slower.
    // One loop per vector width, for float and double (the JIT compiles each element type on its own: the same
    // instructions as a loop written for it); 12 independent chains of FMAs, each rounded once.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaLoop512<T>(long iterations)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector512<T> a = Vector512.Create(T.CreateTruncating(0.999999)), b = Vector512.Create(T.CreateTruncating(1e-7));
        Vector512<T> c0 = Vector512<T>.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma512(c0, a, b); c1 = Fma512(c1, a, b); c2 = Fma512(c2, a, b); c3 = Fma512(c3, a, b);
            c4 = Fma512(c4, a, b); c5 = Fma512(c5, a, b); c6 = Fma512(c6, a, b); c7 = Fma512(c7, a, b);
            c8 = Fma512(c8, a, b); c9 = Fma512(c9, a, b); c10 = Fma512(c10, a, b); c11 = Fma512(c11, a, b);
        }
        return double.CreateTruncating(Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaLoop256<T>(long iterations)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> a = Vector256.Create(T.CreateTruncating(0.999999)), b = Vector256.Create(T.CreateTruncating(1e-7));
        Vector256<T> c0 = Vector256<T>.One, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma256(c0, a, b); c1 = Fma256(c1, a, b); c2 = Fma256(c2, a, b); c3 = Fma256(c3, a, b);
            c4 = Fma256(c4, a, b); c5 = Fma256(c5, a, b); c6 = Fma256(c6, a, b); c7 = Fma256(c7, a, b);
            c8 = Fma256(c8, a, b); c9 = Fma256(c9, a, b); c10 = Fma256(c10, a, b); c11 = Fma256(c11, a, b);
        }
        return double.CreateTruncating(Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11));
    }

    /// <summary>c * a + b, rounded once, for float or double lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma512<T>(Vector512<T> c, Vector512<T> a, Vector512<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(c.AsSingle(), a.AsSingle(), b.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(c.AsDouble(), a.AsDouble(), b.AsDouble()).As<double, T>();

    /// <summary>c * a + b, rounded once, for float or double lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma256<T>(Vector256<T> c, Vector256<T> a, Vector256<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Fma.MultiplyAdd(c.AsSingle(), a.AsSingle(), b.AsSingle()).As<float, T>()
            : Fma.MultiplyAdd(c.AsDouble(), a.AsDouble(), b.AsDouble()).As<double, T>();

    // ---------------------------------------------------------------- gemm

    /// <summary>One product as FusedBackprop calls it, and the gemm.py shape with the same m, n, k (up to transposing C).</summary>
    private sealed record GemmShape(string Name, bool TransA, bool TransB, int M, int N, int K, string? PeerShape);

    private static List<GemmShape> GemmShapes()
    {
        var shapes = new List<GemmShape>();
        foreach (int h in new[] { 100, 1024 })
        {
            string s = h.ToString(CultureInfo.InvariantCulture);
            shapes.Add(new($"H{s} Hpre = X W1      NT", false, true, Batch, h, Inputs, $"fwd1_h{s}"));
            shapes.Add(new($"H{s} Z = A W2         NT", false, true, Batch, Classes, h, h == 100 ? "fwd2_h100" : null));
            shapes.Add(new($"H{s} dW2^T = dZ^T A   TN", true, false, Classes, h, Batch, null));
            shapes.Add(new($"H{s} dA = dZ W2^T     NN", false, false, Batch, h, Classes, null));
            shapes.Add(new($"H{s} dW1^T = dH^T X   TN", true, false, h, Inputs, Batch, $"dW1_h{s}"));
        }
        shapes.Add(new("1024^3                NN", false, false, 1024, 1024, 1024, "square"));
        return shapes;
    }

    private static void BenchGemm(Options o, double peak, Func<double>? measurePeakAgain)
    {
        var ours = new Dictionary<string, double>();
        // The shapes take turns, one sample each per round, so a busy spell on a shared host costs every shape
        // one sample rather than one shape all of its samples. Between two samples the FMA loop runs once on all
        // cores: the host's speed swings (the same loop measures from about 0.6x to 1.2x of its median within
        // a minute), so each sample is also divided by the peak measured just before or just after it, whichever is
        // higher (a core that stalls during one peak sample would otherwise flatter the product beside it).
        List<GemmShape> shapes = GemmShapes();
        var runners = shapes.Select(s => new GemmRunner(s)).ToList();
        int samples = o.Quick ? 3 : 9, cores = Environment.ProcessorCount;
        double before = PeakOnce(cores);
        for (int r = 0; r < samples; r++)
        {
            foreach (GemmRunner runner in runners)
            {
                runner.Sample();
                double after = PeakOnce(cores);
                runner.Shares.Add(runner.Rates[^1] / Math.Max(before, after));
                before = after;
            }
        }
        (double tileRate, double tileShare) = MeasureTileAlone(samples);
        var rows = runners.Select(x => (x.Shape, x.Rates, x.Shares)).ToList();
        if (measurePeakAgain is not null)
        {
            Console.WriteLine("   the peak again, after the products (on a shared host the best of both is the machine's):");
            peak = Math.Max(peak, measurePeakAgain());
        }
        Console.WriteLine("== gemm: float32 Kernels.Gemm, GFLOP/s median [min-max] of " + rows[0].Rates.Count.ToString(CultureInfo.InvariantCulture)
            + " samples (shapes interleaved)" + (peak > 0 ? I($"; share of the session's best peak ({peak:F0} GFLOP/s)") : "")
            + ", and median share of the peak measured beside each sample");
        foreach ((GemmShape s, List<double> rates, List<double> shares) in rows)
        {
            if (s.PeerShape is not null) ours[s.PeerShape] = Median(rates);
            Emit(new { bench = "gemm", lib = "MlpTools", shape = s.Name.Trim(), s.M, s.N, s.K, gflops_median = Median(rates), gflops_min = rates.Min(), gflops_max = rates.Max(), peak, share_beside_median = Median(shares) });
        }
        if (!double.IsNaN(tileRate)) Emit(new { bench = "tile", lib = "MlpTools", gflops_median = tileRate, share_beside_median = tileShare });

        Dictionary<string, double> numpy = new(), torch = new();
        if (o.Compare)
        {
            numpy = PeerGemm(o, "numpy");
            torch = PeerGemm(o, "torch");
        }

        Console.WriteLine(I($"  {"product",-26} {"m x n x k",-16} {"GFLOP/s",8} {"[min - max]",17} {"of best",8} {"beside",7}") + (o.Compare ? I($" {"numpy",8} {"torch",8} {"ours/best",10}") : ""));
        foreach ((GemmShape s, List<double> rates, List<double> shares) in rows)
        {
            double med = Median(rates);
            string line = I($"  {s.Name,-26} {$"{s.M}x{s.N}x{s.K}",-16} {med,8:F1} {$"[{rates.Min():F1} - {rates.Max():F1}]",17} {(peak > 0 ? $"{100 * med / peak:F0}%" : "-"),8} {100 * Median(shares),6:F0}%");
            if (o.Compare)
            {
                double? np = s.PeerShape is not null && numpy.TryGetValue(s.PeerShape, out double a) ? a : null;
                double? tc = s.PeerShape is not null && torch.TryGetValue(s.PeerShape, out double b) ? b : null;
                double? best = np is null && tc is null ? null : Math.Max(np ?? 0, tc ?? 0);
                line += I($" {Format(np),8} {Format(tc),8} {(best is double x ? $"{med / x:F2}x" : ""),10}");
            }
            Console.WriteLine(line);
        }
        if (!double.IsNaN(tileRate))
            Console.WriteLine(I($"  {"one tile alone, one core",-26} {"12x32x512",-16} {tileRate,8:F1} {"(data in cache)",17} {"",8} {100 * tileShare,6:F0}%   of one core's peak beside it"));
        Console.WriteLine();

        static string Format(double? v) => v is double x ? x.ToString("F1", CultureInfo.InvariantCulture) : "";
    }

    /// <summary>One product, set up once; each <see cref="Sample"/> times enough calls to last about 50 ms.</summary>
    private sealed class GemmRunner
    {
        private readonly float[] _a, _b, _c;
        private readonly int _lda, _ldb;
        private int _reps;

        public GemmRunner(GemmShape shape)
        {
            Shape = shape;
            var random = new Random(1);
            _a = Fill(random, shape.M * shape.K);
            _b = Fill(random, shape.K * shape.N);
            _c = new float[shape.M * shape.N];
            _lda = shape.TransA ? shape.M : shape.K;
            _ldb = shape.TransB ? shape.K : shape.N;
        }

        public GemmShape Shape { get; }

        public List<double> Rates { get; } = new();

        /// <summary>Each sample's rate over the all-core peak measured beside it.</summary>
        public List<double> Shares { get; } = new();

        public void Sample()
        {
            if (_reps == 0)
            {
                for (int i = 0; i < 5; i++) Call();
                _reps = 1;
                while (true)
                {
                    long t = Stopwatch.GetTimestamp();
                    for (int i = 0; i < _reps; i++) Call();
                    double dt = Stopwatch.GetElapsedTime(t).TotalSeconds;
                    if (dt >= 0.05) break;
                    _reps = Math.Max(_reps * 2, (int)(_reps * 0.06 / Math.Max(dt, 1e-9)));
                }
            }
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < _reps; i++) Call();
            Rates.Add(2.0 * Shape.M * Shape.N * Shape.K * _reps / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9);
        }

        private void Call() => Kernels.Gemm<float>(Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K, _a, _lda, _b, _ldb, _c, Shape.N, accumulate: false);
    }

    /// <summary>
    /// The micro-kernel on its own, on one core, its operands in cache (a 12 x 512 panel of A read by rows and a
    /// packed 512 x 32 strip of B, used again and again): the ceiling of the products, whose other losses are
    /// in the memory system. Median rate, and median share of the one-core peak measured beside each sample.
    /// </summary>
    private static unsafe (double Rate, double Share) MeasureTileAlone(int samples)
    {
        const int Kc = 512, Mr = 12, Nr = 32;
        if (!Avx512Tiles<float>.IsSupported) return (double.NaN, double.NaN);
        float* a = (float*)NativeMemory.AlignedAlloc(Mr * Kc * sizeof(float), 64);
        float* b = (float*)NativeMemory.AlignedAlloc(Kc * Nr * sizeof(float), 64);
        float* c = (float*)NativeMemory.AlignedAlloc(Mr * Nr * sizeof(float), 64);
        try
        {
            for (int i = 0; i < Mr * Kc; i++) a[i] = 1e-3f;
            for (int i = 0; i < Kc * Nr; i++) b[i] = 1e-3f;
            new Span<float>(c, Mr * Nr).Clear();
            const int Reps = 40_000;
            var rates = new List<double>();
            var shares = new List<double>();
            double before = PeakOnce(1);
            for (int r = 0; r < samples; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < Reps; i++) Avx512Tiles<float>.Tile12x2Rows(Kc, a, Kc, b, Nr, c, Nr, load: true);
                double rate = 2.0 * Mr * Nr * Kc * Reps / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
                double after = PeakOnce(1);
                rates.Add(rate);
                shares.Add(rate / Math.Max(before, after));
                before = after;
            }
            return (Median(rates), Median(shares));
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }

    /// <summary>gemm.py's float32 medians, by its shape name's first word (fwd1_h100, ..., square).</summary>
    private static Dictionary<string, double> PeerGemm(Options o, string lib)
    {
        var result = new Dictionary<string, double>();
        var env = new Dictionary<string, string> { ["OPENBLAS_NUM_THREADS"] = Cores };
        if (lib == "torch") env["OMP_WAIT_POLICY"] = "PASSIVE";
        string args = I($"--lib {lib} --threads {Environment.ProcessorCount} --dtypes float32 --samples {(o.Quick ? 3 : 5)}");
        foreach (JsonElement r in RunPeer(o, "gemm.py", args, env))
        {
            string name = r.GetProperty("shape").GetString()!.Split(' ', 2)[0];
            double gflops = r.GetProperty("gflops").GetProperty("median").GetDouble();
            result[name] = gflops;
            Emit(new { bench = "gemm", lib, shape = name, gflops_median = gflops });
        }
        return result;
    }

    // ---------------------------------------------------------------- epochs

    private static void BenchEpochs(Options o)
    {
        Dataset data = LoadTrainingSet(out string source);
        string rule = o.Optimizer == OptimizerKind.Sgd ? "SGD momentum 0.9, lr 0.01" : I($"{o.Optimizer}, lr 0.001");
        Console.WriteLine(I($"== epoch: seconds per epoch of {data.Count} samples ({source}), batch {Batch}, {rule}, lambda 1e-4, float32"));
        Console.WriteLine(I($"   {o.Rounds} round(s) of 1 warm-up + {o.Epochs} timed epochs per contender") + (o.Compare ? ", contenders interleaved within each round" : ""));

        var times = new Dictionary<(string Lib, int Hidden), List<double>>();
        void Add(string lib, int hidden, IEnumerable<double> seconds)
        {
            if (!times.TryGetValue((lib, hidden), out List<double>? list)) times[(lib, hidden)] = list = new();
            list.AddRange(seconds);
        }

        for (int round = 0; round < o.Rounds; round++)
        {
            foreach (int hidden in o.Hidden)
            {
                (List<double> ours, double loss) = OurEpochs(data, hidden, o.Epochs, seed: round + 1, o.Optimizer);
                Add("MlpTools", hidden, ours);
                Console.WriteLine(I($"   round {round + 1} H={hidden,-5} MlpTools {string.Join(" ", ours.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}  (loss {loss:F3})"));
                if (!o.Compare) continue;
                string epochs = I($"--hidden {hidden} --epochs {o.Epochs + 1} --warmup 1 --seed {round}");
                foreach ((string lib, string script, string extra, Dictionary<string, string> env) in Peers())
                {
                    List<double> peer = RunPeer(o, script, epochs + extra, env)
                        .SelectMany(r => r.GetProperty("epoch_s").GetProperty("all").EnumerateArray().Select(x => x.GetDouble())).ToList();
                    Add(lib, hidden, peer);
                    Console.WriteLine(I($"   round {round + 1} H={hidden,-5} {lib,-8} {string.Join(" ", peer.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}"));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(I($"  {"network",-12} {"contender",-10} {"median s",9} {"[min - max]",17} {"samples/s",10} {"n",3}") + (o.Compare ? I($" {"ours/best peer",15}") : ""));
        foreach (int hidden in o.Hidden)
        {
            double ours = Median(times[("MlpTools", hidden)]);
            double bestPeer = times.Where(p => p.Key.Hidden == hidden && p.Key.Lib != "MlpTools" && p.Value.Count > 0)
                .Select(p => Median(p.Value)).DefaultIfEmpty(double.NaN).Min();
            foreach (((string lib, int h), List<double> list) in times.Where(p => p.Key.Hidden == hidden))
            {
                if (list.Count == 0) continue;
                string ratio = o.Compare && lib == "MlpTools" && !double.IsNaN(bestPeer) ? I($"{ours / bestPeer:F2}x") : "";
                double rate = data.Count / Median(list);
                Console.WriteLine(I($"  {$"784-{h}-10",-12} {lib,-10} {Median(list),9:F3} {$"[{list.Min():F3} - {list.Max():F3}]",17} {rate,10:F0} {list.Count,3} {ratio,15}"));
                Emit(new { bench = "mlp_epoch", lib, hidden = h, median = Median(list), min = list.Min(), max = list.Max(), n = list.Count, samples_per_s = rate, all = list });
            }
        }
        Console.WriteLine();
    }

    private static IEnumerable<(string Lib, string Script, string Extra, Dictionary<string, string> Env)> Peers()
    {
        yield return ("numpy", "mlp_numpy.py", "", new() { ["OPENBLAS_NUM_THREADS"] = Cores });
        yield return ("torch", "mlp_torch.py", " --threads " + Cores, new() { ["OPENBLAS_NUM_THREADS"] = Cores, ["OMP_WAIT_POLICY"] = "PASSIVE" });
        // scikit-learn's MLPClassifier (the same loss convention as ours), one partial_fit per epoch.
        yield return ("sklearn", "mlp_sklearn.py", " --mode epoch", new() { ["OPENBLAS_NUM_THREADS"] = Cores });
    }

    /// <summary>
    /// The diagnostics section: what recording the epochs' diagnostics costs. For each hidden size and round, one fresh
    /// network trains a warm-up epoch and then 2 x --epochs epochs in the same run, with the diagnostics on and off in
    /// turn (on, off, off, on, on, off, ...: each pair of neighbours is one on and one off, and a steady drift of the
    /// host's speed weighs on both sides alike; the setting is read at the start of each epoch). Prints each side's
    /// median and minimum wall-clock seconds (a busy host only ever adds time, so the minimum is the least disturbed),
    /// the ratios on / off of both and the median ratio of neighbouring epochs, and the same ratios of the process's CPU
    /// time (which the time the host gives to other processes does not inflate).
    /// </summary>
    /// <summary>The peers' thread count: every core (their best on this machine).</summary>
    private static string Cores => Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);

    private static void BenchDiagnostics(Options o)
    {
        Dataset data = LoadTrainingSet(out string source);
        string rule = o.Optimizer == OptimizerKind.Sgd ? "SGD momentum 0.9, lr 0.01" : I($"{o.Optimizer}, lr 0.001");
        Console.WriteLine(I($"== diagnostics: seconds per epoch with the epoch's diagnostics recorded (on) and not (off); {data.Count} samples ({source}), batch {Batch}, {rule}, float32"));
        Console.WriteLine(I($"   {o.Rounds} round(s) per network of 1 warm-up + {2 * o.Epochs} epochs of one run, on and off in turn (on off off on on off ...)"));
        foreach (int hidden in o.Hidden)
        {
            var on = new List<double>();
            var off = new List<double>();
            var pairs = new List<double>();
            var cpuOn = new List<double>();
            var cpuOff = new List<double>();
            var cpuPairs = new List<double>();
            for (int round = 0; round < o.Rounds; round++)
            {
                // The warm-up (epoch index 0) on; then pairs (1, 2), (3, 4), ...: on first in even pairs, off first in odd ones.
                static bool OnInEpoch(int e) => e == 0 || (e - 1) % 2 == (e - 1) / 2 % 2;
                TrainingOptions options = EpochOptions(1 + 2 * o.Epochs, round + 1, o.Optimizer);
                var line = new List<string>();
                TimeSpan cpuBefore = TimeSpan.Zero;
                var callbacks = new TrainingCallbacks
                {
                    EpochEnded = r =>
                    {
                        // The process's CPU time since the previous epoch ended (the warm-up's counts from the start).
                        TimeSpan cpuNow = Environment.CpuUsage.TotalTime;
                        double cpu = (cpuNow - cpuBefore).TotalSeconds;
                        cpuBefore = cpuNow;
                        int e = r.Epoch - 1;
                        options.RecordDiagnostics = OnInEpoch(e + 1);
                        if (e == 0) return;
                        bool recorded = r.Diagnostics is not null;
                        (recorded ? on : off).Add(r.Seconds);
                        (recorded ? cpuOn : cpuOff).Add(cpu);
                        line.Add(I($"{(recorded ? "on" : "off")} {r.Seconds:F3}"));
                        if (e % 2 == 0)
                        {
                            // Each pair's ratio on / off, whichever came first.
                            double seconds = (recorded ? on : off)[^1], other = (recorded ? off : on)[^1];
                            double cpuSeconds = (recorded ? cpuOn : cpuOff)[^1], cpuOther = (recorded ? cpuOff : cpuOn)[^1];
                            pairs.Add(recorded ? seconds / other : other / seconds);
                            cpuPairs.Add(recorded ? cpuSeconds / cpuOther : cpuOther / cpuSeconds);
                        }
                    },
                };
                options.RecordDiagnostics = OnInEpoch(0);
                cpuBefore = Environment.CpuUsage.TotalTime;
                Trainer.Train(Mlp.Create(Inputs, hidden, Classes, Precision.Single, seed: round + 1), data, options, callbacks: callbacks);
                Console.WriteLine(I($"   round {round + 1} H={hidden,-5} {string.Join("  ", line)}"));
            }
            double medians = Median(on) / Median(off), minima = on.Min() / off.Min(), paired = Median(pairs);
            double cpuMedians = Median(cpuOn) / Median(cpuOff), cpuMinima = cpuOn.Min() / cpuOff.Min(), cpuPaired = Median(cpuPairs);
            Console.WriteLine(I($"  784-{hidden}-10 wall: on {Median(on):F3} s (min {on.Min():F3}), off {Median(off):F3} s (min {off.Min():F3}); on/off: medians {medians:F3}, minima {minima:F3}, neighbours {paired:F3}"));
            Console.WriteLine(I($"  784-{hidden}-10 CPU:  on {Median(cpuOn):F3} s (min {cpuOn.Min():F3}), off {Median(cpuOff):F3} s (min {cpuOff.Min():F3}); on/off: medians {cpuMedians:F3}, minima {cpuMinima:F3}, neighbours {cpuPaired:F3}"));
            // The same cost from its parts, timed alone (the least of many samples, which a busy host disturbs least):
            // the diagnostics' own work in a batch, beside the batch's share of the fastest epoch without them.
            (double measuredStep, double plainStep, double activity) = TimeDiagnosticKernels(hidden);
            int batches = (data.Count + Batch - 1) / Batch;
            double perBatch = measuredStep - plainStep + activity, batchTime = off.Min() / batches;
            Console.WriteLine(I($"  784-{hidden}-10 parts: a batch's step {plainStep * 1e6:F1} us, measured {measuredStep * 1e6:F1} us; ReLU activity pass {activity * 1e6:F1} us; together {perBatch * 1e6:F1} us a batch, {100 * perBatch / batchTime:F1}% of a batch ({batchTime * 1e3:F3} ms at the fastest epoch off)"));
            Emit(new
            {
                bench = "diagnostics", hidden, on_median = Median(on), off_median = Median(off), on_min = on.Min(), off_min = off.Min(),
                step_us = plainStep * 1e6, measured_step_us = measuredStep * 1e6, activity_us = activity * 1e6, batch_ms = batchTime * 1e3,
                ratio_medians = medians, ratio_minima = minima, ratio_neighbours_median = paired,
                cpu_ratio_medians = cpuMedians, cpu_ratio_minima = cpuMinima, cpu_ratio_neighbours_median = cpuPaired,
                on, off, cpu_on = cpuOn, cpu_off = cpuOff,
            });
        }
        Console.WriteLine();
    }

    /// <summary>
    /// Seconds per batch of the kernels the diagnostics add to a training step of 784-hidden-10 at batch 200, each the
    /// least of many samples: the SGD momentum step of all four parameters measured and not, and the ReLU activity pass.
    /// </summary>
    private static (double MeasuredStep, double PlainStep, double Activity) TimeDiagnosticKernels(int hidden)
    {
        var random = new Random(3);
        int[] sizes = { Inputs * hidden, hidden, hidden * Classes, Classes };
        float[][] w = sizes.Select(n => Fill(random, n)).ToArray(), v = sizes.Select(n => new float[n]).ToArray();
        float[][] g = sizes.Select(n => Fill(random, n).Select(x => 1e-3f * x).ToArray()).ToArray();
        float[] hpre = Fill(random, Batch * hidden), peak = new float[hidden];
        double sink = 0;
        void Step(bool measure)
        {
            for (int k = 0; k < 4; k++) sink += Kernels.MomentumStep<float>(w[k], v[k], g[k], 0.9f, 0.01f, nesterov: false, measure).Update;
        }
        Action[] parts = { () => Step(false), () => Step(true), () => sink += Kernels.ReluActivity<float>(hpre, Batch, hidden, peak) };
        // The parts take turns, one sample each, so a busy spell of the host weighs on all of them alike.
        const int Calls = 20;
        double[] best = { double.MaxValue, double.MaxValue, double.MaxValue };
        for (int sample = 0; sample < 300; sample++)
        {
            for (int p = 0; p < parts.Length; p++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < Calls; i++) parts[p]();
                best[p] = Math.Min(best[p], Stopwatch.GetElapsedTime(t0).TotalSeconds / Calls);
            }
        }
        GC.KeepAlive(sink);
        return (best[1], best[0], best[2]);
    }

    /// <summary>The epoch section's settings for <paramref name="epochs"/> epochs (momentum only for SGD, which alone takes it).</summary>
    private static TrainingOptions EpochOptions(int epochs, int seed, OptimizerKind optimizer)
    {
        var options = new TrainingOptions
        {
            Epochs = epochs, BatchSize = Batch, LearningRate = optimizer == OptimizerKind.Sgd ? 0.01 : 0.001, Regularization = 1e-4,
            Seed = seed, Optimizer = optimizer,
        };
        if (optimizer == OptimizerKind.Sgd) options.Momentum = 0.9;
        return options;
    }

    /// <summary>Trains a fresh 784-hidden-10 network for 1 + <paramref name="timed"/> epochs; returns the timed epochs' seconds and the last loss.</summary>
    private static (List<double> Seconds, double Loss) OurEpochs(Dataset data, int hidden, int timed, int seed, OptimizerKind optimizer)
    {
        Mlp net = Mlp.Create(Inputs, hidden, Classes, Precision.Single, seed: seed);
        TrainingOptions options = EpochOptions(1 + timed, seed, optimizer);
        var seconds = new List<double>();
        double loss = double.NaN;
        var callbacks = new TrainingCallbacks
        {
            EpochEnded = r =>
            {
                seconds.Add(r.Seconds);
                loss = r.Loss;
            },
        };
        Trainer.Train(net, data, options, callbacks: callbacks);
        return (seconds.Skip(1).ToList(), loss);
    }

    /// <summary>Fashion-MNIST's 60,000 training images (IdxReader scales pixels to [0, 1], as the peers do), or a synthetic set of the same shape.</summary>
    private static Dataset LoadTrainingSet(out string source)
    {
        string dir = Environment.GetEnvironmentVariable("FMNIST_DIR") ?? "/usr/share/datasets/fashion-mnist";
        string images = Path.Combine(dir, "train-images-idx3-ubyte.gz"), labels = Path.Combine(dir, "train-labels-idx1-ubyte.gz");
        if (File.Exists(images) && File.Exists(labels))
        {
            source = "Fashion-MNIST from " + dir;
            return IdxReader.Read(images, labels);
        }
        source = "synthetic: Fashion-MNIST not found";
        const int n = 60_000;
        var random = new Random(5);
        var features = new float[n * Inputs];
        for (int i = 0; i < features.Length; i++) features[i] = (float)random.NextDouble();
        return Dataset.FromRows(features, n, Inputs, Enumerable.Range(0, n).Select(i => random.Next(Classes)).ToArray(), Dataset.DefaultClassNames(Classes), name: "Synthetic");
    }

    // ---------------------------------------------------------------- stages

    /// <summary>
    /// Where a training step's time goes: the stages of one step of 784-H-10 at batch 200 (gather, forward, backward,
    /// the optimizer's step), float32 and float64, beside the time its products would take at the measured FMA peak of
    /// its precision. Each sample is the next batch of a shuffled pass over the data, as in an epoch (one batch again
    /// and again would keep its rows, and more, in cache), and the figures are medians, with the least beside them: on
    /// these machines the two can differ 2x, for the parameter arrays crossing between the cores' caches.
    /// </summary>
    private static void BenchStages(Options o)
    {
        Console.WriteLine("== stages: microseconds per training step of 784-H-10, a fresh batch each sample: medians (least), against the FLOP limit at the FMA peak of its precision");
        Dataset data = LoadTrainingSet(out _);
        // The peaks as the peak section takes them: the best of several runs (noise only lowers a run).
        double peak32 = Enumerable.Range(0, 5).Max(_ => PeakOnce(Environment.ProcessorCount));
        double peak64 = Enumerable.Range(0, 5).Max(_ => PeakOnce(Environment.ProcessorCount, dbl: true));
        foreach (int hidden in o.Hidden)
        {
            StagesOf<float>(data, hidden, Batch, peak32, o.Quick);
            StagesOf<double>(data, hidden, Batch, peak64, o.Quick);
        }
        StagesOf<float>(data, 100, 32, peak32, o.Quick);
        Console.WriteLine();
    }

    private static void StagesOf<T>(Dataset data, int hidden, int batch, double peak, bool quick)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var net = (Mlp<T>)Mlp.Create(Inputs, hidden, Classes, typeof(T) == typeof(double) ? Precision.Double : Precision.Single, seed: 1);
        var buffers = new BatchBuffers<T>(batch, Inputs, hidden, Classes);
        var gradients = new ParameterSet<T>(Inputs, hidden, Classes);
        var options = new TrainingOptions { LearningRate = 0.01, Momentum = 0.9, Regularization = 1e-4 };
        Optimizer<T> optimizer = Optimizer<T>.For(options, net.Parameters, null);
        int[] order = Enumerable.Range(0, data.Count).ToArray();
        new Random(7).Shuffle(order);
        int next = 0;
        // As a training takes them: the step sums the squares of the gradients and of the new weights as it updates them,
        // and the next forward pass takes its penalty from those (none before the first step).
        var squares = new ArraySquares[4];
        double? weightSquares = null;
        var stages = new (string Name, Action Run)[]
        {
            ("gather", () =>
            {
                if (next + batch > order.Length) next = 0;
                net.Gather(data, order.AsSpan(next, batch), buffers, withLabels: true);
                next += batch;
            }),
            ("forward", () => FusedBackprop.Forward(net.Parameters, buffers, batch, 1e-4, withGradientSeed: true, weightSquares: weightSquares)),
            ("backward", () => FusedBackprop.Backward(net.Parameters, buffers, batch, 1e-4, gradients)),
            ("step", () =>
            {
                optimizer.Step(net.Parameters, gradients, 0.01, default, squares);
                weightSquares = FusedBackprop.WeightSquares(squares);
            }),
        };
        int samples = quick ? 60 : 600, warmup = samples / 10;
        var times = stages.Select(_ => new List<double>()).ToArray();
        var steps = new List<double>();
        for (int sample = 0; sample < warmup + samples; sample++)
        {
            double step = 0;
            for (int k = 0; k < stages.Length; k++)
            {
                long t0 = Stopwatch.GetTimestamp();
                stages[k].Run();
                double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                step += seconds;
                if (sample >= warmup) times[k].Add(seconds);
            }
            if (sample >= warmup) steps.Add(step);
        }
        double forwardFlops = 2.0 * batch * (Inputs * hidden + hidden * Classes);
        double backwardFlops = 2.0 * batch * (Inputs * hidden + 2.0 * hidden * Classes);
        double Limit(double flops) => flops / (peak * 1e9);
        string type = typeof(T) == typeof(double) ? "float64" : "float32";
        double[] median = times.Select(Median).ToArray(), least = times.Select(t => t.Min()).ToArray();
        double stepMedian = Median(steps), stepLeast = steps.Min();
        Console.WriteLine(I($"  784-{hidden}-10 {type}, batch {batch}: ") + string.Join(", ", stages.Select((st, k) => I($"{st.Name} {median[k] * 1e6:F0} ({least[k] * 1e6:F0})"))) +
            I($"; step {stepMedian * 1e6:F0} us ({stepLeast * 1e6:F0}) = {stepMedian / Limit(forwardFlops + backwardFlops):F2}x its FLOP limit ({stepLeast / Limit(forwardFlops + backwardFlops):F2}x)") +
            I($"; forward {median[1] / Limit(forwardFlops):F2}x, backward {median[2] / Limit(backwardFlops):F2}x; peak {peak:F0} GFLOP/s"));
        Emit(new
        {
            bench = "stages", hidden, batch, precision = type, samples,
            gather_us = median[0] * 1e6, forward_us = median[1] * 1e6, backward_us = median[2] * 1e6, step_us = median[3] * 1e6, total_us = stepMedian * 1e6,
            gather_us_least = least[0] * 1e6, forward_us_least = least[1] * 1e6, backward_us_least = least[2] * 1e6, step_us_least = least[3] * 1e6, total_us_least = stepLeast * 1e6,
            peak_gflops = peak,
        });
    }

    // ---------------------------------------------------------------- peers

    /// <summary>Runs a peer script and returns the JSON records it prints (one per line).</summary>
    private static List<JsonElement> RunPeer(Options o, string script, string arguments, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo(o.Python, Path.Combine(o.PeersDir!, script) + " " + arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = o.PeersDir!,
        };
        // Set on some machines for older OpenBLAS builds, these slow a current one: the peer runs without them.
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        foreach ((string k, string v) in env) start.Environment[k] = v;
        using Process p = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + o.Python);
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var records = new List<JsonElement>();
        foreach (string line in stdout.Split('\n'))
        {
            if (!line.StartsWith('{')) continue;
            using JsonDocument doc = JsonDocument.Parse(line);
            records.Add(doc.RootElement.Clone());
        }
        if (p.ExitCode != 0 || records.Count == 0)
            Console.WriteLine(I($"   ! {script} {arguments} exited with {p.ExitCode}: {stderr.Result.Trim().Split('\n').LastOrDefault()}"));
        return records;
    }

    // ---------------------------------------------------------------- helpers

    private static float[] Fill(Random random, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        return x;
    }

    private static double Median(IReadOnlyList<double> xs)
    {
        var sorted = xs.Order().ToArray();
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static void Emit(object record) => s_jsonLines.Add(JsonSerializer.Serialize(record));

    private static string I(FormattableString s) => FormattableString.Invariant(s);

    /// <summary>The command line.</summary>
    private sealed class Options
    {
        public bool Compare { get; private set; }
        public bool Quick { get; private set; }
        public HashSet<string> Sections { get; private set; } = new(StringComparer.Ordinal) { "peak", "gemm", "epoch", "diagnostics", "stages" };
        public int Rounds { get; private set; } = 3;
        public int Epochs { get; private set; } = 3;
        public int[] Hidden { get; private set; } = { 100, 1024 };
        public int? Threads { get; private set; }
        public OptimizerKind Optimizer { get; private set; } = OptimizerKind.Sgd;
        public string? PeersDir { get; private set; } = Environment.GetEnvironmentVariable("MLPTOOLS_PEERS");
        public string Python { get; private set; } = "/usr/bin/python3";
        public List<string> PeerBlas { get; } = new();
        public string? JsonPath { get; private set; }

        public static Options Parse(string[] args)
        {
            var o = new Options();
            bool roundsGiven = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
                    ? v : throw new ArgumentException($"{args[i - 1]} needs a positive whole number.");
                switch (args[i])
                {
                    case "--compare": o.Compare = true; break;
                    case "--quick": o.Quick = true; break;
                    case "--sections": o.Sections = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal); break;
                    case "--rounds": o.Rounds = Int(); roundsGiven = true; break;
                    case "--epochs": o.Epochs = Int(); break;
                    case "--threads": o.Threads = Int(); break;
                    case "--optimizer":
                        o.Optimizer = Value() switch
                        {
                            "sgd" => OptimizerKind.Sgd,
                            "adam" => OptimizerKind.Adam,
                            "rmsprop" => OptimizerKind.RmsProp,
                            string other => throw new ArgumentException($"--optimizer {other}: use sgd, adam or rmsprop (the epoch section's update rule)."),
                        };
                        break;
                    case "--hidden":
                        o.Hidden = Value().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                        break;
                    case "--peers": o.PeersDir = Value(); break;
                    case "--python": o.Python = Value(); break;
                    case "--peer-blas": o.PeerBlas.Add(Value()); break;
                    case "--json": o.JsonPath = Value(); break;
                    default: throw new ArgumentException($"Unknown option {args[i]}. Options: --compare --quick --sections peak,gemm,epoch,diagnostics --rounds N --epochs N --hidden 100,1024 --threads N --optimizer sgd|adam|rmsprop --peers DIR --python PATH --peer-blas TEXT --json FILE");
                }
            }
            if (o.Quick && !roundsGiven) o.Rounds = 1;
            if (o.Compare && o.Optimizer != OptimizerKind.Sgd)
                throw new ArgumentException("--compare runs the peers' SGD with momentum: use it with --optimizer sgd (the default).");
            if (o.Compare && string.IsNullOrEmpty(o.PeersDir))
                throw new ArgumentException("--compare runs the peers' scripts: give their folder with --peers (bench/peers in the clone) or MLPTOOLS_PEERS.");
            return o;
        }
    }
}
