using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using MlpTools.Core.Persistence;

namespace MlpTools.Fuzz;

/// <summary>
/// Makes a damaged model file's checksums true again: the two SHA-256 values a model file carries in its metadata
/// (<c>mlptools.sha256</c> over the data buffer, <c>mlptools.metadata_sha256</c> over the other metadata entries) are
/// recomputed for what the file now holds. A fuzzer's change to a size, a name, the history or a weight then reaches
/// the check meant for it rather than stopping at the checksum.
/// </summary>
internal static class ModelChecksums
{
    /// <summary>
    /// The file with both checksums recomputed and its header rewritten (same entries in the same order, padded with
    /// spaces to a multiple of 8), or null when there is no header to rewrite: the length prefix does not fit the file,
    /// the header is not a JSON object, or its <c>__metadata__</c> is missing, repeated or not an object of unique strings.
    /// The data buffer is taken to be everything after the header, as the reader takes it.
    /// </summary>
    public static byte[]? Recompute(byte[] file)
    {
        if (file.Length < 8) return null;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (n == 0 || n > (ulong)(file.Length - 8)) return null;
        ReadOnlyMemory<byte> header = file.AsMemory(8, (int)n);
        ReadOnlySpan<byte> data = file.AsSpan(8 + (int)n);
        try
        {
            using var doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            JsonElement? metadataElement = null;
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (p.Name != SafetensorsHeader.MetadataKey) continue;
                if (metadataElement is not null || p.Value.ValueKind != JsonValueKind.Object) return null;
                metadataElement = p.Value;
            }
            if (metadataElement is not { } metadataObject) return null;

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty item in metadataObject.EnumerateObject())
            {
                if (item.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(item.Name, item.Value.GetString()!)) return null;
            }
            metadata[ModelMetadata.DataSha256] = ModelMetadata.Hex(SHA256.HashData(data));
            metadata[ModelMetadata.MetadataSha256] = ModelMetadata.Checksum(metadata);

            var json = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
            {
                w.WriteStartObject();
                foreach (JsonProperty p in root.EnumerateObject())
                {
                    if (p.Name != SafetensorsHeader.MetadataKey)
                    {
                        p.WriteTo(w);
                        continue;
                    }
                    w.WriteStartObject(p.Name);
                    foreach (var (key, value) in metadata) w.WriteString(key, value);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            int padded = (json.WrittenCount + 7) / 8 * 8;
            var result = new byte[8 + padded + data.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
            json.WrittenSpan.CopyTo(result.AsSpan(8));
            result.AsSpan(8 + json.WrittenCount, padded - json.WrittenCount).Fill((byte)' ');
            data.CopyTo(result.AsSpan(8 + padded));
            return result;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON, not UTF-8, or text no writer can write again: the file is read as it is.
            return null;
        }
    }
}
