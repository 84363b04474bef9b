using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>
/// A corpus of damaged model files, made here from one valid file: truncations, flipped bits and headers that lie.
/// Each must be refused with an <see cref="MlpException"/> of kind InvalidData, never another exception, never loaded.
/// </summary>
public class DamagedModelFileTests
{
    private static readonly Lazy<byte[]> ValidFile = new(() => ModelFileFixtures.Bytes(ModelFileFixtures.Trained(Precision.Single, hidden: 3, epochs: 2)));

    private static byte[] Valid => (byte[])ValidFile.Value.Clone();

    private static int HeaderLength(byte[] file) => (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    /// <summary>Asserts <paramref name="file"/> is refused with one of <paramref name="errorIds"/>; returns the exception.</summary>
    private static MlpException Refused(byte[] file, params string[] errorIds)
    {
        MlpException? refused = null;
        try
        {
            ModelFileFixtures.Read(file);
        }
        catch (MlpException ex)
        {
            refused = ex;
        }
        catch (Exception ex)
        {
            Assert.Fail($"Expected an MlpException ({string.Join(" or ", errorIds)}), got {ex.GetType().Name}: {ex.Message}");
        }
        Assert.True(refused is not null, $"The file was loaded; expected {string.Join(" or ", errorIds)}.");
        Assert.Equal(MlpErrorKind.InvalidData, refused!.Kind);
        Assert.StartsWith("Model", refused.ErrorId, StringComparison.Ordinal);
        if (errorIds.Length > 0) Assert.Contains(refused.ErrorId, errorIds);
        Assert.Contains("test.safetensors", refused.Message, StringComparison.Ordinal);
        return refused;
    }

    [Fact]
    public void The_valid_file_loads()
    {
        Assert.Equal(3, ModelFileFixtures.Read(Valid).Network.HiddenSize);
    }

    [Fact]
    public void Every_truncation_is_refused_as_truncated()
    {
        byte[] file = Valid;
        for (int length = 0; length < file.Length; length++)
            Refused(file[..length], "ModelFileTruncated");
    }

    [Fact]
    public void Every_flipped_bit_of_the_header_length_is_refused()
    {
        for (int bit = 0; bit < 64; bit++)
        {
            byte[] file = Valid;
            file[bit / 8] ^= (byte)(1 << (bit % 8));
            Refused(file, "ModelFileTruncated", "ModelHeaderInvalid");
        }
    }

    [Fact]
    public void Flipped_bits_throughout_the_header_are_refused()
    {
        // A third of all single-bit flips, spread so that every byte and every bit position is hit: structure, tensor
        // entries, every metadata value (caught by the metadata checksum) and the space padding.
        byte[] valid = Valid;
        int end = 8 + HeaderLength(valid);
        for (int i = 8; i < end; i++)
        {
            for (int bit = i % 3; bit < 8; bit += 3)
            {
                byte[] file = (byte[])valid.Clone();
                file[i] ^= (byte)(1 << bit);
                Refused(file);
            }
        }
    }

    [Fact]
    public void Every_flipped_bit_of_the_tensor_bytes_fails_the_checksum()
    {
        byte[] valid = Valid;
        for (int i = 8 + HeaderLength(valid); i < valid.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] file = (byte[])valid.Clone();
                file[i] ^= (byte)(1 << bit);
                Refused(file, "ModelChecksumMismatch");
            }
        }
    }

    [Fact]
    public void Random_damage_never_escapes_as_another_exception()
    {
        var random = new Random(12345);
        byte[] valid = Valid;
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] file = (byte[])valid.Clone();
            int hits = random.Next(1, 6);
            for (int h = 0; h < hits; h++) file[random.Next(file.Length)] = (byte)random.Next(256);
            try
            {
                ModelFileFixtures.Read(file);
            }
            catch (MlpException ex)
            {
                Assert.Equal(MlpErrorKind.InvalidData, ex.Kind);
            }
        }
    }

    [Fact]
    public void Header_length_zero_huge_or_past_the_end_is_refused()
    {
        byte[] file = Valid;
        foreach (ulong n in new ulong[] { 0, 100_000_001, 1UL << 40, ulong.MaxValue, (ulong)file.Length - 7, (ulong)file.Length })
        {
            BinaryPrimitives.WriteUInt64LittleEndian(file, n);
            MlpException ex = Refused(file, "ModelFileTruncated", "ModelHeaderInvalid");
            if (n == 0 || n > 100_000_000) Assert.Equal("ModelHeaderInvalid", ex.ErrorId);
            else Assert.Equal("ModelFileTruncated", ex.ErrorId);
        }
    }

    [Fact]
    public void A_header_that_is_not_json_or_not_an_object_is_refused()
    {
        var (_, data) = RawModel.Split(Valid);
        foreach (string header in new[] { "{not json at all}", "[1, 2, 3]", "{\"a\": 1} trailing", "{", "{\"W1\": 5}", "{\"__metadata__\": {\"k\": 5}}", "{\"__metadata__\": []}" })
            Refused(RawModel.Assemble(Encoding.UTF8.GetBytes(header), data), "ModelHeaderInvalid");
        Refused(RawModel.Assemble(new byte[] { (byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, data), "ModelHeaderInvalid");
    }

    [Fact]
    public void Json_nested_ten_thousand_deep_is_refused_without_a_stack_overflow()
    {
        var (_, data) = RawModel.Split(Valid);
        string deep = "{\"W1\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        Refused(RawModel.Assemble(Encoding.UTF8.GetBytes(deep), data), "ModelHeaderInvalid");

        // The same depth inside a metadata value (JSON in a string), with valid checksums.
        var model = RawModel.Parse(Valid);
        model.Metadata[ModelMetadata.History] = new string('[', 10_000) + new string(']', 10_000);
        Refused(model.Build(), "ModelMetadataInvalid");
    }

    [Fact]
    public void Duplicate_keys_are_refused()
    {
        var (header, data) = RawModel.Split(Valid);
        int w1 = header.IndexOf("\"W1\":", StringComparison.Ordinal);
        int close = header.IndexOf('}', w1);
        string entry = header[w1..(close + 1)];
        Refused(RawModel.Assemble(Encoding.UTF8.GetBytes(header.Insert(w1, entry + ",")), data), "ModelHeaderInvalid");

        string dtype = header.Replace("\"dtype\":\"F32\"", "\"dtype\":\"F32\",\"dtype\":\"F32\"", StringComparison.Ordinal);
        Refused(RawModel.Assemble(Encoding.UTF8.GetBytes(dtype), data), "ModelHeaderInvalid");

        string metadata = header.Replace("{\"__metadata__\":{", "{\"__metadata__\":{\"mlptools.format\":\"1\",", StringComparison.Ordinal);
        Refused(RawModel.Assemble(Encoding.UTF8.GetBytes(metadata), data), "ModelHeaderInvalid");
    }

    public static TheoryData<string> LyingLayouts => new()
    {
        "offsets out of range",
        "offsets overlapping",
        "hole between tensors",
        "begin after end",
        "offset beyond 64 bits",
        "offsets of three numbers",
        "shape product overflow",
        "byte count overflow",
        "negative dim",
        "fractional dim",
        "size disagrees with offsets",
        "unknown key in tensor",
        "missing dtype",
        "dtype not a string",
        "bytes after the last tensor",
        "huge tensor in a small file",
    };

    [Theory]
    [MemberData(nameof(LyingLayouts))]
    public void A_header_whose_offsets_or_shapes_lie_is_refused(string lie)
    {
        var model = RawModel.Parse(Valid);
        long total = model.Tensors.Sum(t => t.Bytes.Length);
        void Set(JsonObject h, string tensor, string key, params long[] values) =>
            h[tensor]![key] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        long Begin(JsonObject h, string tensor) => h[tensor]!["data_offsets"]![0]!.GetValue<long>();
        byte[] file = lie switch
        {
            "offsets out of range" => model.Build(editHeader: h => Set(h, "optimizer.velocity.b2", "data_offsets", total + 1000, total + 1012)),
            "offsets overlapping" => model.Build(editHeader: h => Set(h, "b1", "data_offsets", 0, 12)),
            "hole between tensors" => model.Build(editHeader: h => Set(h, "b2", "data_offsets", Begin(h, "b2") + 4, Begin(h, "b2") + 16)),
            "begin after end" => model.Build(editHeader: h => Set(h, "b2", "data_offsets", Begin(h, "b2") + 12, Begin(h, "b2"))),
            "offset beyond 64 bits" => model.Build(editHeader: h => h["b2"]!["data_offsets"] = JsonNode.Parse("[0, 18446744073709551616]")),
            "offsets of three numbers" => model.Build(editHeader: h => Set(h, "b2", "data_offsets", 0, 8, 16)),
            "shape product overflow" => model.Build(editHeader: h => Set(h, "W1", "shape", 4294967296, 4294967296)),
            "byte count overflow" => model.Build(editHeader: h => Set(h, "W1", "shape", 1L << 62)),
            "negative dim" => model.Build(editHeader: h => Set(h, "W1", "shape", -2, -3)),
            "fractional dim" => model.Build(editHeader: h => h["W1"]!["shape"] = JsonNode.Parse("[2.5, 3]")),
            "size disagrees with offsets" => model.Build(editHeader: h => Set(h, "W1", "shape", 2, 4)),
            "unknown key in tensor" => model.Build(editHeader: h => h["W1"]!["code"] = "import os"),
            "missing dtype" => model.Build(editHeader: h => h["W1"]!.AsObject().Remove("dtype")),
            "dtype not a string" => model.Build(editHeader: h => h["W1"]!["dtype"] = 4),
            "bytes after the last tensor" => model.Build().Concat(new byte[8]).ToArray(),
            "huge tensor in a small file" => model.Build(editHeader: h =>
            {
                Set(h, "optimizer.velocity.b2", "shape", 1L << 40);
                Set(h, "optimizer.velocity.b2", "data_offsets", Begin(h, "optimizer.velocity.b2"), Begin(h, "optimizer.velocity.b2") + (4L << 40));
            }),
            _ => throw new ArgumentException(lie),
        };
        Refused(file, "ModelHeaderInvalid", "ModelFileTruncated");
    }

    [Theory]
    [InlineData("F33")]
    [InlineData("BF16")]
    [InlineData("I64")]
    [InlineData("")]
    public void An_unknown_or_unsupported_dtype_is_refused(string dtype)
    {
        var model = RawModel.Parse(Valid);
        Refused(model.Build(editHeader: h => h["b1"]!["dtype"] = dtype), "ModelDtypeUnsupported");
    }

    [Fact]
    public void Tensors_in_two_precisions_are_refused()
    {
        var model = RawModel.Parse(Valid);
        RawTensor b1 = model.Tensor("b1");
        var widened = new byte[b1.Bytes.Length * 2];
        for (int i = 0; i < b1.Bytes.Length / 4; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(widened.AsSpan(8 * i), BinaryPrimitives.ReadSingleLittleEndian(b1.Bytes.AsSpan(4 * i)));
        model.Tensors[model.Tensors.IndexOf(b1)] = b1 with { DType = "F64", Bytes = widened };
        Refused(model.Build(), "ModelDtypeUnsupported");
    }

    [Theory]
    [InlineData("b2")]
    [InlineData("W1")]
    [InlineData("optimizer.velocity.W2")]
    public void A_missing_tensor_is_refused(string name)
    {
        var model = RawModel.Parse(Valid);
        model.Tensors.Remove(model.Tensor(name));
        var ex = Refused(model.Build(), "ModelTensorMissing");
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optimizer_state_without_its_settings_is_refused_as_unexpected()
    {
        var model = RawModel.Parse(Valid);
        model.Metadata.Remove(ModelMetadata.Optimizer);
        Refused(model.Build(), "ModelTensorUnexpected");
    }

    [Fact]
    public void An_extra_unknown_tensor_is_refused()
    {
        var model = RawModel.Parse(Valid);
        model.Tensors.Add(new RawTensor("__init__.py", "F32", new long[] { 2 }, new byte[8]));
        var ex = Refused(model.Build(), "ModelTensorUnexpected");
        Assert.Contains("__init__.py", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shapes_that_disagree_with_each_other_or_the_sizes_are_refused()
    {
        var model = RawModel.Parse(Valid);
        RawTensor w1 = model.Tensor("W1");
        model.Tensors[model.Tensors.IndexOf(w1)] = w1 with { Shape = new long[] { 3, 2 } };
        Refused(model.Build(), "ModelShapeMismatch");

        model = RawModel.Parse(Valid);
        model.Metadata[ModelMetadata.HiddenSize] = "4";
        Refused(model.Build(), "ModelShapeMismatch");

        model = RawModel.Parse(Valid);
        RawTensor b2 = model.Tensor("b2");
        model.Tensors[model.Tensors.IndexOf(b2)] = b2 with { Shape = new long[] { 1, 3 } };
        Refused(model.Build(), "ModelShapeMismatch");
    }

    [Fact]
    public void Sizes_beyond_the_parameter_limit_are_refused_before_anything_is_allocated()
    {
        var model = RawModel.Parse(Valid);
        model.Metadata[ModelMetadata.InputSize] = "2000000000";
        model.Metadata[ModelMetadata.HiddenSize] = "2000000000";
        Refused(model.Build(), "ModelTooLarge");
    }

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("1.0")]
    [InlineData("")]
    public void Another_format_version_is_refused(string version)
    {
        var model = RawModel.Parse(Valid);
        model.Metadata[ModelMetadata.Format] = version;
        var ex = Refused(model.Build(), "ModelVersionUnsupported");
        Assert.Contains("version", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_safetensors_file_without_our_metadata_is_refused()
    {
        var model = RawModel.Parse(Valid);
        model.Metadata.Clear();
        var ex = Refused(model.Build(fixChecksums: false), "ModelMetadataInvalid");
        Assert.Contains("mlptools.format", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Changed_metadata_fails_the_metadata_checksum()
    {
        var model = RawModel.Parse(Valid);
        model.Metadata[ModelMetadata.StopReason] = "Completed 3 epochs";
        Refused(model.Build(fixChecksums: false), "ModelChecksumMismatch");

        model = RawModel.Parse(Valid);
        model.Metadata["someone.else"] = "added";
        Refused(model.Build(fixChecksums: false), "ModelChecksumMismatch");
    }

    [Fact]
    public void Unknown_metadata_keys_with_a_valid_checksum_are_ignored()
    {
        var model = RawModel.Parse(Valid);
        model.Metadata["format"] = "pt";
        Assert.Equal(3, ModelFileFixtures.Read(model.Build()).Network.HiddenSize);
    }

    [Theory]
    [InlineData(ModelMetadata.InputSize, "-2")]
    [InlineData(ModelMetadata.InputSize, "+2")]
    [InlineData(ModelMetadata.InputSize, "0")]
    [InlineData(ModelMetadata.InputSize, "99999999999")]
    [InlineData(ModelMetadata.ClassNames, "[\"a\", \"b\"]")]
    [InlineData(ModelMetadata.ClassNames, "[1, 2, 3]")]
    [InlineData(ModelMetadata.ClassNames, "{\"$type\": \"System.IO.File\"}")]
    [InlineData(ModelMetadata.FeatureNames, "not json")]
    [InlineData(ModelMetadata.History, "{}")]
    [InlineData(ModelMetadata.History, "[{\"epoch\": 1}]")]
    [InlineData(ModelMetadata.History, "[[[[1]]]]")]
    [InlineData(ModelMetadata.Optimizer, "{\"name\": \"lbfgs\", \"step_count\": 1}")]
    [InlineData(ModelMetadata.Optimizer, "{\"name\": \"sgd\", \"momentum\": 1.5, \"nesterov\": false, \"step_count\": 1}")]
    [InlineData(ModelMetadata.Optimizer, "{\"name\": \"sgd\", \"momentum\": 0.9, \"nesterov\": false, \"step_count\": -1}")]
    [InlineData(ModelMetadata.Optimizer, "{\"name\": \"sgd\", \"name\": \"sgd\", \"momentum\": 0.9, \"nesterov\": false, \"step_count\": 1}")]
    [InlineData(ModelMetadata.Preprocessing, "{\"kind\": \"standardize\", \"offsets\": [0, 0], \"scales\": [1, 0]}")]
    [InlineData(ModelMetadata.Preprocessing, "{\"kind\": \"whiten\", \"offsets\": [0, 0], \"scales\": [1, 1]}")]
    [InlineData(ModelMetadata.Preprocessing, "{\"kind\": \"minmax\", \"offsets\": [0], \"scales\": [1]}")]
    [InlineData(ModelMetadata.BestEpoch, "first")]
    [InlineData(ModelMetadata.DataSha256, "ABC")]
    public void Malformed_metadata_values_are_refused(string key, string value)
    {
        var model = RawModel.Parse(Valid);
        model.Metadata[key] = value;
        string[] ids = key == ModelMetadata.DataSha256 ? new[] { "ModelMetadataInvalid", "ModelChecksumMismatch" } : new[] { "ModelMetadataInvalid" };
        var ex = Refused(model.Build(fixChecksums: key != ModelMetadata.DataSha256), ids);
        if (key != ModelMetadata.DataSha256) Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The valid file with the first epoch's "diagnostics" value replaced by <paramref name="json"/> (raw JSON text).</summary>
    private static RawModel WithFirstDiagnostics(string json)
    {
        var model = RawModel.Parse(Valid);
        var history = JsonNode.Parse(model.Metadata[ModelMetadata.History])!.AsArray();
        history[0]!.AsObject()["diagnostics"] = "PLACEHOLDER";
        model.Metadata[ModelMetadata.History] = history.ToJsonString().Replace("\"PLACEHOLDER\"", json, StringComparison.Ordinal);
        return model;
    }

    private static string ValidDiagnostics()
    {
        var model = RawModel.Parse(Valid);
        var history = JsonNode.Parse(model.Metadata[ModelMetadata.History])!.AsArray();
        return history[0]!["diagnostics"]!.ToJsonString();
    }

    [Theory]
    [InlineData("5")]
    [InlineData("[1, 2]")]
    [InlineData("\"none\"")]
    [InlineData("{}")]
    [InlineData("DROP:update_ratio_w2")]
    [InlineData("SET:weight_norm_b1:\"big\"")]
    [InlineData("SET:gradient_norm_w1:-1")]
    [InlineData("SET:update_ratio_b2:\"-Infinity\"")]
    [InlineData("SET:dead_unit_share:1.5")]
    [InlineData("SET:zero_activation_share:-0.25")]
    [InlineData("SET:update_norm_w1:{\"x\": 1}")]
    [InlineData("SET:dead_unit_share:null")]
    [InlineData("TWICE:weight_norm_w2")]
    public void Malformed_diagnostics_in_the_history_are_refused(string damage)
    {
        string json = damage;
        string valid = ValidDiagnostics();
        string[] parts = damage.Split(':', 3);
        string Key(string key) => "\"" + key + "\":";
        int At(string key) => valid.IndexOf(Key(key), StringComparison.Ordinal);
        int End(int start)
        {
            int comma = valid.IndexOf(',', start), close = valid.IndexOf('}', start);
            return comma < 0 ? close : Math.Min(comma, close);
        }
        switch (parts[0])
        {
            case "DROP":
            {
                int start = At(parts[1]), end = End(start);
                json = valid.Remove(start, end - start + (valid[end] == ',' ? 1 : 0));
                break;
            }
            case "SET":
            {
                int start = At(parts[1]) + Key(parts[1]).Length, end = End(start);
                json = valid[..start] + parts[2] + valid[end..];
                break;
            }
            case "TWICE":
            {
                int start = At(parts[1]), end = End(start);
                json = valid.Insert(start, valid[start..end] + ",");
                break;
            }
        }
        Assert.NotEqual(valid, json);
        MlpException ex = Refused(WithFirstDiagnostics(json).Build(), "ModelMetadataInvalid");
        Assert.Contains(ModelMetadata.History, ex.Message, StringComparison.Ordinal);
        // A value nested deeper than a history may go is refused by the JSON reader, before any key is read.
        if (!damage.EndsWith('}')) Assert.Contains("diagnostics", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_history_without_diagnostics_or_with_null_ones_still_loads()
    {
        SavedModel valid = ModelFileFixtures.Read(Valid);
        Assert.All(valid.Training.History, r => Assert.NotNull(r.Diagnostics));

        // As files written before epochs recorded diagnostics: no key at all.
        var model = RawModel.Parse(Valid);
        var history = JsonNode.Parse(model.Metadata[ModelMetadata.History])!.AsArray();
        foreach (JsonNode? epoch in history) Assert.True(epoch!.AsObject().Remove("diagnostics"));
        model.Metadata[ModelMetadata.History] = history.ToJsonString();
        SavedModel without = ModelFileFixtures.Read(model.Build());
        Assert.All(without.Training.History, r => Assert.Null(r.Diagnostics));
        Assert.Equal(valid.Training.History.Select(r => r with { Diagnostics = null }), without.Training.History);

        SavedModel nulled = ModelFileFixtures.Read(WithFirstDiagnostics("null").Build());
        Assert.Null(nulled.Training.History[0].Diagnostics);
        Assert.Equal(valid.Training.History[1], nulled.Training.History[1]);
    }

    [Fact]
    public void Unknown_keys_in_an_epoch_and_in_its_diagnostics_are_ignored()
    {
        SavedModel valid = ModelFileFixtures.Read(Valid);
        var model = RawModel.Parse(Valid);
        var history = JsonNode.Parse(model.Metadata[ModelMetadata.History])!.AsArray();
        history[0]!.AsObject()["someone.else"] = 1;
        history[0]!["diagnostics"]!.AsObject()["curvature_w1"] = "flat";
        model.Metadata[ModelMetadata.History] = history.ToJsonString();
        Assert.Equal(valid.Training.History, ModelFileFixtures.Read(model.Build()).Training.History);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_non_finite_weight_with_a_valid_checksum_is_refused(float value)
    {
        var model = RawModel.Parse(Valid);
        BinaryPrimitives.WriteSingleLittleEndian(model.Tensor("W2").Bytes.AsSpan(4), value);
        var ex = Refused(model.Build(), "ModelNonFiniteParameter");
        Assert.Contains("W2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CSV", "\"Length\",\"Width\"\n1,2\n", "it looks like a CSV text file (it starts '\"Length\",\"Width\"')")]
    [InlineData("text", "a model honestly\n", "it looks like a text file (it starts 'a model honestly')")]
    [InlineData("gzip", null, "it looks like a gzip-compressed file")]
    [InlineData("IDX", null, "it looks like an IDX file (the MNIST format) of unsigned bytes with 3 dimensions")]
    [InlineData("PNG", null, "it looks like a PNG image")]
    public void A_file_of_another_kind_is_refused_saying_what_it_looks_like(string kind, string? text, string looksLike)
    {
        byte[] file = kind switch
        {
            "gzip" => Data.DataTestFiles.Gzip(Valid),
            "IDX" => Data.DataTestFiles.Idx(0x08, new[] { 1, 2, 2 }, new byte[4]),
            "PNG" => new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' },
            _ => Encoding.UTF8.GetBytes(text!),
        };
        MlpException ex = Refused(file, "ModelFileWrongKind");
        Assert.Contains("The file 'test.safetensors' is not a model file: " + looksLike + ".", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("declares", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rebuilt_file_with_fixed_checksums_loads_the_same_network()
    {
        // The builder the other tests rely on reproduces a loadable file, so each refusal above is due to its one lie.
        var model = RawModel.Parse(Valid);
        SavedModel a = ModelFileFixtures.Read(Valid), b = ModelFileFixtures.Read(model.Build());
        Assert.Equal(ModelFileFixtures.Bits(a), ModelFileFixtures.Bits(b));
        Assert.Equal(a.Training.History, b.Training.History);
        Assert.Equal(OptimizerKind.Sgd, b.Training.Optimizer);
        Assert.Equal(2, b.Training.History.Count);
    }
}
