using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Inspection;

/// <summary>
/// The sanity checklist: every check passes on Digits with the defaults, and each fails, with advice, on a network or
/// settings built to fail it (a fault planted through the settings, or through the checker's internal seam for the
/// gradients and the penalty, which no setting can break).
/// </summary>
public class SanityCheckerTests
{
    private static readonly Lazy<Dataset> LazyDigits = new(BuiltInDatasets.Digits);

    private static Dataset Digits => LazyDigits.Value;

    private static SanityCheckResult[] Run(SanitySettings settings, SanityFaults? faults = null, Dataset? data = null) =>
        SanityChecker.Run(data ?? Digits, settings, progress: null, faults, CancellationToken.None).ToArray();

    private static SanityCheckResult RunOne(SanityCheck check, SanitySettings? settings = null, SanityFaults? faults = null, Dataset? data = null)
    {
        settings ??= new SanitySettings();
        var only = new SanitySettings
        {
            HiddenSize = settings.HiddenSize,
            Precision = settings.Precision,
            WeightScale = settings.WeightScale,
            Training = settings.Training,
            Checks = new[] { check },
        };
        return Assert.Single(Run(only, faults, data));
    }

    private static void AssertFailedWithAdvice(SanityCheckResult r, params string[] adviceSays)
    {
        Assert.False(r.Passed, $"{r.Check} should fail: {r.Measured}");
        Assert.NotEmpty(r.Advice);
        foreach (string words in adviceSays) Assert.Contains(words, r.Advice, StringComparison.Ordinal);
    }

