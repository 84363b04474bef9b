using System.Management.Automation;
using System.Text;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Commands;

/// <summary>
/// <c>$net | Show-MlpHistory</c>, or <c>Invoke-Training -StreamHistory ... | Show-MlpHistory</c>: the training history
/// as a chart of text (<see cref="HistoryChart"/>), one string per line, for a terminal with no image viewer. A chart
/// per metric (loss, then accuracy, by default), per piped network; piped epoch records are gathered and drawn as one
/// history at the end.
/// </summary>
/// <remarks>
/// Drawn in Braille and block characters when the console's output encoding is a Unicode one (UTF-8, UTF-16, UTF-32),
/// and in ASCII otherwise or with -Ascii. A network never trained is a non-terminating error (HistoryEmpty), so the
/// other piped networks are still drawn.
/// </remarks>
[Cmdlet(VerbsCommon.Show, "MlpHistory", DefaultParameterSetName = NetworkSet)]
[OutputType(typeof(string))]
public sealed class ShowMlpHistoryCommand : MlpCmdlet
{
    private const string NetworkSet = "Network";
    private const string HistorySet = "History";
    private readonly List<EpochRecord> _records = new();

    /// <summary>The network whose History to draw.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = NetworkSet)]
    [AllowNull]
    [InputOf(typeof(Mlp), nameof(Network), Alternatives = new[] { typeof(EpochRecord) })]
    public Mlp Network { get; set; } = null!;

    /// <summary>Epoch records (a network's History, or Invoke-Training -StreamHistory's output), drawn as one history.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = HistorySet)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public EpochRecord[] History { get; set; } = Array.Empty<EpochRecord>();

    /// <summary>The figures to draw, a chart each, in the order given.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public HistoryMetric[] Metric { get; set; } = { HistoryMetric.Loss, HistoryMetric.Accuracy };

    /// <summary>The epoch to mark as best; by default the network's BestEpoch, or for records the lowest validation (else training) loss.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? BestEpoch { get; set; }

    /// <summary>The width of every line, labels included.</summary>
    [Parameter]
    [ValidateRange(HistoryChart.MinWidth, 1000)]
    public int Width { get; set; } = 79;

    /// <summary>The rows of each chart's plot.</summary>
    [Parameter]
    [ValidateRange(HistoryChart.MinHeight, 200)]
    public int Height { get; set; } = 8;

    /// <summary>Draw with ASCII characters only.</summary>
    [Parameter]
    public SwitchParameter Ascii { get; set; }

    /// <summary>Draw the loss on a log scale (accuracy stays linear).</summary>
    [Parameter]
    public SwitchParameter LogScale { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        if (ParameterSetName == HistorySet)
        {
            _records.AddRange(History.Where(r => r is not null));
            return;
        }
        var training = PipelineState.TrainingOf(Network);
        if (training.History.Count == 0)
        {
            WriteError(ToErrorRecord(HistoryChart.EmptyHistory(Network), Network));
            return;
        }
        Draw(training.History, BestEpoch ?? training.BestEpoch);
    }

    /// <inheritdoc />
    protected override void EndProcessingCore()
    {
        if (ParameterSetName == HistorySet) Draw(_records, BestEpoch ?? HistoryChart.BestEpochOf(_records));
    }

    private void Draw(IReadOnlyList<EpochRecord> records, int? best)
    {
        bool ascii = Ascii.IsPresent || !UnicodeConsole();
        for (int i = 0; i < Metric.Length; i++)
        {
            if (i > 0) WriteObject("");
            bool log = LogScale.IsPresent && Metric[i] == HistoryMetric.Loss;
            foreach (string line in HistoryChart.Render(records, Metric[i], best, Width, Height, ascii, log)) WriteObject(line);
        }
    }

    /// <summary>Whether the console writes Unicode (UTF-8, UTF-16 or UTF-32), so Braille and blocks show.</summary>
    private static bool UnicodeConsole()
    {
        try
        {
            return Console.OutputEncoding is UTF8Encoding or UnicodeEncoding or UTF32Encoding
                || Console.OutputEncoding.CodePage is 65001 or 1200 or 1201 or 12000 or 12001;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
