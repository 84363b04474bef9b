using System.Collections;
using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Remoting;
using System.Management.Automation.Runspaces;
using MlpTools.Commands;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Sweeps;

namespace MlpTools;

/// <summary>What a sweep runs: its trials, seed, scoring and what it keeps.</summary>
internal sealed record SweepPlan(Dataset Data, IReadOnlyList<TrialSettings> Trials, int Seed, SweepScoring Scoring, SweepKeep Keep,
    double? ValidationFraction, int? Folds, Dataset? ValidationDataset)
{
    /// <summary>Whether a trial keeps its network: all of them, or (for Best) the hold-out's, which may turn out best. A cross-validated best is trained again at the end.</summary>
    public bool TrialKeepsNetwork => Keep == SweepKeep.All || (Keep == SweepKeep.Best && !Scoring.IsCrossValidation);

    /// <summary>Trial <paramref name="trial"/>'s seed.</summary>
    public int TrialSeed(int trial) => SweepTrial.Seed(Seed, trial);
}

/// <summary>
/// What a remote session of a sweep holds: the scoring made there from the data sent once, by the same rule as in the
/// driving process (so the split and folds are the same rows).
/// </summary>
public static class SweepSession
{
    /// <summary>
    /// A session's scoring from the data the driving sweep sent once, as dataset bytes (checked as Import-Dataset
    /// checks nothing less: sizes, caps and a checksum), made by the same rule as in the driving process.
    /// </summary>
    public static SweepScoring Prepare(byte[] data, byte[]? validation, double? fraction, int? folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        Dataset all = DatasetBytes.Load(data, "the sweep's data");
        Dataset? held = validation is null ? null : DatasetBytes.Load(validation, "the sweep's validation data");
        return MakeScoring(all, held, fraction, folds, seed);
    }

    /// <summary>The sweep's scoring from its data and settings: -ValidationDataset, -ValidationFraction (default 0.2) or -Folds, seeded with the sweep's seed.</summary>
    public static SweepScoring MakeScoring(Dataset data, Dataset? validation, double? fraction, int? folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (folds is { } k) return SweepScoring.CrossValidation(data, k, seed);
        if (validation is not null)
        {
            if (fraction is not null)
                throw MlpCmdlet.ArgumentError("ValidationConflict", "Give either -ValidationDataset or -ValidationFraction, not both.", fraction);
            Mlp.CreateFor(data, 1).EnsureCompatible(validation);
            return SweepScoring.Holdout(data, validation);
        }
        return SweepScoring.Holdout(data, fraction ?? 0.2, seed);
    }
}

/// <summary>
/// A result's settings: an ordered table (name to value, in the search space's order) that reads as
/// "HiddenSize=64 LearningRate=0.01" in a table or a CSV file.
/// </summary>
internal sealed class SweepSettings : System.Collections.Specialized.OrderedDictionary
{
    internal SweepSettings(TrialSettings settings)
        : base(StringComparer.OrdinalIgnoreCase)
    {
        foreach (var (name, value) in settings.Values) this[name] = value;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(" ", this.Cast<DictionaryEntry>().Select(e => $"{e.Key}={Text(e.Value)}"));

    private static string Text(object? value) => value is double d ? d.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) : Core.Sweeps.SearchSpace.Text(value).Trim('\'');
}

/// <summary>A result's fold scores (one for a hold-out): a list of numbers that reads as "0.9766 0.9800 0.9717" in a table or a CSV file.</summary>
public sealed class SweepFoldScores : System.Collections.ObjectModel.ReadOnlyCollection<double>
{
    internal SweepFoldScores(IEnumerable<double> scores)
        : base(scores.ToArray())
    {
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(" ", this.Select(s => s.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)));
}

/// <summary>The result objects of a sweep: one per trial, its settings as properties.</summary>
internal static class SweepResults
{
    public const string TypeName = "MlpTools.SweepResult";

