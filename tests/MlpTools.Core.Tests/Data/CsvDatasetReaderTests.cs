using System.Globalization;
using System.Text;
using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

public class CsvDatasetReaderTests
{
    private const string Iris =
        "sepal_length,sepal_width,species\n" +
        "5.1,3.5,setosa\n" +
        "7.0,3.2,versicolor\n" +
        "6.3,3.3,virginica\n" +
        "4.9,3.0,setosa\n";

    [Fact]
    public void A_headed_csv_with_text_labels_reads_with_sorted_class_names()
    {
        using var culture = CultureScope.Invariant();
        using var dir = new TempFolder();
        string path = dir.Write("iris.csv", Iris);
        var d = CsvDatasetReader.Read(path);

        Assert.Equal(4, d.Count);
        Assert.Equal(new[] { "sepal_length", "sepal_width" }, d.FeatureNames);
        Assert.Equal(new[] { "setosa", "versicolor", "virginica" }, d.ClassNames);
        Assert.Equal(new[] { 0, 1, 2, 0 }, d.Labels);
        Assert.Equal(Precision.Double, d.StoragePrecision);
        Assert.Equal(7.0, d.Features[1, 0]);
        Assert.Equal(3.0, d.Features[3, 1]);
        Assert.Equal("iris", d.Name);
        Assert.Equal(Path.GetFullPath(path), d.Source);
    }

    [Fact]
    public void Class_names_are_in_ordinal_order_whatever_the_order_of_appearance_or_culture()
    {
        using var culture = new CultureScope(CultureScope.CommaDecimal());
        using var dir = new TempFolder();
        // Ordinal: upper case before lower case, 'Z' before 'a', digits before letters.
        var d = CsvDatasetReader.Read(dir.Write("c.csv", "x,y\n1,b\n2,a\n3,Z\n4,10\n5,9\n6,a\n"));
        Assert.Equal(new[] { "10", "9", "Z", "a", "b" }, d.ClassNames);
        Assert.Equal(new[] { 4, 3, 2, 0, 1, 3 }, d.Labels);
    }

    [Fact]
    public void Whole_number_labels_are_class_indexes_and_the_class_count_is_max_plus_one()
    {
        using var dir = new TempFolder();
        var d = CsvDatasetReader.Read(dir.Write("ints.csv", "a,b,y\n1,2,5\n3,4,0\n5,6,2.0\n7,8,05\n"));
        Assert.Equal(new[] { 5, 0, 2, 5 }, d.Labels);
        Assert.Equal(6, d.ClassCount);
        Assert.Equal(Dataset.DefaultClassNames(6), d.ClassNames);

        // A negative or fractional label makes them all names.
        var named = CsvDatasetReader.Read(dir.Write("signed.csv", "a,y\n1,-1\n2,1\n3,-1\n"));
        Assert.Equal(new[] { "-1", "1" }, named.ClassNames);
        Assert.Equal(new[] { 0, 1, 0 }, named.Labels);
    }

