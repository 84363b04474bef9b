namespace MlpTools.Core.Numerics;

/// <summary>
/// How many kernel threads a training's mini-batches use: all it has, or one when that is faster now.
/// </summary>
/// <remarks>
/// <para>
/// A training's kernels split each product and pass between the cores it has. When another busy thread shares those
/// cores (another process, or the runtime itself, which in a process's first seconds recompiles the host's hot code
/// on a background thread), a step waits at each hand-off for the thread that lost its core, and a step on two
/// threads can take longer than on one. Measured on 2 cores with one other thread busy, 784-100-10 epochs of batch
/// 200 took 220-350 ms on 2 threads and 170-180 ms on 1; on quiet cores 2 threads take 110 ms.
/// </para>
/// <para>
/// The choice is made from the batches' own times, in windows of at least <see cref="WindowTicks"/> and
/// <see cref="WindowBatches"/> batches (a trial of one thread's window is a quarter as long). It tries one thread early
/// in a run, after 8 windows (a run that starts on busy cores has no faster window to compare with), then again after
/// twice as many windows on all threads each time a trial loses (16, 32, ..., at most <see cref="LongestTrialGap"/>), and when
/// two windows in a row are markedly slower than the fastest recent window on all threads. It keeps one thread when
/// that is faster, and while on one thread tries all of them again every few windows, backing off while one thread
/// stays faster. The kernels give the same bits on any number of threads, so the choice changes only the time.
/// </para>
/// <para>
/// The later trials are there because all threads can be slower than one steadily, with no slow window to set a trial
/// off, while an early trial lost to a passing disturbance: on a host where passing data between the two cores is slow
/// (a round trip of 0.42-0.46 us against 0.13 us at other times), a step's passes over the parameters move them between
/// the cores. Measured on such a host, 784-100-10 epochs of batch 32 took
/// 0.34-0.40 s on 2 threads and 0.24-0.26 s on 1, and in 2 fresh sessions of 4 the early trial lost and the run
/// stayed on 2 threads. A trial that loses on quiet cores costs a quarter window on one thread.
/// </para>
/// </remarks>
internal sealed class ThreadChoice
{
    private readonly int _all;
    private readonly long _windowTicks;
    private int _current;                     // the threads the batches use between trials
    private int _trying;                      // the threads of the window being measured
    private long _ticks;                      // the window's batch time so far
    private int _batches;                     // the window's batches so far
    private double _floor = double.MaxValue;  // the fastest recent per-batch time on all threads
    private double _lastAll;                  // the last per-batch time on all threads
    private double _lastOne;                  // the last per-batch time on one thread
    private int _slowWindows;                 // windows in a row on all threads markedly above the floor
    private int _skipSlow;                    // slow windows to let pass after a trial of one thread that lost
    private int _untilTry;                    // windows on one thread before all threads are tried again
    private int _oneInterval = FirstInterval, _allInterval = FirstInterval;
    private int _windows;                     // windows measured
    private int _trialGap = FirstTrialWindow; // windows on all threads between trials of one thread, doubled after each that loses
    private int _nextTrial = FirstTrialWindow; // the window after which one thread is tried next on steady cores

    /// <summary>A choice among <paramref name="threads"/> threads (it only ever chooses when there are two or more).</summary>
    public ThreadChoice(int threads, long windowTicks)
    {
        _all = Math.Max(1, threads);
        _current = _trying = _all;
        _windowTicks = windowTicks;
    }

    /// <summary>The shortest window, in <see cref="System.Diagnostics.Stopwatch"/> ticks: 20 ms.</summary>
    public static long WindowTicks => System.Diagnostics.Stopwatch.Frequency / 50;

    /// <summary>The fewest batches in a window.</summary>
    public const int WindowBatches = 4;

    /// <summary>How much slower than the floor a window on all threads must be to count as slow.</summary>
    public const double SlowFactor = 1.3;

    /// <summary>How much faster the other choice must be, in its trial window, to be taken.</summary>
    public const double BetterFactor = 0.9;