    /// <summary>A trial's result: Trial, its settings, Score, ScoreSpread, ValidationLoss, Epochs, Seconds, Status, StopReason, Error, Seed, ComputerName, SessionId, IsBest, Network, FoldScores, Settings.</summary>
    public static PSObject Build(TrialOutcome o, string computer, int? sessionId, bool attachNetwork)
    {
        var result = new PSObject();
        result.TypeNames.Insert(0, TypeName);
        void Add(string name, object? value) => result.Properties.Add(new PSNoteProperty(name, value));
        Add("Trial", o.Trial);
        foreach (var (name, value) in o.Settings.Values) Add(name, value);
        Add("Score", o.Score);
        Add("ScoreSpread", o.ScoreSpread);
        Add("ValidationLoss", o.ValidationLoss);
        Add("Epochs", o.Epochs);
        Add("Seconds", Math.Round(o.Seconds, 3));
        Add("Status", o.Status);
        Add("StopReason", o.StopReason);
        Add("Error", o.Error);
        Add("Seed", o.Seed);
        Add("ComputerName", computer);
        Add("SessionId", sessionId);
        Add("IsBest", false);
        Add("Network", attachNetwork ? o.Network : null);
        Add("FoldScores", new SweepFoldScores(o.FoldScores));
        Add("Settings", new SweepSettings(o.Settings));
        return result;
    }

    /// <summary>A trial's outcome as a session sends it back to the driving process (the network travels as its model bytes).</summary>
    public static PSObject ForTransfer(TrialOutcome o)
    {
        var result = new PSObject();
        void Add(string name, object? value) => result.Properties.Add(new PSNoteProperty(name, value));
        Add("Trial", o.Trial);
        Add("Status", o.Status.ToString());
        Add("Score", o.Score);
        Add("ScoreSpread", o.ScoreSpread);
        Add("FoldScores", o.FoldScores.ToArray());
        Add("ValidationLoss", o.ValidationLoss);
        Add("Epochs", o.Epochs);
        Add("Seconds", o.Seconds);
        Add("StopReason", o.StopReason);
        Add("Error", o.Error);
        Add("ErrorId", o.ErrorId);
        // The network as its model file's bytes, with its training state: a byte array crosses every transport as it is.
        Add("ModelBytes", o.Network is { } n ? ModelFile.ToBytes(n, o.Training) : null);
        return result;
    }

    /// <summary>The outcome a session sent back (see <see cref="ForTransfer"/>), for trial settings the driver knows.</summary>
    public static TrialOutcome FromTransfer(PSObject sent, int trial, int seed, TrialSettings settings)
    {
        object? Get(string name) => NumericInput.Unwrap(sent.Properties[name]?.Value);
        double? Number(string name) => Get(name) is { } v ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) : null;
        SavedModel? model = Get("ModelBytes") is byte[] bytes ? ModelFile.Load(bytes, Invariant.Format($"the network of trial {trial}")) : null;
        Mlp? network = model?.Network;
        string status = Get("Status")?.ToString() ?? "";
        return new TrialOutcome
        {
            Trial = trial, Seed = seed, Settings = settings,
            Status = Enum.TryParse(status, out TrialStatus s) ? s : TrialStatus.Failed,
            Score = Number("Score"), ScoreSpread = Number("ScoreSpread"), ValidationLoss = Number("ValidationLoss"),
            FoldScores = Get("FoldScores") is IEnumerable scores ? scores.Cast<object>().Select(x => Convert.ToDouble(NumericInput.Unwrap(x), System.Globalization.CultureInfo.InvariantCulture)).ToArray() : Array.Empty<double>(),
            Epochs = (int)(Number("Epochs") ?? 0), Seconds = Number("Seconds") ?? 0,
            StopReason = Get("StopReason")?.ToString() ?? "", Error = Get("Error")?.ToString(), ErrorId = Get("ErrorId")?.ToString(),
            Network = network, Training = model?.Training,
        };
    }

    /// <summary>A result as a verbose line.</summary>
    public static string Describe(PSObject result)
    {
        object? P(string name) => result.Properties[name]?.Value;
        string values = P("Settings")!.ToString()!;
        return (TrialStatus)P("Status")! switch
        {
            TrialStatus.Completed => Invariant.Format($"Trial {P("Trial")} ({values}): score {(double)P("Score")!:0.0000} after {Invariant.Plural((int)P("Epochs")!, "epoch")}, {(double)P("Seconds")!:0.0} s on {P("ComputerName")}."),
            _ => Invariant.Format($"Trial {P("Trial")} ({values}) failed on {P("ComputerName")}: {P("Error")}"),
        };
    }

    /// <summary>Whether <paramref name="a"/> beats <paramref name="b"/>: higher score, then lower validation loss, then the earlier trial.</summary>
    public static bool Beats(TrialOutcome a, TrialOutcome? b)
    {
        if (a.Status != TrialStatus.Completed) return false;
        if (b is null) return true;
        if (a.Score != b.Score) return a.Score > b.Score;
        if (a.ValidationLoss != b.ValidationLoss) return a.ValidationLoss < b.ValidationLoss;
        return a.Trial < b.Trial;
    }
}

