using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using MlpTools.Core;
using MlpTools.Core.Data;

namespace MlpTools.Commands;

/// <summary>
/// <c>Import-Dataset -Name Digits</c>, <c>Import-Dataset -Name Spiral [-ClassCount K] [-SamplesPerClass N] [-Seed s]</c>:
/// a built-in dataset. <c>Import-Dataset -Path images -LabelPath labels [-NoScaling] [-ClassName ...]</c>: an IDX pair
/// (MNIST, Fashion-MNIST). <c>Import-Dataset -Path file.csv [-LabelColumn c] [-FeatureColumn f, ...] [-Header | -NoHeader]
/// [-Delimiter d] [-SkipLines n] [-ColumnName ...] [-ClassName ...]</c>: a CSV or TSV file. -LiteralPath in place of -Path
/// takes the path as written. <c>Get-Content file | Import-Dataset [CSV options]</c>: delimited text from the pipeline.
/// </summary>
/// <remarks>
/// Which reader a file gets: with -LabelPath, the IDX reader (both files IDX, raw or gzip). Without it, the content
/// decides: a file whose first bytes (after gzip decompression, when it is gzip) are an IDX magic number
/// (00 00 type dims) is refused with <c>IdxLabelPathRequired</c>, because IDX keeps labels in a file of their own;
/// anything else is read as delimited text. A first positional argument that is no built-in name but an existing
/// file is read as that file, so <c>Import-Dataset ./wine.csv</c> works.
/// A missing or malformed file follows the rule of every command that reads files (<see cref="MlpCmdlet.ReadFile"/>, the
/// same as Import-Mlp's): a terminating error for the one file given by -Path or -LiteralPath, a non-terminating one for
/// a file among several piped in, the rest being read.
/// </remarks>
[Cmdlet(VerbsData.Import, "Dataset", DefaultParameterSetName = BuiltInSet)]
[OutputType(typeof(Dataset))]
public sealed class ImportDatasetCommand : MlpCmdlet
{
    private const string BuiltInSet = "BuiltIn";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string TextSet = "Text";
    private const int ProgressActivityId = 2;

