using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Sweeps;

namespace MlpTools.Commands;

/// <summary>Which trained networks a sweep keeps.</summary>
public enum SweepKeep
{
    /// <summary>Only the best trial's network, attached to its result when the sweep ends.</summary>
    Best,

    /// <summary>Every completed trial's network, on its result.</summary>
    All,

    /// <summary>No network (scores only).</summary>
    None,
}

/// <summary>
/// Trains many networks, one per trial of a search space (a grid, or a random search), scores each on validation data or
/// by cross-validation, and writes one result per trial as it finishes, with the trial's settings as properties; the
/// best trial is marked when the sweep ends. Trials run side by side in this process (-ThrottleLimit) or in remote
/// sessions (-Session).
/// </summary>
/// <remarks>
/// Each trial is exactly <c>New-Mlp -HiddenSize h -Seed s | Invoke-Training -Seed s ...</c> with its settings on the
/// sweep's training part, s being its own seed (from -Seed and its number): its result is the same bits whatever the
/// throttle, the order trials finish in, or the machine that ran it. Trials in this process run on the cmdlet's own
/// worker threads (a trial is engine work and runs no script, so a runspace per trial would add its cost and nothing
/// else), and share the cores through the kernels' thread shares: two trials on two cores get one each; the last one
/// running gets both.
/// </remarks>
[Cmdlet(VerbsLifecycle.Invoke, "MlpSweep", DefaultParameterSetName = HoldoutSet)]
[OutputType("MlpTools.SweepResult")]
public sealed class InvokeMlpSweepCommand : MlpCmdlet
{
    private const string HoldoutSet = "Validation";
    private const string FoldsSet = "Folds";
    private const int ProgressActivityId = 3;

    /// <summary>The most trials a grid may expand to.</summary>
    private const long MaxTrials = 100_000;

    private SweepRunner? _runner;

    /// <summary>The data to train and score on (with -ValidationFraction or -Folds, split by the sweep).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [InputOf(typeof(Dataset), nameof(Dataset))]
    public Dataset Dataset { get; set; } = null!;

    /// <summary>
    /// The settings to try: a table of setting name to a list of values (a grid), one value, or a range for random search
    /// (@{ LogUniform = 1e-4, 1e-1 }, @{ Uniform = a, b }, @{ Integer = a, b }, @{ LogInteger = a, b }); or a list of such
    /// tables, tried in turn.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    public object SearchSpace { get; set; } = null!;

    /// <summary>Random search: draw this many trials from the search space (without it, every combination of the grid).</summary>
    [Parameter]
    [ValidateRange(1, (int)MaxTrials)]
    public int? TrialCount { get; set; }

    /// <summary>Score each trial on this data (the whole -Dataset trains).</summary>
    [Parameter(ParameterSetName = HoldoutSet)]
    [InputOf(typeof(Dataset), nameof(ValidationDataset), NullAllowed = true)]
    public Dataset? ValidationDataset { get; set; }

    /// <summary>Score each trial on this fraction of -Dataset, held out once for all trials (stratified, seeded with -Seed). Default 0.2.</summary>
    [Parameter(ParameterSetName = HoldoutSet)]
    public double? ValidationFraction { get; set; }

    /// <summary>Score each trial by stratified k-fold cross-validation: the mean validation accuracy of k networks, each trained on the other folds.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FoldsSet)]
    public int Folds { get; set; }

    /// <summary>Which networks to keep: Best (default; attached to the best result at the end), All, or None.</summary>
    [Parameter]
    public SweepKeep KeepNetwork { get; set; } = SweepKeep.Best;

    /// <summary>The sweep's seed: it fixes the validation split or folds, the random draws, and every trial's own seed. Without it one is drawn (and shown on the results).</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Trials at once in this process (default: one per core). Ignored with -Session, where each session runs one trial at a time.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    /// <summary>Run the trials in these sessions (New-PSSession; SSH or WinRM) instead of this process, one trial at a time in each.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        int seed = Seed ?? Random.Shared.Next();
        SweepScoring scoring = SweepSession.MakeScoring(Dataset, ValidationDataset, ValidationFraction, ParameterSetName == FoldsSet ? Folds : null, seed);
        SearchSpace space = Core.Sweeps.SearchSpace.Parse(NumericInput.Plain(SearchSpace));
        IReadOnlyList<TrialSettings> trials = TrialCount is { } count ? space.Sample(count, seed) : space.Expand(MaxTrials);
        for (int i = 0; i < trials.Count; i++) CheckTrial(trials[i], i + 1);

