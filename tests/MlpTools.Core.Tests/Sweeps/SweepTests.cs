using System.Collections;
using System.Collections.Specialized;
using MlpTools.Core.Data;
using MlpTools.Core.Sweeps;

namespace MlpTools.Core.Tests.Sweeps;

public class SweepTests
{
    [Fact]
    public void Stratified_folds_cover_every_sample_once_and_hold_each_class_in_proportion()
    {
        Dataset digits = BuiltInDatasets.Digits();
        const int k = 5;
        var folds = DatasetSplitter.Folds(digits, k, seed: 3);
        Assert.Equal(k, folds.Count);
        var seen = new int[digits.Count];
        int[] all = digits.ClassCounts();
        foreach (var (train, validation) in folds)
        {
            Assert.Equal(digits.Count, train.Count + validation.Count);
            foreach (int row in validation.SourceRows!) seen[row]++;
            Assert.Empty(train.SourceRows!.Intersect(validation.SourceRows!));
            int[] counts = validation.ClassCounts();
            for (int c = 0; c < all.Length; c++)
                Assert.InRange(counts[c], all[c] / k, (all[c] + k - 1) / k); // each class to within one sample
            Assert.InRange(validation.Count, digits.Count / k, (digits.Count + k - 1) / k);
        }
        Assert.All(seen, n => Assert.Equal(1, n));
        // The same seed deals the same folds; another seed others.
        Assert.Equal(folds[0].Validation.SourceRows, DatasetSplitter.Folds(digits, k, seed: 3)[0].Validation.SourceRows);
        Assert.NotEqual(folds[0].Validation.SourceRows, DatasetSplitter.Folds(digits, k, seed: 4)[0].Validation.SourceRows);
    }

    [Fact]
    public void A_grid_lists_every_combination_the_last_setting_fastest_and_a_plain_table_in_name_order()
    {
        var space = SearchSpace.Parse(new Hashtable { ["learningrate"] = new object[] { 0.1, 0.01 }, ["HiddenSize"] = new object[] { 8, 16, 32 } });
        var trials = space.Expand(1000);
        Assert.Equal(6, trials.Count);
        Assert.Equal(new object?[] { 8, 8, 16, 16, 32, 32 }, trials.Select(t => t["HiddenSize"]));
        Assert.Equal(new object?[] { 0.1, 0.01, 0.1, 0.01, 0.1, 0.01 }, trials.Select(t => t["LearningRate"]));
        Assert.Equal("HiddenSize = 8, LearningRate = 0.1", trials[0].ToString());

        var ordered = new OrderedDictionary { ["LearningRate"] = 0.5, ["HiddenSize"] = 4 };
        Assert.Equal(new[] { "LearningRate", "HiddenSize" }, SearchSpace.Parse(ordered).Expand(10)[0].Values.Select(v => v.Name));
    }

    [Fact]
    public void Random_draws_stay_in_their_ranges_and_log_scales_spread_over_the_decades()
    {
        var space = SearchSpace.Parse(new Hashtable
        {
            ["HiddenSize"] = new Hashtable { ["LogInteger"] = new object[] { 1, 1000 } },
            ["LearningRate"] = new Hashtable { ["LogUniform"] = new object[] { 1e-4, 1.0 } },
            ["Momentum"] = new Hashtable { ["Uniform"] = new object[] { 0.25, 0.75 } },
            ["BatchSize"] = new Hashtable { ["Integer"] = new object[] { 3, 5 } },
        });
        var trials = space.Sample(4000, seed: 1);
        var hidden = trials.Select(t => (int)t["HiddenSize"]!).ToArray();
        var rates = trials.Select(t => (double)t["LearningRate"]!).ToArray();
        Assert.All(hidden, h => Assert.InRange(h, 1, 1000));
        Assert.All(rates, r => Assert.InRange(r, 1e-4, 1.0));
        Assert.All(trials, t => Assert.InRange((double)t["Momentum"]!, 0.25, 0.75));
        Assert.Equal(new[] { 3, 4, 5 }, trials.Select(t => (int)t["BatchSize"]!).Distinct().Order());
        // Each decade of the log-uniform range gets about a quarter; a uniform draw would give 0.01% to the lowest.
        for (int d = 0; d < 4; d++)
        {
            double low = Math.Pow(10, d - 4), high = low * 10;
            int inDecade = rates.Count(r => r >= low && r < high);
            Assert.InRange(inDecade, 800, 1200);
        }
        Assert.InRange(hidden.Count(h => h < 32), 1500, 2500); // about half below sqrt(1000)
        Assert.Equal(trials.Select(t => t.ToString()), space.Sample(4000, seed: 1).Select(t => t.ToString()));
    }

    [Fact]
    public void Trial_seeds_are_fixed_by_the_sweep_seed_and_the_trial_number_and_differ_between_trials()
    {
        Assert.Equal(SweepTrial.Seed(5, 1), SweepTrial.Seed(5, 1));
        var seeds = Enumerable.Range(1, 1000).Select(t => SweepTrial.Seed(5, t)).ToArray();
        Assert.Equal(1000, seeds.Distinct().Count());
        Assert.All(seeds, s => Assert.True(s >= 0));
        Assert.NotEqual(SweepTrial.Seed(5, 1), SweepTrial.Seed(6, 1));
        Assert.NotEqual(SweepTrial.Seed(-1, 1), SweepTrial.Seed(1, 1));
    }

    [Fact]
    public void A_trial_that_diverges_is_a_failed_outcome_not_an_exception()
    {
        Dataset spiral = BuiltInDatasets.Spiral(3, 30, seed: 1);
        var scoring = SweepScoring.Holdout(spiral, 0.2, seed: 1);
        var settings = new TrialSettings(new (string, object?)[] { ("HiddenSize", 8), ("LearningRate", 1e9), ("Epochs", 3) });
        TrialOutcome outcome = SweepTrial.Run(scoring, 1, 7, settings, null, keepNetwork: true);
        Assert.Equal(TrialStatus.Failed, outcome.Status);
        Assert.Equal("TrainingDiverged", outcome.ErrorId);
        Assert.Null(outcome.Score);
        Assert.Null(outcome.Network);
    }
}
