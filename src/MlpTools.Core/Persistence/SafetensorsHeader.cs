using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlpTools.Core.Data;

namespace MlpTools.Core.Persistence;

/// <summary>One tensor's entry in a safetensors header: element type, shape, and its bytes [Begin, End) in the data buffer.</summary>
internal sealed record TensorEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>The shape as written in a header, for messages: [2, 3].</summary>
    public string ShapeText => ShapeToText(Shape);

    public static string ShapeToText(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}

/// <summary>
/// The container layer of a model file: the safetensors layout, with no knowledge of what the tensors mean.
/// </summary>
/// <remarks>
/// <para>The layout (https://github.com/huggingface/safetensors, "Format"):</para>
/// <code>
///   8 bytes   N, unsigned 64-bit little-endian: the header's length
///   N bytes   the header: a UTF-8 JSON object, starting with '{' and padded with spaces
///             { "__metadata__": { "key": "string value", ... },
///               "W1": { "dtype": "F32", "shape": [D, H], "data_offsets": [begin, end] }, ... }
///   the rest  the data buffer: every tensor's elements, row-major, little-endian; a tensor's
///             data_offsets are relative to the buffer's start
/// </code>
/// <para>
/// <see cref="Read"/> checks everything the header claims against the file before anything is allocated from it:
/// N is 1..100,000,000 and fits in the file; the JSON is at most <see cref="MaxJsonDepth"/> deep and has no duplicate
/// keys; metadata values are strings; each tensor's dtype is known, its dims are non-negative, its element count and
/// byte count are computed in checked 64-bit arithmetic and equal end - begin; and the tensors, taken by offset, are
/// contiguous from 0 and cover the buffer exactly (no overlap, no hole, nothing after the last one), as the
/// safetensors specification requires.
/// </para>
/// </remarks>
internal sealed class SafetensorsHeader
{
    /// <summary>The largest header accepted (the safetensors reference reader's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Object, tensor entry, shape array: three levels; one more of slack. Deeper JSON is refused.</summary>
    public const int MaxJsonDepth = 4;

    /// <summary>The metadata key of the safetensors format.</summary>
    public const string MetadataKey = "__metadata__";

    private SafetensorsHeader(long headerBytes, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<TensorEntry> tensors, long dataBytes)
    {
        HeaderBytes = headerBytes;
        Metadata = metadata;
        Tensors = tensors;
        DataBytes = dataBytes;
    }

    /// <summary>N, the header's length in bytes.</summary>
    public long HeaderBytes { get; }

    /// <summary>Where the data buffer starts in the file: 8 + N.</summary>
    public long DataStart => 8 + HeaderBytes;

    /// <summary>The data buffer's length: the rest of the file, exactly covered by <see cref="Tensors"/>.</summary>
    public long DataBytes { get; }