/// <summary>
/// Runs a sweep's trials: on worker threads of this process (at most the throttle limit at once), or in remote sessions
/// (one trial at a time in each, the data sent once per session). Outcomes are handed to the pipeline thread as they
/// finish; a session that fails has its trial run again on the others.
/// </summary>
internal sealed class SweepRunner : IDisposable
{
    private const string LocalComputer = "localhost";

    private readonly SweepPlan _plan;
    private readonly PSCmdlet _cmdlet;
    private readonly PSSession[]? _sessions;
    private readonly int _throttle;
    private readonly CancellationTokenSource _stop;
    private readonly ConcurrentQueue<int> _pending = new();
    private readonly BlockingCollection<(TrialOutcome Outcome, string Computer, int? SessionId)> _done = new();
    private readonly ConcurrentQueue<(bool Warning, string Text)> _messages = new();
    private readonly ConcurrentDictionary<int, PowerShell> _running = new();
    private readonly string _id = Guid.NewGuid().ToString("N");
    private readonly Lazy<(byte[] Data, byte[]? Validation)> _dataBytes;
    private readonly int[] _attempts;
    private int _inFlight;
    private int _finished;
    private TrialOutcome? _best;
    private PSObject? _bestResult;

    public SweepRunner(SweepPlan plan, PSCmdlet cmdlet, PSSession[]? sessions, int throttle, CancellationToken cancellationToken)
    {
        _plan = plan;
        _cmdlet = cmdlet;
        _sessions = sessions;
        _throttle = throttle;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Longest first: with the costliest trials started early, the last ones to finish are short, and no core idles
        // long at the end while another runs a big trial alone. (Only the order of starting changes: every trial's
        // result is the same bits, and results carry their numbers.)
        foreach (int t in Enumerable.Range(1, plan.Trials.Count).OrderByDescending(t => EstimatedCost(plan, t)).ThenBy(t => t)) _pending.Enqueue(t);
        _attempts = new int[plan.Trials.Count];
        _dataBytes = new(() => (DatasetBytes.ToBytes(plan.Data), plan.ValidationDataset is { } v ? DatasetBytes.ToBytes(v) : null));
    }

    /// <summary>
    /// A trial's work, roughly: multiply-adds per sample of its network (D H + H C) times its epochs. Its batch size,
    /// optimizer and early stopping change the true cost, but not the order of most sweeps' trials.
    /// </summary>
    private static double EstimatedCost(SweepPlan plan, int trial)
    {
        TrialSettings settings = plan.Trials[trial - 1];
        Dataset data = plan.Data;
        double hidden = settings.HiddenSize(null);
        double epochs = settings["Epochs"] is int e ? e : (int)Core.Training.TrainingOptions.FindSetting("Epochs")!.Default!;
        return hidden * (data.FeatureCount + data.ClassCount) * epochs * (settings.Precision == Core.Precision.Double ? 2 : 1);
    }

    /// <summary>Trials finished (completed or failed).</summary>
    public int Finished => Volatile.Read(ref _finished);

    /// <summary>A progress line: trials done and the best so far.</summary>
    public string Status() => _best is { } b
        ? Invariant.Format($"{Finished} of {_plan.Trials.Count} trials done; best score {b.Score:0.0000} (trial {b.Trial})")
        : Invariant.Format($"{Finished} of {_plan.Trials.Count} trials done");

    /// <summary>Stops every trial, local or remote (Ctrl+C).</summary>
    public void Stop()
    {
        _stop.Cancel();
        foreach (PowerShell ps in _running.Values)
        {
            try
            {
                ps.BeginStop(null, null);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or PSInvalidOperationException)
            {
                // it has just finished
            }
        }
    }

