using System.Text;
using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

/// <summary>
/// The tokenizer against a reference written straight from the rules (whole text in memory, one character at a time),
/// on fixed and random texts, with buffers small enough that records, fields, quotes and CRLFs cross refills, with
/// and without the 32-character fast path.
/// </summary>
public class CsvTokenizerTests
{
    private static readonly int[] BufferSizes = { 2, 3, 7, 31, 64, 1 << 16 };

    [Theory]
    [InlineData("a,b,c\n1,2,3\n")]
    [InlineData("a,b,c\r\n1,2,3")]
    [InlineData("a,b\r1,2\r\r3,4\n")]
    [InlineData("\"a,b\",\"say \"\"hi\"\"\",c\r\n\"two\r\nlines\",\"\",x\n")]
    [InlineData("x,\"\"\"\"\n,,\n,\n")]
    [InlineData("a\"b,c\"d\"\n")]
    [InlineData("\n\n\r\n  \n1,2\n")]
    [InlineData("a,b,")]
    [InlineData("\"q\"")]
    [InlineData("\"q\r\"\r\n\"\r\r\n\n\",1")]
    [InlineData("0123456789012345678901234567890,0123456789012345678901234567890123,\"x\",y\n")]
    public void Texts_split_as_the_rules_say(string text) => Compare(text, ',');

    [Theory]
    [InlineData("a,\"b\nc", "CsvUnterminatedQuote")]
    [InlineData("\"", "CsvUnterminatedQuote")]
    [InlineData("a,\"b\"c,d\n", "CsvInvalidQuote")]
    [InlineData("\"b\" ,d\n", "CsvInvalidQuote")]
    public void Syntax_errors_are_refused_with_their_id(string text, string errorId) => Compare(text, ',', errorId);

    [Fact]
    public void Random_texts_split_as_the_rules_say()
    {
        var random = new Random(20261206);
        const string alphabet = ",,,,;\t\"\"\r\n\nab01. ";
        for (int n = 0; n < 400; n++)
        {
            int length = random.Next(0, n < 300 ? 60 : 400);
            var sb = new StringBuilder(length);
            for (int k = 0; k < length; k++) sb.Append(alphabet[random.Next(alphabet.Length)]);
            string text = sb.ToString();
            string? error = Reference(text, ',', out _);
            Compare(text, ',', error);
            Compare(text.Replace(',', '\t'), '\t', Reference(text.Replace(',', '\t'), '\t', out _));
        }
    }

    [Fact]
    public void Fields_past_the_limit_are_counted_but_not_kept()
    {
        var t = new CsvTokenizer(new StringReader("a,b,c\n1,2,3,4,5\n"), "limit.csv", ',', 1 << 20) { FieldLimit = 3 };
        Assert.True(t.Read());
        Assert.True(t.Read());
        Assert.Equal(5, t.FieldCount);
        Assert.Equal("3", t.Field(2).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Field(3).ToString());
    }

    [Theory]
    [InlineData("a;b;c\n1;2;3\n", ';')]
    [InlineData("a\tb,c\tlabel\n", '\t')]
    [InlineData("\n\na|b\n", '|')]
    [InlineData("abc\n", ',')]
    [InlineData("a,b;c;d\n", ';')]
    [InlineData("a,b;c\n", ',')]
    public void The_delimiter_is_the_commonest_candidate_of_the_first_line_that_has_one(string text, char expected) =>
        Assert.Equal(expected, new CsvTokenizer(new StringReader(text), "d.csv", null, 1 << 20).Delimiter);

    [Fact]
    public void A_record_longer_than_the_limit_is_refused_whatever_the_buffer()
    {
        string text = "a,b\n" + new string('x', 100) + ",1\n";
        foreach (int size in BufferSizes)
        {
            var t = new CsvTokenizer(new StringReader(text), "long.csv", ',', 50, size);
            Assert.True(t.Read());
            Assert.Equal("CsvRecordTooLarge", Assert.Throws<MlpException>(() => t.Read()).ErrorId);
        }
    }

    /// <summary>Tokenizes <paramref name="text"/> with every buffer size, both paths, and checks each record against the reference.</summary>
    private static void Compare(string text, char delimiter, string? expectedError = null)
    {
        string? referenceError = Reference(text, delimiter, out List<(int Line, string[] Fields)> expected);
        Assert.Equal(expectedError, referenceError);
        foreach (int size in BufferSizes)
        {
            foreach (bool vectorized in new[] { true, false })
            {
                var t = new CsvTokenizer(new StringReader(text), "t.csv", delimiter, 1 << 20, size, vectorized);
                var got = new List<(int, string[])>();
                string? error = null;
                try
                {
                    while (t.Read())
                        got.Add((t.Line, Enumerable.Range(0, t.FieldCount).Select(j => t.Field(j).ToString()).ToArray()));
                }
                catch (MlpException e)
                {
                    error = e.ErrorId;
                }
                string where = $"buffer {size}, vectorized {vectorized}, text {Escape(text)}";
                Assert.True(expectedError == error, $"{where}: error {error}, expected {expectedError}");
                Assert.True(expected.Count == got.Count, $"{where}: {got.Count} records, expected {expected.Count}");
                for (int r = 0; r < expected.Count; r++)
                {
                    Assert.True(expected[r].Line == got[r].Item1, $"{where}: record {r} on line {got[r].Item1}, expected {expected[r].Line}");
                    Assert.True(expected[r].Fields.SequenceEqual(got[r].Item2),
                        $"{where}: record {r} is [{string.Join("|", got[r].Item2.Select(Escape))}], expected [{string.Join("|", expected[r].Fields.Select(Escape))}]");
                }
            }
        }
    }

    private static string Escape(string s) => s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);

    /// <summary>
    /// The rules, one character at a time: a record ends at LF, CRLF or a lone CR; a field that starts with a quote runs
    /// to the next quote not doubled and must be followed by a delimiter, a line end or the end; elsewhere a quote is
    /// text. Lines are physical (line breaks inside quotes count). Returns the error id, or null.
    /// </summary>
    private static string? Reference(string s, char delimiter, out List<(int Line, string[] Fields)> records)
    {
        records = new List<(int, string[])>();
        int i = 0, line = 1;
        while (i < s.Length)
        {
            int recordLine = line;
            var fields = new List<string>();
            while (true)
            {
                var field = new StringBuilder();
                if (i < s.Length && s[i] == '"')
                {
                    i++;
                    while (true)
                    {
                        if (i == s.Length) return "CsvUnterminatedQuote";
                        if (s[i] == '"')
                        {
                            if (i + 1 < s.Length && s[i + 1] == '"')
                            {
                                field.Append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            break;
                        }
                        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == s.Length || s[i + 1] != '\n'))) line++;
                        field.Append(s[i++]);
                    }
                    if (i < s.Length && s[i] != delimiter && s[i] != '\r' && s[i] != '\n') return "CsvInvalidQuote";
                }
                else
                {
                    while (i < s.Length && s[i] != delimiter && s[i] != '\r' && s[i] != '\n') field.Append(s[i++]);
                }
                fields.Add(field.ToString());
                if (i < s.Length && s[i] == delimiter)
                {
                    i++;
                    continue;
                }
                if (i < s.Length)
                {
                    if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
                    i++;
                    line++;
                }
                break;
            }
            records.Add((recordLine, fields.ToArray()));
        }
        return null;
    }
}
