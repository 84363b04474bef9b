using System.Diagnostics;
using System.Management.Automation;

namespace MlpTools.Commands;

/// <summary>
/// One progress bar for long engine work: turns the engine's frequent callbacks into at most four WriteProgress calls a
/// second, estimates the time left from the share done, and completes the bar at the end. The one throttle the cmdlets use.
/// </summary>
internal sealed class ProgressWriter
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly Action<ProgressRecord> _write;
    private readonly int _id;
    private readonly string _activity;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last;
    private bool _written;

    /// <param name="write">Writes a record (the cmdlet's WriteProgress, wrapped so a stopping pipeline is handled).</param>
    /// <param name="id">The activity id.</param>
    /// <param name="activity">What is being done, as the bar's title.</param>
    public ProgressWriter(Action<ProgressRecord> write, int id, string activity)
    {
        _write = write;
        _id = id;
        _activity = activity;
    }

    /// <summary>Whether a report now would be written: the first one, or a quarter of a second after the last.</summary>
    public bool Due => !_written || _clock.Elapsed - _last >= Interval;

    /// <summary>Writes the bar at <paramref name="done"/> (0 to 1) with <paramref name="status"/>, when <see cref="Due"/>.</summary>
    public void Report(double done, string status)
    {
        if (!Due) return;
        TimeSpan now = _clock.Elapsed;
        done = Math.Clamp(done, 0, 1);
        _write(new ProgressRecord(_id, _activity, status)
        {
            PercentComplete = (int)(done * 100),
            SecondsRemaining = done > 0 ? (int)Math.Round(now.TotalSeconds / done * (1 - done)) : -1,
        });
        _written = true;
        _last = now;
    }

    /// <summary>Completes the bar, if one was written. When the pipeline is stopping (Ctrl+C) PowerShell clears it itself.</summary>
    public void Complete()
    {
        if (_written) _write(new ProgressRecord(_id, _activity, "Done") { RecordType = ProgressRecordType.Completed });
    }
}
