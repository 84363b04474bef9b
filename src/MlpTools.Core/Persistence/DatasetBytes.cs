using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlpTools.Core.Data;

namespace MlpTools.Core.Persistence;

/// <summary>
/// A dataset as one block of bytes and back, bit for bit: the form in which a dataset crosses PowerShell serialization
/// (Export-Clixml, jobs, remoting). Data only: no type names, no code.
/// </summary>
/// <remarks>
/// <para>The layout; every number little-endian:</para>
/// <code>
///   8 bytes        "MLPDATA\n": what the bytes are
///   8 bytes        T, unsigned: the length of the whole, checksum included
///   8 bytes        N, unsigned: the header's length, a multiple of 8 (so the arrays after it start 8-byte aligned)
///   N bytes        the header: a UTF-8 JSON object, padded with spaces
///                  { "format": "mlptools.dataset", "version": 1,
///                    "count": m, "feature_count": D, "class_count": C, "storage": "F32" or "F64",
///                    "name": text, "source": text, "attribution": text or null, "label_name": text or null,
///                    "image_shape": [rows, columns] or null, "source_rows": true or false,
///                    "class_names": [C texts], "feature_names": [D texts] }
///   m*D*4 or m*D*8 the features, one sample a row, in the storage precision (F32: IEEE single; F64: IEEE double)
///   m*4            the labels, signed 32-bit, each in 0..C-1
///   m*4            the source rows, signed 32-bit, each >= 0 (only when "source_rows" is true)
///   32 bytes       SHA-256 of every byte before it
/// </code>
/// <para>
/// The numbers are the dataset's own bits (NaN payloads included), in the precision it stores them in. Loading checks,
/// in this order and before allocating anything the bytes claim: the length against T (shorter is truncated), the
/// checksum, then the header (its format and version; its keys, all present, none twice, none unknown; its sizes
/// against caps, as one array holds at most <see cref="Array.MaxLength"/> values, and against T exactly), then every
/// label and source row. Anything else is refused with an <see cref="MlpException"/> of kind InvalidData whose
/// <see cref="MlpException.ErrorId"/> starts with <c>Dataset</c>.
/// </para>
/// </remarks>
public static class DatasetBytes
{
    /// <summary>The header's "format".</summary>
    public const string FormatTag = "mlptools.dataset";

    /// <summary>The header's "version" this version of MlpTools writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The largest header accepted: a model file's cap.</summary>
    public const long MaxHeaderBytes = SafetensorsHeader.MaxHeaderBytes;

    /// <summary>Tag, T and N.</summary>
    private const int PrefixBytes = 24;

    private const int ChecksumBytes = 32;

    /// <summary>A header is an object: "{}" at least.</summary>
    private const int MinHeaderBytes = 2;

    /// <summary>An object of arrays is two levels deep; one more of slack. Deeper JSON is refused.</summary>
    private const int MaxJsonDepth = 3;

    private static ReadOnlySpan<byte> Tag => "MLPDATA\n"u8;

    private static readonly string[] Keys =
    {
        "format", "version", "count", "feature_count", "class_count", "storage", "name", "source", "attribution",
        "label_name", "image_shape", "source_rows", "class_names", "feature_names",
    };

