using System.Globalization;
using System.Text;
using MlpTools.Core.Persistence;

namespace MlpTools.Core.Data;

/// <summary>How <see cref="CsvDatasetWriter"/> writes a dataset.</summary>
public sealed record CsvWriteOptions
{
    /// <summary>The field delimiter; null chooses by extension: a tab for .tsv and .tab, a comma otherwise.</summary>
    public char? Delimiter { get; init; }

    /// <summary>
    /// Write each row's place in the dataset it was taken from (<see cref="Dataset.SourceRows"/>, 0-based) as a first
    /// column named <see cref="SourceRowColumn"/>, so another tool can take the same rows. Refused for a dataset that
    /// was not taken from another.
    /// </summary>
    public bool IncludeSourceRows { get; init; }

    /// <summary>The name of the source-row column.</summary>
    public const string SourceRowColumn = "source_row";
}

/// <summary>
/// Writes a dataset as delimited text that <see cref="CsvDatasetReader"/> (and pandas, R, Excel) reads back: UTF-8
/// without a byte-order mark, LF line ends, a header of the feature names and a label column (named as the dataset's
/// labels were, else "label"), then one row per sample
/// with the label written as its class name. Values are written in the invariant culture, in the shortest form that
/// reads back to the same value (float or double, as the dataset holds them), so a read gives the dataset back bit for
/// bit. Fields are quoted only when they must be (a delimiter, a quote, a line break, or white space at an end).
/// </summary>
/// <remarks>
/// The file is written as model files are (<see cref="AtomicFile"/>): a temporary file published under the target's
/// name only when complete, never replacing a file unless asked to, even one another process creates meanwhile.
/// Class names are written as labels, so text labels keep their names; a reader orders classes by its own rule
/// (numbers by value, names ordinally), so to keep a dataset's own class order, read it with its class names
/// (<see cref="CsvOptions.ClassNames"/>, Import-Dataset -ClassName).
/// </remarks>
public static class CsvDatasetWriter
{
    private static readonly FileErrors Errors = new("Dataset", "dataset file");
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Writes <paramref name="data"/> to <paramref name="path"/>, atomically.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="overwrite">Replace the file when it exists; when false an existing file is an error (<c>DatasetFileExists</c>).</param>
    /// <param name="options">How to write; null for the defaults.</param>
    /// <param name="cancellationToken">Checked every 1,024 rows; when set, nothing is written.</param>
    /// <exception cref="MlpException">
    /// <c>DatasetFileExists</c>, <c>DatasetWriteFailed</c>, <c>DatasetDirectoryNotFound</c>, <c>DatasetPathIsDirectory</c>,
    /// <c>NoSourceRows</c>, <c>InvalidDelimiter</c>.
    /// </exception>
    public static void Save(Dataset data, string path, bool overwrite, CsvWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new CsvWriteOptions();
        string full = Errors.CheckTarget(path, overwrite, data.Name + ".csv");
        char delimiter = options.Delimiter ?? CsvDatasetReader.DelimiterFor(full) ?? ',';
        if (delimiter is '"' or '\r' or '\n')
            throw MlpException.Argument("InvalidDelimiter", "The delimiter cannot be a double quote or a line break.", delimiter);
        if (options.IncludeSourceRows && data.SourceRows is null)
            throw MlpException.Argument("NoSourceRows",
                $"'{data.Name}' was not taken from another dataset (as the parts of a split are), so it has no source rows to write; leave IncludeSourceRows off.", data.Name);
        AtomicFile.Write(full, overwrite, Errors, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
            Write(data, writer, delimiter, options.IncludeSourceRows, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>Writes <paramref name="data"/> as delimited text to <paramref name="writer"/>.</summary>
    internal static void Write(Dataset data, TextWriter writer, char delimiter, bool includeSourceRows, CancellationToken cancellationToken)
    {
        var header = new List<string>(data.FeatureCount + 2);
        if (includeSourceRows) header.Add(CsvWriteOptions.SourceRowColumn);
        header.AddRange(data.FeatureNames);
        header.Add(LabelColumnName(data.LabelName, header));
        WriteFields(writer, header, delimiter);

        string[] labels = data.ClassNames.Select(n => Field(n, delimiter)).ToArray();
        ReadOnlySpan<int> y = data.LabelSpan;
        int d = data.FeatureCount;
        Span<char> number = stackalloc char[32];
        for (int i = 0; i < data.Count; i++)
        {
            if ((i & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
            if (includeSourceRows)
            {
                data.SourceRows![i].TryFormat(number, out int n, default, CultureInfo.InvariantCulture);
                writer.Write(number[..n]);
                writer.Write(delimiter);
            }
            if (data.SingleRows is { } singles)
            {
                foreach (float v in singles.AsSpan((int)((long)i * d), d))
                {
                    v.TryFormat(number, out int n, "R", CultureInfo.InvariantCulture);
                    writer.Write(number[..n]);
                    writer.Write(delimiter);
                }
            }
            else
            {
                foreach (double v in data.DoubleRows!.AsSpan((int)((long)i * d), d))
                {
                    v.TryFormat(number, out int n, "R", CultureInfo.InvariantCulture);
                    writer.Write(number[..n]);
                    writer.Write(delimiter);
                }
            }
            writer.Write(labels[y[i]]);
            writer.Write('\n');
        }
    }

    /// <summary>The dataset's own label name, else "label"; with "_2", "_3", ... when a feature already has that name.</summary>
    private static string LabelColumnName(string? labelName, List<string> taken)
    {
        var names = new HashSet<string>(taken, StringComparer.OrdinalIgnoreCase);
        string stem = labelName ?? "label";
        if (!names.Contains(stem)) return stem;
        string name = "label";
        for (int k = 2; names.Contains(name); k++) name = "label_" + k.ToString(CultureInfo.InvariantCulture);
        return name;
    }

    private static void WriteFields(TextWriter writer, IEnumerable<string> fields, char delimiter)
    {
        writer.Write(string.Join(delimiter, fields.Select(f => Field(f, delimiter))));
        writer.Write('\n');
    }

    /// <summary>A field as RFC 4180 writes it: quoted, with quotes doubled, when it holds the delimiter, a quote or a line break, or starts or ends with white space.</summary>
    internal static string Field(string text, char delimiter)
    {
        bool quote = text.Length > 0 && (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1]));
        foreach (char c in text)
        {
            if (c == delimiter || c is '"' or '\r' or '\n')
            {
                quote = true;
                break;
            }
        }
        return quote ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
