using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace MlpTools.Core.Data;

/// <summary>Whether the first row of a CSV file holds column names.</summary>
public enum CsvHeader
{
    /// <summary>
    /// Decide from the content: the first row is a header when a label or feature column is named, when one of its
    /// feature fields is text that is not a number, or when its label field is not a number but the next row's is.
    /// </summary>
    Detect,
    /// <summary>The first row is a header.</summary>
    Present,
    /// <summary>There is no header: the first row is data, features are named x0, x1, ...</summary>
    Absent,
}

/// <summary>A column of a delimited file, by its header name or its 0-based position.</summary>
public readonly record struct ColumnRef
{
    private ColumnRef(string? name, int index)
    {
        Name = name;
        Index = index;
    }

    /// <summary>The header name, or null when the column is given by position.</summary>
    public string? Name { get; }

    /// <summary>The 0-based position, or -1 when the column is given by name.</summary>
    public int Index { get; }

    /// <summary>The column whose header is <paramref name="name"/> (exact case preferred, else case-insensitive).</summary>
    public static ColumnRef Named(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ColumnRef(name, -1);
    }

    /// <summary>The column at 0-based position <paramref name="index"/>.</summary>
    public static ColumnRef At(int index)
    {
        if (index < 0)
            throw MlpException.Argument("InvalidColumnIndex", Invariant.Format($"A column index counts from 0, so it cannot be {index}."), index);
        return new ColumnRef(null, index);
    }

    /// <summary>Same as <see cref="Named"/>.</summary>
    public static ColumnRef FromString(string name) => Named(name);

    /// <summary>Same as <see cref="At"/>.</summary>
    public static ColumnRef FromInt32(int index) => At(index);

    public static implicit operator ColumnRef(string name) => Named(name);

    public static implicit operator ColumnRef(int index) => At(index);

    /// <inheritdoc />
    public override string ToString() => Name is not null ? $"'{Name}'" : Index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>How <see cref="CsvDatasetReader"/> reads a delimited file.</summary>
public sealed record CsvOptions
{
    /// <summary>The label column; null means the last column.</summary>
    public ColumnRef? LabelColumn { get; init; }

    /// <summary>The feature columns, in the order wanted; null means every column but the label, in file order.</summary>
    public IReadOnlyList<ColumnRef>? FeatureColumns { get; init; }

    /// <summary>Whether the first row is a header; default <see cref="CsvHeader.Detect"/>.</summary>
    public CsvHeader Header { get; init; } = CsvHeader.Detect;

    /// <summary>
    /// The field delimiter; null chooses by extension (.tsv and .tab: tab; .csv: comma; a trailing .gz is looked
    /// past) and, for any other extension, detects it from the first line (comma, tab, semicolon or bar).
    /// </summary>
    public char? Delimiter { get; init; }

    /// <summary>The dataset's name; null takes the file name without its extensions.</summary>
    public string? Name { get; init; }

    /// <summary>How many physical lines to skip before reading (a preamble, a title, comments); 0 by default.</summary>
    public int SkipLines { get; init; }

    /// <summary>
    /// Names for the columns, the label's included, in file order. The first row is then data, unless
    /// <see cref="Header"/> is <see cref="CsvHeader.Present"/>, in which case these names replace the file's header.
    /// </summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }

    /// <summary>
    /// The class names, in class order: whole-number labels k mean the k-th name; text labels must each be one of the
    /// names and take its position. Null: the usual rule (see <see cref="CsvDatasetReader"/>).
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>Called with a sentence about each decision the reader makes (header or not, a preamble recognised, lines skipped).</summary>
    public Action<string>? Verbose { get; init; }

    /// <summary>The longest record, in characters, before the file is refused (an unterminated quote runs to the end).</summary>
    internal int MaxRecordChars { get; init; } = 1 << 24;

    internal static CsvOptions Default { get; } = new();
}

/// <summary>
/// Reads CSV and TSV files into datasets: RFC 4180 quoting, UTF-8 with or without a byte-order mark, LF or CRLF
/// line ends, raw or gzip-compressed (recognised by content). Numbers are read with <see cref="CultureInfo.InvariantCulture"/>
/// ('.' as the decimal point) whatever the thread's culture, and stored in double precision.
/// </summary>
/// <remarks>
/// Labels follow one rule (the same as <see cref="DatasetBuilder"/>): when every label is a whole number of 0 or more,
/// label k is class k and there are max + 1 classes; otherwise the distinct label texts, sorted ordinally, are the
/// class names. Blank lines are skipped. Every problem ends in an <see cref="MlpException"/> (ErrorIds <c>Csv*</c>,
/// <c>DataFile*</c>) naming the file, line and column.
/// </remarks>
public static class CsvDatasetReader
{
    /// <summary>UTF-8 that turns invalid bytes into U+FFFD, so the field holding them can be named with its line and column.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
    private const char Replacement = '\uFFFD';
    private static readonly SearchValues<char> DelimiterCandidates = SearchValues.Create(CsvTokenizer.DetectableDelimiters);

    /// <summary>Reads <paramref name="path"/> into a dataset.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">How to read; null for the defaults.</param>
    /// <param name="progress">Called with the fraction of the file read, in [0,1], on the caller's thread; last with 1.</param>
    /// <param name="cancellationToken">Checked every 1,024 rows; when set, the read stops with an <see cref="OperationCanceledException"/>.</param>
    public static Dataset Read(string path, CsvOptions? options = null, Action<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= CsvOptions.Default;
        CheckOptions(options);
        using FileStream file = DataFile.Open(path);
        return Read(file, file.Name, options, progress, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Reads a dataset from <paramref name="stream"/> (seekable: its start is looked at for the gzip magic), which
    /// messages name <paramref name="source"/>. The stream is left open. With no delimiter in <paramref name="options"/>,
    /// it is chosen by the extension of <paramref name="source"/>, else detected.
    /// </summary>
    /// <param name="stream">The content, raw or gzip.</param>
    /// <param name="source">The name messages give the content (a path, as a rule).</param>
    /// <param name="options">How to read; null for the defaults.</param>
    /// <param name="progress">As for <see cref="Read(string, CsvOptions?, Action{double}?, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">As for <see cref="Read(string, CsvOptions?, Action{double}?, CancellationToken)"/>.</param>
    /// <param name="work">When given, receives the number of characters the tokenizer examined, whether the read succeeds or fails.</param>
    internal static Dataset Read(Stream stream, string source, CsvOptions? options = null, Action<double>? progress = null,
        StrongBox<long>? work = null, CancellationToken cancellationToken = default)
    {
        options ??= CsvOptions.Default;
        CheckOptions(options);
        bool gzip = CheckStart(stream, source);
        // Without a word from the caller on lines, header or names, a first line that gives the sample and feature
        // counts (and the class names) is tried as a preamble; when what follows does not bear it out, the file is read again
        // as if the line were not special.
        bool detectPreamble = options.SkipLines == 0 && options.Header == CsvHeader.Detect && options.ColumnNames is null;
        long start = stream.Position;
        long total = 0;
        try
        {
            while (true)
            {
                // The gzip reader is ours to close; the stream is the caller's.
                using Stream? inflate = gzip ? DataFile.Content(stream, gzip, leaveOpen: true) : null;
                using StreamReader text = TextOf(inflate ?? stream, bufferSize: 1 << 16);
                var load = new CsvLoad(source, stream, text, options.Delimiter ?? DelimiterFor(source), options.MaxRecordChars);
                try
                {
                    return load.Run(options, detectPreamble, new ProgressReporter(progress, stream.Length), cancellationToken);
                }
                catch (Exception e) when (detectPreamble && e is PreambleNotConfirmed or MlpException { Kind: MlpErrorKind.InvalidData } && load.TriedPreamble)
                {
                    detectPreamble = false;
                    stream.Position = start;
                }
                finally
                {
                    total += load.Work;
                }
            }
        }
        finally
        {
            if (work is not null) work.Value = total;
        }
    }

    /// <summary>The most characters <see cref="ReadColumnNames(string, CsvOptions?)"/> reads of a file: its head, never the whole of a big file.</summary>
    internal const int HeadChars = 1 << 20;

    /// <summary>
    /// The names a read of <paramref name="path"/> with <paramref name="options"/> would give its columns, the label's
    /// included, in file order: the header's (or <see cref="CsvOptions.ColumnNames"/>), or null when the file is read
    /// without a header (or is an IDX file, whose columns have no names). Only the head of the file is read (the lines
    /// to skip and the first two rows, at most <see cref="HeadChars"/> characters, and a row no longer than a quarter of
    /// that), so this is quick on any file; it is what tab completion offers for a column.
    /// </summary>
    /// <param name="path">The file, raw or gzip.</param>
    /// <param name="options">How the file would be read (delimiter, header, lines to skip, column names); null for the defaults.</param>
    /// <exception cref="MlpException">The file is missing, unreadable, empty, not text, or its head is malformed.</exception>
    public static IReadOnlyList<string>? ReadColumnNames(string path, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (IdxReader.IsIdx(path)) return null;
        using FileStream file = DataFile.Open(path);
        return ReadColumnNames(file, file.Name, options);
    }

    /// <summary>As <see cref="ReadColumnNames(string, CsvOptions?)"/>, from a seekable stream that messages name <paramref name="source"/>; the stream is left open.</summary>
    internal static IReadOnlyList<string>? ReadColumnNames(Stream stream, string source, CsvOptions? options = null)
    {
        // A record as long as the whole head would be cut off by its end: a quarter of it is the longest taken.
        options = (options ?? CsvOptions.Default) with { MaxRecordChars = HeadChars / 4 };
        CheckOptions(options);
        bool gzip = CheckStart(stream, source);
        using Stream? inflate = gzip ? DataFile.Content(stream, gzip, leaveOpen: true) : null;
        using StreamReader text = TextOf(inflate ?? stream, bufferSize: 1 << 12);
        using var head = new HeadReader(text, HeadChars);
        bool detectPreamble = options.SkipLines == 0 && options.Header == CsvHeader.Detect && options.ColumnNames is null;
        var load = new CsvLoad(source, stream, head, options.Delimiter ?? DelimiterFor(source), options.MaxRecordChars);
        return load.ReadHead(options, detectPreamble).Names;
    }

    /// <summary>
    /// Refuses an empty stream (<c>CsvEmptyFile</c>) and one whose first bytes show it is not text
    /// (<see cref="RefuseOtherKinds"/>); returns whether it is gzip. The stream is left at its start.
    /// </summary>
    private static bool CheckStart(Stream stream, string source)
    {
        if (stream.Length == 0)
            throw MlpException.InvalidData("CsvEmptyFile", $"The file '{source}' is empty; a CSV file needs rows of features and a label.", source);
        bool gzip = DataFile.IsGzip(stream);
        if (!gzip) RefuseOtherKinds(FileSniffer.ReadStart(stream), source);
        return gzip;
    }

    /// <summary>The text of <paramref name="content"/>: UTF-8 (invalid bytes as U+FFFD) or what its byte-order mark says; the stream is left open.</summary>
    private static StreamReader TextOf(Stream content, int bufferSize) =>
        new(content, Utf8, detectEncodingFromByteOrderMarks: true, bufferSize: bufferSize, leaveOpen: true);

    /// <summary>
    /// Refuses a file that its first bytes show to be of a kind that is not text (a model file, an image, an archive,
    /// NumPy or HDF5 data), saying what it looks like (<c>DataFileWrongKind</c>); text, and binary of no known kind,
    /// go on to be read (where bytes that are not UTF-8 are named, with their line and column).
    /// </summary>
    private static void RefuseOtherKinds(ReadOnlySpan<byte> start, string source)
    {
        FileKind kind = FileSniffer.Detect(start);
        if (kind is FileKind.Text or FileKind.Empty or FileKind.Unknown or FileKind.Gzip or FileKind.Idx) return;
        string what = FileSniffer.Describe(start);
        string hint = kind switch
        {
            FileKind.Safetensors => "", // a model file: loading it is the caller's business (the cmdlets point to Import-Mlp)
            FileKind.Zip => " A spreadsheet (.xlsx) must be saved as CSV first.",
            _ => " A dataset file is delimited text (CSV, TSV) or IDX.",
        };
        throw MlpException.InvalidData("DataFileWrongKind", $"'{source}' is not delimited text: it looks like {what}.{hint}", source);
    }

    private static void CheckOptions(CsvOptions options)
    {
        if (options.SkipLines < 0)
            throw MlpException.Argument("InvalidSkipLines", Invariant.Format($"SkipLines counts lines to skip, so it cannot be {options.SkipLines}."), options.SkipLines);
        if (options.ColumnNames is { Count: 0 })
            throw MlpException.Argument("CsvColumnNamesMismatch", "The list of column names is empty; give one name per column, the label's included.");
        if (options.ClassNames is { } classNames) LabelEncoder.CheckClassNames(classNames, "the labels");
        if (options.Delimiter is '"' or '\r' or '\n')
            throw MlpException.Argument("InvalidDelimiter", "The delimiter cannot be a double quote or a line break.", options.Delimiter);
        if (options.FeatureColumns is { Count: 0 })
            throw MlpException.Argument("CsvNoFeatures", "The list of feature columns is empty; name at least one, or leave it out to take every column but the label.");
    }

    /// <summary>Tab for .tsv and .tab, comma for .csv (past any .gz), null (detect) otherwise.</summary>
    internal static char? DelimiterFor(string path)
    {
        string name = path;
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        string ext = Path.GetExtension(name).ToUpperInvariant();
        return ext switch
        {
            ".TSV" or ".TAB" => '\t',
            ".CSV" => ',',
            _ => null,
        };
    }

    private static bool IsNumber(string field) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>Shows a field's text in a message: quoted, and shortened when long.</summary>
    private static string Show(ReadOnlySpan<char> field) =>
        field.Length <= 40 ? "'" + field.ToString() + "'" : "'" + field[..37].ToString() + "...'";

    /// <summary>One read of one file: the tokenizer, where it is (line numbers), and what has been read.</summary>
    private sealed class CsvLoad
    {
        private readonly string _path;
        private readonly Stream _file;
        private readonly TextReader _text;
        private readonly char? _delimiter;
        private readonly int _maxRecordChars;
        private CsvTokenizer? _tokenizer;
        private string[]? _stored;

        public CsvLoad(string path, Stream file, TextReader text, char? delimiter, int maxRecordChars)
        {
            _path = path;
            _file = file;
            _text = text;
            _delimiter = delimiter;
            _maxRecordChars = maxRecordChars;
        }

        /// <summary>The line the current record starts on (1-based; a quoted field may span lines).</summary>
        private int Line => Csv.Line;

        private CsvTokenizer Csv => _tokenizer!;

        /// <summary>The characters the tokenizer has examined (for tests of how the work grows).</summary>
        public long Work => _tokenizer?.Work ?? 0;

        /// <summary>True once the first line was taken for a preamble.</summary>
        public bool TriedPreamble { get; private set; }

        public Dataset Run(CsvOptions options, bool detectPreamble, ProgressReporter progress, CancellationToken ct)
        {
            (string[] first, int firstLine, int columns, string[]? second, int secondLine, int secondCount, Preamble? preamble, bool header, string[]? names) =
                ReadHead(options, detectPreamble);
            bool hasSecond = second is not null;
            int labelIndex = ResolveLabel(options.LabelColumn, names, columns);
            int[] featureIndex = ResolveFeatures(options.FeatureColumns, names, columns, labelIndex, first);
            string labelName = names?[labelIndex] ?? Invariant.Format($"column {labelIndex}");
            IReadOnlyList<string> featureNames = names is null
                ? Dataset.DefaultFeatureNames(featureIndex.Length)
                : featureIndex.Select(j => names[j]).ToArray();

            var rows = new RowBuffer(featureIndex.Length);
            var labels = new LabelEncoder();
            int headerLine = header ? firstLine : 0;
            if (!header) Row(first, first.Length, firstLine, columns, headerLine, featureIndex, labelIndex, featureNames, labelName, rows, labels);
            if (hasSecond)
            {
                Row(second, secondCount, secondLine, columns, headerLine, featureIndex, labelIndex, featureNames, labelName, rows, labels);
                while (Next())
                {
                    Row(null, Csv.FieldCount, Line, columns, headerLine, featureIndex, labelIndex, featureNames, labelName, rows, labels);
                    if ((rows.Count & 1023) == 0)
                    {
                        ct.ThrowIfCancellationRequested();
                        progress.Report(_file.Position);
                    }
                }
            }
            if (rows.Count == 0)
                throw MlpException.InvalidData("CsvHeaderOnly", $"The file '{_path}' has a header row but no data rows.", _path);
            if (preamble is not null && rows.Count != preamble.SampleCount)
                throw new PreambleNotConfirmed();

            string where = $"'{_path}' (column '{labelName}')";
            IReadOnlyList<string>? knownNames = options.ClassNames ?? preamble?.ClassNames;
            (int[] y, IReadOnlyList<string> classNames) = labels.Finish("CsvTooManyClasses", where, knownNames);
            double[] x = rows.ToArray();
            progress.Complete();
            string source = _path;
            if (preamble is not null)
            {
                source = Invariant.Format($"{_path} (line 1 read as a preamble: {preamble.Describe()})");
                options.Verbose?.Invoke(Invariant.Format($"Line 1 of '{_path}' is a preamble, not data: {preamble.Describe()}; the data, {Invariant.Plural(y.Length, "row")} without a header, starts on line 2."));
            }
            return Dataset.FromRows(x, y.Length, featureIndex.Length, y, classNames, featureNames,
                options.Name ?? DataFile.NameFromPath(_path), source, labelName: names?[labelIndex]);
        }

        /// <summary>
        /// Reads the head of the text: the lines to skip, the first two records that are not blank (the first taken for
        /// a preamble when it is one), and decides whether the first is a header and what the columns are called. The
        /// rest of the text is not touched.
        /// </summary>
        public Head ReadHead(CsvOptions options, bool detectPreamble)
        {
            try
            {
                _tokenizer = new CsvTokenizer(_text, _path, _delimiter, _maxRecordChars);
            }
            catch (Exception e) when (Translate(e) is { } m)
            {
                throw m;
            }
            if (options.SkipLines > 0)
            {
                int skipped = Csv.SkipLines(options.SkipLines);
                options.Verbose?.Invoke(Invariant.Format($"Skipped the first {Invariant.Plural(skipped, "line")} of '{_path}'."));
            }
            if (!Next())
                throw MlpException.InvalidData("CsvEmptyFile", options.SkipLines > 0
                    ? Invariant.Format($"The file '{_path}' has no rows after the {Invariant.Plural(options.SkipLines, "line")} skipped; a CSV file needs rows of features and a label.")
                    : $"The file '{_path}' has no rows; a CSV file needs rows of features and a label.", _path);
            int firstLine = Line;
            string[] first = Fields();
            for (int j = 0; j < first.Length; j++) CheckEncoding(first[j], firstLine, j);
            int columns = first.Length;
            // A later row with more fields is refused whatever it holds, so only the header's number is kept of any row
            // (and of the second row, the number a preamble on the first would promise).
            Csv.FieldLimit = detectPreamble && Preamble.PromisedColumns(first) is { } promised ? Math.Max(columns, promised) : columns;
            bool hasSecond = Next();
            int secondLine = Line;
            int secondCount = Csv.FieldCount;
            string[]? second = hasSecond ? Fields() : null;

            Preamble? preamble = null;
            if (detectPreamble && hasSecond && Preamble.Recognise(first, second!, secondCount) is { } recognised)
            {
                // Line 1 says how many samples and features follow (and names the classes): the data starts on line 2.
                preamble = recognised;
                TriedPreamble = true;
                (first, firstLine, columns) = (second!, secondLine, secondCount);
                Csv.FieldLimit = columns;
                hasSecond = Next();
                secondLine = Line;
                secondCount = Csv.FieldCount;
                second = hasSecond ? Fields() : null;
            }
            Csv.FieldLimit = columns;

            bool named = options.LabelColumn is { Name: not null } || (options.FeatureColumns?.Any(c => c.Name is not null) ?? false);
            if (named && options.Header == CsvHeader.Absent && options.ColumnNames is null)
                throw MlpException.InvalidData(options.LabelColumn is { Name: not null } ? "CsvLabelColumnNotFound" : "CsvFeatureColumnNotFound",
                    $"Columns are named, but '{_path}' is read without a header (Header is Absent), so its columns have no names; give them by 0-based index, or name them with ColumnNames.", _path);
            int labelGuess = options.LabelColumn is { Name: null } l ? l.Index : columns - 1;
            bool header = preamble is null && options.Header switch
            {
                CsvHeader.Present => true,
                CsvHeader.Absent => false,
                _ => options.ColumnNames is null && (named || LooksLikeHeader(first, second, labelGuess, options.FeatureColumns?.Select(c => c.Index).ToArray())),
            };
            string[]? names = options.ColumnNames is { } given ? ColumnNames(given, columns, firstLine)
                : header ? first.Select((s, j) => s.Trim().Length > 0 ? s.Trim() : Invariant.Format($"x{j}")).ToArray()
                : null;
            if (preamble is null)
                options.Verbose?.Invoke(header
                    ? Invariant.Format($"Line {firstLine} of '{_path}' is read as its header.")
                    : Invariant.Format($"'{_path}' is read without a header: line {firstLine} is data."));
            return new Head(first, firstLine, columns, second, secondLine, secondCount, preamble, header, names);
        }

        /// <summary>The column names given by the caller, checked against the file's number of columns.</summary>
        private string[] ColumnNames(IReadOnlyList<string> given, int columns, int line)
        {
            if (given.Count != columns)
                throw MlpException.Argument("CsvColumnNamesMismatch",
                    Invariant.Format($"{Invariant.Plural(given.Count, "column name")} were given, but '{_path}' has {Invariant.Plural(columns, "column")} (line {line}); give one name per column, the label's included."), given.Count);
            return given.Select((s, j) => string.IsNullOrWhiteSpace(s) ? Invariant.Format($"x{j}") : s.Trim()).ToArray();
        }

        /// <summary>
        /// The first row is a header when a feature field of it (of the chosen features, when they are given) is text that
        /// is not a number, or when its label field is not a number while the second row's is. Blank fields say nothing.
        /// </summary>
        private static bool LooksLikeHeader(string[] first, string[]? second, int labelIndex, int[]? features)
        {
            foreach (int j in features ?? Enumerable.Range(0, first.Length).ToArray())
            {
                if (j == labelIndex || j >= first.Length || first[j].Trim().Length == 0) continue;
                if (!IsNumber(first[j])) return true;
            }
            return labelIndex < first.Length && second is not null && labelIndex < second.Length
                && !IsNumber(first[labelIndex]) && IsNumber(second[labelIndex]);
        }

        private int ResolveLabel(ColumnRef? label, string[]? names, int columns)
        {
            if (label is null) return columns - 1;
            ColumnRef c = label.Value;
            if (c.Name is null)
            {
                if (c.Index >= columns)
                    throw MlpException.InvalidData("CsvLabelColumnNotFound",
                        Invariant.Format($"The label column index {c.Index} is outside the {columns} columns of '{_path}' (indexes 0..{columns - 1})."), _path);
                return c.Index;
            }
            return Find(c.Name, names!, "CsvLabelColumnNotFound", "label");
        }

        private int[] ResolveFeatures(IReadOnlyList<ColumnRef>? features, string[]? names, int columns, int labelIndex, string[] first)
        {
            if (features is null)
            {
                if (columns < 2)
                {
                    string hint = first[0].AsSpan().IndexOfAny(DelimiterCandidates) >= 0
                        ? " Its one field contains a ';', tab, ',' or '|': set Delimiter to the right one." : "";
                    throw MlpException.InvalidData("CsvTooFewColumns",
                        $"The file '{_path}' has one column per row, but a dataset needs at least one feature column and a label column.{hint}", _path);
                }
                return Enumerable.Range(0, columns).Where(j => j != labelIndex).ToArray();
            }
            var result = new int[features.Count];
            var seen = new HashSet<int>();
            for (int k = 0; k < features.Count; k++)
            {
                ColumnRef c = features[k];
                int j;
                if (c.Name is null)
                {
                    if (c.Index >= columns)
                        throw MlpException.InvalidData("CsvFeatureColumnNotFound",
                            Invariant.Format($"The feature column index {c.Index} is outside the {columns} columns of '{_path}' (indexes 0..{columns - 1})."), _path);
                    j = c.Index;
                }
                else
                {
                    j = Find(c.Name, names!, "CsvFeatureColumnNotFound", "feature");
                }
                if (j == labelIndex)
                    throw MlpException.InvalidData("CsvLabelAmongFeatures", $"Column {c} of '{_path}' is the label column; it cannot also be a feature.", _path);
                if (!seen.Add(j))
                    throw MlpException.InvalidData("CsvDuplicateFeatureColumn", $"Column {c} of '{_path}' is listed twice among the features.", _path);
                result[k] = j;
            }
            return result;
        }

        /// <summary>The header's columns by exact name and by name without regard to case, built once per file.</summary>
        private (ILookup<string, int> Exact, ILookup<string, int> Loose)? _columnsByName;

        private int Find(string name, string[] names, string errorId, string role)
        {
            _columnsByName ??= (Enumerable.Range(0, names.Length).ToLookup(j => names[j], StringComparer.Ordinal),
                Enumerable.Range(0, names.Length).ToLookup(j => names[j], StringComparer.OrdinalIgnoreCase));
            int[] exact = _columnsByName.Value.Exact[name].ToArray();
            if (exact.Length == 1) return exact[0];
            int[] loose = _columnsByName.Value.Loose[name].ToArray();
            if (exact.Length > 1 || loose.Length > 1)
            {
                int[] all = exact.Length > 1 ? exact : loose;
                string listed = string.Join(", ", all.Take(20)) + (all.Length > 20 ? ", ..." : "");
                throw MlpException.InvalidData("CsvAmbiguousColumn",
                    Invariant.Format($"The header of '{_path}' has more than one column named '{name}' (columns {listed}); give the {role} column by index."), _path);
            }
            if (loose.Length == 1) return loose[0];
            string known = string.Join(", ", names.Take(20).Select(s => "'" + s + "'")) + (names.Length > 20 ? ", ..." : "");
            throw MlpException.InvalidData(errorId, $"The header of '{_path}' has no column named '{name}' for the {role}. Its columns are: {known}.", _path);
        }

        /// <summary>Parses one data record of <paramref name="count"/> fields (the stored one when given, else the tokenizer's current one) into the buffers.</summary>
        private void Row(string[]? stored, int count, int line, int columns, int headerLine, int[] featureIndex, int labelIndex,
            IReadOnlyList<string> featureNames, string labelName, RowBuffer rows, LabelEncoder labels)
        {
            _stored = stored;
            if (count != columns)
            {
                string against = headerLine > 0 ? Invariant.Format($"the header (line {headerLine}) has {columns}") : Invariant.Format($"the first row has {columns}");
                throw MlpException.InvalidData("CsvRaggedRow",
                    Invariant.Format($"'{_path}', line {line}: the row has {count} fields but {against}. Every row needs the same number of fields (is a delimiter inside an unquoted value?)."), _path);
            }
            Span<double> row = rows.Append();
            for (int k = 0; k < featureIndex.Length; k++)
            {
                int j = featureIndex[k];
                ReadOnlySpan<char> field = Field(j);
                ValueProblem problem = ValueParser.Parse(field, out row[k]);
                if (problem != ValueProblem.None)
                {
                    CheckEncoding(field, line, j);
                    string where = Invariant.Format($"'{_path}', line {line}, column {j + 1} ('{featureNames[k]}')");
                    throw problem switch
                    {
                        ValueProblem.Missing => MlpException.InvalidData("CsvMissingValue",
                            $"{where}: the value is missing ({Show(field)}). Fill it in or remove the row; MlpTools does not guess missing values.", _path),
                        ValueProblem.NonFinite => MlpException.InvalidData("CsvNonFiniteValue",
                            $"{where}: {Show(field)} is not a finite number; every feature value must be finite.", _path),
                        _ => MlpException.InvalidData("CsvInvalidNumber",
                            $"{where}: {Show(field)} is not a number. Numbers are read with '.' as the decimal point and no thousands separators, whatever the culture.", _path),
                    };
                }
            }
            ReadOnlySpan<char> label = Field(labelIndex);
            CheckEncoding(label, line, labelIndex);
            if (label.Trim().IsEmpty)
                throw MlpException.InvalidData("CsvMissingLabel",
                    Invariant.Format($"'{_path}', line {line}, column {labelIndex + 1} ('{labelName}'): the label is missing. Every row needs a label."), _path);
            if (!labels.TryAdd(label))
                throw MlpException.InvalidData("CsvTooManyClasses",
                    Invariant.Format($"'{_path}', line {line}, column {labelIndex + 1} ('{labelName}'): more than {LabelEncoder.MaxClassCount:N0} distinct labels. Is that really the label column?"), _path);
        }

        /// <summary>Refuses a field holding U+FFFD, which the decoder put where the bytes were not UTF-8.</summary>
        private void CheckEncoding(ReadOnlySpan<char> field, int line, int column)
        {
            if (field.Contains(Replacement))
                throw MlpException.InvalidData("CsvInvalidEncoding",
                    Invariant.Format($"'{_path}', line {line}, column {column + 1}: {Show(field)} holds bytes that are not UTF-8 (shown as \uFFFD). Save the file as UTF-8."), _path);
        }

        private ReadOnlySpan<char> Field(int j) => _stored is not null ? _stored[j].AsSpan() : Csv.Field(j);

        private string[] Fields()
        {
            var fields = new string[Math.Min(Csv.FieldCount, Csv.FieldLimit)];
            for (int j = 0; j < fields.Length; j++) fields[j] = Csv.Field(j).ToString();
            return fields;
        }

        /// <summary>Moves to the next record that is not a blank line.</summary>
        private bool Next()
        {
            while (true)
            {
                try
                {
                    if (!Csv.Read()) return false;
                }
                catch (Exception e) when (Translate(e) is { } m)
                {
                    throw m;
                }
                if (!Csv.IsBlank) return true;
            }
        }

        /// <summary>The decoder's and the file's failures as MlpExceptions; null for anything else (the tokenizer's own errors are MlpExceptions already).</summary>
        private MlpException? Translate(Exception e) => e switch
        {
            InvalidDataException => new MlpException("CsvCorruptGzip", MlpErrorKind.InvalidData,
                    $"The gzip file '{_path}' is corrupt: its compressed data or checksum is wrong.", _path, e),
            IOException => new MlpException("DataFileUnreadable", MlpErrorKind.InvalidOperation, $"The file '{_path}' could not be read: {e.Message}", _path, e),
            _ => null,
        };
    }

    /// <summary>What <see cref="CsvLoad.ReadHead"/> found: the first two records that are not blank (after a preamble, when there is one), where they start, whether the first is a header, and the columns' names.</summary>
    private sealed record Head(string[] First, int FirstLine, int Columns, string[]? Second, int SecondLine, int SecondCount, Preamble? Preamble,
        bool Header, string[]? Names);

    /// <summary>A text reader that ends after the first <c>limit</c> characters of another: what a look at the head of a file reads at most.</summary>
    private sealed class HeadReader : TextReader
    {
        private readonly TextReader _inner;
        private int _left;

        public HeadReader(TextReader inner, int limit)
        {
            _inner = inner;
            _left = limit;
        }

        public override int Read(char[] buffer, int index, int count)
        {
            int got = _inner.Read(buffer, index, Math.Min(count, _left));
            _left -= got;
            return got;
        }

        public override int Read() => _left > 0 && _inner.Read() is int c and >= 0 ? Consume(c) : -1;

        public override int Peek() => _left > 0 ? _inner.Peek() : -1;

        private int Consume(int c)
        {
            _left--;
            return c;
        }
    }

    /// <summary>Thrown inside a read when the rows after a line taken for a preamble do not bear it out; the file is then read again.</summary>
    private sealed class PreambleNotConfirmed : Exception
    {
    }

    /// <summary>
    /// A first line that describes the data below it, as scikit-learn's bundled CSV files have:
    /// <c>178,13,class_0,class_1,class_2</c> (the number of samples, of features, then the class names, if any).
    /// </summary>
    private sealed class Preamble
    {
        private Preamble(int sampleCount, int featureCount, string[]? classNames)
        {
            SampleCount = sampleCount;
            FeatureCount = featureCount;
            ClassNames = classNames;
        }

        public int SampleCount { get; }

        public int FeatureCount { get; }

        public IReadOnlyList<string>? ClassNames { get; }

        /// <summary>
        /// The preamble <paramref name="first"/> would be, when it starts with two whole numbers N, F >= 1 and the
        /// next row has F + 1 fields (F features and a label). A line as wide as the data rows counts only when it
        /// also holds text that is not a number (class names), since a row of numbers that wide is data. Whether N rows
        /// follow, and whether the labels fit the names, is checked when they have been read.
        /// </summary>
        /// <summary>F + 1 when <paramref name="first"/> starts with two whole numbers N, F >= 1; else null.</summary>
        public static int? PromisedColumns(string[] first) =>
            first.Length >= 2 && TryCount(first[0], out _) && TryCount(first[1], out int f) && f < int.MaxValue ? f + 1 : null;

        public static Preamble? Recognise(string[] first, string[] second, int secondCount)
        {
            if (first.Length < 2 || !TryCount(first[0], out int n) || !TryCount(first[1], out int f)) return null;
            if ((long)f + 1 != secondCount || second.Length != secondCount) return null;
            string[] names = first[2..].Select(s => s.Trim()).ToArray();
            if (first.Length == secondCount && names.All(IsNumber)) return null;
            if (names.Any(string.IsNullOrEmpty) || names.Distinct(StringComparer.Ordinal).Count() != names.Length) return null;
            return new Preamble(n, f, names.Length > 0 ? names : null);
        }

        public string Describe() =>
            Invariant.Format($"{Invariant.Plural(SampleCount, "sample")}, {Invariant.Plural(FeatureCount, "feature")}") +
            (ClassNames is null ? "" : ", classes " + string.Join(", ", ClassNames));

        private static bool TryCount(string field, out int value) =>
            int.TryParse(field.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1;
    }
}
