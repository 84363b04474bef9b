using System.Diagnostics;
using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

/// <summary>
/// Every malformed file in Corpus/ (written by Corpus/make_corpus.py, listed in each folder's cases.tsv) is refused
/// with its own ErrorId, as InvalidData, with a message that names the file, quickly and without a large allocation.
/// </summary>
public class CorpusTests
{
    /// <summary>No case may allocate more than this: a header's claim must never be taken on trust.</summary>
    private const long AllocationLimit = 8 << 20;

    public static IEnumerable<object[]> IdxCases => DataTestFiles.Manifest("idx").Select(f => new object[] { f[0], f[1], f[2] });

    public static IEnumerable<object[]> CsvCases => DataTestFiles.Manifest("csv").Select(f => new object[] { f[0], f[1], f[2] });

    [Fact]
    public void The_corpus_has_at_least_30_cases_of_each_format()
    {
        Assert.True(IdxCases.Count() >= 30, "IDX cases: " + IdxCases.Count());
        Assert.True(CsvCases.Count() >= 30, "CSV cases: " + CsvCases.Count());
    }

    [Fact]
    public void The_valid_corpus_pair_reads_raw_and_gzipped()
    {
        string dir = Path.Combine(DataTestFiles.Corpus, "idx");
        foreach (string ext in new[] { ".idx", ".idx.gz" })
        {
            var d = IdxReader.Read(Path.Combine(dir, "ok-images" + ext), Path.Combine(dir, "ok-labels" + ext));
            Assert.Equal(4, d.Count);
            Assert.Equal(6, d.FeatureCount);
            Assert.Equal(new[] { 0, 1, 2, 1 }, d.Labels);
        }
    }

    [Theory]
    [MemberData(nameof(IdxCases))]
    public void Malformed_idx_is_refused_with_its_error_id(string images, string labels, string errorId)
    {
        string dir = Path.Combine(DataTestFiles.Corpus, "idx");
        string culprit = labels.StartsWith("ok-", StringComparison.Ordinal) ? images : labels;
        var e = Refused(() => IdxReader.Read(Path.Combine(dir, images), Path.Combine(dir, labels)));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidData, e.Kind);
        Assert.Contains(culprit, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CsvCases))]
    public void Malformed_csv_is_refused_with_its_error_id(string file, string options, string errorId)
    {
        using var culture = CultureScope.Invariant();
        string path = Path.Combine(DataTestFiles.Corpus, "csv", file);
        var e = Refused(() => CsvDatasetReader.Read(path, ParseOptions(options)));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidData, e.Kind);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_errors_name_the_line_and_column()
    {
        string dir = Path.Combine(DataTestFiles.Corpus, "csv");
        var ragged = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(Path.Combine(dir, "ragged-short.csv")));
        Assert.Contains("line 4", ragged.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(Path.Combine(dir, "missing-value.csv")));
        Assert.Contains("line 4, column 2 ('b')", missing.Message, StringComparison.Ordinal);
        var quote = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(Path.Combine(dir, "unterminated-quote-early.csv")));
        Assert.Contains("line 2", quote.Message, StringComparison.Ordinal);
        var hint = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(Path.Combine(dir, "semicolons.csv")));
        Assert.Contains("Delimiter", hint.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bomb_is_refused_after_reading_at_most_one_byte_past_the_claim()
    {
        string dir = Path.Combine(DataTestFiles.Corpus, "idx");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<MlpException>(() => IdxReader.Read(Path.Combine(dir, "bomb-1gb.gz"), Path.Combine(dir, "ok-labels.idx")));
        Assert.Equal("IdxTrailingData", e.ErrorId);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < AllocationLimit);
    }

    /// <summary>Runs a read that must fail, checking it neither hangs (a generous bound, not a speed test) nor allocates much.</summary>
    private static MlpException Refused(Func<Dataset> read)
    {
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<MlpException>(() => read());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < AllocationLimit, $"{e.ErrorId}: allocated {allocated:N0} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{e.ErrorId}: took {clock.Elapsed}");
        return e;
    }

    /// <summary>cases.tsv options: "-" for none, else space-separated label=NAME|INDEX, features=A,B,0, header=Present|Absent, delimiter=C.</summary>
    internal static CsvOptions ParseOptions(string text)
    {
        var o = new CsvOptions();
        if (text == "-") return o;
        foreach (string part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = part.Split('=', 2);
            o = kv[0] switch
            {
                "label" => o with { LabelColumn = Column(kv[1]) },
                "features" => o with { FeatureColumns = kv[1].Split(',').Select(Column).ToArray() },
                "header" => o with { Header = Enum.Parse<CsvHeader>(kv[1]) },
                "delimiter" => o with { Delimiter = kv[1] == "tab" ? '\t' : kv[1][0] },
                _ => throw new ArgumentException("Unknown corpus option " + part),
            };
        }
        return o;
    }

    private static ColumnRef Column(string s) =>
        int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) ? ColumnRef.At(i) : ColumnRef.Named(s);
}
