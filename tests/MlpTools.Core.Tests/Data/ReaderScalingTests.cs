using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;
using Xunit.Abstractions;

namespace MlpTools.Core.Tests.Data;

/// <summary>
/// Every reader's cost grows at most linearly with its input, along every dimension a hostile file can stretch.
/// </summary>
/// <remarks>
/// <para>
/// Each case builds an input at sizes n, 2n and 4n along one dimension, reads (or is refused) at each, and takes the
/// growth exponent log2(cost(4n) / cost(2n)): 1 for linear work, 2 for quadratic. A case passes below
/// <see cref="MaxExponent"/>, which leaves room for constant overheads and an n log n sort but none for anything
/// quadratic (a quadratic step with a fixed part would still show about 1.6 at these sizes).
/// </para>
/// <para>
/// Cost is counted, never timed: the bytes the reading thread allocates (which catches buffers grown by a constant
/// step, copies made again and again, lists of lists) and, for delimited text, the characters the tokenizer examines
/// (which catches text scanned more than once). The sizes keep every case to a few milliseconds; the quadratic
/// growth of a field table by 32 entries at a time, which once made a 4 MB row take minutes to refuse, allocates
/// about 1 GB at the largest size here and fails the fields-in-a-row case with an exponent of 2.
/// </para>
/// </remarks>
public class ReaderScalingTests
{
    private const double MaxExponent = 1.25;

    private readonly ITestOutputHelper _output;

    public ReaderScalingTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> CsvDimensions => new[]
    {
        "rows", "columns", "fields in one row", "length of a number field", "length of a label field",
        "length of a quoted field", "quotes in a field", "line breaks in a quoted field", "header size",
        "header columns named as features", "blank lines", "gzip rows", "gzip ratio", "TSV rows", "TSV fields in one row",
    }.Select(d => new object[] { d });

    public static IEnumerable<object[]> IdxDimensions => new[]
    {
        "samples", "values per sample", "dimensions", "gzip samples", "gzip ratio", "gzip values per sample",
    }.Select(d => new object[] { d });

    public static IEnumerable<object[]> ModelDimensions => new[]
    {
        "hidden units", "inputs and feature names", "classes and class names", "history epochs", "length of a class name",
    }.Select(d => new object[] { d });

    [Theory]
    [MemberData(nameof(CsvDimensions))]
    public void Csv_reading_grows_linearly(string dimension)
    {
        using var culture = CultureScope.Invariant();
        (string name, Func<int, (byte[], CsvOptions?)> make, int n) = CsvCase(dimension);
        Check(dimension, n, size =>
        {
            (byte[] bytes, CsvOptions? options) = make(size);
            var work = new StrongBox<long>();
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                CsvDatasetReader.Read(new MemoryStream(bytes, writable: false), name, options, work: work);
            }
            catch (MlpException)
            {
                // Refusals must be as cheap as reads: the ragged-row case is refused at every size.
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            return new[] { ("allocated bytes", allocated), ("characters examined", work.Value) };
        });
    }

    [Theory]
    [MemberData(nameof(IdxDimensions))]
    public void Idx_reading_grows_linearly(string dimension)
    {
        using var folder = new TempFolder();
        (Func<int, (byte[] Images, byte[] Labels)> make, int n, bool gzip) = IdxCase(dimension);
        Check(dimension, n, size =>
        {
            (byte[] images, byte[] labels) = make(size);
            string ext = gzip ? ".idx.gz" : ".idx";
            string imagesPath = folder.Write("images" + ext, gzip ? DataTestFiles.Gzip(images) : images);
            string labelsPath = folder.Write("labels" + ext, gzip ? DataTestFiles.Gzip(labels) : labels);
            long before = GC.GetAllocatedBytesForCurrentThread();
            IdxReader.Read(imagesPath, labelsPath);
            return new[] { ("allocated bytes", GC.GetAllocatedBytesForCurrentThread() - before) };
        });
    }

    [Theory]
    [MemberData(nameof(ModelDimensions))]
    public void Model_file_reading_grows_linearly(string dimension)
    {
        (Func<int, SavedModel> make, int n) = ModelCase(dimension);
        Check(dimension, n, size =>
        {
            byte[] bytes = Persistence.ModelFileFixtures.Bytes(make(size));
            long before = GC.GetAllocatedBytesForCurrentThread();
            ModelFile.Read(new MemoryStream(bytes, writable: false), "scaling.safetensors");
            return new[] { ("allocated bytes", GC.GetAllocatedBytesForCurrentThread() - before) };
        });
    }

    /// <summary>Measures at n (a warm-up, discarded), n, 2n and 4n, prints the exponents and checks them.</summary>
    private void Check(string dimension, int n, Func<int, (string Metric, long Cost)[]> measure)
    {
        measure(n);
        var costs = new[] { measure(n), measure(2 * n), measure(4 * n) };
        for (int k = 0; k < costs[0].Length; k++)
        {
            string metric = costs[0][k].Metric;
            long c1 = costs[0][k].Cost, c2 = costs[1][k].Cost, c4 = costs[2][k].Cost;
            double exponent = Math.Log2((double)c4 / c2);
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{dimension}, {metric}: n={n}: {c1:N0}, 2n: {c2:N0}, 4n: {c4:N0}; exponent {exponent:F2}"));
            Assert.True(c4 > 0, $"{dimension}: no {metric} counted");
            Assert.True(exponent < MaxExponent, string.Create(CultureInfo.InvariantCulture,
                $"{dimension}: {metric} grew from {c2:N0} to {c4:N0} when the input doubled (exponent {exponent:F2}); reading must cost at most linearly more."));
        }
    }

