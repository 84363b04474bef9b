using System.Globalization;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Core.Inspection;

/// <summary>How one parameter's analytic gradient compares with centered finite differences.</summary>
/// <param name="Parameter">W1, b1, W2 or b2.</param>
/// <param name="Rows">The parameter's rows (a vector's length).</param>
/// <param name="Columns">The parameter's columns (1 for a vector).</param>
/// <param name="EntriesChecked">How many entries were compared.</param>
/// <param name="MaxRelativeError">The largest |a - n| / max(|a| + |n|, 1e-300) over the entries compared.</param>
/// <param name="WorstRow">Row of the entry with the largest error.</param>
/// <param name="WorstColumn">Column of that entry (0 for a vector).</param>
/// <param name="Analytic">The analytic gradient at that entry.</param>
/// <param name="Numerical">The numerical gradient at that entry.</param>
/// <param name="KinksSkipped">
/// Entries left out because moving them by the step would carry some Hpre across the ReLU's kink at zero,
/// where the loss has no derivative and a finite difference means nothing.
/// </param>
/// <param name="Threshold">The largest relative error that passes.</param>
/// <param name="Passed">MaxRelativeError &lt;= Threshold.</param>
public sealed record GradientCheckResult(
    string Parameter, int Rows, int Columns, int EntriesChecked, double MaxRelativeError,
    int WorstRow, int WorstColumn, double Analytic, double Numerical, int KinksSkipped, double Threshold, bool Passed);

/// <summary>
/// Checks analytic gradients against centered differences, (L(w + h) - L(w - h)) / 2h, always in double
/// precision. The loss differentiated is the one the network trains on, through the same forward pass.
/// </summary>
public static class GradientChecker
{
    /// <summary>The default finite-difference step h.</summary>
    public const double DefaultStep = 1e-5;

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
    public static IReadOnlyList<GradientCheckResult> Check(Mlp network, Dataset data, double regularization,
        int? sampleCount = null, double step = DefaultStep, double threshold = DefaultThreshold, int? seed = null,
        IReadOnlyDictionary<string, double[,]>? analytic = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (sampleCount is { } s && s <= 0)
            throw MlpException.Argument("InvalidSampleCount", $"SampleCount must be a positive whole number, but it is {s}.", s);
        if (!double.IsFinite(step) || step <= 0)
            throw MlpException.Argument("InvalidStep", $"Step must be a finite number > 0, but it is {step.ToString(CultureInfo.InvariantCulture)}.", step);
        if (!double.IsFinite(threshold) || threshold <= 0)
            throw MlpException.Argument("InvalidThreshold", $"Threshold must be a finite number > 0, but it is {threshold.ToString(CultureInfo.InvariantCulture)}.", threshold);

        Mlp<double> net = network.ToDouble();
        var report = (GradientReport<double>)net.ComputeGradient(data, regularization, trace: false);
        ParameterSet<double> g = report.Gradients;
        if (analytic is not null) ApplyOverrides(g, analytic);
        return Compare(net, net.LoadBatch(data), data.Count, regularization, g, sampleCount, step, threshold, seed);
    }

    /// <summary>Compares <paramref name="analytic"/> with centered differences of the loss of the batch in <paramref name="batch"/>.</summary>
    internal static IReadOnlyList<GradientCheckResult> Compare(Mlp<double> net, BatchBuffers<double> batch, int m, double lambda,
        ParameterSet<double> analytic, int? sampleCount, double step, double threshold, int? seed)
    {
        ParameterSet<double> w = net.Parameters;
        var random = Rng.Create(seed ?? 0);
        // The unperturbed pre-activations, to tell which steps would cross the ReLU's kink.
        Backprop.Forward(w, batch, m, lambda, withGradientSeed: false);
        double[] hpre = (double[])batch.Hpre.Clone();

        var results = new List<GradientCheckResult>(4);
        for (int k = 0; k < 4; k++)
        {
            double[] values = w[k], grad = analytic[k];
            var (rows, cols) = w.Shape(k);
            int[] entries = ChooseEntries(values.Length, sampleCount, random);
            double worst = 0, worstA = 0, worstN = 0;
            int worstIndex = -1, checkedCount = 0, kinks = 0;
            foreach (int e in entries)
            {
                if (CrossesKink(k, e, w, batch.X, hpre, m, step))
                {
                    kinks++;
                    continue;
                }
                double original = values[e];
                double plus = original + step, minus = original - step;
                values[e] = plus;
                double lossPlus = Backprop.Forward(w, batch, m, lambda, withGradientSeed: false).Total;
                values[e] = minus;
                double lossMinus = Backprop.Forward(w, batch, m, lambda, withGradientSeed: false).Total;
                values[e] = original;
                double numerical = (lossPlus - lossMinus) / (plus - minus);
                double a = grad[e];
                double rel = Math.Abs(a - numerical) / Math.Max(Math.Abs(a) + Math.Abs(numerical), Floor);
                if (double.IsNaN(rel)) rel = double.PositiveInfinity;
                checkedCount++;
                if (rel > worst || worstIndex < 0)
                {
                    worst = rel;
                    worstA = a;
                    worstN = numerical;
                    worstIndex = e;
                }
            }
            // Storage is column-major: entry e is (row e % rows, column e / rows).
            int wr = worstIndex < 0 ? 0 : worstIndex % rows, wc = worstIndex < 0 ? 0 : worstIndex / rows;
            results.Add(new GradientCheckResult(ParameterSet<double>.Names[k], rows, cols, checkedCount, worst, wr, wc, worstA, worstN,
                kinks, threshold, checkedCount > 0 && worst <= threshold));
        }
        return results;
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
    /// True when moving entry <paramref name="e"/> of parameter <paramref name="k"/> by +-h changes the sign of some
    /// Hpre: W1[d,j] moves Hpre[:,j] by h X[:,d], b1[j] moves it by h; W2 and b2 do not touch Hpre.
    /// </summary>
    private static bool CrossesKink(int k, int e, ParameterSet<double> w, double[] x, double[] hpre, int m, double h)
    {
        if (k >= 2) return false;
        int d = w.D, hidden = w.H;
        int j = k == 0 ? e / d : e, input = k == 0 ? e % d : -1;
        for (int i = 0; i < m; i++)
        {
            double shift = k == 0 ? h * x[i * d + input] : h;
            double z = hpre[i * hidden + j];
            if ((z + shift > 0) != (z - shift > 0)) return true;
        }
        return false;
    }

    private static void ApplyOverrides(ParameterSet<double> g, IReadOnlyDictionary<string, double[,]> analytic)
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
        }
    }
}