    [Fact]
    public void Without_a_header_features_are_x0_and_the_label_is_the_last_column()
    {
        using var dir = new TempFolder();
        var d = CsvDatasetReader.Read(dir.Write("plain.csv", "1,2,3,0\n4,5,6,1\n"));
        Assert.Equal(2, d.Count);
        Assert.Equal(new[] { "x0", "x1", "x2" }, d.FeatureNames);
        Assert.Equal(6.0, d.Features[1, 2]);

        // Stated: the first row is data even though it looks like text... and text features are then refused.
        var e = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(dir.Write("h.csv", "a,b,y\n1,2,0\n"), new CsvOptions { Header = CsvHeader.Absent }));
        Assert.Equal("CsvInvalidNumber", e.ErrorId);
        Assert.Contains("line 1, column 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_header_is_detected_from_its_label_field_alone()
    {
        using var dir = new TempFolder();
        // Numeric column names, but the label field "class" is text over numeric labels.
        var d = CsvDatasetReader.Read(dir.Write("n.csv", "1,2,class\n0.5,0.25,1\n0.75,1,0\n"));
        Assert.Equal(2, d.Count);
        Assert.Equal(new[] { "1", "2" }, d.FeatureNames);
        // Only the chosen features vote: a text column left out does not make the first row a header.
        var picked = CsvDatasetReader.Read(dir.Write("ids.csv", "row-a,1,2,0\nrow-b,3,4,1\n"), new CsvOptions { FeatureColumns = new ColumnRef[] { 1, 2 } });
        Assert.Equal(2, picked.Count);
        // Numeric names with text labels cannot be told from data: state the header.
        var stated = CsvDatasetReader.Read(dir.Write("m.csv", "1,2,3\n0.5,0.25,a\n"), new CsvOptions { Header = CsvHeader.Present });
        Assert.Equal(1, stated.Count);
    }

    [Fact]
    public void Label_and_features_are_chosen_by_name_or_index()
    {
        using var dir = new TempFolder();
        string path = dir.Write("pick.csv", "id,a,b,c,Kind\n1,10,20,30,p\n2,11,21,31,q\n");
        var byName = CsvDatasetReader.Read(path, new CsvOptions { LabelColumn = "kind", FeatureColumns = new ColumnRef[] { "c", "A" } });
        Assert.Equal(new[] { "c", "a" }, byName.FeatureNames);
        Assert.Equal(31.0, byName.Features[1, 0]);
        Assert.Equal(11.0, byName.Features[1, 1]);
        Assert.Equal(new[] { "p", "q" }, byName.ClassNames);

        var byIndex = CsvDatasetReader.Read(path, new CsvOptions { LabelColumn = 0, FeatureColumns = new ColumnRef[] { 3, 1 } });
        Assert.Equal(new[] { "c", "a" }, byIndex.FeatureNames);
        Assert.Equal(new[] { 1, 2 }, byIndex.Labels); // ids 1 and 2 are whole numbers: classes 0..2
        Assert.Equal(3, byIndex.ClassCount);

        var allButLabel = CsvDatasetReader.Read(path, new CsvOptions { LabelColumn = ColumnRef.Named("Kind") });
        Assert.Equal(new[] { "id", "a", "b", "c" }, allButLabel.FeatureNames);

        Assert.Equal("InvalidColumnIndex", Assert.Throws<MlpException>(() => ColumnRef.At(-1)).ErrorId);
        Assert.Equal("CsvNoFeatures", Assert.Throws<MlpException>(() => CsvDatasetReader.Read(path, new CsvOptions { FeatureColumns = Array.Empty<ColumnRef>() })).ErrorId);
    }

    [Fact]
    public void Delimiters_come_from_the_extension_the_content_or_the_caller()
    {
        using var dir = new TempFolder();
        Assert.Equal(2, CsvDatasetReader.Read(dir.Write("t.tsv", "a\tb\ty\n1\t2\tp\n3\t4\tq\n")).Count);
        Assert.Equal(2, CsvDatasetReader.Read(dir.Write("t.tab", "a\tb\ty\n1\t2\tp\n3\t4\tq\n")).FeatureCount);
        Assert.Equal(2, CsvDatasetReader.Read(dir.Write("s.txt", "a;b;y\n1;2;p\n3;4;q\n")).FeatureCount);
        Assert.Equal(2, CsvDatasetReader.Read(dir.Write("p.dat", "a|b|y\n1|2|p\n")).FeatureCount);
        Assert.Equal(2, CsvDatasetReader.Read(dir.Write("s.csv", "a;b;y\n1;2;p\n"), new CsvOptions { Delimiter = ';' }).FeatureCount);
        Assert.Equal("InvalidDelimiter", Assert.Throws<MlpException>(() => CsvDatasetReader.Read(dir.Write("q.csv", "a,y\n1,p\n"), new CsvOptions { Delimiter = '"' })).ErrorId);
    }

    [Fact]
    public void Rfc_4180_quoting_bom_and_crlf_are_handled_and_lines_are_counted_physically()
    {
        using var dir = new TempFolder();
        string text = "\uFEFF\"a\",\"b, with comma\",label\r\n" +
                      "1,\"2\",\"say \"\"hi\"\"\"\r\n" +
                      "3,4,\"two\r\nlines\"\r\n" +
                      "5,6,plain\r\n";
        string path = dir.Write("q.csv", Encoding.UTF8.GetBytes(text));
        var d = CsvDatasetReader.Read(path);
        Assert.Equal(new[] { "a", "b, with comma" }, d.FeatureNames);
        Assert.Equal(new[] { "plain", "say \"hi\"", "two\r\nlines" }, d.ClassNames);
        Assert.Equal(new[] { 1, 2, 0 }, d.Labels);

        // The record after the two-line field starts on line 5.
        var e = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(dir.Write("q2.csv", text + "x,6,plain\r\n")));
        Assert.Equal("CsvInvalidNumber", e.ErrorId);
        Assert.Contains("line 6, column 1 ('a')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blank_lines_are_skipped_and_gzip_is_recognised_by_content()
    {
        using var dir = new TempFolder();
        string text = "a,b,y\n\n1,2,p\n\n3,4,q\n\n";
        Assert.Equal(2, CsvDatasetReader.Read(dir.Write("blank.csv", text)).Count);
        var gz = CsvDatasetReader.Read(dir.Write("zipped.csv.gz", DataTestFiles.Gzip(Encoding.UTF8.GetBytes(text))));
        Assert.Equal(2, gz.Count);
        Assert.Equal("zipped", gz.Name);
        // A gzip file named .csv is still gzip.
        Assert.Equal(2, CsvDatasetReader.Read(dir.Write("sneaky.csv", DataTestFiles.Gzip(Encoding.UTF8.GetBytes(text)))).Count);
    }

    [Fact]
    public void Numbers_parse_with_the_invariant_culture_under_a_comma_decimal_culture()
    {
        using var culture = new CultureScope(CultureScope.CommaDecimal());
        Assert.Equal(",", CultureInfo.CurrentCulture.NumberFormat.NumberDecimalSeparator);
        using var dir = new TempFolder();
        var d = CsvDatasetReader.Read(dir.Write("de.csv", "a,b,y\n1.5,-2.25e1,p\n1000.125,.5,q\n"));
        Assert.Equal(1.5, d.Features[0, 0]);
        Assert.Equal(-22.5, d.Features[0, 1]);
        Assert.Equal(1000.125, d.Features[1, 0]);
        Assert.Equal(0.5, d.Features[1, 1]);
        // And a decimal comma is refused, not read as a thousands separator.
        var e = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(dir.Write("de2.csv", "a;b;y\n1,5;2;p\n"), new CsvOptions { Delimiter = ';' }));
        Assert.Equal("CsvInvalidNumber", e.ErrorId);
    }

    [Fact]
    public void Progress_rises_to_1_and_cancellation_stops_the_read()
    {
        using var dir = new TempFolder();
        var sb = new StringBuilder("a,b,y\n");
        for (int i = 0; i < 20000; i++) sb.Append(CultureInfo.InvariantCulture, $"{i},{i * 0.5},{i % 3}\n");
        string path = dir.Write("big.csv", sb.ToString());
        var seen = new List<double>();
        var d = CsvDatasetReader.Read(path, progress: seen.Add);
        Assert.Equal(20000, d.Count);
        Assert.True(seen.Count >= 2);
        Assert.Equal(1.0, seen[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First <= p.Second));

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => CsvDatasetReader.Read(path, cancellationToken: cts.Token));
    }