    /// <summary>A file name (its extension chooses the delimiter), the input at size n with the options to read it, and n.</summary>
    private static (string Name, Func<int, (byte[] Bytes, CsvOptions? Options)> Make, int N) CsvCase(string dimension) => dimension switch
    {
        "rows" => ("rows.csv", n => Plain("a,b,label\n" + Repeat("1.5,-2e3,x\n", n)), 2_000),
        "columns" => ("columns.csv", n => Plain(Row(n, j => "c" + j) + ",label\n" + Repeat(Row(n, _ => "0.25") + ",y\n", 4)), 2_000),
        "fields in one row" => ("ragged.csv", n => Plain("a,b,label\n" + Row(n, _ => "1") + "\n"), 20_000),
        "length of a number field" => ("long-number.csv", n => Plain("a,label\n" + new string('0', n) + "1,x\n"), 50_000),
        "length of a label field" => ("long-label.csv", n => Plain("a,label\n1," + new string('y', n) + "\n"), 50_000),
        "length of a quoted field" => ("quoted.csv", n => Plain("a,label\n1,\"" + new string('q', n) + "\"\n"), 50_000),
        "quotes in a field" => ("escaped.csv", n => Plain("a,label\n1,\"" + Repeat("\"\"", n) + "\"\n"), 20_000),
        "line breaks in a quoted field" => ("breaks.csv", n => Plain("a,label\n1,\"" + Repeat("ab\r\n", n) + "\"\n"), 10_000),
        "header size" => ("header.csv", n => Plain(new string('h', n) + "," + new string('k', n) + ",label\n1,2,x\n"), 50_000),
        "header columns named as features" => ("named.csv", n => (Text(Row(n, j => "c" + j) + ",label\n" + Row(n, _ => "1") + ",x\n"),
            new CsvOptions { FeatureColumns = Enumerable.Range(0, n).Select(j => ColumnRef.Named("c" + j)).ToArray() }), 2_000),
        "blank lines" => ("blank.csv", n => Plain("a,label\n" + Repeat("\r\n", n) + "1,x\n"), 20_000),
        "gzip rows" => ("rows.csv.gz", n => (DataTestFiles.Gzip(Text("a,b,label\n" + Repeat("1.5,-2e3,x\n", n))), null), 2_000),
        "gzip ratio" => ("zeros.csv.gz", n => (DataTestFiles.Gzip(Text("a,label\n" + Repeat("0,0\n", n))), null), 20_000),
        "TSV rows" => ("rows.tsv", n => Plain("a\tb\tlabel\n" + Repeat("1.5\t-2e3\tx\n", n)), 2_000),
        "TSV fields in one row" => ("ragged.tsv", n => Plain("a\tb\tlabel\n" + string.Join('\t', Enumerable.Repeat("1", n)) + "\n"), 20_000),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };

    private static (byte[], CsvOptions?) Plain(string text) => (Text(text), null);

    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    private static string Row(int n, Func<int, string> field) => string.Join(',', Enumerable.Range(0, n).Select(field));

    private static (Func<int, (byte[], byte[])> Make, int N, bool Gzip) IdxCase(string dimension) => dimension switch
    {
        "samples" => (n => Pair(n, new[] { 4, 4 }), 2_000, false),
        "values per sample" => (n => Pair(8, new[] { n }), 20_000, false),
        "dimensions" => (n => Pair(2, Enumerable.Repeat(1, n).Append(3).ToArray()), 16, false),
        "gzip samples" => (n => Pair(n, new[] { 4, 4 }), 2_000, true),
        "gzip ratio" => (n => Pair(n, new[] { 64 }, zeros: true), 1_000, true),
        "gzip values per sample" => (n => Pair(8, new[] { n }), 20_000, true),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };

    /// <summary>An IDX pair: <paramref name="count"/> unsigned-byte samples of the given shape, and labels 0, 1, 2, ...</summary>
    private static (byte[], byte[]) Pair(int count, int[] sampleShape, bool zeros = false)
    {
        int perSample = sampleShape.Aggregate(1, (a, b) => a * b);
        var payload = new byte[count * perSample];
        if (!zeros)
            for (int i = 0; i < payload.Length; i++) payload[i] = (byte)(i * 37);
        byte[] images = DataTestFiles.Idx(0x08, sampleShape.Prepend(count).ToArray(), payload);
        byte[] labels = DataTestFiles.Idx(0x08, new[] { count }, Enumerable.Range(0, count).Select(i => (byte)(i % 3)).ToArray());
        return (images, labels);
    }

    private static (Func<int, SavedModel> Make, int N) ModelCase(string dimension) => dimension switch
    {
        "hidden units" => (n => Untrained(Mlp.Create(8, n, 3, seed: 1)), 256),
        "inputs and feature names" => (n => Untrained(Mlp.Create(n, 4, 3, seed: 1, featureNames: Names("feature", n))), 256),
        "classes and class names" => (n => Untrained(Mlp.Create(4, 4, n, seed: 1, classNames: Names("class", n))), 256),
        "history epochs" => (n => WithHistory(Mlp.Create(4, 4, 3, seed: 1), n), 500),
        "length of a class name" => (n => Untrained(Mlp.Create(4, 4, 2, seed: 1, classNames: new[] { new string('a', n), "b" })), 20_000),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null),
    };

    private static string[] Names(string stem, int n) => Enumerable.Range(0, n).Select(i => stem + i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private static SavedModel Untrained(Mlp net) => new(net, new TrainingState());

    private static SavedModel WithHistory(Mlp net, int epochs)
    {
        var training = new TrainingState();
        for (int e = 1; e <= epochs; e++)
            training.Add(new EpochRecord(e, 1.0 / e, 0.5, 1.5 / e, 0.4, 0.01, 0.3, 0.2, 0.001));
        return new SavedModel(net, training);
    }
}
