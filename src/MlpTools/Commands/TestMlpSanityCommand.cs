using System.Collections;
using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Training;

namespace MlpTools.Commands;

/// <summary>
/// CS231n's sanity checklist on a dataset and the settings that would make and train a network for it:
/// <c>Import-Dataset -Name Digits | Test-MlpSanity</c>. One result per check, written as the check ends; a warning
/// with the advice for every check that fails.
/// </summary>
/// <remarks>
/// It takes the settings, not a network: the checks are about a network as those settings make it (its initial
/// weights, its first steps), which a network already trained no longer shows. The training settings go to
/// <see cref="TrainingOptions.FromSettings"/> by name, as Invoke-Training's do; <see cref="SanityChecker"/> does the rest.
/// </remarks>
[Cmdlet(VerbsDiagnostic.Test, "MlpSanity")]
[OutputType(typeof(SanityCheckResult))]
public sealed class TestMlpSanityCommand : TrainingSettingsCmdlet
{
    /// <summary>The settings the checks' advice may name, which are also this command's parameters.</summary>
    private static readonly string[] AdviceSettings =
        TrainingOptions.Settings.Select(s => s.Name).Concat(new[] { nameof(HiddenSize), nameof(WeightScale), nameof(Precision) }).ToArray();

    private const int ProgressActivityId = 3;

    /// <summary>The data the network would be made for and trained on.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowNull]
    [InputOf(typeof(Dataset), nameof(Dataset))]
    public Dataset Dataset { get; set; } = null!;

    /// <summary>H, the number of hidden units.</summary>
    [Parameter]
    public int HiddenSize { get; set; } = 64;

    /// <summary>Single (the default) or Double: the precision the network computes in.</summary>
    [Parameter]
    public Precision Precision { get; set; } = Precision.Single;

    /// <summary>The initial weights' scale, N(0, WeightScale^2); without it, Glorot's uniform initialization (as New-Mlp).</summary>
    [Parameter]
    public double? WeightScale { get; set; }














    /// <summary>The checks to run; all by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public SanityCheck[]? Check { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        var settings = new SanitySettings
        {
            HiddenSize = HiddenSize,
            Precision = Precision,
            WeightScale = WeightScale,
            Training = TrainingOptionsFromParameters(),
            Checks = Check,
        };
        var bar = new ProgressWriter(record => WriteWhileWorking(() => WriteProgress(record)), ProgressActivityId,
            $"Checking the sanity of a {Dataset.FeatureCount}-{HiddenSize}-{Dataset.ClassCount} network on '{Dataset.Name}'");
        try
        {
            foreach (SanityCheckResult result in SanityChecker.Run(Dataset, settings,
                         p => bar.Report(p.Done, Invariant.Format($"Check {p.Number} of {p.Count}: {p.Status}")), CancellationToken))
            {
                // The advice names settings as the engine does; here they are this command's parameters.
                SanityCheckResult shown = result with { Advice = ErrorHints.AsParameters(result.Advice, AdviceSettings) };
                if (!shown.Passed) WriteWarning($"{shown.Check} failed: {shown.Advice}");
                WriteObject(shown);
            }
        }
        finally
        {
            bar.Complete();
        }
    }
}
