using System.Management.Automation;
using System.Runtime.ExceptionServices;
using MlpTools.Core;

namespace MlpTools.Commands;

/// <summary>
/// The base of every MlpTools cmdlet. It does two things so the cmdlets need not:
/// turns Ctrl+C (<see cref="StopProcessing"/>) into a <see cref="CancellationToken"/> the engine checks, and
/// turns the engine's <see cref="MlpException"/> into a terminating <see cref="ErrorRecord"/> whose
/// FullyQualifiedErrorId is "ErrorId,MlpTools.Commands.XxxCommand" and whose message ends with the PowerShell hint
/// for its id (<see cref="ErrorHints"/>).
/// </summary>
/// <remarks>Cmdlets override <see cref="BeginProcessingCore"/>, <see cref="ProcessRecordCore"/> and <see cref="EndProcessingCore"/> instead of the PSCmdlet methods.</remarks>
public abstract class MlpCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private PipelineStoppedException? _stoppedWhileWorking;
    private bool _disposed;

    /// <summary>Set when the user presses Ctrl+C or the pipeline is stopped.</summary>
    protected CancellationToken CancellationToken => _stopping.Token;

    /// <summary>Runs once before the first pipeline object.</summary>
    protected virtual void BeginProcessingCore() { }

    /// <summary>Runs once per pipeline object (once in all when nothing is piped).</summary>
    protected virtual void ProcessRecordCore() { }

    /// <summary>Runs once after the last pipeline object.</summary>
    protected virtual void EndProcessingCore() { }

    /// <inheritdoc />
    protected sealed override void BeginProcessing()
    {
        // Before anything that needs MathNet.Numerics: in a session where another module loaded an earlier one, the
        // one error that says so and what to do (see SharedDependencies), not a FileLoadException.
        if ((SharedDependencies.Refusal() ?? SharedDependencies.RefusalFor(MyInvocation.MyCommand.Name)) is { } refusal) ThrowTerminatingError(refusal);
        Run(() =>
        {
            ThrowIfInputRejected();
            BeginProcessingCore();
        });
    }

    /// <inheritdoc />
    protected sealed override void ProcessRecord() => Run(() =>
    {
        ThrowIfInputRejected();
        ProcessRecordCore();
    });

    /// <summary>Ends the command with one error when a parameter marked <see cref="InputOfAttribute"/> was given something else.</summary>
    private void ThrowIfInputRejected()
    {
        if (InputOfAttribute.Check(GetType(), MyInvocation.MyCommand.Name, MyInvocation.BoundParameters!) is { } rejected) throw rejected;
    }

    /// <inheritdoc />
    protected sealed override void EndProcessing() => Run(EndProcessingCore);

    /// <inheritdoc />
    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>
    /// Runs a Write* call made from inside engine work (a progress or epoch callback). When the pipeline is stopping,
    /// PowerShell throws <see cref="PipelineStoppedException"/> from Write* even before it calls StopProcessing; then this
    /// sets the token instead, so the engine stops at its next check, cleanly, and records where it stopped. The
    /// exception is thrown again once the Core method returns, so PowerShell ends the pipeline as it meant to: a
    /// Ctrl+C stops it, and a downstream <c>Select-Object -First n</c> that has had enough ends it normally.
    /// </summary>
    protected void WriteWhileWorking(Action write)
    {
        ArgumentNullException.ThrowIfNull(write);
        try
        {
            write();
        }
        catch (PipelineStoppedException ex)
        {
            _stoppedWhileWorking ??= ex;
            _stopping.Cancel();
        }
    }

    private void Run(Action step)
    {
        try
        {
            step();
        }
        catch (MlpException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Ctrl+C during engine work that cannot keep a partial result (a file read): the engine stopped at its next
            // check, and the pipeline is stopping, so there is nothing to write and nothing to report.
        }
        if (_stoppedWhileWorking is { } stopped) ExceptionDispatchInfo.Capture(stopped).Throw();
    }

    /// <summary>
    /// Runs <paramref name="read"/>, the reading of one file, under the rule every MlpTools command that reads files
    /// follows. An error about that file (it is missing, unreadable or not what it should be: kind NotFound,
    /// InvalidData or InvalidOperation) ends the command when the file is the only one it was given, since nothing can
    /// be done without it, so try/catch sees it. When the file is one of several (<paramref name="oneOfSeveral"/>:
    /// several paths, a wildcard that matched several files, or paths and files coming down the pipeline) the error is
    /// written as a non-terminating error and the command goes on to the next file, as Get-Content does;
    /// -ErrorAction Stop makes it end the command. Errors about the parameters (InvalidArgument) end it either way.
    /// </summary>
    private protected void ReadFile(bool oneOfSeveral, Action read)
    {
        try
        {
            read();
        }
        catch (MlpException ex) when (oneOfSeveral && ex.Kind is MlpErrorKind.NotFound or MlpErrorKind.InvalidData or MlpErrorKind.InvalidOperation)
        {
            WriteError(ToErrorRecord(ex));
        }
    }

    /// <summary>The ErrorRecord for an engine error: its id, a category from its kind, and its target.</summary>
    internal static ErrorRecord ToErrorRecord(MlpException ex) => ToErrorRecord(ex, ex.Target);

    /// <summary>
    /// The ErrorRecord for an engine error about <paramref name="target"/> (such as the piped object it came from): its
    /// id, a category from its kind, and its message with the PowerShell hint for its id (<see cref="ErrorHints"/>).
    /// </summary>
    internal static ErrorRecord ToErrorRecord(MlpException ex, object? target)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return new ErrorRecord(ErrorHints.WithHint(ex), ex.ErrorId, ToCategory(ex.Kind), target);
    }

    internal static ErrorCategory ToCategory(MlpErrorKind kind) => kind switch
    {
        MlpErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        MlpErrorKind.InvalidData => ErrorCategory.InvalidData,
        MlpErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        MlpErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        MlpErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>
    /// The error for a network that came without data to use (<c>NoDataset</c>): no -Dataset, and the network was not made
    /// from or trained on one in this session.
    /// </summary>
    internal static MlpException NoDataset(Core.Model.Mlp network, string example) =>
        ArgumentError("NoDataset", $"There is no data to use with {network}: give -Dataset, or pipe a network made from or trained on a dataset ({example}).", network);

    /// <summary>An argument error raised by a cmdlet itself (not the engine), reported like the engine's.</summary>
    internal static MlpException ArgumentError(string errorId, string message, object? target = null) =>
        new(errorId, MlpErrorKind.InvalidArgument, message, target);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the cancellation source.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed) return;
        if (disposing) _stopping.Dispose();
        _disposed = true;
    }
}
