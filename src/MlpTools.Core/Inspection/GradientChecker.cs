using System.Globalization;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Core.Inspection;

/// <summary>Where the gradient a check compares came from.</summary>
public enum GradientSource
{
    /// <summary>The network's own: backpropagation's analytic gradient.</summary>
    Network,
    /// <summary>Given by the caller in its place (Test-MlpGradient -Gradient): for example one derived by hand.</summary>
    Given,
}

/// <summary>How one parameter's gradient (the network's analytic one, or one given) compares with centered finite differences.</summary>
/// <param name="Parameter">W1, b1, W2 or b2.</param>
/// <param name="Source">Whose gradient was checked: the network's (Network) or one given in its place (Given).</param>
/// <param name="Rows">The parameter's rows (a vector's length).</param>
/// <param name="Columns">The parameter's columns (1 for a vector).</param>
/// <param name="EntriesChecked">How many entries were compared.</param>
/// <param name="MaxRelativeError">The largest |a - n| / max(|a| + |n|, 1e-300) over the entries compared.</param>
/// <param name="WorstRow">Row of the entry with the largest error.</param>
/// <param name="WorstColumn">Column of that entry (0 for a vector).</param>
/// <param name="Analytic">The gradient checked (see <paramref name="Source"/>) at that entry.</param>
/// <param name="Numerical">The numerical gradient at that entry.</param>
/// <param name="ReducedSteps">
/// Entries checked with a step shorter than the one asked for, because that step would have carried some Hpre
/// across the ReLU's kink at zero (where a finite difference measures no derivative).
/// </param>
/// <param name="Threshold">The largest relative error that passes.</param>
/// <param name="Passed">MaxRelativeError &lt;= Threshold.</param>
public sealed record GradientCheckResult(
    string Parameter, GradientSource Source, int Rows, int Columns, int EntriesChecked, double MaxRelativeError,
    int WorstRow, int WorstColumn, double Analytic, double Numerical, int ReducedSteps, double Threshold, bool Passed);

/// <summary>
/// Checks analytic gradients against centered differences, (L(w + h) - L(w - h)) / 2h, always in double
/// precision. The loss differentiated is the one the network trains on, through the same forward pass.
/// </summary>
public static class GradientChecker
{
    /// <summary>The default finite-difference step h.</summary>
    public const double DefaultStep = 1e-6;

    /// <summary>The default largest relative error that passes.</summary>
    public const double DefaultThreshold = 1e-7;

    private const double Floor = 1e-300;

    /// <summary>
    /// Checks the network's own analytic gradient (or <paramref name="analytic"/>, when given: for example gradients
    /// a learner derived by hand) on every sample of <paramref name="data"/> taken as one batch.
    /// </summary>
    /// <param name="network">The network; a single-precision one is checked through an exact double copy.</param>
    /// <param name="data">The batch the loss is taken over.</param>
    /// <param name="regularization">lambda.</param>
    /// <param name="sampleCount">Check this many random entries per parameter; null checks all.</param>
    /// <param name="step">h, the finite-difference step.</param>
    /// <param name="threshold">The largest relative error that passes.</param>
    /// <param name="seed">Seed for choosing entries when <paramref name="sampleCount"/> is given.</param>
    /// <param name="analytic">Gradients to check in place of the network's own, by parameter name; missing names use the network's.</param>
    /// <param name="classWeights">Optional per-class weights in the loss (length C).</param>
    public static IReadOnlyList<GradientCheckResult> Check(Mlp network, Dataset data, double regularization,
        int? sampleCount = null, double step = DefaultStep, double threshold = DefaultThreshold, int? seed = null,
        IReadOnlyDictionary<string, double[,]>? analytic = null, IReadOnlyList<double>? classWeights = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (sampleCount is { } s && s <= 0)
            throw MlpException.Argument("InvalidSampleCount", $"SampleCount must be a positive whole number, but it is {s}.", s);
        if (!double.IsFinite(step) || step <= 0)
            throw MlpException.Argument("InvalidStep", $"Step must be a finite number > 0, but it is {step.ToString(CultureInfo.InvariantCulture)}.", step);
        if (!double.IsFinite(threshold) || threshold <= 0)
            throw MlpException.Argument("InvalidThreshold", $"Threshold must be a finite number > 0, but it is {threshold.ToString(CultureInfo.InvariantCulture)}.", threshold);

        // The data and lambda must suit the network as it is (its precision), though the check itself runs in float64.
        data = network.Accept(data);
        network.CheckRegularization(regularization, Math.Max(data.Count, 1));
        Mlp<double> net = network.ToDouble();
        var report = (GradientReport<double>)net.ComputeGradient(data, regularization, trace: false, classWeights);
        ParameterSet<double> g = report.Gradients;
        var sources = new GradientSource[4];
        if (analytic is not null) ApplyOverrides(g, analytic, sources);
        return Compare(net, net.LoadBatch(data), data.Count, regularization, g, sampleCount, step, threshold, seed, net.ClassWeightArray(classWeights), sources);
    }

