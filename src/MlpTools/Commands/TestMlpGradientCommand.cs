using System.Globalization;
using System.Management.Automation;
using MlpTools.Core.Inspection;

using MlpTools.Core;

namespace MlpTools.Commands;

/// <summary>
/// Checks analytic gradients (the network's own, or ones given with -Gradient) against centered differences in
/// float64: one result per parameter, and a warning for every parameter that fails. Each result's Source says whose
/// gradient it checked: the network's (Network) or the one given with -Gradient (Given).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "MlpGradient", DefaultParameterSetName = NetworkSet)]
[OutputType(typeof(GradientCheckResult))]
public sealed class TestMlpGradientCommand : GradientCmdlet
{
    /// <summary>Check this many random entries of each parameter instead of all of them.</summary>
    [Parameter]
    public int? SampleCount { get; set; }

    /// <summary>h, the finite-difference step.</summary>
    [Parameter]
    public double Step { get; set; } = GradientChecker.DefaultStep;

    /// <summary>The largest relative error that passes.</summary>
    [Parameter]
    public double Threshold { get; set; } = GradientChecker.DefaultThreshold;

    /// <summary>The seed for choosing entries with -SampleCount.</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Gradients to check in place of the network's own: a hashtable or a Get-MlpGradient result.</summary>
    [Parameter]
    public object? Gradient { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        Dictionary<string, double[,]>? analytic = null;
        if (Gradient is not null)
        {
            analytic = NumericInput.ReadParameters(Gradient, "-Gradient", requireAll: false, gradients: true)
                .ToDictionary(kv => kv.Key, kv => NumericInput.ToArray2D(kv.Value), StringComparer.Ordinal);
        }
        IReadOnlyList<GradientCheckResult> results =
            GradientChecker.Check(Network, ResolveBatch(), Regularization, SampleCount, Step, Threshold, Seed, analytic);
        foreach (GradientCheckResult r in results)
        {
            if (!r.Passed) WriteWarning(Describe(r));
            WriteObject(r);
        }
    }

    private static string Describe(GradientCheckResult r)
    {
        string entry = r.Columns == 1 && r.Parameter.StartsWith('b')
            ? Invariant.Format($"{r.Parameter}[{r.WorstRow}]")
            : Invariant.Format($"{r.Parameter}[{r.WorstRow},{r.WorstColumn}]");
        if (r.EntriesChecked == 0)
            return $"{r.Parameter} was not checked: no entry could be compared. Check a different batch or -SampleCount.";
        return Invariant.Format($"{r.Parameter} FAILED the gradient check: relative error {r.MaxRelativeError:G3} at {entry} exceeds the threshold {r.Threshold:G3}; {(r.Source == GradientSource.Given ? "given" : "analytic")} {r.Analytic:G8}, numerical {r.Numerical:G8}.");
    }
}