        var plan = new SweepPlan(Dataset, trials, seed, scoring, KeepNetwork, ValidationFraction, ParameterSetName == FoldsSet ? Folds : null, ValidationDataset);
        WriteVerbose(Describe(plan, space));
        using var runner = new SweepRunner(plan, this, Session, ThrottleLimit, CancellationToken);
        _runner = runner;
        var progress = new ProgressWriter(record => WriteWhileWorking(() => WriteProgress(record)), ProgressActivityId,
            $"Sweep of {Invariant.Plural(trials.Count, "trial")} on '{Dataset.Name}'");
        try
        {
            runner.Run(result =>
            {
                WriteWhileWorking(() =>
                {
                    WriteVerbose(SweepResults.Describe(result));
                    WriteObject(result);
                });
                if (progress.Due) progress.Report((double)runner.Finished / trials.Count, runner.Status());
            }, (warning, text) => WriteWhileWorking(() =>
            {
                if (warning) WriteWarning(text);
                else WriteVerbose(text);
            }));
        }
        finally
        {
            progress.Complete();
            _runner = null;
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing()
    {
        base.StopProcessing();
        _runner?.Stop();
    }

    private static void CheckTrial(TrialSettings trial, int number)
    {
        try
        {
            SweepTrial.Check(trial, null);
        }
        catch (MlpException ex)
        {
            string advice = ex.ErrorId == "ParameterNotApplicable"
                ? " Settings that belong to one optimizer go in a table of their own: give a list of tables, such as @(@{ Optimizer = 'Sgd'; Momentum = 0.5, 0.9 }, @{ Optimizer = 'Adam'; Beta1 = 0.9 })."
                : "";
            // No Settings on the error: here they are names in the search space, not parameters of this command.
            throw new MlpException(ex.ErrorId, ex.Kind, Invariant.Format($"Trial {number} ({trial}) cannot run: {ex.Message}{advice}"), ex.Target, ex);
        }
    }

    private string Describe(SweepPlan plan, SearchSpace space)
    {
        string how = TrialCount is null ? "grid" : "random search";
        (Dataset train, Dataset validation) = plan.Scoring.Parts[0];
        string scoring = plan.Scoring.IsCrossValidation
            ? $"scored by {plan.Scoring.Parts.Count}-fold cross-validation of '{plan.Scoring.All.Name}' ({Invariant.Plural(plan.Scoring.All.Count, "sample")})"
            : $"trained on '{train.Name}' ({Invariant.Plural(train.Count, "sample")}), scored on '{validation.Name}' ({Invariant.Plural(validation.Count, "sample")})";
        string where = Session is { } s
            ? $"in {Invariant.Plural(s.Length, "session")} ({string.Join(", ", s.Select(x => x.ComputerName))}), one trial at a time in each"
            : $"{Invariant.Plural(Math.Min(ThrottleLimit, plan.Trials.Count), "trial")} at a time";
        return Invariant.Format($"Sweep: {Invariant.Plural(plan.Trials.Count, "trial")} ({how} over {string.Join("; ", space.Grids.SelectMany(g => g))}), {scoring}, seed {plan.Seed}, {where}.");
    }
}

/// <summary>
/// One trial of a sweep that another process drives, in the session it opened (Invoke-MlpSweep -Session): not exported;
/// the driving sweep calls it through its CmdletInfo. Stopping the remote pipeline stops the training.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "MlpSweepTrial")]
public sealed class InvokeMlpSweepTrialCommand : MlpCmdlet
{
    /// <summary>The sweep's data in this session, as its driver prepared it (SweepSession.MakeScoring).</summary>
    [Parameter(Mandatory = true)]
    public SweepScoring Scoring { get; set; } = null!;

    /// <summary>The trial's number.</summary>
    [Parameter(Mandatory = true)]
    public int Trial { get; set; }

    /// <summary>The trial's seed.</summary>
    [Parameter(Mandatory = true)]
    public int Seed { get; set; }

    /// <summary>The trial's settings (TrialSettings.ToTransferTable).</summary>
    [Parameter(Mandatory = true)]
    public IDictionary Settings { get; set; } = null!;

    /// <summary>Send the trained network back.</summary>
    [Parameter]
    public SwitchParameter KeepNetwork { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        TrialSettings settings = TrialSettings.FromTable((IDictionary)NumericInput.Plain(Settings)!);
        TrialOutcome outcome = SweepTrial.Run(Scoring, Trial, Seed, settings, null, KeepNetwork, CancellationToken);
        if (outcome.Status == TrialStatus.Stopped) return;
        WriteObject(SweepResults.ForTransfer(outcome));
    }
}
