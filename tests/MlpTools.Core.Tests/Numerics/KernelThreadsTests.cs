using MlpTools.Core.Numerics;

namespace MlpTools.Core.Tests.Numerics;

/// <summary>
/// The kernel thread pool: many jobs back to back, callers on several threads at once, and a failing chunk.
/// Each test runs under a time limit, so a lost wake-up fails the test instead of hanging the run.
/// </summary>
[Collection(NumericsTestGroup.Name)]
public class KernelThreadsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public void Thousands_of_small_parallel_products_all_finish_with_the_same_result()
    {
        RunWithin(Limit, () =>
        {
            // 200 x 100 x 784 is split into chunks; workers are woken, spin, and sleep between the batches.
            var random = new Random(11);
            float[] a = GemmCase<float>.Matrix(random, 200, 784, 784, 0f), b = GemmCase<float>.Matrix(random, 100, 784, 784, 0f);
            float[] first = new float[200 * 100], c = new float[200 * 100];
            Kernels.Gemm<float>(false, true, 200, 100, 784, a, 784, b, 784, first, 100, accumulate: false);
            for (int round = 0; round < 4; round++)
            {
                for (int i = 0; i < 500; i++)
                {
                    Kernels.Gemm<float>(false, true, 200, 100, 784, a, 784, b, 784, c, 100, accumulate: false);
                    if (i % 100 == 0) Assert.True(first.AsSpan().SequenceEqual(c));
                }
                Thread.Sleep(5); // let the workers go to sleep, so the next job has to wake them
            }
        });
    }

    [Fact]
    public void Callers_on_several_threads_at_once_get_the_serial_results()
    {
        RunWithin(Limit, () =>
        {
            var random = new Random(12);
            double[] a = GemmCase<double>.Matrix(random, 150, 300, 300, 0), b = GemmCase<double>.Matrix(random, 300, 170, 170, 0);
            double[] expected = new double[150 * 170];
            KernelDeterminismTests.WithThreads(1, () => Kernels.Gemm<double>(false, false, 150, 170, 300, a, 300, b, 170, expected, 170, false));
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
            {
                var c = new double[expected.Length];
                for (int i = 0; i < 50; i++)
                {
                    Kernels.Gemm<double>(false, false, 150, 170, 300, a, 300, b, 170, c, 170, false);
                    Assert.True(expected.AsSpan().SequenceEqual(c));
                }
            });
        });
    }

    [Fact]
    public void A_job_runs_each_chunk_once_and_only_while_it_is_running_when_jobs_of_different_sizes_alternate()
    {
        // A worker that found every chunk of a short job claimed must not claim against the count of the longer job
        // published next, before that job opens: it would run a chunk of the new job twice, or after the new job's
        // caller had returned and cleared its state (a training run failed so, gathering a batch after a product).
        RunWithin(Limit, () => RunInTurn(60_000, new CheckedJob(1), new CheckedJob(3), new CheckedJob(40), new CheckedJob(2), new CheckedJob(17)));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void The_caller_takes_chunks_from_the_first_up_and_the_workers_from_the_last_down(int threads)
    {
        // So that a product or pass run again over the same arrays gives each core mostly the same parts of them as the
        // time before. Whatever the timing, the caller's chunks are then 0..k-1 and the workers' k..n-1.
        RunWithin(Limit, () => KernelDeterminismTests.WithThreads(threads, () =>
        {
            var job = new RecordingJob(96);
            int shared = 0;
            Assert.True(KernelThreads.TryEnter());
            try
            {
                for (int run = 0; run < 200 && shared < 20; run++)
                {
                    job.Start();
                    KernelThreads.Run(job, job.Chunks);
                    int callers = job.CallerChunks(out bool prefix);
                    Assert.True(prefix, $"run {run}: the caller's chunks are not the first {callers}: {job.Describe()}");
                    if (callers < job.Chunks) shared++;
                }
            }
            finally
            {
                KernelThreads.Exit();
            }
            // A test that never saw a worker take a chunk would show nothing.
            Assert.True(shared > 0, "no worker took a chunk in 200 jobs");
        }));
    }

    [Fact]
    public void Jobs_with_more_chunks_than_both_ends_can_count_run_each_chunk_once_between_shorter_ones()
    {
        // A job of more than KernelPool.MaxTwoEnded chunks is claimed from the first chunk up by every thread; a worker
        // still busy with a short job claimed from both ends must not misread it, nor the other way round.
        RunWithin(Limit, () => KernelDeterminismTests.WithThreads(2, () => RunInTurn(150,
            new CheckedJob(3), new CheckedJob(KernelPool.MaxTwoEnded + 5), new CheckedJob(1), new CheckedJob(KernelPool.MaxTwoEnded), new CheckedJob(40))));
    }

    [Fact]
    public void A_failing_chunk_is_rethrown_to_the_caller_and_the_pool_still_works()
    {
        RunWithin(Limit, () =>
        {
            Assert.True(KernelThreads.TryEnter());
            try
            {
                Assert.Throws<InvalidOperationException>(() => KernelThreads.Run(new FailingJob(), 16));
                var counter = new CountingJob();
                KernelThreads.Run(counter, 64);
                Assert.Equal(64, counter.Count);
            }
            finally
            {
                KernelThreads.Exit();
            }
        });
    }

    [Fact]
    public void Steady_state_kernels_allocate_nothing_on_the_calling_thread()
    {
        var random = new Random(13);
        float[] x = GemmCase<float>.Matrix(random, 200, 784, 784, 0f), w1 = GemmCase<float>.Matrix(random, 100, 784, 784, 0f);
        float[] h = new float[200 * 100], g = new float[100 * 784], v = new float[100 * 784], dh = new float[200 * 100];
        void Step()
        {
            Kernels.Gemm<float>(false, true, 200, 100, 784, x, 784, w1, 784, h, 100, accumulate: false);     // NT
            Kernels.GemmPlusScaled<float>(true, false, 100, 784, 200, dh, 100, x, 784, g, 784, 0.5f, w1, 784); // TN
            Kernels.Gemm<float>(false, false, 200, 784, 100, h, 100, g, 784, new Span<float>(x), 784, accumulate: false); // NN
            Kernels.MomentumStep<float>(w1, v, g, 0.9f, 0.01f, nesterov: false);
            _ = Kernels.SumOfSquares<float>(g);
        }

        for (int i = 0; i < 3; i++) Step(); // first use sizes the pack buffers and starts the workers
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Runs the jobs one after another, in turn, <paramref name="runs"/> jobs in all; then no job may have erred.</summary>
    private static void RunInTurn(int runs, params CheckedJob[] jobs)
    {
        Assert.True(KernelThreads.TryEnter());
        try
        {
            for (int i = 0; i < runs; i++)
            {
                CheckedJob job = jobs[i % jobs.Length];
                job.Start();
                KernelThreads.Run(job, job.Chunks);
                job.Finish();
            }
        }
        finally
        {
            KernelThreads.Exit();
        }
        foreach (CheckedJob job in jobs) Assert.Equal(0, job.Errors);
    }

    private static void RunWithin(TimeSpan limit, Action action)
    {
        Task task = Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(limit), $"did not finish within {limit.TotalSeconds} s");
    }

    private sealed class FailingJob : KernelJob
    {
        public override void Execute(int chunk)
        {
            if (chunk == 7) throw new InvalidOperationException("chunk 7");
        }
    }

    private sealed class CountingJob : KernelJob
    {
        private int _count;

        public int Count => _count;

        public override void Execute(int chunk) => Interlocked.Increment(ref _count);
    }

    /// <summary>Records which chunks ran on the thread that started the job; each chunk takes a few microseconds.</summary>
    private sealed class RecordingJob : KernelJob
    {
        private readonly int[] _onCaller;
        private int _caller;

        public RecordingJob(int chunks)
        {
            Chunks = chunks;
            _onCaller = new int[chunks];
        }

        public int Chunks { get; }

        public void Start()
        {
            Array.Clear(_onCaller);
            _caller = Environment.CurrentManagedThreadId;
        }

        public override void Execute(int chunk)
        {
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 200_000;
            while (System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(1);
            _onCaller[chunk] = Environment.CurrentManagedThreadId == _caller ? 1 : 2;
        }

        /// <summary>How many chunks the caller ran, and whether they are the first ones (every chunk ran once).</summary>
        public int CallerChunks(out bool prefix)
        {
            int count = _onCaller.Count(c => c == 1);
            prefix = _onCaller.All(c => c != 0) && _onCaller.Take(count).All(c => c == 1);
            return count;
        }

        public string Describe() => string.Concat(_onCaller.Select(c => c == 1 ? 'c' : c == 2 ? 'w' : '-'));
    }

    /// <summary>Counts its chunks while it runs and records any chunk that runs twice or outside its run.</summary>
    private sealed class CheckedJob : KernelJob
    {
        private readonly int[] _runs;
        private volatile bool _running;
        private int _errors;

        public CheckedJob(int chunks)
        {
            Chunks = chunks;
            _runs = new int[chunks];
        }

        public int Chunks { get; }

        public int Errors => Volatile.Read(ref _errors);

        public void Start()
        {
            Array.Clear(_runs);
            _running = true;
        }

        public void Finish()
        {
            _running = false;
            foreach (int r in _runs)
                if (r != 1) Interlocked.Increment(ref _errors);
        }

        public override void Execute(int chunk)
        {
            if (!_running || chunk >= Chunks) Interlocked.Increment(ref _errors);
            else Interlocked.Increment(ref _runs[chunk]);
        }
    }
}