    // ---- all pass ----

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void Every_check_passes_on_Digits_with_the_defaults(Precision precision)
    {
        SanityCheckResult[] results = Run(new SanitySettings { Precision = precision });
        Assert.Equal(Enum.GetValues<SanityCheck>(), results.Select(r => r.Check));
        foreach (SanityCheckResult r in results)
        {
            Assert.True(r.Passed, $"{r.Check}: expected {r.Expected} Measured {r.Measured} Advice {r.Advice}");
            Assert.Equal("", r.Advice);
            Assert.NotEmpty(r.Expected);
            Assert.NotEmpty(r.Measured);
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.RmsProp)]
    [InlineData(OptimizerKind.Lbfgs)]
    public void Every_check_passes_on_Digits_with_each_optimizer_at_its_defaults(OptimizerKind optimizer)
    {
        SanityCheckResult[] results = Run(new SanitySettings { Training = new TrainingOptions { Optimizer = optimizer } });
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Check}: {r.Measured} {r.Advice}"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_defaults_pass_with_other_seeds_too(int seed)
    {
        SanityCheckResult[] results = Run(new SanitySettings { Training = new TrainingOptions { Seed = seed } });
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Check}: {r.Measured} {r.Advice}"));
    }

    [Fact]
    public void The_numbers_measured_are_on_the_results()
    {
        SanityCheckResult[] results = Run(new SanitySettings());
        IReadOnlyDictionary<string, double> initial = results[0].Measurements;
        Assert.Equal(Math.Log(10), initial["LnC"], 12);
        Assert.InRange(initial["SmallWeightLoss"], Math.Log(10) - 1e-4, Math.Log(10) + 1e-4);
        Assert.InRange(initial["InitialLoss"], Math.Log(10) * 0.75, Math.Log(10) * 1.25);

        IReadOnlyDictionary<string, double> reg = results[1].Measurements;
        Assert.True(reg["LossAtLargeRegularization"] > reg["LossAtRegularization"]);
        Assert.True(reg["LossAtRegularization"] > reg["LossAtZero"]);
        Assert.Equal(reg["Penalty"], reg["Rise"], 1e-9);

        foreach (SanityCheckResult gradient in results.Where(r => r.Check is SanityCheck.DataGradient or SanityCheck.RegularizationGradient))
            foreach (string p in Mlp.ParameterNames)
                Assert.True(gradient.Measurements[p] <= 1e-7, $"{gradient.Check} {p}: {gradient.Measurements[p]}");

        IReadOnlyDictionary<string, double> overfit = results[4].Measurements;
        Assert.Equal(20, overfit["Samples"]);
        Assert.Equal(1.0, overfit["Accuracy"]);
        Assert.InRange(overfit["Epochs"], 1, SanityChecker.OverfitMaxEpochs);

        IReadOnlyDictionary<string, double> ratio = results[5].Measurements;
        Assert.InRange(ratio["W1"], 1e-4, 1e-2);
        Assert.InRange(ratio["W2"], 1e-4, 1e-2);
        Assert.Equal(SanityChecker.UpdateSteps, ratio["Steps"]);
        // With momentum 0.9 the updates carry several of the learning rate's steps at once.
        Assert.True(ratio["UpdateW2"] > ratio["W2"]);
    }

    [Fact]
    public void The_same_settings_get_the_same_verdict_every_time()
    {
        string[] first = Run(new SanitySettings()).Select(r => r.Measured).ToArray();
        string[] second = Run(new SanitySettings()).Select(r => r.Measured).ToArray();
        Assert.Equal(first, second);
    }

    // ---- 1. InitialLoss ----

    [Fact]
    public void InitialLoss_fails_on_initial_weights_far_too_large()
    {
        SanityCheckResult r = RunOne(SanityCheck.InitialLoss, new SanitySettings { WeightScale = 10 });
        AssertFailedWithAdvice(r, "too large", "WeightScale");
        // The loss with small weights is still ln C: it is the weights asked for that fail.
        Assert.InRange(r.Measurements["SmallWeightLoss"], Math.Log(10) - 1e-4, Math.Log(10) + 1e-4);
        Assert.True(r.Measurements["InitialLoss"] > 10 * Math.Log(10));
    }

    [Fact]
    public void InitialLoss_fails_on_enormous_inputs_even_at_small_weights()
    {
        var huge = Dataset.FromMatrix(Digits.Features * 1e8, Digits.Labels, 10, "Digits x 1e8");
        SanityCheckResult r = RunOne(SanityCheck.InitialLoss, data: huge);
        AssertFailedWithAdvice(r, "enormous", "Scaling Standardize");
        Assert.True(Math.Abs(r.Measurements["SmallWeightLoss"] - Math.Log(10)) > 0.01 * Math.Log(10));
        // Scaled, the same data passes.
        Assert.True(RunOne(SanityCheck.InitialLoss, new SanitySettings { Training = new TrainingOptions { Scaling = ScalingKind.Standardize } }, data: huge).Passed);
    }

    [Fact]
    public void InitialLoss_fails_at_Glorot_weights_on_unscaled_inputs_and_says_to_scale_them()
    {
        // Pixels of 0..1600: weights of scale 1e-4 still give scores near 0, but Glorot's, made for inputs of order 1, do not.
        var unscaled = Dataset.FromMatrix(Digits.Features * 1600, Digits.Labels, 10, "Digits x 1600");
        SanityCheckResult r = RunOne(SanityCheck.InitialLoss, data: unscaled);
        AssertFailedWithAdvice(r, "Glorot's scale assumes inputs of order 1", "Scaling Standardize");
        Assert.InRange(r.Measurements["SmallWeightLoss"], Math.Log(10) * 0.99, Math.Log(10) * 1.01);
        Assert.True(RunOne(SanityCheck.InitialLoss, new SanitySettings { Training = new TrainingOptions { Scaling = ScalingKind.Standardize } }, data: unscaled).Passed);
    }

    [Fact]
    public void InitialLoss_expects_ln_C_times_the_mean_class_weight()
    {
        double[] weights = Enumerable.Range(1, 10).Select(k => (double)k).ToArray();
        SanityCheckResult r = RunOne(SanityCheck.InitialLoss, new SanitySettings { Training = new TrainingOptions { ClassWeights = ClassWeights.InClassOrder(weights) } });
        Assert.True(r.Passed, r.Measured);
        double mean = Digits.Labels.Average(y => weights[y]);
        Assert.Equal(Math.Log(10) * mean, r.Measurements["Expected"], 9);
        Assert.InRange(r.Measurements["SmallWeightLoss"], Math.Log(10) * mean * 0.999, Math.Log(10) * mean * 1.001);
    }

    // ---- 2. RegularizationRaisesLoss ----

    [Fact]
    public void RegularizationRaisesLoss_fails_on_weights_that_are_all_zero()
    {
        SanityCheckResult r = RunOne(SanityCheck.RegularizationRaisesLoss, new SanitySettings { WeightScale = 0 });
        AssertFailedWithAdvice(r, "Every weight is zero", "WeightScale");
        Assert.Equal(0, r.Measurements["Rise"]);
    }

    [Fact]
    public void RegularizationRaisesLoss_fails_when_the_penalty_is_not_the_derivations()
    {
        // The loss rises, but by twice the penalty: (lambda/m) ||W||^2 in place of (lambda/2m) ||W||^2.
        SanityCheckResult r = RunOne(SanityCheck.RegularizationRaisesLoss, faults: new SanityFaults { Penalty = rise => 2 * rise });
        AssertFailedWithAdvice(r, "1/2m");
    }

    [Fact]
    public void RegularizationRaisesLoss_passes_with_lambda_0_too()
    {
        SanityCheckResult r = RunOne(SanityCheck.RegularizationRaisesLoss, new SanitySettings { Training = new TrainingOptions { Regularization = 0 } });
        Assert.True(r.Passed, r.Measured);
    }

    // ---- 3. DataGradient and RegularizationGradient ----

    [Fact]
    public void DataGradient_fails_on_a_wrong_data_gradient_while_the_L2_part_passes()
    {
        // dW2 off by 0.1%, as a slip in the backward pass would make it.
        var faults = new SanityFaults { DataGradient = g => { for (int i = 0; i < g.W2.Length; i++) g.W2[i] *= 1.001; } };
        SanityCheckResult[] results = Run(new SanitySettings { Checks = new[] { SanityCheck.DataGradient, SanityCheck.RegularizationGradient } }, faults);
        AssertFailedWithAdvice(results[0], "backward pass", "W2[");
        Assert.True(results[0].Measurements["W2"] > 1e-4);
        Assert.True(results[0].Measurements["W1"] <= 1e-7);
        Assert.True(results[1].Passed, results[1].Measured);
    }

    [Fact]
    public void DataGradient_fails_on_one_wrong_entry()
    {
        var faults = new SanityFaults { DataGradient = g => g.b1[5] += 1e-3 };
        SanityCheckResult r = RunOne(SanityCheck.DataGradient, faults: faults);
        AssertFailedWithAdvice(r, "b1[5]");
    }

    [Fact]
    public void RegularizationGradient_fails_on_a_wrong_L2_term_while_the_data_part_passes()
    {
        // (lambda/2m) W in place of (lambda/m) W: forgetting that the square's 2 cancels the penalty's 1/2.
        var faults = new SanityFaults { RegularizationGradient = g => { for (int i = 0; i < g.W1.Length; i++) g.W1[i] *= 0.5; } };
        SanityCheckResult[] results = Run(new SanitySettings { Checks = new[] { SanityCheck.DataGradient, SanityCheck.RegularizationGradient } }, faults);
        Assert.True(results[0].Passed, results[0].Measured);
        AssertFailedWithAdvice(results[1], "(lambda/m) W", "W1[");
        Assert.True(results[1].Measurements["W2"] <= 1e-7);
    }

    [Fact]
    public void RegularizationGradient_fails_when_the_biases_are_regularized()
    {
        var faults = new SanityFaults { RegularizationGradient = g => g.b2[0] += 1e-6 };
        SanityCheckResult r = RunOne(SanityCheck.RegularizationGradient, faults: faults);
        AssertFailedWithAdvice(r, "b2[0]", "biases");
    }

    [Fact]
    public void The_gradient_checks_pass_at_weights_near_zero_where_some_gradients_are_zero()
    {
        // The tiny set holds two samples of each class, so at weights near 0 db2 is 0 up to rounding.
        foreach (double scale in new[] { 0.0, 1e-4 })
        {
            SanityCheckResult[] results = Run(new SanitySettings { WeightScale = scale, Checks = new[] { SanityCheck.DataGradient, SanityCheck.RegularizationGradient } });
            Assert.All(results, r => Assert.True(r.Passed, $"scale {scale}, {r.Check}: {r.Measured}"));
        }
    }

    // ---- 4. Overfit ----

    [Fact]
    public void Overfit_fails_on_a_learning_rate_far_too_small()
    {
        SanityCheckResult r = RunOne(SanityCheck.Overfit, new SanitySettings { Training = new TrainingOptions { LearningRate = 0.05e-4 } });
        AssertFailedWithAdvice(r, "too small", "LearningRate");
        Assert.Equal(SanityChecker.OverfitMaxEpochs, r.Measurements["Epochs"]);
    }

    [Fact]
    public void Overfit_fails_on_a_single_hidden_unit()
    {
        SanityCheckResult r = RunOne(SanityCheck.Overfit, new SanitySettings { HiddenSize = 1 });
        AssertFailedWithAdvice(r, "capacity", "HiddenSize 1");
        Assert.True(r.Measurements["Accuracy"] < 1);
    }

    [Fact]
    public void Overfit_fails_on_a_learning_rate_far_too_large()
    {
        SanityCheckResult r = RunOne(SanityCheck.Overfit, new SanitySettings { Training = new TrainingOptions { LearningRate = 0.05e4 } });
        AssertFailedWithAdvice(r, "too large");
    }

    [Fact]
    public void Overfit_fails_on_weights_that_are_all_zero()
    {
        SanityCheckResult r = RunOne(SanityCheck.Overfit, new SanitySettings { WeightScale = 0 });
        AssertFailedWithAdvice(r, "zero", "WeightScale");
    }

    [Fact]
    public void Overfit_takes_lambda_0_whatever_lambda_is_asked_for()
    {
        // A lambda that would swamp the data loss does not stop the tiny set from being fitted: the check sets it to 0.
        SanityCheckResult r = RunOne(SanityCheck.Overfit, new SanitySettings { Training = new TrainingOptions { Regularization = 100 } });
        Assert.True(r.Passed, r.Measured);
        Assert.Contains("lambda 0", r.Expected, StringComparison.Ordinal);
    }

    // ---- 5. UpdateRatio ----

    [Fact]
    public void UpdateRatio_fails_on_a_learning_rate_1e4_times_too_large()
    {
        SanityCheckResult r = RunOne(SanityCheck.UpdateRatio, new SanitySettings { Training = new TrainingOptions { LearningRate = 0.05e4 } });
        AssertFailedWithAdvice(r, "too", "LearningRate");
        Assert.True(double.IsNaN(r.Measurements["W1"]) || r.Measurements["W1"] > 1e-2 || r.Measurements["W2"] > 1e-2, r.Measured);
    }

    [Fact]
    public void UpdateRatio_fails_on_a_learning_rate_1e4_times_too_small()
    {
        SanityCheckResult r = RunOne(SanityCheck.UpdateRatio, new SanitySettings { Training = new TrainingOptions { LearningRate = 0.05e-4 } });
        AssertFailedWithAdvice(r, "too low", "A LearningRate of about");
        Assert.True(r.Measurements["W1"] < 1e-4 && r.Measurements["W2"] < 1e-4, r.Measured);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, 10.0)]
    [InlineData(OptimizerKind.RmsProp, 10.0)]
    [InlineData(OptimizerKind.Adam, 1e-7)]
    public void UpdateRatio_fails_for_adaptive_optimizers_too(OptimizerKind optimizer, double learningRate)
    {
        SanityCheckResult r = RunOne(SanityCheck.UpdateRatio, new SanitySettings { Training = new TrainingOptions { Optimizer = optimizer, LearningRate = learningRate } });
        AssertFailedWithAdvice(r, "LearningRate");
    }

    [Fact]
    public void UpdateRatio_does_not_apply_to_Lbfgs()
    {
        SanityCheckResult r = RunOne(SanityCheck.UpdateRatio, new SanitySettings { Training = new TrainingOptions { Optimizer = OptimizerKind.Lbfgs } });
        Assert.True(r.Passed);
        Assert.Contains("Lbfgs", r.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void UpdateRatio_suggests_a_learning_rate_that_passes()
    {
        SanityCheckResult r = RunOne(SanityCheck.UpdateRatio, new SanitySettings { Training = new TrainingOptions { LearningRate = 0.05e-4 } });
        string suggested = r.Advice.Split("A LearningRate of about ")[1].Split(' ')[0];
        double rate = double.Parse(suggested, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(RunOne(SanityCheck.UpdateRatio, new SanitySettings { Training = new TrainingOptions { LearningRate = rate } }).Passed);
    }

    // ---- running ----

    [Fact]
    public void Only_the_checks_asked_for_run_in_their_order()
    {
        SanityCheckResult[] results = Run(new SanitySettings { Checks = new[] { SanityCheck.UpdateRatio, SanityCheck.InitialLoss } });
        Assert.Equal(new[] { SanityCheck.InitialLoss, SanityCheck.UpdateRatio }, results.Select(r => r.Check));
    }

    [Fact]
    public void Settings_and_data_are_checked_before_any_check_runs()
    {
        var e = Assert.Throws<MlpException>(() => SanityChecker.Run(Digits, new SanitySettings { HiddenSize = 0 }));
        Assert.Equal("InvalidHiddenSize", e.ErrorId);
        e = Assert.Throws<MlpException>(() => SanityChecker.Run(Digits.Subset(Array.Empty<int>()), new SanitySettings()));
        Assert.Equal("EmptyDataset", e.ErrorId);
        var momentum = new TrainingOptions { Optimizer = OptimizerKind.Adam };
        momentum.Set("Momentum", 0.5);
        e = Assert.Throws<MlpException>(() => SanityChecker.Run(Digits, new SanitySettings { Training = momentum }));
        Assert.Equal("ParameterNotApplicable", e.ErrorId);
        var nan = Dataset.FromMatrix(Matrix<double>.Build.Dense(3, 2, double.NaN), new[] { 0, 1, 0 });
        e = Assert.Throws<MlpException>(() => SanityChecker.Run(nan, new SanitySettings()));
        Assert.Equal("FeatureValueNotFinite", e.ErrorId);
    }

    [Fact]
    public void Progress_is_reported_for_every_check_and_grows()
    {
        var seen = new List<SanityProgress>();
        SanityCheckResult[] results = SanityChecker.Run(Digits, new SanitySettings(), seen.Add).ToArray();
        Assert.Equal(Enum.GetValues<SanityCheck>(), seen.Select(p => p.Check).Distinct());
        Assert.All(seen, p => Assert.Equal(results.Length, p.Count));
        for (int i = 1; i < seen.Count; i++) Assert.True(seen[i].Done >= seen[i - 1].Done);
        Assert.Contains(seen, p => p.Status.StartsWith("Overfit: epoch", StringComparison.Ordinal));
    }

    [Fact]
    public void Cancellation_stops_the_run()
    {
        using var cts = new CancellationTokenSource();
        var results = new List<SanityCheckResult>();
        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (SanityCheckResult r in SanityChecker.Run(Digits, new SanitySettings(), p =>
                     {
                         if (p.Check == SanityCheck.Overfit && p.Status.StartsWith("Overfit: epoch", StringComparison.Ordinal)) cts.Cancel();
                     }, cts.Token))
                results.Add(r);
        });
        Assert.Equal(new[] { SanityCheck.InitialLoss, SanityCheck.RegularizationRaisesLoss, SanityCheck.DataGradient, SanityCheck.RegularizationGradient },
            results.Select(r => r.Check));
    }
}