    /// <summary>
    /// Runs the sweep; <paramref name="write"/> gets each result as it finishes and <paramref name="say"/> each message
    /// (a warning, or not: a verbose line), both on the calling (pipeline) thread.
    /// </summary>
    public void Run(Action<PSObject> write, Action<bool, string> say)
    {
        var workers = new List<Thread>();
        IReadOnlyList<RemoteSlot> slots = _sessions is null ? Array.Empty<RemoteSlot>() : PrepareSessions();
        if (_sessions is null)
        {
            for (int i = 0; i < Math.Min(_throttle, _plan.Trials.Count); i++) workers.Add(Start(LocalWorker, $"MlpTools sweep worker {i + 1}"));
        }
        else
        {
            foreach (RemoteSlot slot in slots) workers.Add(Start(() => RemoteWorker(slot), $"MlpTools sweep session {slot.Computer}"));
        }
        var closer = Start(() =>
        {
            foreach (Thread w in workers) w.Join();
            _done.CompleteAdding();
        }, "MlpTools sweep closer");

        bool finished = false;
        try
        {
            while (true)
            {
                while (_messages.TryDequeue(out var m)) say(m.Warning, m.Text);
                if (!_done.TryTake(out var item, 100))
                {
                    if (_done.IsCompleted) break;
                    continue;
                }
                if (item.Outcome.Status == TrialStatus.Stopped) continue;
                Interlocked.Increment(ref _finished);
                write(Accept(item.Outcome, item.Computer, item.SessionId));
            }
            while (_messages.TryDequeue(out var m)) say(m.Warning, m.Text);
            // Trials no session could run (every session failed): results that say so.
            while (!_stop.IsCancellationRequested && _pending.TryDequeue(out int left))
            {
                Interlocked.Increment(ref _finished);
                write(Accept(new TrialOutcome
                {
                    Trial = left, Seed = _plan.TrialSeed(left), Settings = _plan.Trials[left - 1], Status = TrialStatus.Failed,
                    Error = "Every session failed before this trial could run; open new sessions and run the sweep again (with -Seed, it runs the same trials).",
                    ErrorId = "NoSessionLeft", StopReason = "NoSessionLeft",
                }, "none", null));
            }
            finished = true;
        }
        finally
        {
            if (!finished) Stop(); // Ctrl+C or an error: no trial goes on after the command returns
            closer.Join();
            CleanUpSessions(slots);
        }
        MarkBest();
    }

    private static Thread Start(ThreadStart body, string name)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>A finished outcome becomes its result; the best so far is remembered (and with Best, only its network is kept).</summary>
    private PSObject Accept(TrialOutcome outcome, string computer, int? sessionId)
    {
        if (outcome.Network is { } net)
        {
            if (outcome.Training is { } state) PipelineState.SetTraining(net, state);
            PipelineState.SetDataset(net, _plan.Data);
        }
        PSObject result = SweepResults.Build(outcome, computer, sessionId, attachNetwork: _plan.Keep == SweepKeep.All);
        if (SweepResults.Beats(outcome, _best))
        {
            if (_best is { } previous && _plan.Keep == SweepKeep.Best) previous.Network = null;
            _best = outcome;
            _bestResult = result;
        }
        else if (_plan.Keep == SweepKeep.Best)
        {
            outcome.Network = null;
        }
        return result;
    }

    /// <summary>The best result gets IsBest, and with Best its network (a cross-validated one trained now on all the data).</summary>
    private void MarkBest()
    {
        if (_best is not { } best || _bestResult is not { } result) return;
        result.Properties["IsBest"].Value = true;
        if (_plan.Keep != SweepKeep.Best) return;
        if (best.Network is null && _plan.Scoring.IsCrossValidation && !_stop.IsCancellationRequested)
        {
            var (network, state) = SweepTrial.Refit(_plan.Scoring, best.Seed, best.Settings, null, _stop.Token);
            if (_stop.IsCancellationRequested) return;
            PipelineState.SetTraining(network, state);
            PipelineState.SetDataset(network, _plan.Data);
            best.Network = network;
        }
        result.Properties["Network"].Value = best.Network;
    }

    // ---- in this process ----