    [Fact]
    public void A_record_longer_than_the_limit_is_refused()
    {
        using var dir = new TempFolder();
        string path = dir.Write("long.csv", "a,y\n\"" + new string('1', 5000) + ",p\n1,q\n");
        var e = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(path, new CsvOptions { MaxRecordChars = 1024 }));
        Assert.Equal("CsvRecordTooLarge", e.ErrorId);
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fast_number_path_is_bit_for_bit_double_Parse()
    {
        var rnd = new Random(17);
        var texts = new List<string> { "0", "-0", "1.", ".5", "-.5", "007", "123456789012345", "0.000000000000001", "0.0000000000000000000001", "999999999999999", "3.14159265358979" };
        for (int i = 0; i < 20000; i++)
        {
            int digits = rnd.Next(1, 16), point = rnd.Next(-1, digits + 1);
            var sb = new StringBuilder(rnd.Next(2) == 0 ? "-" : "");
            for (int k = 0; k < digits; k++)
            {
                if (k == point) sb.Append('.');
                sb.Append((char)('0' + rnd.Next(10)));
            }
            texts.Add(sb.ToString());
        }
        foreach (string t in texts)
        {
            Assert.True(ValueParser.TryParseSimple(t, out double fast), t);
            double slow = double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(BitConverter.DoubleToInt64Bits(slow) == BitConverter.DoubleToInt64Bits(fast), $"{t}: {fast:R} vs {slow:R}");
        }
        foreach (string t in new[] { "", "-", ".", "1e5", " 1", "1 ", "1234567890123456", "0.00000000000000000000001", "+1", "1.2.3", "NaN", "1,5" })
            Assert.False(ValueParser.TryParseSimple(t, out _), t);
    }

