using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using MlpTools.Core.Persistence;

namespace MlpTools.Core.Data;

/// <summary>What kind of file a file's first bytes say it is (see <see cref="FileSniffer"/>).</summary>
public enum FileKind
{
    /// <summary>Binary data of no kind listed here (a damaged file looks like this too).</summary>
    Unknown,
    /// <summary>No bytes at all.</summary>
    Empty,
    /// <summary>Text: no control characters but tab and line ends (CSV, TSV, JSON, ...), in UTF-8, UTF-16 or an 8-bit code page.</summary>
    Text,
    /// <summary>gzip-compressed data (1f 8b).</summary>
    Gzip,
    /// <summary>A ZIP archive (PK 03 04): also .xlsx, .docx and PyTorch's .pt files.</summary>
    Zip,
    /// <summary>A PNG image.</summary>
    Png,
    /// <summary>A JPEG image.</summary>
    Jpeg,
    /// <summary>A PDF document.</summary>
    Pdf,
    /// <summary>An HDF5 file (Keras .h5 models, among others).</summary>
    Hdf5,
    /// <summary>A NumPy .npy array.</summary>
    Npy,
    /// <summary>An IDX file, the MNIST format: 00 00, an element type (08 09 0B 0C 0D 0E), a dimension count &gt; 0.</summary>
    Idx,
    /// <summary>A safetensors file, as MlpTools saves models: an 8-byte little-endian header length (1..100,000,000), then '{'.</summary>
    Safetensors,
}

/// <summary>
/// Recognises a file by its first bytes (never its name), so a reader given the wrong kind of file can say what the
/// file looks like instead of misreading it: the one place that knows the magic numbers.
/// </summary>
/// <remarks>
/// Only the first <see cref="SniffLength"/> bytes are looked at. Magic numbers are checked first; text is what is left
/// when none of the bytes is a control character other than tab, line feed, vertical tab, form feed and carriage
/// return, and they are UTF-8 or begin with 8 ASCII characters (text in an 8-bit code page such as Latin-1); a UTF-16
/// byte-order mark also makes text. A safetensors file's first 8 bytes are a length below 2^27, so bytes 4 to 7 are
/// zeros and it is never taken for text; a damaged one (its length overwritten) is Unknown, not text.
/// </remarks>
public static class FileSniffer
{
    /// <summary>How many first bytes <see cref="Detect"/> and <see cref="Describe"/> look at (more are ignored).</summary>
    public const int SniffLength = 512;

    private const int PreviewLength = 40;

