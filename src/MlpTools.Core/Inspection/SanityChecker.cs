using System.Numerics;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Inspection;

/// <summary>
/// The checks CS231n's notes ask of a network before it is trusted with a long run, as code: given a dataset and the
/// settings that would make and train a network, each check builds the network those settings make (the same
/// initial weights every time, from the seed) and measures one thing:
/// <list type="number">
/// <item>InitialLoss: with weights of scale 1e-4 every score is about 0, so P is 1/C for every sample and the data
/// loss (lambda 0) is ln C; and at the initial weights asked for it should still be near ln C.</item>
/// <item>RegularizationRaisesLoss: at the initial weights, the loss rises with lambda, by exactly the penalty
/// (lambda/2m)(||W1||^2 + ||W2||^2).</item>
/// <item>DataGradient and RegularizationGradient: the two terms of the gradient, checked apart in float64 against
/// centered differences of the two terms of the loss, so that each can fail alone.</item>
/// <item>Overfit: a tiny set (20 samples) is fitted to 100% training accuracy with lambda 0, within a bounded
/// number of epochs.</item>
/// <item>UpdateRatio: in the first steps of training, the step the learning rate takes, relative to the weights, is
/// within a factor of 10 of 1e-3 for each weight matrix (see <see cref="UpdateSteps"/> and the check's own notes).</item>
/// </list>
/// Each result says what was expected, what was measured and, when it failed, what to do.
/// </summary>
public static class SanityChecker
{
    /// <summary>The scale of the small weights InitialLoss measures ln C at, whatever the weight scale asked for.</summary>
    public const double SmallWeightScale = 1e-4;

    /// <summary>
    /// How far (relative to ln C) the data loss at weights of scale <see cref="SmallWeightScale"/> may be from ln C.
    /// </summary>
    /// <remarks>
    /// At weights of scale s, Hpre is of order s |x| sqrt(D) and Z of order s^2 |x| sqrt(D H): about 1e-6 for inputs
    /// of order 1. The softmax of scores that small is 1/C to within them, and the loss ln C to within them, so 1% is a
    /// wide margin; missing it means the inputs are enormous or the loss is not the softmax cross-entropy.
    /// </remarks>
    public const double SmallWeightTolerance = 0.01;

    /// <summary>
    /// How far (relative to ln C) the data loss at the initial weights asked for may be from ln C. Scores of spread s
    /// raise the expected loss above ln C by about s^2/2 for small s and by about s sqrt(2 ln C) for large s; at 25%
    /// the scores are of order 1, and the network starts confidently wrong about many samples.
    /// </summary>
    public const double InitialLossTolerance = 0.25;

    /// <summary>The size of the tiny set Overfit fits (and the gradient checks take their batch from).</summary>
    public const int TinySampleCount = 20;

    /// <summary>The most epochs Overfit trains for before it gives up.</summary>
    public const int OverfitMaxEpochs = 500;

    /// <summary>
    /// How many steps UpdateRatio takes and averages the ratio over: enough for RmsProp's running mean square, which
    /// starts at zero and so makes its first steps several times larger, to settle.
    /// </summary>
    public const int UpdateSteps = 50;

    /// <summary>
    /// The smallest denominator of DataGradient's relative error |a - n| / (|a| + |n|): entries whose gradient is about
    /// 0 (a bias of a class the tiny set holds as many samples of as of every other, at weights near 0) agree when
    /// they differ by rounding alone, and are held to an absolute error of 1e-13 (this times the threshold).
    /// </summary>
    public const double GradientFloor = 1e-6;

    /// <summary>The rule of thumb's update/weight ratio.</summary>
    public const double TargetUpdateRatio = 1e-3;

    /// <summary>How far (as a factor either way) the update/weight ratio may be from <see cref="TargetUpdateRatio"/>.</summary>
    public const double UpdateRatioFactor = 10;

    /// <summary>The losses of InitialLoss and RegularizationRaisesLoss are taken over at most this many samples (chosen by the seed).</summary>
    public const int ProbeSampleCount = 2048;

    /// <summary>The seed when the training settings give none, so a verdict is the same every time.</summary>
    public const int DefaultSeed = 0;

    private const double Floor = 1e-300;

