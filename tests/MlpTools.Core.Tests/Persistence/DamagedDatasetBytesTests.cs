using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MlpTools.Core.Data;
using MlpTools.Core.Persistence;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>
/// A corpus of damaged dataset bytes, made here from valid ones: truncations, flipped bits, a wrong checksum, and
/// headers that lie behind a correct checksum. Each must be refused with an <see cref="MlpException"/> of kind
/// InvalidData and the id that says what is wrong, never another exception, never a large allocation.
/// </summary>
public class DamagedDatasetBytesTests
{
    private const int Prefix = 24, Checksum = 32;

    private static readonly Lazy<byte[]> ValidBytes = new(() => DatasetBytes.ToBytes(DatasetBytesTests.Small(Precision.Single, subset: true)));

    private static byte[] Valid => (byte[])ValidBytes.Value.Clone();

    private static int HeaderLength(byte[] bytes) => (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));

    /// <summary>The header of <paramref name="bytes"/> as JSON, and the arrays after it (without the checksum).</summary>
    private static (JsonObject Header, byte[] Data) Split(byte[] bytes)
    {
        int n = HeaderLength(bytes);
        var header = (JsonObject)JsonNode.Parse(Encoding.UTF8.GetString(bytes, Prefix, n))!;
        return (header, bytes[(Prefix + n)..^Checksum]);
    }

    /// <summary>Valid-looking bytes around <paramref name="header"/> and <paramref name="data"/>: a true length and a true checksum.</summary>
    private static byte[] Assemble(string header, byte[] data) => Assemble(Encoding.UTF8.GetBytes(header), data);

    private static byte[] Assemble(byte[] header, byte[] data)
    {
        var bytes = new byte[Prefix + header.Length + data.Length + Checksum];
        "MLPDATA\n"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), (ulong)bytes.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), (ulong)header.Length);
        header.CopyTo(bytes, Prefix);
        data.CopyTo(bytes, Prefix + header.Length);
        Reseal(bytes);
        return bytes;
    }

    /// <summary>Recomputes the checksum of <paramref name="bytes"/>, so that a change reaches the checks behind it.</summary>
    private static void Reseal(byte[] bytes) => SHA256.HashData(bytes.AsSpan(0, bytes.Length - Checksum), bytes.AsSpan(bytes.Length - Checksum));

    /// <summary>The valid bytes with their header changed by <paramref name="change"/>, resealed.</summary>
    private static byte[] WithHeader(Action<JsonObject> change)
    {
        var (header, data) = Split(Valid);
        change(header);
        return Assemble(header.ToJsonString(), data);
    }

    /// <summary>Asserts <paramref name="bytes"/> are refused with <paramref name="errorId"/> (or any Dataset id when null).</summary>
    private static MlpException Refused(byte[] bytes, string? errorId)
    {
        MlpException? refused = null;
        try
        {
            DatasetBytes.Load(bytes, DatasetBytesTests.Name);
        }
        catch (MlpException ex)
        {
            refused = ex;
        }
        catch (Exception ex)
        {
            Assert.Fail($"Expected an MlpException ({errorId}), got {ex.GetType().Name}: {ex.Message}");
        }
        Assert.True(refused is not null, $"The bytes were loaded; expected {errorId}.");
        Assert.Equal(MlpErrorKind.InvalidData, refused!.Kind);
        Assert.StartsWith("Dataset", refused.ErrorId, StringComparison.Ordinal);
        if (errorId is not null) Assert.Equal(errorId, refused.ErrorId);
        Assert.StartsWith("The serialized dataset ", refused.Message, StringComparison.Ordinal);
        return refused;
    }

    [Fact]
    public void The_valid_bytes_load_and_resealing_them_changes_nothing()
    {
        Assert.Equal(3, DatasetBytes.Load(Valid, DatasetBytesTests.Name).Count);
        var (header, data) = Split(Valid);
        byte[] padded = Encoding.UTF8.GetBytes(header.ToJsonString().PadRight(HeaderLength(Valid)));
        Assert.Equal(Valid, Assemble(padded, data));
    }

    [Fact]
    public void Every_truncation_is_refused_as_truncated()
    {
        byte[] bytes = Valid;
        for (int length = 0; length < bytes.Length; length++)
        {
            MlpException ex = Refused(bytes[..length], "DatasetBytesTruncated");
            Assert.Contains("Serialize the dataset again", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_flipped_bit_is_refused()
    {
        // The tag says what the bytes are; the length, whether they are whole; the checksum covers everything else.
        byte[] valid = Valid;
        for (int i = 0; i < valid.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] bytes = (byte[])valid.Clone();
                bytes[i] ^= (byte)(1 << bit);
                if (i < 8) Refused(bytes, "DatasetHeaderInvalid");
                else if (i < 16) Assert.Contains(Refused(bytes, null).ErrorId, new[] { "DatasetBytesTruncated", "DatasetHeaderInvalid" });
                else Refused(bytes, "DatasetChecksumMismatch");
            }
        }
    }

    [Fact]
    public void A_wrong_checksum_is_refused_naming_both()
    {
        byte[] bytes = Valid;
        string actual = Convert.ToHexString(bytes, bytes.Length - Checksum, Checksum).ToLowerInvariant();
        bytes[^1] ^= 0xFF;
        string recorded = Convert.ToHexString(bytes, bytes.Length - Checksum, Checksum).ToLowerInvariant();
        MlpException ex = Refused(bytes, "DatasetChecksumMismatch");
        Assert.Contains("SHA-256 " + actual, ex.Message, StringComparison.Ordinal);
        Assert.Contains("records " + recorded, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_after_the_declared_end_are_refused()
    {
        Refused(Valid.Append((byte)0).ToArray(), "DatasetHeaderInvalid");
    }

    [Theory]
    [InlineData(1099511627776L, 4L)]          // 2^40 samples
    [InlineData(3L, 1099511627776L)]          // 2^40 features
    [InlineData(100_000L, 100_000L)]          // 10^10 values: each size fits, the product does not
    [InlineData(long.MaxValue, 4L)]
    public void Huge_sizes_in_a_tiny_blob_are_refused_without_allocating_them(long count, long features)
    {
        byte[] bytes = WithHeader(h =>
        {
            h["count"] = count;
            h["feature_count"] = features;
        });
        long before = GC.GetAllocatedBytesForCurrentThread();
        MlpException ex = Refused(bytes, "DatasetTooLarge");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "Refusing the bytes allocated more than 1 MiB.");
        Assert.Contains("serialize the dataset again", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_size_beyond_64_bits_is_too_large()
    {
        var (header, data) = Split(Valid);
        string json = header.ToJsonString().Replace("\"count\":3", "\"count\":1e30", StringComparison.Ordinal);
        Assert.Contains("1e30", json, StringComparison.Ordinal);
        Refused(Assemble(json, data), "DatasetTooLarge");
    }

    [Fact]
    public void Sizes_that_fit_the_caps_but_not_the_bytes_are_refused_without_allocating_them()
    {
        byte[] bytes = WithHeader(h => h["count"] = 1_000_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        MlpException ex = Refused(bytes, "DatasetHeaderInvalid");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "Refusing the bytes allocated more than 1 MiB.");
        Assert.Contains("1,000,000 samples", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_version_is_refused_as_unsupported()
    {
        MlpException ex = Refused(WithHeader(h =>
        {
            h["version"] = 2;
            h["a_key_of_version_2"] = "x";
        }), "DatasetVersionUnsupported");
        Assert.Contains("version 2", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> LyingHeaders => new()
    {
        "another format",
        "no format",
        "version not a number",
        "unknown key",
        "missing key",
        "negative count",
        "fractional count",
        "count as text",
        "no features",
        "samples but no classes",
        "unknown storage",
        "storage that does not fit the bytes",
        "source rows that do not fit the bytes",
        "source_rows not a boolean",
        "too few class names",
        "too many feature names",
        "a class name that is a number",
        "image shape of another size",
        "image shape of three sizes",
        "image shape with a zero",
        "name null",
        "attribution a number",
    };

    [Theory]
    [MemberData(nameof(LyingHeaders))]
    public void A_header_that_lies_is_refused(string lie)
    {
        byte[] bytes = WithHeader(h =>
        {
            switch (lie)
            {
                case "another format": h["format"] = "mlptools.model"; break;
                case "no format": h.Remove("format"); break;
                case "version not a number": h["version"] = "1"; break;
                case "unknown key": h["extra"] = 1; break;
                case "missing key": h.Remove("label_name"); break;
                case "negative count": h["count"] = -3; break;
                case "fractional count": h["count"] = 2.5; break;
                case "count as text": h["count"] = "3"; break;
                case "no features": h["feature_count"] = 0; break;
                case "samples but no classes": h["class_count"] = 0; h["class_names"] = new JsonArray(); break;
                case "unknown storage": h["storage"] = "I8"; break;
                case "storage that does not fit the bytes": h["storage"] = "F64"; break;
                case "source rows that do not fit the bytes": h["source_rows"] = false; break;
                case "source_rows not a boolean": h["source_rows"] = 1; break;
                case "too few class names": h["class_names"]!.AsArray().RemoveAt(0); break;
                case "too many feature names": h["feature_names"]!.AsArray().Add("e"); break;
                case "a class name that is a number": h["class_names"]![0] = 5; break;
                case "image shape of another size": h["image_shape"] = new JsonArray(2, 3); break;
                case "image shape of three sizes": h["image_shape"] = new JsonArray(1, 2, 2); break;
                case "image shape with a zero": h["image_shape"] = new JsonArray(0, 4); break;
                case "name null": h["name"] = null; break;
                case "attribution a number": h["attribution"] = 1; break;
                default: throw new ArgumentException(lie);
            }
        });
        Refused(bytes, "DatasetHeaderInvalid");
    }

    [Fact]
    public void A_header_that_is_not_json_or_not_an_object_is_refused()
    {
        byte[] data = Split(Valid).Data;
        foreach (string header in new[] { "{not json at all}", "[1, 2, 3]", "{\"a\": 1} trailing", "{", "  ", "null" })
            Refused(Assemble(header, data), "DatasetHeaderInvalid");
        // Not UTF-8, and an escaped half of a surrogate pair.
        Refused(Assemble(new byte[] { (byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, data), "DatasetHeaderInvalid");
        var (h, d) = Split(Valid);
        h["name"] = "placeholder";
        Refused(Assemble(h.ToJsonString().Replace("placeholder", "\\ud800", StringComparison.Ordinal), d), "DatasetHeaderInvalid");
    }

    [Fact]
    public void Json_nested_ten_thousand_deep_is_refused_without_a_stack_overflow()
    {
        string deep = "{\"name\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        Refused(Assemble(deep, Split(Valid).Data), "DatasetHeaderInvalid");
    }

    [Fact]
    public void A_duplicate_key_is_refused()
    {
        var (header, data) = Split(Valid);
        string json = header.ToJsonString();
        Refused(Assemble(json.Insert(1, "\"count\":3,"), data), "DatasetHeaderInvalid");
    }

    [Fact]
    public void A_header_length_of_zero_huge_or_past_the_checksum_is_refused()
    {
        foreach (ulong n in new ulong[] { 0, 1, 100_000_001, 1UL << 40, ulong.MaxValue, (ulong)Valid.Length })
        {
            byte[] bytes = Valid;
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), n);
            Reseal(bytes);
            Refused(bytes, "DatasetHeaderInvalid");
        }
    }

    [Fact]
    public void A_declared_length_too_small_for_a_header_is_refused()
    {
        byte[] bytes = new byte[Prefix + Checksum];
        "MLPDATA\n"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), (ulong)bytes.Length);
        Refused(bytes, "DatasetHeaderInvalid");
    }

    [Fact]
    public void Labels_out_of_range_are_refused()
    {
        // The labels follow the 3 x 4 single-precision features.
        foreach (int label in new[] { 3, -1, int.MaxValue, int.MinValue })
        {
            var (header, data) = Split(Valid);
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(3 * 4 * 4 + 4), label);
            MlpException ex = Refused(Assemble(Encoding.UTF8.GetBytes(header.ToJsonString()), data), "DatasetLabelOutOfRange");
            Assert.Contains("sample 1 the label", ex.Message, StringComparison.Ordinal);
            Assert.Contains("0..2", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_negative_source_row_is_refused()
    {
        var (header, data) = Split(Valid);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(data.Length - 4), -2);
        Refused(Assemble(header.ToJsonString(), data), "DatasetSourceRowInvalid");
    }

    [Fact]
    public void Random_damage_never_escapes_as_another_exception()
    {
        // Resealed half the time, so the damage reaches the header's checks instead of stopping at the checksum.
        var random = new Random(2024);
        byte[] valid = Valid;
        int loaded = 0;
        for (int trial = 0; trial < 4000; trial++)
        {
            byte[] bytes = (byte[])valid.Clone();
            int hits = random.Next(1, 4);
            for (int h = 0; h < hits; h++) bytes[random.Next(16, bytes.Length - Checksum)] = (byte)random.Next(256);
            if (trial % 2 == 0) Reseal(bytes);
            try
            {
                DatasetBytes.Load(bytes, DatasetBytesTests.Name);
                loaded++;
            }
            catch (MlpException ex)
            {
                Assert.Equal(MlpErrorKind.InvalidData, ex.Kind);
                Assert.StartsWith("Dataset", ex.ErrorId, StringComparison.Ordinal);
            }
        }
        // Some resealed changes are harmless (a feature's value, a letter of a name): they load, as they should.
        Assert.InRange(loaded, 1, 2000);
    }
}