    /// <summary>
    /// Compares <paramref name="analytic"/> with the centered difference (L(w + h) - L(w - h)) / 2h of the loss of the
    /// batch in <paramref name="batch"/>, entry by entry.
    /// </summary>
    /// <remarks>
    /// Subtracting two losses computed separately in float64 leaves rounding noise of about 1e-16 L / h in the
    /// quotient (about 1e-11 at h = 1e-5): enough to fail a 1e-7 check on any gradient entry smaller than 1e-4.
    /// So the difference is formed without that cancellation. On one side of the ReLU kink (the step is shortened
    /// where it would cross it; see SafeStep) the scores move exactly linearly with one parameter: Z(w +- h) = Z(w) +- delta, where
    ///   W2[j,c]: delta[:,c] = h A[:,j]            b2[c]: delta[:,c] = h
    ///   W1[d,j]: delta[i,:] = h X[i,d] 1[Hpre[i,j] &gt; 0] W2[j,:]     b1[j]: delta[i,:] = h 1[Hpre[i,j] &gt; 0] W2[j,:]
    /// (these are the forward pass's own definitions of Hpre, A and Z, evaluated at w +- h; nothing of the backward
    /// pass is used). Each row's loss difference, log-sum-exp(z + delta) - log-sum-exp(z - delta) - 2 delta_y, is then
    /// log1p(sum_k q_k expm1(2 delta_k)) - 2 delta_y with q = softmax(z - delta), and the L2 term's difference is
    /// (lambda / 2m)((w + h)^2 - (w - h)^2) = (lambda / 2m)(2w)(2h). The quotient is the exact centered difference,
    /// computed to about float64 precision.
    /// The relative error's denominator, |a| + |n|, is taken as at least <paramref name="floor"/>: by default 1e-300, so
    /// the error is purely relative; a larger floor lets gradients that are both about 0 differ by rounding alone.
    /// </remarks>
    internal static IReadOnlyList<GradientCheckResult> Compare(Mlp<double> net, BatchBuffers<double> batch, int m, double lambda,
        ParameterSet<double> analytic, int? sampleCount, double step, double threshold, int? seed, double[]? classWeights = null,
        GradientSource[]? sources = null, double floor = Floor)
    {
        ParameterSet<double> w = net.Parameters;
        int d = w.D, hidden = w.H, c = w.C;
        var random = Rng.Create(seed ?? 0);
        // The unperturbed forward pass: Hpre, A and Z at w.
        FusedBackprop.Forward(w, batch, m, lambda, withGradientSeed: false);
        double[] x = batch.X, hpre = batch.Hpre, a = batch.A, z = batch.Z, w2 = w.W2;
        var delta = new double[c];
        var shifted = new double[c];

        var results = new List<GradientCheckResult>(4);
        for (int k = 0; k < 4; k++)
        {
            double[] values = w[k], grad = analytic[k];
            var (rows, cols) = w.Shape(k);
            int[] entries = ChooseEntries(values.Length, sampleCount, random);
            double worst = 0, worstA = 0, worstN = 0;
            int worstIndex = -1, checkedCount = 0, reduced = 0;
            foreach (int e in entries)
            {
                double h = SafeStep(k, e, w, x, hpre, m, step);
                if (h < step) reduced++;
                // Parameter storage is column-major (see ParameterSet): W1 entry e is (input e % D, unit e / D),
                // W2 entry e is (unit e % H, class e / H).
                double lossDifference = 0;
                for (int i = 0; i < m; i++)
                {
                    Array.Clear(delta);
                    switch (k)
                    {
                        case 0: // W1[input, unit]
                        case 1: // b1[unit]
                            int unit = k == 0 ? e / d : e;
                            if (hpre[i * hidden + unit] > 0)
                            {
                                double move = k == 0 ? h * x[i * d + e % d] : h;
                                for (int j = 0; j < c; j++) delta[j] = move * w2[j * hidden + unit];
                            }
                            break;
                        case 2: // W2[unit, class]
                            delta[e / hidden] = h * a[i * hidden + e % hidden];
                            break;
                        default: // b2[class]
                            delta[e] = h;
                            break;
                    }
                    double rowDifference = RowLossDifference(z.AsSpan(i * c, c), delta, shifted, batch.Labels[i]);
                    lossDifference += classWeights is null ? rowDifference : classWeights[batch.Labels[i]] * rowDifference;
                }
                lossDifference /= m;
                if (k == 0 || k == 2)
                    lossDifference += lambda / (2.0 * m) * (2 * values[e]) * (2 * h);
                double numerical = lossDifference / (2 * h);
                double an = grad[e];
                double rel = Math.Abs(an - numerical) / Math.Max(Math.Abs(an) + Math.Abs(numerical), floor);
                if (double.IsNaN(rel)) rel = double.PositiveInfinity;
                checkedCount++;
                if (rel > worst || worstIndex < 0)
                {
                    worst = rel;
                    worstA = an;
                    worstN = numerical;
                    worstIndex = e;
                }
            }
            int wr = worstIndex < 0 ? 0 : worstIndex % rows, wc = worstIndex < 0 ? 0 : worstIndex / rows;
            results.Add(new GradientCheckResult(ParameterSet<double>.Names[k], sources?[k] ?? GradientSource.Network, rows, cols, checkedCount, worst, wr, wc, worstA, worstN,
                reduced, threshold, checkedCount > 0 && worst <= threshold));
        }
        return results;
    }