    /// <summary>
    /// Runs the checks <paramref name="settings"/> asks for (all by default), in the order of <see cref="SanityCheck"/>,
    /// yielding each result as its check ends. The settings and the data are checked before this returns; the checks
    /// themselves run as the results are enumerated.
    /// </summary>
    /// <param name="data">The data the network is for: sizes the network (D and C), and is what the checks measure on.</param>
    /// <param name="settings">The network and training settings.</param>
    /// <param name="progress">Called as the checks go, on the enumerating thread.</param>
    /// <param name="cancellationToken">Stops between steps; the enumeration then throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="MlpException">Settings out of range, or data the network cannot take (empty, non-finite values).</exception>
    public static IEnumerable<SanityCheckResult> Run(Dataset data, SanitySettings settings, Action<SanityProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        Run(data, settings, progress, faults: null, cancellationToken);

    /// <summary>As the public Run, with faults planted in the gradients the checks compare (for the tests).</summary>
    internal static IEnumerable<SanityCheckResult> Run(Dataset data, SanitySettings settings, Action<SanityProgress>? progress,
        SanityFaults? faults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        var context = new Context(data, settings, faults ?? new SanityFaults());
        SanityCheck[] checks = Enum.GetValues<SanityCheck>().Where(c => settings.Checks is null || settings.Checks.Contains(c)).ToArray();
        return Checks(context, checks, progress, cancellationToken);
    }

    private static IEnumerable<SanityCheckResult> Checks(Context context, SanityCheck[] checks, Action<SanityProgress>? progress, CancellationToken ct)
    {
        for (int i = 0; i < checks.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            SanityCheck check = checks[i];
            int number = i + 1;
            void Report(double share, string status) =>
                progress?.Invoke(new SanityProgress(check, number, checks.Length, (number - 1 + Math.Clamp(share, 0, 1)) / checks.Length, status));
            Report(0, check.ToString());
            SanityCheckResult result = check switch
            {
                SanityCheck.InitialLoss => InitialLoss(context),
                SanityCheck.RegularizationRaisesLoss => RegularizationRaisesLoss(context),
                SanityCheck.DataGradient => DataGradient(context),
                SanityCheck.RegularizationGradient => RegularizationGradient(context),
                SanityCheck.Overfit => Overfit(context, Report, ct),
                _ => UpdateRatio(context, Report, ct),
            };
            ct.ThrowIfCancellationRequested();
            yield return result;
        }
    }

    // ---- 1. InitialLoss ----

    private static SanityCheckResult InitialLoss(Context x)
    {
        double lnC = Math.Log(x.Data.ClassCount);
        // With class weights each sample's -log(1/C) is weighted: the expected loss is ln C times their mean.
        double expected = lnC * x.MeanClassWeight(x.Probe);
        double small = Loss(x.Network(SmallWeightScale), x.Probe, 0, x.ClassWeights).DataLoss;
        double initial = Loss(x.Network(x.Settings.WeightScale), x.Probe, 0, x.ClassWeights).DataLoss;
        double smallTolerance = SmallWeightTolerance * expected, initialTolerance = InitialLossTolerance * expected;
        bool smallOk = Math.Abs(small - expected) <= smallTolerance, initialOk = Math.Abs(initial - expected) <= initialTolerance;

        string target = x.ClassWeights is null
            ? Invariant.Format($"ln {x.Data.ClassCount} = {expected:F4}")
            : Invariant.Format($"ln {x.Data.ClassCount} x the mean class weight = {expected:F4}");
        string expectedText = Invariant.Format(
            $"{target}: within {Percent(SmallWeightTolerance)} at scale {SmallWeightScale:G}, {Percent(InitialLossTolerance)} at {x.InitName} (lambda 0)");
        string measured = Invariant.Format($"{small:G5} at scale {SmallWeightScale:G}, {initial:G5} at {x.InitName}");

        string advice = "";
        if (!smallOk)
        {
            InputExtreme largest = x.LargestInput();
            advice = largest.Magnitude >= LargeInput
                ? Invariant.Format($"Even weights of scale {SmallWeightScale:G} give scores far from 0, because the inputs are enormous: the largest |feature| the network takes is {largest.Magnitude:G4} ('{x.Data.FeatureNames[largest.Feature]}', row {largest.Row + 1} counting from 1). Scale the features (Scaling Standardize), or check the data.")
                : Invariant.Format($"At weights of scale {SmallWeightScale:G} every score is about 0 and every P[i,c] about 1/C, so the data loss must be {target}; it is {small:G6}. The loss is not the softmax cross-entropy of those scores: check P = softmax(Z) (each row's max subtracted first) and L = -(1/m) sum_i log P[i, y_i].");
        }
        else if (!initialOk)
        {
            string start = Invariant.Format($"At the initial weights the data loss is {initial:G4}, far from {target}: the network starts confidently wrong, with scores large enough to saturate the softmax.");
            if (x.Settings.WeightScale is { } scale)
                advice = start + Invariant.Format($" The initial weights are too large: use a much smaller WeightScale (0.01 or less; now {scale:G}), or leave it out for Glorot's scale.");
            else
            {
                InputExtreme largest = x.LargestInput();
                advice = start + (x.Preprocessor is null
                    ? Invariant.Format($" Glorot's scale assumes inputs of order 1, but the largest |feature| is {largest.Magnitude:G4}: scale the features (Scaling Standardize).")
                    : Invariant.Format($" Use smaller initial weights: a WeightScale of 0.01 or less."));
            }
        }
        return Result(SanityCheck.InitialLoss, smallOk && initialOk, expectedText, measured, advice,
            ("LnC", lnC), ("Expected", expected), ("SmallWeightLoss", small), ("InitialLoss", initial),
            ("SmallWeightTolerance", smallTolerance), ("InitialLossTolerance", initialTolerance));
    }

    /// <summary>Inputs this large (in magnitude, after scaling) are named as the likely cause of large scores.</summary>
    private const double LargeInput = 100;

    // ---- 2. RegularizationRaisesLoss ----

    private static SanityCheckResult RegularizationRaisesLoss(Context x)
    {
        Mlp net = x.Network(x.Settings.WeightScale);
        int m = x.Probe.Count;
        double userLambda = x.Settings.Training.Regularization;
        // From 0 through the lambda asked for (when it is not 0) to a large one, where the penalty shows plainly.
        double large = 1000 * Math.Max(userLambda, 1e-3);
        double[] lambdas = new[] { 0.0, userLambda, large }.Distinct().ToArray();
        double[] losses = lambdas.Select(l => Loss(net, x.Probe, l, x.ClassWeights).Total).ToArray();
        double squares = SumOfWeightSquares(net);
        double penalty = large / (2.0 * m) * squares;
        double rise = x.Faults.Penalty(losses[^1] - losses[0]);
        bool increasing = true;
        for (int i = 1; i < losses.Length; i++) increasing &= losses[i] > losses[i - 1];
        bool asFormula = Math.Abs(rise - penalty) <= 1e-6 * Math.Max(Math.Abs(penalty), Floor);
        bool passed = increasing && asFormula;

        string expectedText = Invariant.Format(
            $"Rises with lambda ({string.Join(", ", lambdas.Select(Invariant.Number))}) by (lambda/2m)(||W1||^2 + ||W2||^2), m = {m}");
        var rises = new List<string>();
        for (int i = 1; i < lambdas.Length; i++) rises.Add(Invariant.Format($"{losses[i] - losses[0]:G3} at {lambdas[i]:G}"));
        string measured = Invariant.Format($"Rose by {string.Join(", ", rises)} (penalty {penalty:G3})");
        string advice = "";
        if (!passed)
        {
            advice = squares == 0
                ? "Every weight is zero, so the L2 penalty is zero at any lambda, and the loss cannot rise with it. Such a network cannot learn either: every hidden unit computes the same thing and gets the same gradient. Start from small random weights (a WeightScale such as 0.01, or none for Glorot's)."
                : !increasing
                ? Invariant.Format($"The weights are not zero (||W1||^2 + ||W2||^2 = {squares:G4}), but the loss does not rise with lambda: the loss leaves out the penalty (lambda/2m)(||W1||^2 + ||W2||^2).")
                : Invariant.Format($"The loss rises by {rise:G6}, but the penalty (lambda/2m)(||W1||^2 + ||W2||^2) is {penalty:G6}: the loss's L2 term is not the penalty of the derivation (check its factor 1/2m, and that the biases are left out).");
        }
        return Result(SanityCheck.RegularizationRaisesLoss, passed, expectedText, measured, advice,
            ("LossAtZero", losses[0]), ("Regularization", userLambda), ("LossAtRegularization", losses[Array.IndexOf(lambdas, userLambda)]),
            ("LargeRegularization", large), ("LossAtLargeRegularization", losses[^1]), ("Rise", rise), ("Penalty", penalty),
            ("WeightSquares", squares));
    }

    // ---- 3. DataGradient and RegularizationGradient ----

    private static SanityCheckResult DataGradient(Context x)
    {
        Mlp<double> net = x.Network(x.Settings.WeightScale).ToDouble();
        int m = x.Tiny.Count;
        BatchBuffers<double> batch = net.LoadBatch(x.Tiny);
        var analytic = new ParameterSet<double>(net.InputSize, net.HiddenSize, net.ClassCount);
        // The data term alone: lambda 0.
        FusedBackprop.Forward(net.Parameters, batch, m, 0.0, withGradientSeed: true, x.ClassWeights);
        FusedBackprop.Backward(net.Parameters, batch, m, 0.0, analytic);
        x.Faults.DataGradient?.Invoke(analytic);
        IReadOnlyList<GradientCheckResult> results = GradientChecker.Compare(net, batch, m, 0.0, analytic, GradientSampleCount,
            GradientChecker.DefaultStep, GradientChecker.DefaultThreshold, x.Seed, x.ClassWeights, floor: GradientFloor);

        string expectedText = Invariant.Format(
            $"Relative error <= {GradientChecker.DefaultThreshold:G} (float64, lambda 0, {Invariant.Plural(m, "sample")})");
        string advice = "";
        if (results.FirstOrDefault(r => !r.Passed) is { } bad)
            advice = Invariant.Format($"The analytic gradient of the data loss disagrees with centered differences at {Entry(bad)}: analytic {bad.Analytic:G8}, numerical {bad.Numerical:G8} (relative error {bad.MaxRelativeError:G3}). The backward pass does not differentiate the forward pass: compare each stage with its formula (dZ = (P - Y)/m, dW2 = A^T dZ, db2 = column sums of dZ, dA = dZ W2^T, dH = dA * 1[Hpre > 0], dW1 = X^T dH, db1 = column sums of dH).");
        return GradientResult(SanityCheck.DataGradient, results, expectedText, advice, ("Regularization", 0.0));
    }

    private static SanityCheckResult RegularizationGradient(Context x)
    {
        Mlp<double> net = x.Network(x.Settings.WeightScale).ToDouble();
        int m = x.Tiny.Count;
        // The lambda asked for, or 1 when it is 0 (the term is then unused, but still checked).
        double lambda = x.Settings.Training.Regularization > 0 ? x.Settings.Training.Regularization : 1.0;
        ParameterSet<double> w = net.Parameters;
        BatchBuffers<double> batch = net.LoadBatch(x.Tiny);
        var analytic = new ParameterSet<double>(w.D, w.H, w.C);
        // The L2 term alone, from the backward pass itself: with dZ = 0 every data term of the gradient is 0, and what
        // Backward leaves is its L2 term, dW = (lambda/m) W (db = 0). Taking it as g(lambda) - g(0) instead would
        // subtract two nearly equal gradients, and their rounding would swamp the term of any small weight.
        FusedBackprop.Forward(w, batch, m, lambda, withGradientSeed: true);
        Array.Clear(batch.dZ);
        FusedBackprop.Backward(w, batch, m, lambda, analytic);
        x.Faults.RegularizationGradient?.Invoke(analytic);

        // The penalty R = (lambda/2m) sum of the weights' squares: moving one weight w by +-h changes only its own
        // square, so R(w + h) - R(w - h) = (lambda/2m)((w + h)^2 - (w - h)^2) exactly; a bias is not in R.
        double h = GradientChecker.DefaultStep, threshold = GradientChecker.DefaultThreshold;
        var results = new List<GradientCheckResult>(4);
        for (int k = 0; k < 4; k++)
        {
            double[] values = w[k], grad = analytic[k];
            var (rows, cols) = w.Shape(k);
            double worst = 0, worstA = 0, worstN = 0;
            int worstIndex = -1;
            for (int e = 0; e < values.Length; e++)
            {
                double numerical = k % 2 == 0
                    ? lambda / (2.0 * m) * ((values[e] + h) * (values[e] + h) - (values[e] - h) * (values[e] - h)) / (2 * h)
                    : 0.0;
                double rel = Math.Abs(grad[e] - numerical) / Math.Max(Math.Abs(grad[e]) + Math.Abs(numerical), Floor);
                if (double.IsNaN(rel)) rel = double.PositiveInfinity;
                if (rel > worst || worstIndex < 0)
                {
                    (worst, worstA, worstN, worstIndex) = (rel, grad[e], numerical, e);
                }
            }
            results.Add(new GradientCheckResult(ParameterSet<double>.Names[k], GradientSource.Network, rows, cols, values.Length, worst,
                worstIndex % rows, worstIndex / rows, worstA, worstN, 0, threshold, worst <= threshold));
        }

        string expectedText = Invariant.Format(
            $"(lambda/m) W, 0 for biases: relative error <= {threshold:G} (lambda {lambda:G}, m = {m})");
        string advice = "";
        if (results.FirstOrDefault(r => !r.Passed) is { } bad)
            advice = Invariant.Format($"The gradient of the L2 term disagrees with the derivative of the penalty (lambda/2m)(||W1||^2 + ||W2||^2) at {Entry(bad)}: analytic {bad.Analytic:G8}, numerical {bad.Numerical:G8}. The term must be (lambda/m) W for each weight matrix (the 2 of the square cancels the 1/2 of the penalty) and 0 for the biases, which are not regularized.");
        return GradientResult(SanityCheck.RegularizationGradient, results, expectedText, advice, ("Regularization", lambda));
    }

    /// <summary>Every entry of a parameter up to this many; a larger parameter is checked at this many entries chosen by the seed.</summary>
    private const int GradientSampleCount = 20_000;

    private static string Entry(GradientCheckResult r) =>
        r.Columns == 1 && r.Parameter.StartsWith('b') ? Invariant.Format($"{r.Parameter}[{r.WorstRow}]") : Invariant.Format($"{r.Parameter}[{r.WorstRow},{r.WorstColumn}]");

    private static SanityCheckResult GradientResult(SanityCheck check, IReadOnlyList<GradientCheckResult> results, string expected, string advice,
        (string, double) extra)
    {
        string measured = string.Join(", ", results.Select(r => Invariant.Format($"{r.Parameter} {r.MaxRelativeError:G2}")));
        var numbers = results.Select(r => (r.Parameter, r.MaxRelativeError)).Append(("Threshold", GradientChecker.DefaultThreshold)).Append(extra).ToArray();
        return Result(check, results.All(r => r.Passed), expected, measured, advice, numbers);
    }

    // ---- 4. Overfit ----

    private static SanityCheckResult Overfit(Context x, Action<double, string> report, CancellationToken ct)
    {
        Mlp net = x.Network(x.Settings.WeightScale);
        bool zeroWeights = SumOfWeightSquares(net) == 0;
        Dataset tiny = x.Tiny;
        TrainingOptions o = x.Settings.Training.Clone();
        // The run: the optimizer and its settings as given, lambda 0, no schedule and no early stop, at most OverfitMaxEpochs.
        foreach (string name in new[] { nameof(o.LearningRateDecay), nameof(o.PlateauPatience), nameof(o.PlateauFactor), nameof(o.MinLearningRate),
                     nameof(o.Patience), nameof(o.MinDelta), nameof(o.Scaling) })
            o.Set(name, null);
        o.Epochs = OverfitMaxEpochs;
        o.Regularization = 0;
        o.Monitor = MonitorKind.Loss;
        o.Seed = x.Seed;

        // The tiny set as the network scores it after each epoch, at the weights it then holds (not yet the best ones
        // the trainer gives back at the end); a loss that overflows is NaN here, not an error.
        Func<Evaluation> score = net switch
        {
            Mlp<float> f => () => f.Score(tiny, checkScores: false),
            Mlp<double> d => () => d.Score(tiny, checkScores: false),
            _ => throw new ArgumentException($"Unsupported network type {net.GetType()}.", nameof(x)),
        };
        Evaluation first = score();
        double startLoss = first.Loss, lastLoss = startLoss, bestAccuracy = first.Accuracy;
        int? reachedAt = bestAccuracy == 1.0 ? 0 : null;
        int epochs = 0;
        bool diverged = false;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var callbacks = new TrainingCallbacks
        {
            EpochEnded = r =>
            {
                epochs = r.Epoch;
                Evaluation e = score();
                lastLoss = e.Loss;
                bestAccuracy = Math.Max(bestAccuracy, e.Accuracy);
                if (!double.IsFinite(e.Loss)) diverged = true;
                else if (e.Accuracy == 1.0) reachedAt = r.Epoch;
                if (diverged || reachedAt is not null) stop.Cancel();
                report((double)r.Epoch / OverfitMaxEpochs, Invariant.Format($"Overfit: epoch {r.Epoch}, training accuracy {Percent(e.Accuracy)}"));
            },
        };
        if (reachedAt is null)
        {
            try
            {
                Trainer.Train(net, tiny, o, validation: null, callbacks, state: null, stop.Token);
            }
            catch (MlpException ex) when (ex.ErrorId == "TrainingDiverged")
            {
                diverged = true;
            }
        }
        ct.ThrowIfCancellationRequested();

        bool passed = reachedAt is not null;
        double lr = o.EffectiveLearningRate;
        string expectedText = Invariant.Format(
            $"100% training accuracy on {Invariant.Plural(tiny.Count, "sample")} ({x.TinyDescription}) within {Invariant.Plural(OverfitMaxEpochs, "epoch")} (lambda 0)");
        string measured = reachedAt is { } at
            ? Invariant.Format($"100% after {Invariant.Plural(at, "epoch")}; loss {startLoss:G4} to {lastLoss:G4}")
            : diverged
            ? Invariant.Format($"Loss {lastLoss:G4} in epoch {epochs}; best {Percent(bestAccuracy)}")
            : Invariant.Format($"{Percent(bestAccuracy)} after {Invariant.Plural(epochs, "epoch")}; loss {startLoss:G4} to {lastLoss:G4}");
        string advice = "";
        if (!passed)
        {
            string now = o.Optimizer == OptimizerKind.Lbfgs ? "" : Invariant.Format($" (now {lr:G})");
            double lnC = Math.Log(x.Data.ClassCount);
            advice = diverged || lastLoss > startLoss
                ? Invariant.Format($"Training on {Invariant.Plural(tiny.Count, "sample")} {(diverged ? "diverged" : "made the loss rise")}: the LearningRate{now} is too large. Try one 10 times smaller.")
                : zeroWeights
                ? "Every weight starts at zero, so every hidden unit computes the same thing and gets the same gradient (here none at all): the network cannot fit even a few samples. Start from small random weights (a WeightScale such as 0.01, or none for Glorot's)."
                : lastLoss > 0.9 * startLoss
                ? Invariant.Format($"The loss hardly fell ({startLoss:G4} to {lastLoss:G4} in {Invariant.Plural(epochs, "epoch")}): the LearningRate{now} is far too small, or the gradient does not reach the weights (see the gradient checks). Try a LearningRate 10 times larger.")
                : lastLoss > lnC
                ? Invariant.Format($"The loss fell ({startLoss:G4} to {lastLoss:G4}) but is still above ln {x.Data.ClassCount} = {lnC:G4}, the loss of giving every class the same probability, after {Invariant.Plural(epochs, "epoch")}: training is unstable. The LearningRate{now} is likely too large (or the initial weights: see InitialLoss). Try one 10 times smaller.")
                : Invariant.Format($"The loss fell ({startLoss:G4} to {lastLoss:G4}), but only {Percent(bestAccuracy)} of the {Invariant.Plural(tiny.Count, "sample")} were fitted after {Invariant.Plural(epochs, "epoch")}: the network has too little capacity (HiddenSize {x.Settings.HiddenSize}) or learns too slowly. Use more hidden units, or a larger LearningRate{now}.");
        }
        return Result(SanityCheck.Overfit, passed, expectedText, measured, advice,
            ("Samples", tiny.Count), ("Epochs", reachedAt ?? epochs), ("MaxEpochs", OverfitMaxEpochs), ("Accuracy", bestAccuracy),
            ("StartLoss", startLoss), ("FinalLoss", lastLoss));
    }

    // ---- 5. UpdateRatio ----

    private static SanityCheckResult UpdateRatio(Context x, Action<double, string> report, CancellationToken ct)
    {
        TrainingOptions o = x.Settings.Training;
        double low = TargetUpdateRatio / UpdateRatioFactor, high = TargetUpdateRatio * UpdateRatioFactor;
        if (o.Optimizer == OptimizerKind.Lbfgs)
            return Result(SanityCheck.UpdateRatio, true,
                "Does not apply to Lbfgs (no learning rate: its line search chooses each step)", "Not measured", "");

        Mlp net = x.Network(x.Settings.WeightScale);
        bool zeroWeights = SumOfWeightSquares(net) == 0;
        Steps steps = net switch
        {
            Mlp<float> f => FirstSteps(f, x, report, ct),
            Mlp<double> d => FirstSteps(d, x, report, ct),
            _ => throw new ArgumentException($"Unsupported network type {net.GetType()}.", nameof(x)),
        };
        double lr = o.EffectiveLearningRate;
        double r1 = steps.W1, r2 = steps.W2;
        bool InRange(double r) => r >= low && r <= high;
        bool passed = steps.Taken == UpdateSteps && InRange(r1) && InRange(r2);
        bool sgd = o.Optimizer == OptimizerKind.Sgd;

        string expectedText = Invariant.Format(
            $"{(sgd ? "Learning rate x ||dW||" : "||update||")} / ||W|| of W1 and W2 from {low:G} to {high:G} (first {Invariant.Plural(UpdateSteps, "step")})");
        string withMomentum = sgd && o.Momentum > 0 && steps.Taken > 0
            ? Invariant.Format($" (updates with momentum {steps.UpdateW1:G2}, {steps.UpdateW2:G2})")
            : "";
        string measured = steps.Taken == 0
            ? Invariant.Format($"No step: the loss at the initial weights is {steps.LastLoss:G4}")
            : steps.Taken < UpdateSteps
            ? Invariant.Format($"W1 {r1:G2}, W2 {r2:G2} over {Invariant.Plural(steps.Taken, "step")}; then the loss became {steps.LastLoss:G4}")
            : Invariant.Format($"W1 {r1:G2}, W2 {r2:G2}{withMomentum}");
        string advice = "";
        if (!passed)
        {
            // The ratio grows in proportion to the learning rate (for every optimizer here), so the rate that would
            // give 1e-3 follows from the ratio farthest from it.
            double worst = Math.Abs(Math.Log(r1 / TargetUpdateRatio)) >= Math.Abs(Math.Log(r2 / TargetUpdateRatio)) ? r1 : r2;
            string name = worst == r1 ? "W1" : "W2";
            double suggested = lr * TargetUpdateRatio / worst;
            string suggest = double.IsFinite(suggested) && suggested > 0 ? Invariant.Format($" A LearningRate of about {suggested:G2} would bring it near {TargetUpdateRatio:G}.") : "";
            if (zeroWeights)
                advice = "Every weight starts at zero, so the ratio to ||W|| has no meaning, and the network cannot learn: start from small random weights (a WeightScale such as 0.01, or none for Glorot's).";
            else if (steps.Taken < UpdateSteps)
                advice = Invariant.Format($"The loss became {steps.LastLoss:G4} within the first {Invariant.Plural(UpdateSteps, "step")}: the LearningRate ({lr:G}) is far too large.{suggest}");
            else if (worst > high)
                advice = Invariant.Format($"The steps are too large for the weights: {name}'s ratio is {worst:G3}, above {high:G}. The LearningRate ({lr:G}) is too high: training would be unstable, or diverge.{suggest}");
            else
                advice = Invariant.Format($"The steps are too small for the weights: {name}'s ratio is {worst:G3}, below {low:G}. The LearningRate ({lr:G}) is too low: training would crawl.{suggest}");
        }
        return Result(SanityCheck.UpdateRatio, passed, expectedText, measured, advice,
            ("W1", r1), ("W2", r2), ("UpdateW1", steps.UpdateW1), ("UpdateW2", steps.UpdateW2), ("Steps", steps.Taken),
            ("LearningRate", lr), ("Target", TargetUpdateRatio));
    }

    /// <summary>
    /// The mean ratios of W1 and W2 over the steps taken (the learning rate's step for Sgd, the update for the others),
    /// the mean ratios of the updates themselves, how many steps were taken, and the loss of the last batch seen.
    /// </summary>
    private readonly record struct Steps(double W1, double W2, double UpdateW1, double UpdateW2, int Taken, double LastLoss);

    /// <summary>
    /// The first <see cref="UpdateSteps"/> steps of training from the initial weights, as the trainer takes them
    /// (shuffled mini-batches of the batch size, the loss with lambda and class weights, the backward pass, the
    /// optimizer's step), measuring the ratio of each step to the weights before it: for Adam and RmsProp, ||update|| /
    /// ||W||, the update being what the learning rate scales; for Sgd, learning rate x ||dW|| / ||W|| (CS231n's update
    /// = -learning_rate * dW), since momentum then carries up to 1 / (1 - momentum) such steps in each update. The
    /// updates themselves are measured too. Stops early when a batch's loss is not finite.
    /// </summary>
    private static Steps FirstSteps<T>(Mlp<T> net, Context x, Action<double, string> report, CancellationToken ct)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TrainingOptions o = x.Settings.Training;
        Dataset data = x.Data;
        int n = data.Count, size = Math.Min(o.BatchSize, n);
        ParameterSet<T> w = net.Parameters;
        var before = new ParameterSet<T>(w.D, w.H, w.C);
        var g = new ParameterSet<T>(w.D, w.H, w.C);
        var buffers = new BatchBuffers<T>(size, w.D, w.H, w.C);
        T[]? classWeights = x.ClassWeights?.Select(T.CreateTruncating).ToArray();
        Optimizer<T> optimizer = Optimizer<T>.For(o, w, current: null);
        double lr = o.EffectiveLearningRate;
        bool sgd = o.Optimizer == OptimizerKind.Sgd;
        var order = Enumerable.Range(0, n).ToArray();
        var random = Rng.Create(x.Seed);
        Rng.Shuffle(random, order);
        double step1 = 0, step2 = 0, update1 = 0, update2 = 0, last = double.NaN;
        int taken = 0, start = 0;
        for (int i = 0; i < UpdateSteps; i++)
        {
            ct.ThrowIfCancellationRequested();
            if (start + size > n)
            {
                Rng.Shuffle(random, order);
                start = 0;
            }
            net.Gather(data, order.AsSpan(start, size), buffers, withLabels: true);
            start += size;
            BatchLoss loss = FusedBackprop.Forward(w, buffers, size, o.Regularization, withGradientSeed: true, classWeights);
            last = loss.Total;
            if (!double.IsFinite(last)) break;
            FusedBackprop.Backward(w, buffers, size, o.Regularization, g);
            before.CopyFrom(w);
            optimizer.Step(w, g, lr);
            double norm1 = Norm(before.W1), norm2 = Norm(before.W2);
            double u1 = Distance(w.W1, before.W1) / norm1, u2 = Distance(w.W2, before.W2) / norm2;
            update1 += u1;
            update2 += u2;
            step1 += sgd ? lr * Norm(g.W1) / norm1 : u1;
            step2 += sgd ? lr * Norm(g.W2) / norm2 : u2;
            taken++;
            report((double)taken / UpdateSteps, Invariant.Format($"UpdateRatio: step {taken} of {UpdateSteps}"));
        }
        return taken == 0
            ? new Steps(double.NaN, double.NaN, double.NaN, double.NaN, 0, last)
            : new Steps(step1 / taken, step2 / taken, update1 / taken, update2 / taken, taken, last);
    }