    /// <summary>What kind of file starts with <paramref name="firstBytes"/> (its first <see cref="SniffLength"/> bytes, or all of a shorter file).</summary>
    public static FileKind Detect(ReadOnlySpan<byte> firstBytes)
    {
        ReadOnlySpan<byte> b = firstBytes.Length > SniffLength ? firstBytes[..SniffLength] : firstBytes;
        if (b.IsEmpty) return FileKind.Empty;
        if (b.Length >= 9 && b[8] == (byte)'{')
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(b);
            if (n >= 1 && n <= SafetensorsHeader.MaxHeaderBytes) return FileKind.Safetensors;
        }
        if (b.StartsWith(stackalloc byte[] { 0x1f, 0x8b })) return FileKind.Gzip;
        if (b.StartsWith("PK\x03\x04"u8) || b.StartsWith("PK\x05\x06"u8) || b.StartsWith("PK\x07\x08"u8)) return FileKind.Zip;
        if (b.StartsWith(stackalloc byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a })) return FileKind.Png;
        if (b.StartsWith(stackalloc byte[] { 0xff, 0xd8, 0xff })) return FileKind.Jpeg;
        if (b.StartsWith("%PDF-"u8)) return FileKind.Pdf;
        if (b.StartsWith(stackalloc byte[] { 0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a })) return FileKind.Hdf5;
        if (b.StartsWith(stackalloc byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' })) return FileKind.Npy;
        if (b.Length >= 4 && b[0] == 0 && b[1] == 0 && Enum.IsDefined((IdxElementType)b[2]) && b[3] > 0) return FileKind.Idx;
        if (b.StartsWith(stackalloc byte[] { 0xff, 0xfe }) || b.StartsWith(stackalloc byte[] { 0xfe, 0xff })) return FileKind.Text;
        foreach (byte c in b)
            if (IsControl(c)) return FileKind.Unknown;
        return IsUtf8(b) || Ascii.IsValid(b[..Math.Min(b.Length, 8)]) ? FileKind.Text : FileKind.Unknown;
    }

    /// <summary>
    /// What the file that starts with <paramref name="firstBytes"/> looks like, as a phrase for a message:
    /// "a CSV text file (it starts '"Length","Width"')", "a gzip-compressed file", "a PNG image", ...
    /// </summary>
    public static string Describe(ReadOnlySpan<byte> firstBytes)
    {
        FileKind kind = Detect(firstBytes);
        return kind switch
        {
            FileKind.Empty => "an empty file",
            FileKind.Text => DescribeText(firstBytes.Length > SniffLength ? firstBytes[..SniffLength] : firstBytes),
            FileKind.Gzip => "a gzip-compressed file",
            FileKind.Zip => "a ZIP archive (as .zip, .xlsx and PyTorch .pt files are)",
            FileKind.Png => "a PNG image",
            FileKind.Jpeg => "a JPEG image",
            FileKind.Pdf => "a PDF document",
            FileKind.Hdf5 => "an HDF5 file (such as a Keras .h5 model)",
            FileKind.Npy => "a NumPy .npy array",
            FileKind.Idx => Invariant.Format($"an IDX file (the MNIST format) of {IdxTypeName((IdxElementType)firstBytes[2])} with {Invariant.Plural(firstBytes[3], "dimension")}"),
            FileKind.Safetensors => "a safetensors file",
            _ => "binary data of no kind MlpTools knows",
        };
    }

    /// <summary>
    /// Up to <see cref="SniffLength"/> bytes from the start of <paramref name="stream"/> (seekable), which is left
    /// positioned where it was.
    /// </summary>
    public static byte[] ReadStart(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        long position = stream.Position;
        stream.Position = 0;
        var buffer = new byte[SniffLength];
        int got = stream.ReadAtLeast(buffer, SniffLength, throwOnEndOfStream: false);
        stream.Position = position;
        return got == SniffLength ? buffer : buffer[..got];
    }

    /// <summary>Whether <paramref name="b"/> is valid UTF-8, but for a sequence cut off at its end.</summary>
    private static bool IsUtf8(ReadOnlySpan<byte> b)
    {
        Span<char> chars = stackalloc char[SniffLength];
        return Utf8.ToUtf16(b, chars, out _, out _, replaceInvalidSequences: false, isFinalBlock: false) != OperationStatus.InvalidData;
    }

    private static bool IsControl(byte c) => c < 0x20 ? c is not ((byte)'\t' or (byte)'\n' or 0x0b or 0x0c or (byte)'\r') : c == 0x7f;

    private static string DescribeText(ReadOnlySpan<byte> b)
    {
        string text = b.StartsWith(stackalloc byte[] { 0xff, 0xfe }) ? Encoding.Unicode.GetString(b[2..])
            : b.StartsWith(stackalloc byte[] { 0xfe, 0xff }) ? Encoding.BigEndianUnicode.GetString(b[2..])
            : Encoding.UTF8.GetString(b.StartsWith(stackalloc byte[] { 0xef, 0xbb, 0xbf }) ? b[3..] : b);
        int end = text.AsSpan().IndexOfAny('\r', '\n');
        string line = end < 0 ? text : text[..end];
        string what = line.Contains(',', StringComparison.Ordinal) ? "a CSV text file"
            : line.Contains('\t', StringComparison.Ordinal) ? "a tab-separated text file"
            : line.Contains(';', StringComparison.Ordinal) ? "a semicolon-separated text file"
            : "a text file";
        var preview = new StringBuilder();
        foreach (char c in line)
        {
            if (preview.Length == PreviewLength)
            {
                preview.Append("...");
                break;
            }
            preview.Append(char.IsControl(c) ? ' ' : c);
        }
        return preview.Length == 0 ? what : $"{what} (it starts '{preview}')";
    }

    private static string IdxTypeName(IdxElementType type) => type switch
    {
        IdxElementType.UByte => "unsigned bytes",
        IdxElementType.SByte => "signed bytes",
        IdxElementType.Int16 => "16-bit integers",
        IdxElementType.Int32 => "32-bit integers",
        IdxElementType.Float32 => "32-bit floats",
        _ => "64-bit floats",
    };
}