    /// <summary>The built-in dataset: Digits or Spiral.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = BuiltInSet)]
    [ArgumentCompleter(typeof(BuiltInDatasetCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Spiral only: the number of arms (classes).</summary>
    [Parameter(ParameterSetName = BuiltInSet)]
    public int ClassCount { get; set; } = 3;

    /// <summary>Spiral only: the number of points on each arm.</summary>
    [Parameter(ParameterSetName = BuiltInSet)]
    public int SamplesPerClass { get; set; } = 100;

    /// <summary>Spiral only: the seed for the noise; without it every call draws a new spiral.</summary>
    [Parameter(ParameterSetName = BuiltInSet)]
    public int? Seed { get; set; }

    /// <summary>The data file (CSV/TSV, or the IDX images file), wildcards allowed (they must match one file).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    public string Path { get; set; } = "";

    /// <summary>The data file, taken exactly as written (no wildcards).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    public string LiteralPath { get; set; } = "";

    /// <summary>Delimited text from the pipeline: lines (as Get-Content writes them) or whole texts.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public string[] InputObject { get; set; } = Array.Empty<string>();

    /// <summary>Piped text: what messages call it and what names the dataset (for example the file it came from); by default "Text".</summary>
    [Parameter(ParameterSetName = TextSet)]
    public string? SourceName { get; set; }

    /// <summary>IDX: the labels file that goes with the images file; giving it selects the IDX reader.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public string? LabelPath { get; set; }

    /// <summary>IDX: keep unsigned-byte values as they are (0..255) instead of dividing them by 255.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public SwitchParameter NoScaling { get; set; }

    /// <summary>CSV: the label column, by header name or 0-based index; by default the last column.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ArgumentCompleter(typeof(CsvColumnCompleter))]
    public ColumnRef? LabelColumn { get; set; }

    /// <summary>CSV: the feature columns, by header name or 0-based index, in the order wanted; by default every column but the label.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ArgumentCompleter(typeof(CsvColumnCompleter))]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public ColumnRef[]? FeatureColumn { get; set; }

    /// <summary>CSV: the first row is a header (instead of deciding from the content).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    public SwitchParameter Header { get; set; }

    /// <summary>CSV: there is no header; the first row is data and the features are named x0, x1, ...</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    public SwitchParameter NoHeader { get; set; }

    /// <summary>CSV: the field delimiter; by default tab for .tsv and .tab, comma for .csv, detected otherwise.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    public char? Delimiter { get; set; }

    /// <summary>CSV: how many lines to skip before reading (a preamble, a title); by default none, and a first line that gives the sample and feature counts is recognised by itself.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [ValidateRange(0, int.MaxValue)]
    public int SkipLines { get; set; }

    /// <summary>CSV: names for the columns, the label's included, when the file has no header (with -Header, they replace it).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public string[]? ColumnName { get; set; }

    /// <summary>CSV and IDX: the class names, in class order (label k is the k-th name; text labels must be among them).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [Parameter(ParameterSetName = TextSet)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public string[]? ClassName { get; set; }

    private static readonly string[] CsvOnly = { nameof(LabelColumn), nameof(FeatureColumn), nameof(Header), nameof(NoHeader), nameof(Delimiter), nameof(SkipLines), nameof(ColumnName) };

    /// <summary>The piped text so far, one line per piped string.</summary>
    private System.Text.StringBuilder? _text;

    /// <summary>What the piped text is called: <see cref="SourceName"/> as first bound.</summary>
    private string? _textSource;
    private static readonly string[] IdxOnly = { nameof(NoScaling) };

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        if (ParameterSetName == TextSet)
        {
            _text ??= new System.Text.StringBuilder();
            _textSource ??= SourceName;
            foreach (string line in InputObject) _text.Append(line).Append('\n');
            return;
        }
        if (ParameterSetName == BuiltInSet)
        {
            if (!BuiltInDatasets.Names.Contains(Name, StringComparer.OrdinalIgnoreCase) && ExistingFile(Name) is { } path)
            {
                // A file named where a built-in name goes: read it, as Import-Dataset -Path would.
                WriteObject(ReadDataFile(path, labels: null));
                return;
            }
            WriteObject(LoadBuiltIn());
            return;
        }

        // Files piped in are several: one that is missing or malformed is written as an error and the rest are read.
        ReadFile(MyInvocation.ExpectingInput, ImportFile);
    }

    private void ImportFile()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        string file = ProviderPaths.ResolveOne(this, literal ? LiteralPath : Path, literal, "DataFileNotFound");
        string? labels = LabelPath is null ? null : ProviderPaths.ResolveOne(this, LabelPath, literal, "DataFileNotFound");
        WriteObject(ReadDataFile(file, labels));
    }

    /// <inheritdoc />
    protected override void EndProcessingCore()
    {
        if (ParameterSetName != TextSet) return;
        string text = _text?.ToString() ?? "";
        if (text.Length == 0 || text.AsSpan().Trim().IsEmpty)
            throw new MlpException("CsvEmptyFile", MlpErrorKind.InvalidData,
                "No text was piped in (or only blank lines); pipe the lines of a CSV file, for example Get-Content data.csv | Import-Dataset.", null);
        string source = _textSource is null ? "piped text" : _textSource + " (piped)";
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text), writable: false);
        WriteObject(CsvDatasetReader.Read(stream, source, CsvOptionsFor(_textSource is null ? "Text" : DataFile.NameFromPath(_textSource)),
            cancellationToken: CancellationToken));
    }

    private CsvOptions CsvOptionsFor(string? name) => new()
    {
        LabelColumn = LabelColumn,
        FeatureColumns = FeatureColumn,
        Header = Header ? CsvHeader.Present : NoHeader ? CsvHeader.Absent : CsvHeader.Detect,
        Delimiter = Delimiter,
        SkipLines = SkipLines,
        ColumnNames = ColumnName,
        ClassNames = ClassName,
        Name = name,
        Verbose = message => WriteWhileWorking(() => WriteVerbose(message)),
    };

    private Dataset ReadDataFile(string file, string? labels)
    {
        bool idx = labels is not null;
        RejectNotApplicable(idx ? CsvOnly : IdxOnly, idx ? "an IDX pair (-LabelPath)" : "a CSV file (no -LabelPath)");
        if (!idx && IdxReader.IsIdx(file))
            throw new MlpException("IdxLabelPathRequired", MlpErrorKind.InvalidArgument,
                $"'{file}' is an IDX file, whose labels are kept in a file of their own; give that file too: -LabelPath (for example train-labels-idx1-ubyte.gz with train-images-idx3-ubyte.gz).",
                file);

        var progress = new LoadProgressWriter(record => WriteWhileWorking(() => WriteProgress(record)), ProgressActivityId,
            $"Importing {System.IO.Path.GetFileName(file)}");
        Dataset data;
        try
        {
            data = idx
                ? IdxReader.Read(file, labels!, new IdxOptions { ScaleBytes = !NoScaling, ClassNames = ClassName }, progress.Report, CancellationToken)
                : CsvDatasetReader.Read(file, CsvOptionsFor(null), progress.Report, CancellationToken);
        }
        finally
        {
            // On Ctrl+C the write is skipped: PowerShell clears the bar itself.
            if (!CancellationToken.IsCancellationRequested) progress.Complete();
        }
        return data;
    }

    /// <inheritdoc />
    protected override void BeginProcessingCore()
    {
        if (Header && NoHeader)
            throw ArgumentError("ConflictingParameters", "-Header and -NoHeader contradict each other; give one of them, or neither to decide from the content.");
    }

    private Dataset LoadBuiltIn()
    {
        if (string.Equals(Name, "Digits", StringComparison.OrdinalIgnoreCase))
        {
            string[] spiralOnly = new[] { nameof(ClassCount), nameof(SamplesPerClass), nameof(Seed) }
                .Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
            if (spiralOnly.Length > 0)
                throw ArgumentError("ParameterNotApplicable",
                    $"-{string.Join(", -", spiralOnly)} {(spiralOnly.Length == 1 ? "applies" : "apply")} to the Spiral dataset only; Digits is fixed. Remove {(spiralOnly.Length == 1 ? "it" : "them")}, or use -Name Spiral.", Name);
        }
        return BuiltInDatasets.Load(Name, ClassCount, SamplesPerClass, Seed);
    }

    /// <summary>The full path of <paramref name="name"/> when it names an existing file, else null.</summary>
    private string? ExistingFile(string name)
    {
        try
        {
            string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(name);
            return File.Exists(path) ? path : null;
        }
        catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    private void RejectNotApplicable(string[] parameters, string what)
    {
        string[] given = parameters.Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
        if (given.Length == 0) return;
        throw ArgumentError("ParameterNotApplicable",
            $"-{string.Join(", -", given)} {(given.Length == 1 ? "does" : "do")} not apply to {what}. Remove {(given.Length == 1 ? "it" : "them")}.",
            given[0]);
    }

    /// <summary>Progress of a read: the share of the file read (a finished read writes no more).</summary>
    private sealed class LoadProgressWriter
    {
        private readonly ProgressWriter _bar;

        public LoadProgressWriter(Action<ProgressRecord> write, int id, string activity) => _bar = new ProgressWriter(write, id, activity);

        public void Report(double done)
        {
            if (done >= 1 || !_bar.Due) return;
            _bar.Report(done, Invariant.Format($"{done * 100:0}% read"));
        }

        public void Complete() => _bar.Complete();
    }
}

