using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Numerics;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Numerics;

[Collection(NumericsTestGroup.Name)]
public class ThreadChoiceTests
{
    // Windows of 4 batches: every batch below takes at least the window's 100 ticks.
    private const long Window = 100;

    /// <summary>Feeds batches whose time depends on the threads the choice gives them; returns the batches on one thread.</summary>
    private static int Feed(ThreadChoice choice, int batches, long onAll, long onOne)
    {
        int single = 0;
        for (int i = 0; i < batches; i++)
        {
            if (choice.Threads == 1) single++;
            choice.Record(choice.Threads == 1 ? onOne : onAll);
        }
        return single;
    }

    /// <summary>The windows (counting from 1) after which each trial of one thread started, feeding steady batch times.</summary>
    private static List<int> TrialWindows(ThreadChoice choice, int windows, long onAll, long onOne)
    {
        var starts = new List<int>();
        int window = 0, batches = 0;
        while (window < windows)
        {
            int trials = choice.Trials;
            choice.Record(choice.Threads == 1 ? onOne : onAll);
            if (++batches == 4) (window, batches) = (window + 1, 0); // 4 batches a window at these times
            if (choice.Trials > trials) starts.Add(window);
        }
        return starts;
    }

    [Fact]
    public void On_quiet_cores_one_thread_is_tried_early_then_ever_more_rarely()
    {
        var choice = new ThreadChoice(2, Window);
        Assert.Equal(2, choice.Threads);
        // Each lost trial doubles the gap to the next (counted from the trial's own window): 8, 16, 32, ... windows.
        List<int> starts = TrialWindows(choice, 2000, onAll: 100, onOne: 170);
        Assert.Equal(8, starts[0]);
        for (int i = 1; i < starts.Count; i++)
            Assert.Equal(Math.Min(ThreadChoice.LongestTrialGap, 8 << i), starts[i] - starts[i - 1] - 1);
        // Past the longest gap, one trial every LongestTrialGap windows: a few in 2,000 windows (8,000 batches).
        Assert.InRange(starts.Count, 10, 12);
        Assert.Equal(0, choice.Switches);
        Assert.Equal(2, choice.Threads);
        // Each trial is one short window of 4 batches.
        var counted = new ThreadChoice(2, Window);
        int single = Feed(counted, 2000, onAll: 100, onOne: 170);
        Assert.Equal(4 * counted.Trials, single);
        Assert.Equal(5, counted.Trials); // windows 8, 25, 58, 123, 252 of 500
    }

    [Fact]
    public void A_trial_lost_early_is_tried_again_and_finds_one_thread_faster()
    {
        // All threads steadily slower than one, with no slow window to set a trial off, after an early trial that lost
        // to a passing disturbance (a host whose cores share no cache: the step's data moves between them).
        var choice = new ThreadChoice(2, Window);
        Feed(choice, 40, onAll: 150, onOne: 400);
        Assert.Equal(1, choice.Trials);
        Assert.Equal(0, choice.Switches);
        int single = Feed(choice, 2000, onAll: 150, onOne: 100);
        Assert.Equal(1, choice.Threads);
        Assert.Equal(1, choice.Switches);
        Assert.True(single > 0.85 * 2000, $"{single} of 2000 batches on one thread");
    }

    [Fact]
    public void A_trial_is_a_quarter_window_long_and_comes_after_the_eighth_window()
    {
        // Windows of 1,000 ticks: 10 batches of 100 on all threads; a trial's 250 ticks are 2 batches of 170, so its
        // window is the fewest batches, 4 (a whole window would be 6).
        var choice = new ThreadChoice(2, 1000);
        int before = Feed(choice, 80, onAll: 100, onOne: 170);
        Assert.Equal(0, before);
        Assert.Equal(1, choice.Threads);
        int single = Feed(choice, 4, onAll: 100, onOne: 170);
        Assert.Equal(4, single);
        Assert.Equal(2, choice.Threads);
        Assert.Equal(1, choice.Trials);
    }

    [Fact]
    public void Cores_busy_from_the_start_go_to_one_thread_and_try_all_again_now_and_then()
    {
        var choice = new ThreadChoice(2, Window);
        int single = Feed(choice, 2000, onAll: 250, onOne: 170);
        Assert.Equal(1, choice.Threads);
        Assert.Equal(1, choice.Switches);
        // The trials of all threads back off to one window in 9 while one thread stays faster.
        Assert.InRange(single, 0.85 * 2000, 2000);
        Assert.InRange(choice.Trials, 20, 70);
    }