    private void LocalWorker()
    {
        while (!_stop.IsCancellationRequested && _pending.TryDequeue(out int trial))
        {
            TrialOutcome outcome = SweepTrial.Run(_plan.Scoring, trial, _plan.TrialSeed(trial), _plan.Trials[trial - 1], null,
                _plan.TrialKeepsNetwork, _stop.Token);
            _done.Add((outcome, LocalComputer, null));
        }
    }

    // ---- in remote sessions ----

    private sealed class RemoteSlot
    {
        public RemoteSlot(PSSession session) => Session = session;

        public PSSession Session { get; }

        public string Computer => Session.ComputerName;

        public bool Prepared { get; set; }
    }

    private const string CheckScript = """
        param($Version)
        $module = Import-Module MlpTools -RequiredVersion $Version -PassThru -ErrorAction Stop
        $module.Version.ToString()
        """;

    private const string DataScript = """
        param($Id, $Data, $Validation, $Fraction, $Folds, $Seed)
        Set-Variable -Scope Global -Name ('MlpSweep_' + $Id) -Value ([MlpTools.SweepSession]::Prepare($Data, $Validation, $Fraction, $Folds, $Seed))
        """;

    private const string TrialScript = """
        param($Id, $Trial, $Seed, $Settings, $Keep)
        $scoring = Get-Variable -Scope Global -Name ('MlpSweep_' + $Id) -ValueOnly
        $command = [System.Management.Automation.CmdletInfo]::new('Invoke-MlpSweepTrial', [MlpTools.Commands.InvokeMlpSweepTrialCommand])
        & $command -Scoring $scoring -Trial $Trial -Seed $Seed -Settings $Settings -KeepNetwork:$Keep -ErrorAction Stop
        """;

    private const string CleanUpScript = """
        param($Id)
        Remove-Variable -Scope Global -Name ('MlpSweep_' + $Id) -ErrorAction SilentlyContinue
        """;

    /// <summary>Checks, before any trial, that every session can import this version of MlpTools: an error names the machine that cannot.</summary>
    private List<RemoteSlot> PrepareSessions()
    {
        Version version = _cmdlet.MyInvocation.MyCommand.Module?.Version ?? typeof(SweepRunner).Assembly.GetName().Version!;
        string wanted = version.ToString();
        var slots = new List<RemoteSlot>();
        foreach (PSSession session in _sessions!)
        {
            if (session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened)
                throw new MlpException("SessionNotOpen", MlpErrorKind.InvalidOperation,
                    $"The session to '{session.ComputerName}' (Id {session.Id}) is {session.Runspace.RunspaceStateInfo.State}, not open. Open it again with New-PSSession, or leave it out of -Session.", session.ComputerName);
            string? found;
            try
            {
                found = Invoke(session, CheckScript, wanted).FirstOrDefault()?.ToString();
            }
            catch (Exception ex) when (ex is RuntimeException or PSRemotingTransportException or InvalidRunspaceStateException)
            {
                throw new MlpException("SweepModuleMissing", MlpErrorKind.NotFound,
                    $"MlpTools {wanted} cannot be imported on '{session.ComputerName}': {ex.Message.TrimEnd('.')}. Install that version there (build.ps1 -Task Install from the same source, or Install-PSResource MlpTools -Version {wanted} from your repository) so that Import-Module MlpTools -RequiredVersion {wanted} works in a new session, then run the sweep again.",
                    session.ComputerName, ex);
            }
            if (found != wanted)
                throw new MlpException("SweepModuleMissing", MlpErrorKind.NotFound,
                    $"'{session.ComputerName}' imported MlpTools {found ?? "(no version)"}, not {wanted}. Install MlpTools {wanted} there, then run the sweep again.", session.ComputerName);
            slots.Add(new RemoteSlot(session));
        }
        return slots;
    }