/// <summary>Tab completion for <c>Import-Dataset -Name</c>: the built-in dataset names.</summary>
public sealed class BuiltInDatasetCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ArgumentCompletion.Matching(wordToComplete, BuiltInDatasets.Names.Select(n => (n, n)));
}

/// <summary>
/// Tab completion for <c>Import-Dataset -LabelColumn</c> and <c>-FeatureColumn</c>: the column names of the file typed
/// in -Path or -LiteralPath (or by position), as a read with the options typed beside it (-Delimiter, -SkipLines,
/// -Header, -NoHeader, -ColumnName) would name them. Only the head of the file is read
/// (<see cref="CsvDatasetReader.ReadColumnNames(string, CsvOptions?)"/>). No file yet, one that is missing, unreadable
/// or not delimited text, a wildcard that matches several, or a file without a header: nothing is offered.
/// </summary>
public sealed class CsvColumnCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<string>? names = null;
        string? file = null;
        try
        {
            file = FileOf(fakeBoundParameters);
            if (file is not null) names = CsvDatasetReader.ReadColumnNames(file, OptionsOf(fakeBoundParameters));
        }
        catch (Exception e) when (e is MlpException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or RuntimeException)
        {
            // Completion says nothing rather than an error: the command itself reports the file when it runs.
        }
        if (names is null) return Array.Empty<CompletionResult>();
        string shown = System.IO.Path.GetFileName(file!);
        return ArgumentCompletion.Matching(wordToComplete, names.Select((n, j) => (n, Invariant.Format($"Column {j} of {shown}"))));
    }

    /// <summary>
    /// The one existing file the typed -LiteralPath, -Path or positional value names, resolved as the command resolves it
    /// (relative to the current location, through PSDrives, wildcards for -Path only); null when there is none.
    /// </summary>
    private static string? FileOf(IDictionary bound)
    {
        string? wildcard = ArgumentCompletion.Bound<string>(bound, nameof(ImportDatasetCommand.Path));
        // A file named where a built-in name goes is taken as it is written, as the command takes it.
        string? literal = ArgumentCompletion.Bound<string>(bound, nameof(ImportDatasetCommand.LiteralPath))
            ?? (wildcard is null ? ArgumentCompletion.Bound<string>(bound, nameof(ImportDatasetCommand.Name)) : null);
        string? path = literal ?? wildcard;
        if (string.IsNullOrEmpty(path)) return null;
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand(@"Microsoft.PowerShell.Management\Resolve-Path")
            .AddParameter(literal is not null ? "LiteralPath" : "Path", path)
            .AddParameter("ErrorAction", ActionPreference.Ignore);
        string[] files = ps.Invoke<PathInfo>()
            .Where(p => p.Provider.ImplementingType == typeof(Microsoft.PowerShell.Commands.FileSystemProvider) && File.Exists(p.ProviderPath))
            .Select(p => p.ProviderPath).ToArray();
        return files.Length == 1 ? files[0] : null;
    }

    private static CsvOptions OptionsOf(IDictionary bound) => new()
    {
        Header = ArgumentCompletion.BoundSwitch(bound, nameof(ImportDatasetCommand.Header)) ? CsvHeader.Present
            : ArgumentCompletion.BoundSwitch(bound, nameof(ImportDatasetCommand.NoHeader)) ? CsvHeader.Absent
            : CsvHeader.Detect,
        Delimiter = ArgumentCompletion.Bound<char?>(bound, nameof(ImportDatasetCommand.Delimiter)),
        SkipLines = Math.Max(0, ArgumentCompletion.Bound<int>(bound, nameof(ImportDatasetCommand.SkipLines))),
        ColumnNames = ArgumentCompletion.Bound<string[]>(bound, nameof(ImportDatasetCommand.ColumnName)),
    };
}