    /// <summary>The string values of <c>__metadata__</c> (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order of their bytes in the data buffer.</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>Bytes per element of a dtype this reader knows, 0 for any other.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "F64" => 8,
        _ => 0,
    };

    /// <summary>
    /// The file's first 8 + N bytes (the length and the space-padded header) for <paramref name="metadata"/> and
    /// <paramref name="tensors"/>, whose bytes are laid out in the given order from offset 0. N is padded to a multiple
    /// of 8 so the data buffer starts 8-byte aligned, as the safetensors writers do.
    /// </summary>
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> metadata, IEnumerable<(string Name, string DType, long[] Shape)> tensors)
    {
        var json = new ArrayBufferWriter<byte>();
        // The header is data for a JSON parser, never HTML: escape only what JSON requires, so names stay readable.
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartObject(MetadataKey);
            foreach (var (key, value) in metadata) w.WriteString(key, value);
            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, dtype, shape) in tensors)
            {
                long bytes = checked(shape.Aggregate(1L, (p, d) => p * d) * ElementSize(dtype));
                w.WriteStartObject(name);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape");
                foreach (long d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        int n = (json.WrittenCount + 7) / 8 * 8;
        var prefix = new byte[8 + n];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)n);
        json.WrittenSpan.CopyTo(prefix.AsSpan(8));
        prefix.AsSpan(8 + json.WrittenCount).Fill((byte)' ');
        return prefix;
    }

    /// <summary>
    /// Reads and checks the header of <paramref name="file"/> (positioned at its start), leaving it positioned at the
    /// data buffer. Throws <see cref="MlpException"/> (<c>ModelFileTruncated</c>, <c>ModelHeaderInvalid</c>,
    /// <c>ModelDtypeUnsupported</c>) for anything the layout does not allow.
    /// </summary>
    public static SafetensorsHeader Read(Stream file, string path)
    {
        long fileLength = file.Length;
        if (fileLength < 8)
            throw ModelFile.Truncated(path, Invariant.Format($"is {fileLength} bytes long, shorter than the 8-byte header length a model file starts with"));
        RequireSafetensors(file, path);
        Span<byte> prefix = stackalloc byte[8];
        file.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n == 0)
            throw HeaderInvalid(path, "declares a header of 0 bytes; a model file's header is a JSON object");
        if (n > MaxHeaderBytes)
            throw HeaderInvalid(path, Invariant.Format($"declares a header of {n:N0} bytes, more than the {MaxHeaderBytes:N0} a safetensors header may have"));
        if ((long)n > fileLength - 8)
            throw ModelFile.Truncated(path, Invariant.Format($"declares a header of {n:N0} bytes, but only {fileLength - 8:N0} bytes follow the header length"));
        long dataBytes = fileLength - 8 - (long)n;

        byte[] header = new byte[n];
        file.ReadExactly(header);
        if (header[0] != (byte)'{')
            throw HeaderInvalid(path, "has a header that does not start with '{'; it is not a safetensors file");

        Dictionary<string, string> metadata;
        List<TensorEntry> tensors;
        try
        {
            using var doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
            (metadata, tensors) = ParseHeader(doc.RootElement, path);
        }
        catch (JsonException ex)
        {
            throw HeaderInvalid(path, "has a header that is not valid JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // GetString on text that is not valid UTF-8.
            throw HeaderInvalid(path, "has a header that is not valid UTF-8 JSON: " + ex.Message);
        }

        CheckLayout(tensors, dataBytes, path);
        return new SafetensorsHeader((long)n, metadata, tensors, dataBytes);
    }

    private static (Dictionary<string, string> Metadata, List<TensorEntry> Tensors) ParseHeader(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw HeaderInvalid(path, Invariant.Format($"has a header that is a JSON {root.ValueKind}, not an object"));
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<TensorEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            string name = property.Name;
            if (!seen.Add(name))
                throw HeaderInvalid(path, Invariant.Format($"has the key '{name}' twice in its header"));
            if (name == MetadataKey)
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw HeaderInvalid(path, Invariant.Format($"has a {MetadataKey} that is a JSON {property.Value.ValueKind}, not an object of strings"));
                foreach (JsonProperty item in property.Value.EnumerateObject())
                {
                    if (item.Value.ValueKind != JsonValueKind.String)
                        throw HeaderInvalid(path, Invariant.Format($"has the {MetadataKey} entry '{item.Name}' as a JSON {item.Value.ValueKind}; every metadata value must be a string"));
                    if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                        throw HeaderInvalid(path, Invariant.Format($"has the {MetadataKey} key '{item.Name}' twice"));
                }
            }
            else
            {
                tensors.Add(ParseTensor(name, property.Value, path));
            }
        }
        return (metadata, tensors);
    }

    private static TensorEntry ParseTensor(string name, JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw HeaderInvalid(path, Invariant.Format($"has the tensor '{name}' as a JSON {e.ValueKind}; a tensor entry is an object with dtype, shape and data_offsets"));
        string? dtype = null;
        long[]? shape = null, offsets = null;
        foreach (JsonProperty p in e.EnumerateObject())
        {
            switch (p.Name)
            {
                case "dtype" when dtype is null:
                    if (p.Value.ValueKind != JsonValueKind.String)
                        throw HeaderInvalid(path, Invariant.Format($"gives tensor '{name}' a dtype that is not a string"));
                    dtype = p.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadNonNegativeIntegers(p.Value, name, "shape", path);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadNonNegativeIntegers(p.Value, name, "data_offsets", path);
                    break;
                default:
                    throw HeaderInvalid(path, Invariant.Format($"has the key '{p.Name}' in tensor '{name}' (twice, or unknown); a tensor entry has exactly dtype, shape and data_offsets"));
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw HeaderInvalid(path, Invariant.Format($"has no {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")} for tensor '{name}'"));
        int size = ElementSize(dtype);
        if (size == 0)
            throw new MlpException("ModelDtypeUnsupported", MlpErrorKind.InvalidData,
                Invariant.Format($"The model file '{path}' stores tensor '{name}' as '{dtype}'; MlpTools models hold F32 (single) or F64 (double) tensors only."), path);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw HeaderInvalid(path, Invariant.Format($"gives tensor '{name}' data_offsets {TensorEntry.ShapeToText(offsets)}; they must be two numbers [begin, end] with begin <= end"));
        long bytes;
        try
        {
            long count = 1;
            foreach (long d in shape) count = checked(count * d);
            bytes = checked(count * size);
        }
        catch (OverflowException)
        {
            throw HeaderInvalid(path, Invariant.Format($"gives tensor '{name}' the shape {TensorEntry.ShapeToText(shape)}, whose size overflows 64 bits"));
        }
        if (offsets[1] - offsets[0] != bytes)
            throw HeaderInvalid(path, Invariant.Format($"gives tensor '{name}' ({dtype}, shape {TensorEntry.ShapeToText(shape)}: {bytes:N0} bytes) the data_offsets {TensorEntry.ShapeToText(offsets)}, which span {offsets[1] - offsets[0]:N0} bytes"));
        return new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] ReadNonNegativeIntegers(JsonElement e, string tensor, string key, string path)
    {
        if (e.ValueKind != JsonValueKind.Array)
            throw HeaderInvalid(path, Invariant.Format($"gives tensor '{tensor}' a {key} that is not an array"));
        var values = new long[e.GetArrayLength()];
        int i = 0;
        foreach (JsonElement v in e.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < 0)
                throw HeaderInvalid(path, Invariant.Format($"gives tensor '{tensor}' a {key} entry {v.GetRawText()}; each must be a whole number >= 0"));
            values[i++] = x;
        }
        return values;
    }

    /// <summary>Sorts <paramref name="tensors"/> by offset and checks they tile [0, dataBytes) exactly.</summary>
    private static void CheckLayout(List<TensorEntry> tensors, long dataBytes, string path)
    {
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long cursor = 0;
        TensorEntry? previous = null;
        foreach (TensorEntry t in tensors)
        {
            if (t.Begin < cursor)
                throw HeaderInvalid(path, Invariant.Format($"has tensor '{t.Name}' at bytes [{t.Begin}, {t.End}), overlapping tensor '{previous!.Name}' at [{previous.Begin}, {previous.End})"));
            if (t.Begin > cursor)
                throw HeaderInvalid(path, Invariant.Format($"has bytes [{cursor}, {t.Begin}) of its data that belong to no tensor; safetensors requires the tensors to cover the data without holes"));
            cursor = t.End;
            previous = t;
        }
        if (cursor > dataBytes)
            throw ModelFile.Truncated(path, Invariant.Format($"has a header that places {cursor:N0} bytes of tensor data after it, but only {dataBytes:N0} bytes follow"));
        if (cursor < dataBytes)
            throw HeaderInvalid(path, Invariant.Format($"has {dataBytes - cursor:N0} bytes after its last tensor that belong to no tensor; safetensors requires the tensors to cover the data exactly"));
    }

    /// <summary>
    /// Refuses a file whose first bytes are plainly another kind of file (text, gzip, IDX, an image, an archive) with
    /// <c>ModelFileWrongKind</c>, saying what it looks like. A file that looks like no known kind may be a damaged model
    /// file: the layout checks report what is wrong with it.
    /// </summary>
    private static void RequireSafetensors(Stream file, string path)
    {
        byte[] start = FileSniffer.ReadStart(file);
        if (FileSniffer.Detect(start) is FileKind.Safetensors or FileKind.Unknown) return;
        throw MlpException.InvalidData("ModelFileWrongKind",
            $"The file '{path}' is not a model file: it looks like {FileSniffer.Describe(start)}. A model file is a safetensors file (an 8-byte header length, then a JSON header) as saving a network writes it.",
            path);
    }

    private static MlpException HeaderInvalid(string path, string what) =>
        MlpException.InvalidData("ModelHeaderInvalid",
            $"The model file '{path}' {what}. It is damaged or not an MlpTools model file; export the model again.", path);

}