    /// <summary>The bytes of <paramref name="dataset"/>: everything it holds, its features in the precision it stores them in.</summary>
    /// <exception cref="MlpException">
    /// <c>DatasetTextInvalid</c> (a name that is not valid Unicode text), <c>DatasetTooLarge</c> (more bytes than one array holds).
    /// </exception>
    public static byte[] ToBytes(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        (byte[] header, long total) = Plan(dataset);
        var bytes = new byte[total];
        Span<byte> s = bytes;
        Tag.CopyTo(s);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], (ulong)total);
        BinaryPrimitives.WriteUInt64LittleEndian(s[16..], (ulong)header.Length);
        header.CopyTo(s[PrefixBytes..]);
        int at = PrefixBytes + header.Length;
        at += dataset.SingleRows is { } single ? Put<float>(single, s[at..]) : Put<double>(dataset.DoubleRows!, s[at..]);
        at += Put(dataset.LabelSpan, s[at..]);
        if (dataset.SourceRows is not null) at += Put(dataset.SourceRowSpan, s[at..]);
        SHA256.HashData(s[..at], s[at..]);
        return bytes;
    }

    /// <summary>
    /// Throws what <see cref="ToBytes"/> would throw for <paramref name="dataset"/>, without copying its numbers: whether
    /// it can be serialized, and if not, why.
    /// </summary>
    /// <exception cref="MlpException">As <see cref="ToBytes"/>.</exception>
    public static void CheckSerializable(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Plan(dataset);
    }

    /// <summary>Loads the dataset <paramref name="bytes"/> hold, all of them, with every check the class remarks list.</summary>
    /// <param name="bytes">What <see cref="ToBytes"/> made, and nothing more.</param>
    /// <param name="name">Names the bytes in error messages, as their subject: "the serialized dataset 'Digits'".</param>
    /// <exception cref="MlpException">
    /// <c>DatasetBytesTruncated</c>, <c>DatasetChecksumMismatch</c>, <c>DatasetHeaderInvalid</c>,
    /// <c>DatasetVersionUnsupported</c>, <c>DatasetTooLarge</c>, <c>DatasetLabelOutOfRange</c>,
    /// <c>DatasetSourceRowInvalid</c> (all of kind InvalidData).
    /// </exception>
    public static Dataset Load(ReadOnlyMemory<byte> bytes, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ReadOnlySpan<byte> b = bytes.Span;
        if (b.Length < PrefixBytes)
            throw Truncated(name, Invariant.Format($"is {Invariant.Plural(b.Length, "byte")} long, shorter than the {PrefixBytes} bytes a serialized dataset starts with"));
        if (!b.StartsWith(Tag))
            throw HeaderInvalid(name, $"does not start with the tag of a serialized dataset: it looks like {FileSniffer.Describe(b)}");
        ulong total = BinaryPrimitives.ReadUInt64LittleEndian(b[8..]);
        if (total > (ulong)b.Length)
            throw Truncated(name, Invariant.Format($"declares {total:N0} bytes, but only {b.Length:N0} are here"));
        if (total < (ulong)b.Length)
            throw HeaderInvalid(name, Invariant.Format($"declares {total:N0} bytes, but {b.Length:N0} were given: something follows its end"));
        if (b.Length < PrefixBytes + MinHeaderBytes + ChecksumBytes)
            throw HeaderInvalid(name, Invariant.Format($"declares {total:N0} bytes, too few for a header and a checksum"));

        int end = b.Length - ChecksumBytes;
        Span<byte> actual = stackalloc byte[ChecksumBytes];
        SHA256.HashData(b[..end], actual);
        if (!actual.SequenceEqual(b[end..]))
            throw MlpException.InvalidData("DatasetChecksumMismatch",
                $"{Subject(name)} is damaged: its bytes have the SHA-256 {ModelMetadata.Hex(actual)}, but it records {ModelMetadata.Hex(b[end..])}. Serialize the dataset again.", name);

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(b[16..]);
        if (n < MinHeaderBytes || n > MaxHeaderBytes)
            throw HeaderInvalid(name, Invariant.Format($"declares a header of {n:N0} bytes; a header is a JSON object of {MinHeaderBytes} to {MaxHeaderBytes:N0} bytes"));
        if (n > (ulong)(end - PrefixBytes))
            throw HeaderInvalid(name, Invariant.Format($"declares a header of {n:N0} bytes, but only {end - PrefixBytes:N0} lie between its start and its checksum"));
        Header h = ParseHeader(bytes.Slice(PrefixBytes, (int)n), name);

        int size = h.Double ? sizeof(double) : sizeof(float);
        long values = h.Count * h.FeatureCount;
        long expected = PrefixBytes + (long)n + values * size + h.Count * sizeof(int) * (h.SourceRows ? 2 : 1) + ChecksumBytes;
        if (expected != b.Length)
            throw HeaderInvalid(name, Invariant.Format($"has a header that describes {Invariant.Plural(h.Count, "sample")} x {Invariant.Plural(h.FeatureCount, "feature")} in {(h.Double ? "F64" : "F32")}{(h.SourceRows ? " with their source rows" : "")}, {expected:N0} bytes in all, but it is {b.Length:N0} bytes long"));

        int count = (int)h.Count, d = (int)h.FeatureCount;
        ReadOnlySpan<byte> data = b[(PrefixBytes + (int)n)..end];
        float[]? single = h.Double ? null : Take<float>(ref data, count * d);
        double[]? dbl = h.Double ? Take<double>(ref data, count * d) : null;
        int[] labels = Take<int>(ref data, count);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)h.ClassNames.Length)
                throw MlpException.InvalidData("DatasetLabelOutOfRange",
                    Invariant.Format($"{Subject(name)} gives sample {i} the label {labels[i]}, outside 0..{h.ClassNames.Length - 1}, the numbers of its {h.ClassNames.Length} class{(h.ClassNames.Length == 1 ? "" : "es")}. It is damaged; serialize the dataset again."), name);
        }
        int[]? sourceRows = h.SourceRows ? Take<int>(ref data, count) : null;
        for (int i = 0; sourceRows is not null && i < sourceRows.Length; i++)
        {
            if (sourceRows[i] < 0)
                throw MlpException.InvalidData("DatasetSourceRowInvalid",
                    Invariant.Format($"{Subject(name)} gives sample {i} the source row {sourceRows[i]}; a source row is a row number, 0 or more. It is damaged; serialize the dataset again."), name);
        }
        try
        {
            return new Dataset(single, dbl, count, d, labels, h.ClassNames, h.FeatureNames, h.Name, h.Source, h.Attribution,
                sourceRows, h.LabelName, h.ImageShape);
        }
        catch (MlpException ex)
        {
            // Every rule of a dataset is checked above; this is a safety net that keeps the error's family.
            throw HeaderInvalid(name, "describes a dataset MlpTools cannot hold (" + ex.Message + ")");
        }
    }

    /// <inheritdoc cref="Load(ReadOnlyMemory{byte}, string)"/>
    public static Dataset Load(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Load(bytes.AsMemory(), name);
    }

    // ---- writing ----

    /// <summary>Checks <paramref name="dataset"/> can be written; returns its header, padded, and the length of the whole.</summary>
    private static (byte[] Header, long Total) Plan(Dataset dataset)
    {
        CheckText(dataset.Name, "name", dataset, optional: false);
        CheckText(dataset.Source, "source", dataset, optional: false);
        CheckText(dataset.Attribution, "attribution", dataset, optional: true);
        CheckText(dataset.LabelName, "label name", dataset, optional: true);
        foreach (string s in dataset.ClassNames) CheckText(s, "class name", dataset, optional: false);
        foreach (string s in dataset.FeatureNames) CheckText(s, "feature name", dataset, optional: false);

        byte[] header = EncodeHeader(dataset);
        int size = dataset.StoragePrecision == Precision.Double ? sizeof(double) : sizeof(float);
        long total = PrefixBytes + header.Length + (long)dataset.Count * dataset.FeatureCount * size
            + (long)dataset.Count * sizeof(int) * (dataset.SourceRows is null ? 1 : 2) + ChecksumBytes;
        if (total > Array.MaxLength)
            throw MlpException.InvalidData("DatasetTooLarge",
                Invariant.Format($"The dataset '{dataset.Name}' ({dataset}) takes {total:N0} bytes, more than the {Array.MaxLength:N0} one block of bytes holds, so it cannot be serialized. Send a part of it (a subset or a split), or save it to a file and read that where it is needed."), dataset);
        return (header, total);
    }

    private static void CheckText(string? text, string what, Dataset dataset, bool optional)
    {
        if (text is null)
        {
            if (optional) return;
            throw MlpException.InvalidData("DatasetTextInvalid",
                $"The dataset '{dataset.Name}' has no {what} (it is null), which its serialized form must hold. Give it one.", dataset);
        }
        int at = UnicodeText.UnpairedSurrogateAt(text);
        if (at >= 0)
            throw MlpException.InvalidData("DatasetTextInvalid",
                Invariant.Format($"The dataset '{dataset.Name}' has the {what} '{text}', which is not valid Unicode text (it has an unpaired surrogate at position {at}), so it cannot be serialized. Rename it."), text);
    }

    private static byte[] EncodeHeader(Dataset dataset)
    {
        var json = new ArrayBufferWriter<byte>();
        // Data for a JSON parser, never HTML: escape only what JSON requires, so names stay readable.
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatTag);
            w.WriteNumber("version", FormatVersion);
            w.WriteNumber("count", dataset.Count);
            w.WriteNumber("feature_count", dataset.FeatureCount);
            w.WriteNumber("class_count", dataset.ClassCount);
            w.WriteString("storage", dataset.StoragePrecision == Precision.Double ? "F64" : "F32");
            w.WriteString("name", dataset.Name);
            w.WriteString("source", dataset.Source);
            w.WriteString("attribution", dataset.Attribution);
            w.WriteString("label_name", dataset.LabelName);
            if (dataset.ImageShape is { } shape)
            {
                w.WriteStartArray("image_shape");
                w.WriteNumberValue(shape.Rows);
                w.WriteNumberValue(shape.Columns);
                w.WriteEndArray();
            }
            else
            {
                w.WriteNull("image_shape");
            }
            w.WriteBoolean("source_rows", dataset.SourceRows is not null);
            WriteStrings(w, "class_names", dataset.ClassNames);
            WriteStrings(w, "feature_names", dataset.FeatureNames);
            w.WriteEndObject();
        }
        int n = (json.WrittenCount + 7) / 8 * 8;
        var header = new byte[n];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteStrings(Utf8JsonWriter w, string key, IEnumerable<string> values)
    {
        w.WriteStartArray(key);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    /// <summary>Copies <paramref name="values"/> into <paramref name="to"/>, little-endian, bit for bit; returns the bytes written.</summary>
    private static int Put<T>(ReadOnlySpan<T> values, Span<byte> to)
        where T : unmanaged
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(values);
        raw.CopyTo(to);
        ToFromLittleEndian(to[..raw.Length], Unsafe.SizeOf<T>());
        return raw.Length;
    }

    // ---- reading ----

    /// <summary>What a header says, checked.</summary>
    private sealed record Header(long Count, long FeatureCount, bool Double, string Name, string Source, string? Attribution,
        string? LabelName, ImageShape? ImageShape, bool SourceRows, string[] ClassNames, string[] FeatureNames);

    /// <summary>Thrown inside the header's readers; <see cref="ParseHeader"/> turns it into <c>DatasetHeaderInvalid</c>.</summary>
    private sealed class BadHeaderException(string message) : Exception(message);

    private static Header ParseHeader(ReadOnlyMemory<byte> json, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(Invariant.Format($"is a JSON {root.ValueKind}, not an object"));
            var f = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (JsonProperty p in root.EnumerateObject())
                if (!f.TryAdd(p.Name, p.Value)) throw Bad($"has the key '{p.Name}' twice");

            // What the bytes are and their version first: a later version may have keys this one does not know.
            if (Text(f, "format") != FormatTag)
                throw Bad($"has the format '{Text(f, "format")}', not '{FormatTag}': the bytes are not a serialized dataset");
            if (!f.TryGetValue("version", out JsonElement v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version))
                throw Bad("has no whole-number 'version'");
            if (version != FormatVersion)
                throw new MlpException("DatasetVersionUnsupported", MlpErrorKind.InvalidData,
                    Invariant.Format($"{Subject(name)} is in MlpTools dataset format version {version}, but this version of MlpTools reads version {FormatVersion}. Load it with the version of MlpTools that serialized it, or serialize it with this one."), version);
            foreach (string key in f.Keys)
                if (Array.IndexOf(Keys, key) < 0) throw Bad($"has the key '{key}', which a serialized dataset does not have");
            foreach (string key in Keys)
                if (!f.ContainsKey(key)) throw Bad($"has no '{key}'");

            long count = Size(f, "count", 0), d = Size(f, "feature_count", 1), c = Size(f, "class_count", 0);
            if (count > Array.MaxLength || d > Array.MaxLength || count * d > Array.MaxLength)
                throw MlpException.InvalidData("DatasetTooLarge",
                    Invariant.Format($"{Subject(name)} declares {count:N0} samples x {d:N0} features, {(BigInteger)count * d:N0} values, more than the {Array.MaxLength:N0} one dataset holds. It is damaged; serialize the dataset again."), name);
            if (count > 0 && c == 0) throw Bad(Invariant.Format($"declares {Invariant.Plural(count, "sample")} but no classes; a labelled dataset has at least one"));
            bool dbl = Text(f, "storage") switch
            {
                "F32" => false,
                "F64" => true,
                string other => throw Bad($"has the storage '{other}', not F32 or F64"),
            };
            ImageShape? shape = null;
            if (f["image_shape"].ValueKind != JsonValueKind.Null)
            {
                long[] sizes = Sizes(f["image_shape"], "image_shape");
                if (sizes.Length != 2 || sizes[0] < 1 || sizes[1] < 1 || sizes[0] * sizes[1] != d)
                    throw Bad(Invariant.Format($"has the image_shape {f["image_shape"].GetRawText()}, which is not two sizes of 1 or more whose product is its {Invariant.Plural(d, "feature")}"));
                shape = new ImageShape((int)sizes[0], (int)sizes[1]);
            }
            JsonElement rows = f["source_rows"];
            if (rows.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Bad("has a 'source_rows' that is not true or false");
            return new Header(count, d, dbl, Text(f, "name"), Text(f, "source"), OptionalText(f, "attribution"), OptionalText(f, "label_name"),
                shape, rows.GetBoolean(), Texts(f, "class_names", c), Texts(f, "feature_names", d));
        }
        catch (BadHeaderException ex)
        {
            throw HeaderInvalid(name, "has a header that " + ex.Message);
        }
        catch (JsonException ex)
        {
            throw HeaderInvalid(name, "has a header that is not valid JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // GetString on text that is not valid UTF-8, or an escaped unpaired surrogate.
            throw HeaderInvalid(name, "has a header that is not valid UTF-8 JSON: " + ex.Message);
        }
    }

    private static string Text(Dictionary<string, JsonElement> f, string key) =>
        f.TryGetValue(key, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Bad($"has no text '{key}'");

    private static string? OptionalText(Dictionary<string, JsonElement> f, string key) =>
        f[key].ValueKind == JsonValueKind.Null ? null : Text(f, key);

    /// <summary>A size of at least <paramref name="min"/>; one too large for 64 bits is long.MaxValue, so that the caps refuse it.</summary>
    private static long Size(Dictionary<string, JsonElement> f, string key, long min)
    {
        JsonElement v = f[key];
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt64(out long x) && x >= min) return x;
            if (v.TryGetDouble(out double big) && big > long.MaxValue && Invariant.IsWholeNumber(big)) return long.MaxValue;
        }
        throw Bad(Invariant.Format($"has the '{key}' {v.GetRawText()}, not a whole number of {min} or more"));
    }

    private static long[] Sizes(JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Array) throw Bad($"has a '{key}' that is not a list");
        return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int n) ? (long)n
            : throw Bad($"has a '{key}' entry {x.GetRawText()}, not a whole number")).ToArray();
    }

    private static string[] Texts(Dictionary<string, JsonElement> f, string key, long count)
    {
        JsonElement e = f[key];
        if (e.ValueKind != JsonValueKind.Array) throw Bad($"has a '{key}' that is not a list");
        if (e.GetArrayLength() != count)
            throw Bad(Invariant.Format($"has {Invariant.Plural(e.GetArrayLength(), "name")} in '{key}', but declares {count:N0}"));
        return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()!
            : throw Bad($"has a '{key}' entry {x.GetRawText()}, not a text")).ToArray();
    }

    /// <summary>The next <paramref name="count"/> values of <paramref name="data"/>, bit for bit; moves past them.</summary>
    private static T[] Take<T>(ref ReadOnlySpan<byte> data, int count)
        where T : unmanaged
    {
        var values = new T[count];
        Span<byte> raw = MemoryMarshal.AsBytes(values.AsSpan());
        data[..raw.Length].CopyTo(raw);
        ToFromLittleEndian(raw, Unsafe.SizeOf<T>());
        data = data[raw.Length..];
        return values;
    }

    /// <summary>Reverses each value's bytes on a big-endian machine (the bytes are little-endian); nothing on others.</summary>
    private static void ToFromLittleEndian(Span<byte> bytes, int size)
    {
        if (BitConverter.IsLittleEndian) return;
        if (size == sizeof(int))
        {
            Span<int> v = MemoryMarshal.Cast<byte, int>(bytes);
            BinaryPrimitives.ReverseEndianness(v, v);
        }
        else
        {
            Span<long> v = MemoryMarshal.Cast<byte, long>(bytes);
            BinaryPrimitives.ReverseEndianness(v, v);
        }
    }

    // ---- errors ----

    /// <summary>"the serialized dataset" as the start of a sentence.</summary>
    private static string Subject(string name) => char.ToUpperInvariant(name[0]) + name[1..];

    private static BadHeaderException Bad(string message) => new(message);

    private static MlpException Truncated(string name, string what) =>
        MlpException.InvalidData("DatasetBytesTruncated",
            $"{Subject(name)} {what}: it is truncated (cut short in a file or on its way). Serialize the dataset again.", name);

    private static MlpException HeaderInvalid(string name, string what) =>
        MlpException.InvalidData("DatasetHeaderInvalid",
            $"{Subject(name)} {what}. It is damaged or not a dataset MlpTools serialized; serialize the dataset again.", name);
}