    [Fact]
    public void A_busy_spell_moves_to_one_thread_and_its_end_moves_back()
    {
        var choice = new ThreadChoice(2, Window);
        Feed(choice, 400, onAll: 100, onOne: 170);
        Assert.Equal(2, choice.Threads);
        int busy = Feed(choice, 800, onAll: 250, onOne: 170);
        Assert.True(busy > 0.8 * 800, $"{busy} of 800 batches of the busy spell on one thread");
        int after = Feed(choice, 800, onAll: 100, onOne: 170);
        Assert.Equal(2, choice.Threads);
        Assert.True(after < 0.1 * 800, $"{after} of 800 batches after the spell on one thread");
        Assert.Equal(2, choice.Switches);
    }

    [Fact]
    public void One_slow_window_is_not_a_busy_spell_and_a_lost_trial_backs_off()
    {
        // One slow window sets no trial off: the trials are those of the same run without it.
        var choice = new ThreadChoice(2, Window);
        var steady = new ThreadChoice(2, Window);
        Feed(choice, 400, onAll: 100, onOne: 170);
        Feed(steady, 400, onAll: 100, onOne: 170);
        Feed(choice, 4, onAll: 300, onOne: 170);
        Feed(steady, 4, onAll: 100, onOne: 170);
        Feed(choice, 400, onAll: 100, onOne: 170);
        Feed(steady, 400, onAll: 100, onOne: 170);
        Assert.Equal(steady.Trials, choice.Trials);

        // Slow on all threads and slower still on one (a slow host, not a busy core): the trials of one thread
        // become rarer, and the run stays on all threads.
        int single = Feed(choice, 2000, onAll: 200, onOne: 400);
        Assert.Equal(2, choice.Threads);
        Assert.Equal(0, choice.Switches);
        Assert.InRange(single, 1, 0.1 * 2000);
    }

    [Fact]
    public void With_one_thread_or_when_switched_off_there_is_nothing_to_choose()
    {
        var one = new ThreadChoice(1, Window);
        Assert.Equal(0, Feed(one, 400, onAll: 250, onOne: 100) - 400);
        Assert.Equal(0, one.Trials);

        ThreadChoice.Adaptive = false;
        try
        {
            var off = new ThreadChoice(2, Window);
            Assert.Equal(0, Feed(off, 400, onAll: 250, onOne: 100));
            Assert.Equal(0, off.Trials);
        }
        finally
        {
            ThreadChoice.Adaptive = true;
        }
    }

    [Fact]
    public void A_run_whose_batches_change_threads_gives_the_same_bits_as_on_all_threads_and_on_one()
    {
        // Batches large enough for every kernel of the step to run on several threads.
        const int d = 784;
        Dataset data = KernelShareTests.Synthetic(1200, d, 10, seed: 5);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 200, LearningRate = 0.05, Momentum = 0.9, Regularization = 1e-3, Seed = 2 };

        (TrainingState State, Mlp<float> Net, HashSet<int> Limits) Train()
        {
            var net = (Mlp<float>)Mlp.Create(d, 100, 10, Precision.Single, seed: 3);
            var limits = new HashSet<int>();
            var callbacks = new TrainingCallbacks { Progress = _ => limits.Add(KernelThreads.OwnLimit) };
            TrainingState state = Trainer.Train(net, data, options.Clone(), callbacks: callbacks);
            return (state, net, limits);
        }

        var all = (State: default(TrainingState)!, Net: default(Mlp<float>)!, Limits: new HashSet<int>());
        var alternating = all;
        var single = all;
        ThreadChoice.Adaptive = false;
        try { all = Train(); }
        finally { ThreadChoice.Adaptive = true; }
        ThreadChoice.Alternate = true;
        try { alternating = Train(); }
        finally { ThreadChoice.Alternate = false; }
        KernelDeterminismTests.WithThreads(1, () => single = Train());

        if (KernelThreads.MaxThreads > 1) Assert.Equal(new[] { 1, KernelThreads.MaxThreads }, alternating.Limits.Order());
        foreach (var other in new[] { alternating, single })
        {
            Assert.Equal(all.State.History.Select(r => r.Loss), other.State.History.Select(r => r.Loss));
            Assert.Equal(all.State.History.Select(r => r.Diagnostics), other.State.History.Select(r => r.Diagnostics));
            Assert.Equal(all.Net.Parameters.W1, other.Net.Parameters.W1);
            Assert.Equal(all.Net.Parameters.W2, other.Net.Parameters.W2);
            Assert.Equal(all.Net.Parameters.b1, other.Net.Parameters.b1);
        }
    }
}
