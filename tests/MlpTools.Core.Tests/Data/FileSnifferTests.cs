using System.Text;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Tests.Persistence;

namespace MlpTools.Core.Tests.Data;

/// <summary><see cref="FileSniffer"/>: a file recognised by its first bytes, and described so a user knows what they gave.</summary>
public class FileSnifferTests
{
    private static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);

    public static TheoryData<string, byte[], FileKind, string> Cases => new()
    {
        { "CSV", Text("\"Length\",\"Width\"\n1,2\n"), FileKind.Text, "a CSV text file (it starts '\"Length\",\"Width\"')" },
        { "CSV with a BOM and CRLF", Text("\uFEFFa,b\r\n1,2\r\n"), FileKind.Text, "a CSV text file (it starts 'a,b')" },
        { "TSV", Text("a\tb\n"), FileKind.Text, "a tab-separated text file (it starts 'a b')" },
        { "semicolons", Text("a;b\n1,5;2\n"), FileKind.Text, "a semicolon-separated text file (it starts 'a;b')" },
        { "one word", Text("hello"), FileKind.Text, "a text file (it starts 'hello')" },
        { "a long first line", Text(new string('x', 100) + ",y"), FileKind.Text, "a CSV text file (it starts '" + new string('x', 40) + "...')" },
        { "Latin-1 text", Text("name,caf").Concat(new byte[] { 0xe9, (byte)'\n' }).ToArray(), FileKind.Text, "a CSV text file (it starts 'name,caf\uFFFD')" },
        { "UTF-16 text", new byte[] { 0xff, 0xfe, (byte)'a', 0, (byte)',', 0, (byte)'b', 0 }, FileKind.Text, "a CSV text file (it starts 'a,b')" },
        { "empty", Array.Empty<byte>(), FileKind.Empty, "an empty file" },
        { "gzip", DataTestFiles.Gzip(Text("a,b\n")), FileKind.Gzip, "a gzip-compressed file" },
        { "ZIP", new byte[] { (byte)'P', (byte)'K', 3, 4, 20, 0 }, FileKind.Zip, "a ZIP archive (as .zip, .xlsx and PyTorch .pt files are)" },
        { "PNG", new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13 }, FileKind.Png, "a PNG image" },
        { "JPEG", new byte[] { 0xff, 0xd8, 0xff, 0xe0 }, FileKind.Jpeg, "a JPEG image" },
        { "PDF", Text("%PDF-1.7\n"), FileKind.Pdf, "a PDF document" },
        { "HDF5", new byte[] { 0x89, (byte)'H', (byte)'D', (byte)'F', 13, 10, 26, 10 }, FileKind.Hdf5, "an HDF5 file (such as a Keras .h5 model)" },
        { "NumPy", new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, FileKind.Npy, "a NumPy .npy array" },
        { "IDX images", DataTestFiles.Idx(0x08, new[] { 2, 2, 2 }, new byte[8]), FileKind.Idx, "an IDX file (the MNIST format) of unsigned bytes with 3 dimensions" },
        { "IDX labels", DataTestFiles.Idx(0x08, new[] { 2 }, new byte[2]), FileKind.Idx, "an IDX file (the MNIST format) of unsigned bytes with 1 dimension" },
        { "IDX floats", DataTestFiles.Idx(0x0D, new[] { 1, 1 }, new byte[4]), FileKind.Idx, "an IDX file (the MNIST format) of 32-bit floats with 2 dimensions" },
        { "binary", new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 }, FileKind.Unknown, "binary data of no kind MlpTools knows" },
        { "a model file whose header length was overwritten", new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, (byte)'{', (byte)'}' }, FileKind.Unknown, "binary data of no kind MlpTools knows" },
        { "Latin-1 text with a high byte among its first 8 (a limit: taken for binary)", new byte[] { 0xe9, (byte)'t', (byte)'e', 0xe9, (byte)',', (byte)'1', (byte)'\n' }, FileKind.Unknown, "binary data of no kind MlpTools knows" },
        { "an IDX magic of an unknown type", new byte[] { 0, 0, 0x07, 1, 0, 0, 0, 1 }, FileKind.Unknown, "binary data of no kind MlpTools knows" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_file_is_recognised_and_described_by_its_first_bytes(string what, byte[] bytes, FileKind kind, string description)
    {
        Assert.True(kind == FileSniffer.Detect(bytes), what);
        Assert.Equal(description, FileSniffer.Describe(bytes));
    }

    [Theory]
    [InlineData(Precision.Single)]
    [InlineData(Precision.Double)]
    public void A_saved_model_is_safetensors_and_no_prefix_of_it_is_text(Precision precision)
    {
        byte[] model = ModelFileFixtures.Bytes(ModelFileFixtures.Trained(precision, hidden: 3, epochs: 1));
        Assert.Equal(FileKind.Safetensors, FileSniffer.Detect(model));
        Assert.Equal("a safetensors file", FileSniffer.Describe(model));
        for (int length = 9; length <= FileSniffer.SniffLength; length++) Assert.Equal(FileKind.Safetensors, FileSniffer.Detect(model.AsSpan(0, length)));
        // Eight bytes or more hold the whole header length, whose high bytes are zeros: never text.
        Assert.NotEqual(FileKind.Text, FileSniffer.Detect(model.AsSpan(0, 8)));
    }

    [Fact]
    public void Only_the_first_bytes_count()
    {
        byte[] bytes = Text(new string('a', FileSniffer.SniffLength) + "\0\0\0");
        Assert.Equal(FileKind.Text, FileSniffer.Detect(bytes));
        Assert.Equal(FileKind.Unknown, FileSniffer.Detect(Text(new string('a', FileSniffer.SniffLength - 1) + "\0")));
    }

    [Fact]
    public void ReadStart_reads_the_first_bytes_and_leaves_the_stream_where_it_was()
    {
        var stream = new MemoryStream(Text(new string('z', 1000)));
        stream.Position = 123;
        Assert.Equal(FileSniffer.SniffLength, FileSniffer.ReadStart(stream).Length);
        Assert.Equal(123, stream.Position);
        Assert.Equal(3, FileSniffer.ReadStart(new MemoryStream(Text("a,b"))).Length);
    }

    [Fact]
    public void The_corpus_files_named_for_another_kind_are_recognised()
    {
        Assert.Equal(FileKind.Png, FileSniffer.Detect(File.ReadAllBytes(Path.Combine(DataTestFiles.Corpus, "csv", "png-file.csv"))));
        Assert.Equal(FileKind.Png, FileSniffer.Detect(File.ReadAllBytes(Path.Combine(DataTestFiles.Corpus, "idx", "png-file.idx"))));
        Assert.Equal(FileKind.Zip, FileSniffer.Detect(File.ReadAllBytes(Path.Combine(DataTestFiles.Corpus, "idx", "zip-file.idx"))));
        Assert.Equal(FileKind.Text, FileSniffer.Detect(File.ReadAllBytes(Path.Combine(DataTestFiles.Corpus, "idx", "text-file.idx"))));
        Assert.Equal(FileKind.Idx, FileSniffer.Detect(File.ReadAllBytes(Path.Combine(DataTestFiles.Corpus, "idx", "ok-images.idx"))));
        Assert.Equal(FileKind.Gzip, FileSniffer.Detect(File.ReadAllBytes(Path.Combine(DataTestFiles.Corpus, "idx", "ok-images.idx.gz"))));
    }
}