    [Fact]
    public void A_missing_file_is_NotFound()
    {
        var e = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(Path.Combine(Path.GetTempPath(), "no-such-file-" + Guid.NewGuid() + ".csv")));
        Assert.Equal("DataFileNotFound", e.ErrorId);
        Assert.Equal(MlpErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public void A_preamble_line_is_recognised_raw_or_gzipped_and_a_false_one_is_read_again_as_data()
    {
        using var culture = CultureScope.Invariant();
        using var dir = new TempFolder();
        string rows = string.Concat(Enumerable.Range(0, 6).Select(i => $"{i}.5,{i % 2},{i % 3}\n"));
        foreach (bool gzip in new[] { false, true })
        {
            byte[] Bytes(string text) => gzip ? DataTestFiles.Gzip(Encoding.UTF8.GetBytes(text)) : Encoding.UTF8.GetBytes(text);
            var notes = new List<string>();
            var d = CsvDatasetReader.Read(dir.Write(gzip ? "p.csv.gz" : "p.csv", Bytes("6,2,a,b,c\n" + rows)), new CsvOptions { Verbose = notes.Add });
            Assert.Equal((6, 2), (d.Count, d.FeatureCount));
            Assert.Equal(new[] { "a", "b", "c" }, d.ClassNames);
            Assert.Contains(notes, n => n.Contains("is a preamble", StringComparison.Ordinal));

            // Seven rows promised, six follow: the first line is data after all (and, as data, a ragged row).
            var e = Assert.Throws<MlpException>(() => CsvDatasetReader.Read(dir.Write(gzip ? "q.csv.gz" : "q.csv", Bytes("7,2,a,b,c\n" + rows))));
            Assert.Equal("CsvRaggedRow", e.ErrorId);
            Assert.Contains("line 2", e.Message, StringComparison.Ordinal);

            // With SkipLines, NoHeader or column names the caller has spoken: no guess.
            var skipped = CsvDatasetReader.Read(dir.Write(gzip ? "r.csv.gz" : "r.csv", Bytes("6,2,a,b,c\n" + rows)), new CsvOptions { SkipLines = 1 });
            Assert.Equal(new[] { "0", "1", "2" }, skipped.ClassNames);
        }
    }

    [Fact]
    public void Column_and_class_names_are_checked_against_the_file()
    {
        using var culture = CultureScope.Invariant();
        using var dir = new TempFolder();
        string path = dir.Write("n.csv", "1,2,0\n3,4,1\n");
        var d = CsvDatasetReader.Read(path, new CsvOptions { ColumnNames = new[] { "h", " ", "kind" }, ClassNames = new[] { "no", "yes" } });
        Assert.Equal(new[] { "h", "x1" }, d.FeatureNames);
        Assert.Equal(new[] { "no", "yes" }, d.ClassNames);
        Assert.Equal("CsvColumnNamesMismatch", Assert.Throws<MlpException>(() => CsvDatasetReader.Read(path, new CsvOptions { ColumnNames = new[] { "a" } })).ErrorId);
        Assert.Equal("LabelOutOfRange", Assert.Throws<MlpException>(() => CsvDatasetReader.Read(path, new CsvOptions { ClassNames = new[] { "no" } })).ErrorId);
        Assert.Equal("InvalidClassNames", Assert.Throws<MlpException>(() => CsvDatasetReader.Read(path, new CsvOptions { ClassNames = Array.Empty<string>() })).ErrorId);
        Assert.Equal("InvalidSkipLines", Assert.Throws<MlpException>(() => CsvDatasetReader.Read(path, new CsvOptions { SkipLines = -1 })).ErrorId);
    }

    [Fact]
    public void Column_names_are_the_ones_a_read_would_give_the_columns()
    {
        using var culture = CultureScope.Invariant();
        using var dir = new TempFolder();
        string quoted = dir.Write("q.csv", "\uFEFF\"sepal length\",\"it's\",\"a,b\",,species\r\n5.1,3.5,1,2,setosa\r\n");
        Assert.Equal(new[] { "sepal length", "it's", "a,b", "x3", "species" }, CsvDatasetReader.ReadColumnNames(quoted));
        Assert.Equal(CsvDatasetReader.Read(quoted).FeatureNames, CsvDatasetReader.ReadColumnNames(quoted)!.Take(4));

        // Delimiter by extension, by content or given; lines skipped; gzip by content; the header forced or refused.
        Assert.Equal(new[] { "a b", "y" }, CsvDatasetReader.ReadColumnNames(dir.Write("t.tsv", "a b\ty\n1\t0\n")));
        Assert.Equal(new[] { "a", "y" }, CsvDatasetReader.ReadColumnNames(dir.Write("s.txt", "a;y\n1;0\n")));
        Assert.Equal(new[] { "a;b", "y" }, CsvDatasetReader.ReadColumnNames(dir.Write("s2.txt", "a;b|y\n1;0|0\n"), new CsvOptions { Delimiter = '|' }));
        Assert.Equal(new[] { "a", "y" }, CsvDatasetReader.ReadColumnNames(dir.Write("k.csv", "# made by hand\na,y\n1,0\n"), new CsvOptions { SkipLines = 1 }));
        Assert.Equal(new[] { "a", "y" }, CsvDatasetReader.ReadColumnNames(dir.Write("g.dat", DataTestFiles.Gzip(Encoding.UTF8.GetBytes("a,y\n1,0\n")))));
        string numbers = dir.Write("n.csv", "1,2,0\n3,4,1\n");
        Assert.Null(CsvDatasetReader.ReadColumnNames(numbers));
        Assert.Equal(new[] { "1", "2", "0" }, CsvDatasetReader.ReadColumnNames(numbers, new CsvOptions { Header = CsvHeader.Present }));
        Assert.Null(CsvDatasetReader.ReadColumnNames(dir.Write("h.csv", "a,y\n1,0\n"), new CsvOptions { Header = CsvHeader.Absent }));
        Assert.Equal(new[] { "h", "x1", "kind" }, CsvDatasetReader.ReadColumnNames(numbers, new CsvOptions { ColumnNames = new[] { "h", " ", "kind" } }));
        // A preamble line (counts and class names) is no header, and an IDX file has no columns.
        Assert.Null(CsvDatasetReader.ReadColumnNames(dir.Write("p.csv", "2,2,a,b\n0.5,1,0\n1.5,0,1\n")));
        Assert.Null(CsvDatasetReader.ReadColumnNames(dir.Write("i.idx", DataTestFiles.Idx(0x08, new[] { 2 }, new byte[] { 1, 2 }))));

        Assert.Equal("DataFileNotFound", Assert.Throws<MlpException>(() => CsvDatasetReader.ReadColumnNames(Path.Combine(dir.Path, "none.csv"))).ErrorId);
        Assert.Equal("CsvEmptyFile", Assert.Throws<MlpException>(() => CsvDatasetReader.ReadColumnNames(dir.Write("e.csv", ""))).ErrorId);
    }

    [Fact]
    public void Column_names_come_from_the_head_of_the_file_only()
    {
        // A header, a row, then 8 MB of rows that end in an unclosed quote: a whole read would fail at the end.
        var text = new StringBuilder("petal,species\n1,a\n");
        while (text.Length < 8 << 20) text.Append("2.5,b\n");
        text.Append("\"3,c\n");
        using var stream = new CountingStream(Encoding.UTF8.GetBytes(text.ToString()));
        Assert.Equal(new[] { "petal", "species" }, CsvDatasetReader.ReadColumnNames(stream, "big.csv"));
        Assert.InRange(stream.BytesRead, 1, 256 << 10);

        // A first line longer than a quarter of the head is refused rather than read on (or cut off by the head's end).
        using var wide = new MemoryStream(Encoding.UTF8.GetBytes(new string('a', CsvDatasetReader.HeadChars / 4 + 10) + ",y\n1,0\n"));
        Assert.Equal("CsvRecordTooLarge", Assert.Throws<MlpException>(() => CsvDatasetReader.ReadColumnNames(wide, "wide.csv")).ErrorId);

        // Blank lines or a long title before the header are read only up to the head's end.
        using var blank = new CountingStream(Encoding.UTF8.GetBytes(new string('\n', 4 << 20) + "a,y\n1,0\n"));
        Assert.Equal("CsvEmptyFile", Assert.Throws<MlpException>(() => CsvDatasetReader.ReadColumnNames(blank, "blank.csv")).ErrorId);
        Assert.InRange(blank.BytesRead, CsvDatasetReader.HeadChars, CsvDatasetReader.HeadChars + (256 << 10));
    }

    /// <summary>A read-only memory stream that counts the bytes read from it.</summary>
    private sealed class CountingStream : MemoryStream
    {
        public CountingStream(byte[] bytes) : base(bytes, writable: false) { }

        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Count(base.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Count(base.Read(buffer));

        private int Count(int got)
        {
            BytesRead += got;
            return got;
        }
    }
}