    private static double Norm<T>(T[] a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        foreach (T v in a)
        {
            double d = double.CreateTruncating(v);
            s += d * d;
        }
        return Math.Sqrt(s);
    }

    private static double Distance<T>(T[] a, T[] b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = double.CreateTruncating(a[i]) - double.CreateTruncating(b[i]);
            s += d * d;
        }
        return Math.Sqrt(s);
    }

    // ---- shared ----

    /// <summary>"45%": a share as a percentage, without the space the invariant culture's P format puts before the sign.</summary>
    private static string Percent(double share) => Invariant.Format($"{share * 100:0.#}%");

    private static SanityCheckResult Result(SanityCheck check, bool passed, string expected, string measured, string advice,
        params (string Name, double Value)[] numbers)
    {
        var measurements = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in numbers) measurements[name] = value;
        return new SanityCheckResult(check, passed, expected, measured, passed ? "" : advice, measurements);
    }

    /// <summary>The loss of all of <paramref name="data"/> as one batch, in the network's precision.</summary>
    private static BatchLoss Loss(Mlp net, Dataset data, double lambda, double[]? classWeights) => net switch
    {
        Mlp<float> f => LossOf(f, data, lambda, classWeights),
        Mlp<double> d => LossOf(d, data, lambda, classWeights),
        _ => throw new ArgumentException($"Unsupported network type {net.GetType()}.", nameof(net)),
    };

    private static BatchLoss LossOf<T>(Mlp<T> net, Dataset data, double lambda, double[]? classWeights)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FusedBackprop.Forward(net.Parameters, net.LoadBatch(data), data.Count, lambda, withGradientSeed: false,
            classWeights?.Select(T.CreateTruncating).ToArray());

    /// <summary>||W1||^2 + ||W2||^2, summed here in double (not by the kernels the loss uses).</summary>
    private static double SumOfWeightSquares(Mlp net)
    {
        ParameterSet<double> p = net.ToDouble().Parameters;
        double s = 0;
        foreach (double v in p.W1) s += v * v;
        foreach (double v in p.W2) s += v * v;
        return s;
    }

    /// <summary>What every check shares: the data (checked once), the seed, the scaling, and the samples each check takes.</summary>
    private sealed class Context
    {
        public Context(Dataset data, SanitySettings settings, SanityFaults faults)
        {
            Settings = settings;
            Faults = faults;
            settings.Training.Validate();
            Seed = settings.Training.Seed ?? DefaultSeed;
            if (data.Count == 0) throw MlpException.InvalidData("EmptyDataset", $"The dataset '{data.Name}' has no samples; the checks need at least one.", data);
            // Made once here so that the sizes are checked before any check runs.
            Mlp probe = Mlp.Create(data.FeatureCount, settings.HiddenSize, data.ClassCount, settings.Precision, Seed, settings.WeightScale,
                data.ClassNames, data.FeatureNames);
            // Scaling is fitted once, to all the data, as training fits it; raw values the network cannot hold are named first.
            if (settings.Training.Scaling is { } kind)
            {
                probe.CheckValues(data, null);
                Preprocessor = Preprocessor.Fit(data, kind);
            }
            probe.Preprocessor = Preprocessor;
            Data = probe.Accept(data);
            ClassWeights = settings.Training.ClassWeights?.Resolve(probe.ClassNames, Data);
            Probe = Data.Count <= ProbeSampleCount ? Data : Data.Subset(ChooseRows(Data.Count, ProbeSampleCount, Seed));
            (Tiny, TinyDescription) = TinySet(Data, Seed);
        }

        public SanitySettings Settings { get; }
        public SanityFaults Faults { get; }
        public int Seed { get; }
        public Preprocessor? Preprocessor { get; }
        public Dataset Data { get; }
        public double[]? ClassWeights { get; }

        /// <summary>The samples InitialLoss and RegularizationRaisesLoss take the loss over.</summary>
        public Dataset Probe { get; }

        /// <summary>The tiny set: Overfit's, and the gradient checks' batch.</summary>
        public Dataset Tiny { get; }
        public string TinyDescription { get; }

        public string InitName => Settings.WeightScale is { } s ? Invariant.Format($"WeightScale {s:G}") : "Glorot";

        /// <summary>A new network as the settings make it, with weights of <paramref name="weightScale"/> (null: Glorot).</summary>
        public Mlp Network(double? weightScale)
        {
            Mlp net = Mlp.Create(Data.FeatureCount, Settings.HiddenSize, Data.ClassCount, Settings.Precision, Seed, weightScale,
                Data.ClassNames, Data.FeatureNames);
            net.Preprocessor = Preprocessor;
            net.LabelName = Data.LabelName;
            return net;
        }

        public double MeanClassWeight(Dataset data)
        {
            if (ClassWeights is null) return 1.0;
            double s = 0;
            foreach (int y in data.LabelSpan) s += ClassWeights[y];
            return s / data.Count;
        }

        public InputExtreme LargestInput() => Network(SmallWeightScale).CheckValues(Data, Preprocessor);

        /// <summary>
        /// <see cref="TinySampleCount"/> samples chosen by the seed and spread over the classes: one of each class in
        /// turn, then a second of each, and so on (a class with too few samples is passed over).
        /// </summary>
        private static (Dataset, string) TinySet(Dataset data, int seed)
        {
            ReadOnlySpan<int> labels = data.LabelSpan;
            Dataset tiny = data;
            if (data.Count > TinySampleCount)
            {
                var byClass = new List<int>[data.ClassCount];
                for (int k = 0; k < byClass.Length; k++) byClass[k] = new List<int>();
                var order = Enumerable.Range(0, data.Count).ToArray();
                Rng.Shuffle(Rng.Create(seed), order);
                foreach (int i in order) byClass[labels[i]].Add(i);
                var rows = new List<int>(TinySampleCount);
                for (int round = 0; rows.Count < TinySampleCount; round++)
                    foreach (List<int> members in byClass)
                        if (round < members.Count && rows.Count < TinySampleCount) rows.Add(members[round]);
                rows.Sort();
                tiny = data.Subset(rows, data.Name + " (tiny)");
            }
            var classes = new HashSet<int>();
            foreach (int y in tiny.LabelSpan) classes.Add(y);
            return (tiny, classes.Count == 1 ? "1 class" : Invariant.Format($"{classes.Count} classes"));
        }

        private static int[] ChooseRows(int count, int take, int seed)
        {
            var all = Enumerable.Range(0, count).ToArray();
            Rng.Shuffle(Rng.Create(seed), all);
            int[] chosen = all.AsSpan(0, take).ToArray();
            Array.Sort(chosen);
            return chosen;
        }
    }
}

/// <summary>
/// Faults planted in what the sanity checks measure, so that tests can see each check fail: a wrong analytic gradient
/// (of the data term, or of the L2 term), or a wrong penalty in the loss. (The other checks fail on settings alone.) None is planted by default.
/// </summary>
internal sealed class SanityFaults
{
    /// <summary>Changes the analytic gradient of the data loss before DataGradient compares it.</summary>
    public Action<ParameterSet<double>>? DataGradient { get; init; }

    /// <summary>Changes the analytic gradient of the L2 term before RegularizationGradient compares it.</summary>
    public Action<ParameterSet<double>>? RegularizationGradient { get; init; }

    /// <summary>Changes the rise of the loss RegularizationRaisesLoss measured.</summary>
    public Func<double, double> Penalty { get; init; } = v => v;
}