    private const int FirstInterval = 4, LongestInterval = 8, FirstTrialWindow = 8;

    /// <summary>The longest gap, in windows on all threads, between trials of one thread on steady cores (about 5 s).</summary>
    public const int LongestTrialGap = 256;

    /// <summary>Whether trainings choose (else their batches always use all their threads).</summary>
    internal static bool Adaptive { get; set; } = true;

    /// <summary>For tests: each batch on the other choice than the one before (all threads, one, all, ...).</summary>
    internal static bool Alternate { get; set; }

    /// <summary>The threads the next batch uses.</summary>
    public int Threads => _trying;

    /// <summary>How many times the choice has changed (for tests and the Bench).</summary>
    public int Switches { get; private set; }

    /// <summary>How many trial windows have run (for tests).</summary>
    public int Trials { get; private set; }

    /// <summary>Records one batch's time (ticks) on <see cref="Threads"/> threads.</summary>
    public void Record(long ticks)
    {
        if (_all < 2 || !Adaptive) return;
        if (Alternate)
        {
            _trying = _trying == _all ? 1 : _all;
            return;
        }
        _ticks += ticks;
        _batches++;
        // A trial of one thread has a window a quarter as long: on quiet cores it loses, and costs little.
        if (_batches < WindowBatches || _ticks < (_trying == 1 && _current != 1 ? _windowTicks / 4 : _windowTicks)) return;
        double perBatch = (double)_ticks / _batches;
        _ticks = 0;
        _batches = 0;
        bool trial = _trying != _current;
        if (_trying == _all)
        {
            _lastAll = perBatch;
            if (trial)
            {
                // All threads again, after windows on one: taken back when clearly faster.
                if (perBatch < _lastOne * BetterFactor) Take(_all, perBatch);
                else _untilTry = _allInterval = Math.Min(LongestInterval, _allInterval * 2);
            }
            else
            {
                // The floor drops at once to a faster window, and rises 2% a window with a slower workload.
                _floor = Math.Min(perBatch, _floor * 1.02);
                _slowWindows = perBatch > _floor * SlowFactor ? _slowWindows + 1 : 0;
            }
        }
        else
        {
            _lastOne = perBatch;
            if (trial)
            {
                // One thread, after slow windows on all: taken when clearly faster than the last of them.
                if (perBatch < _lastAll * BetterFactor)
                {
                    Take(1, perBatch);
                }
                else
                {
                    _skipSlow = _oneInterval;
                    _oneInterval = Math.Min(LongestInterval, _oneInterval * 2);
                    _trialGap = Math.Min(LongestTrialGap, _trialGap * 2);
                    _nextTrial = _windows + 1 + _trialGap; // counting from the end of this window
                }
                _slowWindows = 0;
            }
            else
            {
                _untilTry--;
            }
        }

        _windows++;
        if (_current == _all)
        {
            // One thread is tried early on, after the eighth window (a run that starts on busy cores has no faster
            // window to compare with; a run shorter than that gains little from a choice), then when due again (see
            // the remarks), and after slow windows.
            bool slow = _slowWindows >= 2 && _skipSlow-- <= 0;
            _trying = slow || _windows >= _nextTrial ? 1 : _all;
            if (_trying == 1) _nextTrial = int.MaxValue; // set again when the trial ends
        }
        else
        {
            _trying = _untilTry <= 0 ? _all : 1;
        }
        if (_trying != _current) Trials++;
    }

    private void Take(int threads, double perBatch)
    {
        _current = threads;
        Switches++;
        if (threads == _all)
        {
            _floor = perBatch;
            _slowWindows = 0;
            _allInterval = FirstInterval;
        }
        else
        {
            _oneInterval = FirstInterval;
            _untilTry = _allInterval = FirstInterval;
        }
        // Whichever way the choice went, the cores have changed: the next trial of one thread comes soon.
        _trialGap = FirstTrialWindow;
        _nextTrial = _windows + 1 + _trialGap;
    }
}