    private void RemoteWorker(RemoteSlot slot)
    {
        try
        {
            // The data as it was given, once, as its bytes (a byte array crosses every transport as it is, whatever
            // type data the client applies): the session makes the same split or folds from it, with the same seed.
            Invoke(slot.Session, DataScript, _id, _dataBytes.Value.Data, _dataBytes.Value.Validation, _plan.ValidationFraction, _plan.Folds, _plan.Seed);
            slot.Prepared = true;
            _messages.Enqueue((false, Invariant.Format($"Sent the data to '{slot.Computer}' once: {_dataBytes.Value.Data.Length + (_dataBytes.Value.Validation?.Length ?? 0):N0} bytes of datasets.")));
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            _messages.Enqueue((true, $"The session to '{slot.Computer}' could not receive the data, so it runs no trial: {ex.Message}"));
            return;
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            return;
        }

        while (!_stop.IsCancellationRequested)
        {
            if (!_pending.TryDequeue(out int trial))
            {
                // Another session may yet fail and hand its trial back: wait while any trial is still running.
                if (Volatile.Read(ref _inFlight) == 0) return;
                Thread.Sleep(20);
                continue;
            }
            Interlocked.Increment(ref _inFlight);
            try
            {
                TrialOutcome outcome = RunRemote(slot, trial);
                _done.Add((outcome, slot.Computer, slot.Session.Id));
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                // A trial's own failure comes back as a result, never as an exception: this is the session failing
                // (its connection, or its process). An error the remote side reported with the session still open
                // leaves the session in use; anything else ends it.
                bool broken = IsBroken(slot) || ex is not RemoteException;
                string why = ex.Message.TrimEnd('.');
                if (Interlocked.Increment(ref _attempts[trial - 1]) < 2)
                {
                    _pending.Enqueue(trial);
                    _messages.Enqueue((true, broken
                        ? Invariant.Format($"The session to '{slot.Computer}' failed ({why}); trial {trial} runs again on another session, and this session runs no more trials.")
                        : Invariant.Format($"Trial {trial} could not run in the session to '{slot.Computer}' ({why}); it runs again.")));
                }
                else
                {
                    // The second failure of the same trial: it, not the sessions, is likely the cause.
                    _done.Add((new TrialOutcome
                    {
                        Trial = trial, Seed = _plan.TrialSeed(trial), Settings = _plan.Trials[trial - 1], Status = TrialStatus.Failed,
                        Error = Invariant.Format($"Trial {trial} failed in two sessions; the last, '{slot.Computer}', said: {ex.Message}"),
                        ErrorId = (ex as IContainsErrorRecord)?.ErrorRecord?.FullyQualifiedErrorId ?? ex.GetType().Name, StopReason = "Failed",
                    }, slot.Computer, slot.Session.Id));
                    if (broken) _messages.Enqueue((true, Invariant.Format($"The session to '{slot.Computer}' failed ({why}); it runs no more trials.")));
                }
                if (broken) return;
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private TrialOutcome RunRemote(RemoteSlot slot, int trial)
    {
        int seed = _plan.TrialSeed(trial);
        TrialSettings settings = _plan.Trials[trial - 1];
        Collection<PSObject> output = Invoke(slot.Session, TrialScript, _id, trial, seed, settings.ToTransferTable(),
            _plan.TrialKeepsNetwork);
        if (_stop.IsCancellationRequested) return new TrialOutcome { Trial = trial, Seed = seed, Settings = settings, Status = TrialStatus.Stopped };
        PSObject sent = output.LastOrDefault() ?? throw new InvalidOperationException(Invariant.Format($"The session to '{slot.Computer}' returned no result for trial {trial}."));
        return SweepResults.FromTransfer(sent, trial, seed, settings);
    }

    private static bool IsBroken(RemoteSlot slot) => slot.Session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened;

    private Collection<PSObject> Invoke(PSSession session, string script, params object?[] arguments)
    {
        using PowerShell ps = PowerShell.Create();
        ps.Runspace = session.Runspace;
        ps.AddScript(script);
        foreach (object? a in arguments) ps.AddArgument(a);
        int key = ps.GetHashCode();
        _running[key] = ps;
        try
        {
            return ps.Invoke();
        }
        finally
        {
            _running.TryRemove(key, out _);
        }
    }

    private void CleanUpSessions(IReadOnlyList<RemoteSlot> slots)
    {
        foreach (RemoteSlot slot in slots.Where(s => s.Prepared && !IsBroken(s)))
        {
            try
            {
                Invoke(slot.Session, CleanUpScript, _id);
            }
            catch (Exception ex) when (ex is RuntimeException or PSRemotingTransportException or InvalidRunspaceStateException or PSInvalidOperationException)
            {
                // the session is going away; its variable goes with it
            }
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _done.Dispose();
    }
}