    /// <summary>
    /// l(z + delta) - l(z - delta) for one row, where l(s) = log-sum-exp(s) - s_y, without cancellation:
    /// log1p(sum_k q_k expm1(2 delta_k)) - 2 delta_y, with q = softmax(z - delta).
    /// </summary>
    private static double RowLossDifference(ReadOnlySpan<double> z, double[] delta, double[] q, int y)
    {
        int c = z.Length;
        double max = double.NegativeInfinity;
        for (int j = 0; j < c; j++)
        {
            q[j] = z[j] - delta[j];
            if (q[j] > max) max = q[j];
        }
        double sum = 0;
        for (int j = 0; j < c; j++)
        {
            q[j] = Math.Exp(q[j] - max);
            sum += q[j];
        }
        double s = 0;
        for (int j = 0; j < c; j++) s += q[j] / sum * ExpM1(2 * delta[j]);
        return LogP1(s) - 2 * delta[y];
    }

    // .NET's double.ExpM1 and double.LogP1 are computed as Exp(x) - 1 and Log(x + 1), which lose every digit
    // below 1e-16 / |x|. These are Kahan's accurate forms (a few ulps for all x).

    /// <summary>e^x - 1, accurate for small |x|.</summary>
    internal static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        return um1 * x / Math.Log(u);
    }

    /// <summary>log(1 + x), accurate for small |x|.</summary>
    internal static double LogP1(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        return Math.Log(u) * x / (u - 1.0);
    }

    private static int[] ChooseEntries(int length, int? sampleCount, Random random)
    {
        var all = Enumerable.Range(0, length).ToArray();
        if (sampleCount is not { } s || s >= length) return all;
        Rng.Shuffle(random, all);
        var chosen = all.AsSpan(0, s).ToArray();
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>
    /// The step to use for entry <paramref name="e"/> of parameter <paramref name="k"/>: <paramref name="step"/>, or
    /// less when moving by it would carry some Hpre across the ReLU's kink at zero (W1[d,j] moves Hpre[:,j] by
    /// h X[:,d], b1[j] by h; W2 and b2 do not touch Hpre). Then it is half the distance to the nearest kink, so the
    /// centered difference stays on one linear piece and measures the derivative there. A shorter step costs no
    /// accuracy here, since the difference is formed without cancellation.
    /// </summary>
    private static double SafeStep(int k, int e, ParameterSet<double> w, double[] x, double[] hpre, int m, double step)
    {
        if (k >= 2) return step;
        int d = w.D, hidden = w.H;
        int j = k == 0 ? e / d : e, input = k == 0 ? e % d : -1;
        double h = step;
        for (int i = 0; i < m; i++)
        {
            double rate = k == 0 ? Math.Abs(x[i * d + input]) : 1.0;
            double z = Math.Abs(hpre[i * hidden + j]);
            // z == 0: the sample sits on the kink itself, where the loss has no derivative; both gradients then use
            // the contract's convention (ReLU slope 0 at Hpre = 0), so it needs no shorter step.
            if (z > 0 && rate > 0 && z <= h * rate) h = 0.5 * z / rate;
        }
        return h;
    }

    private static void ApplyOverrides(ParameterSet<double> g, IReadOnlyDictionary<string, double[,]> analytic, GradientSource[] sources)
    {
        foreach (var (name, value) in analytic)
        {
            int k = -1;
            for (int i = 0; i < 4; i++)
                if (string.Equals(ParameterSet<double>.Names[i], name, StringComparison.OrdinalIgnoreCase)) k = i;
            if (k < 0)
                throw MlpException.Argument("UnknownParameter", $"There is no parameter named '{name}'; the parameters are W1, b1, W2 and b2.", name);
            var (rows, cols) = g.Shape(k);
            int vr = value.GetLength(0), vc = value.GetLength(1);
            if (vr != rows || vc != cols)
                throw MlpException.Argument("GradientShapeMismatch",
                    $"The gradient given for {ParameterSet<double>.Names[k]} is {vr}x{vc}, but {ParameterSet<double>.Names[k]} is {rows}x{cols}.", name);
            double[] target = g[k];
            for (int c = 0; c < cols; c++)
                for (int r = 0; r < rows; r++) target[c * rows + r] = value[r, c];
            sources[k] = GradientSource.Given;
        }
    }
}
