using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Persistence;

public class ModelFileTests
{
    public static TheoryData<Precision, OptimizerKind> PrecisionsAndOptimizers => new()
    {
        { Precision.Single, OptimizerKind.Sgd },
        { Precision.Double, OptimizerKind.Sgd },
        { Precision.Single, OptimizerKind.Adam },
        { Precision.Double, OptimizerKind.RmsProp },
    };

    [Theory]
    [MemberData(nameof(PrecisionsAndOptimizers))]
    public void Save_then_load_gives_back_the_same_network_bit_for_bit(Precision precision, OptimizerKind optimizer)
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        SavedModel model = ModelFileFixtures.Trained(precision, optimizer);
        Mlp net = model.Network;
        net.Preprocessor = new Preprocessor(ScalingKind.Standardize, new[] { 0.25, -1e-300 }, new[] { 3.0, 0.1 });

        ModelFile.Save(net, model.Training, path, overwrite: false);
        SavedModel saved = ModelFile.Load(path);
        Mlp loaded = saved.Network;

        Assert.Equal(net.GetType(), loaded.GetType());
        Assert.Equal(precision, loaded.Precision);
        Assert.Equal(ModelFileFixtures.Bits(model), ModelFileFixtures.Bits(saved));
        Assert.Equal(net.ClassNames, loaded.ClassNames);
        Assert.Equal(net.FeatureNames, loaded.FeatureNames);
        // Records compare by value, their diagnostics included.
        Assert.All(model.Training.History, r => Assert.NotNull(r.Diagnostics));
        Assert.Equal(model.Training.History, saved.Training.History);
        Assert.Equal(model.Training.History.Select(r => r.Diagnostics), saved.Training.History.Select(r => r.Diagnostics));
        Assert.Equal(model.Training.BestEpoch, saved.Training.BestEpoch);
        Assert.Equal(model.Training.StopReason, saved.Training.StopReason);
        Assert.Equal(model.Training.Optimizer, saved.Training.Optimizer);
        Assert.Equal(net.Preprocessor.Kind, loaded.Preprocessor!.Kind);
        Assert.Equal(net.Preprocessor.Offsets.Select(ModelFileFixtures.DoubleBits), loaded.Preprocessor.Offsets.Select(ModelFileFixtures.DoubleBits));
        Assert.Equal(net.Preprocessor.Scales, loaded.Preprocessor.Scales);

        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 5);
        Evaluation before = net.Evaluate(spiral), after = loaded.Evaluate(spiral);
        Assert.Equal(before.Accuracy, after.Accuracy);
        Assert.Equal(ModelFileFixtures.DoubleBits(before.Loss), ModelFileFixtures.DoubleBits(after.Loss));
    }

    [Theory]
    [MemberData(nameof(PrecisionsAndOptimizers))]
    public void Training_a_loaded_network_continues_exactly_as_the_original_would(Precision precision, OptimizerKind optimizer)
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        SavedModel original = ModelFileFixtures.Trained(precision, optimizer);
        ModelFile.Save(original.Network, original.Training, path, overwrite: false);
        SavedModel loaded = ModelFile.Load(path);

        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 1);
        var options = new TrainingOptions { Epochs = 2, Seed = 9, Optimizer = optimizer, BatchSize = 16 };
        Trainer.Train(original.Network, spiral, options, state: original.Training);
        Trainer.Train(loaded.Network, spiral, options, state: loaded.Training);
        Assert.Equal(ModelFileFixtures.Bits(original), ModelFileFixtures.Bits(loaded));
        Assert.Equal(original.Training.History.Select(h => h.Loss), loaded.Training.History.Select(h => h.Loss));
    }

    [Fact]
    public void An_untrained_network_round_trips_without_optimizer_state()
    {
        var net = (Mlp<float>)Mlp.Create(5, 4, 2, seed: 3);
        SavedModel loaded = ModelFileFixtures.Read(ModelFileFixtures.Bytes(net));
        Assert.Null(loaded.Training.Optimizer);
        Assert.Null(loaded.Network.Preprocessor);
        Assert.Empty(loaded.Training.History);
        Assert.Equal(ModelFileFixtures.Bits(net), ModelFileFixtures.Bits(loaded));
        Assert.Equal(net.ClassNames, loaded.Network.ClassNames);
    }

    [Fact]
    public void History_numbers_round_trip_bit_for_bit_including_signed_zero_extremes_and_non_finite_values()
    {
        var net = Mlp.Create(2, 2, 2, Precision.Double, seed: 1);
        double[] specials = { -0.0, double.Epsilon, double.MaxValue, -double.MaxValue, 0.1, 1.0 / 3, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-310 };
        var training = new TrainingState();
        for (int i = 0; i < specials.Length; i++)
            training.Add(new EpochRecord(i + 1, specials[i], specials[(i + 1) % specials.Length], i % 2 == 0 ? null : specials[(i + 2) % specials.Length],
                i % 3 == 0 ? null : specials[(i + 3) % specials.Length], specials[(i + 4) % specials.Length], specials[(i + 5) % specials.Length],
                specials[(i + 6) % specials.Length], specials[(i + 7) % specials.Length]));
        TrainingState loaded = ModelFileFixtures.Read(ModelFileFixtures.Bytes(new SavedModel(net, training))).Training;
        Assert.Equal(training.History.Count, loaded.History.Count);
        for (int i = 0; i < training.History.Count; i++)
        {
            EpochRecord a = training.History[i], b = loaded.History[i];
            double?[] x = { a.Loss, a.Accuracy, a.ValidationLoss, a.ValidationAccuracy, a.LearningRate, a.GradientNormW1, a.GradientNormW2, a.Seconds };
            double?[] y = { b.Loss, b.Accuracy, b.ValidationLoss, b.ValidationAccuracy, b.LearningRate, b.GradientNormW1, b.GradientNormW2, b.Seconds };
            Assert.Equal(a.Epoch, b.Epoch);
            Assert.Equal(x.Select(v => v is null ? (long?)null : ModelFileFixtures.DoubleBits(v.Value)), y.Select(v => v is null ? (long?)null : ModelFileFixtures.DoubleBits(v.Value)));
        }
    }

    [Fact]
    public void Diagnostics_round_trip_bit_for_bit_including_signed_zero_extremes_and_non_finite_values()
    {
        var net = Mlp.Create(2, 2, 2, Precision.Double, seed: 1);
        double[] norms = { -0.0, double.Epsilon, double.MaxValue, 0.1, 1.0 / 3, double.NaN, double.PositiveInfinity, 1e-310, 7e22 };
        double[] shares = { 0.0, -0.0, 1.0, 1.0 / 3, double.NaN, double.Epsilon, 0.999999999999 };
        var training = new TrainingState();
        for (int i = 0; i < norms.Length; i++)
        {
            double N(int k) => norms[(i + k) % norms.Length];
            ParameterDiagnostics P(int k) => new(N(4 * k), N(4 * k + 1), N(4 * k + 2), N(4 * k + 3));
            training.Add(new EpochRecord(i + 1, 1, 0.5, null, null, 0.1, 2, 3, 0.01)
            {
                Diagnostics = i == 3 ? null : new TrainingDiagnostics(P(0), P(1), P(2), P(3), shares[i % shares.Length], shares[(i + 1) % shares.Length]),
            });
        }
        TrainingState loaded = ModelFileFixtures.Read(ModelFileFixtures.Bytes(new SavedModel(net, training))).Training;
        Assert.Equal(training.History.Count, loaded.History.Count);
        static double[] Numbers(TrainingDiagnostics? d) => d is null ? Array.Empty<double>()
            : new[] { d.W1, d.b1, d.W2, d.b2 }.SelectMany(p => new[] { p.WeightNorm, p.GradientNorm, p.UpdateNorm, p.UpdateRatio })
                .Append(d.DeadUnitShare).Append(d.ZeroActivationShare).ToArray();
        for (int i = 0; i < training.History.Count; i++)
        {
            Assert.Equal(training.History[i].Diagnostics is null, loaded.History[i].Diagnostics is null);
            Assert.Equal(Numbers(training.History[i].Diagnostics).Select(ModelFileFixtures.DoubleBits), Numbers(loaded.History[i].Diagnostics).Select(ModelFileFixtures.DoubleBits));
        }
    }

    [Fact]
    public void The_file_is_safetensors_with_row_major_weights_and_string_metadata()
    {
        SavedModel model = ModelFileFixtures.Trained(Precision.Single);
        var net = (Mlp<float>)model.Network;
        byte[] file = ModelFileFixtures.Bytes(model);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0, (8 + n) % 8);
        Assert.Equal((byte)'{', file[8]);
        using var header = JsonDocument.Parse(file.AsMemory(8, (int)n));
        JsonElement root = header.RootElement;
        JsonElement metadata = root.GetProperty("__metadata__");
        Assert.All(metadata.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
        Assert.Equal("1", metadata.GetProperty("mlptools.format").GetString());
        Assert.Equal("2", metadata.GetProperty("mlptools.input_size").GetString());
        Assert.Equal(net.ClassNames, JsonSerializer.Deserialize<string[]>(metadata.GetProperty("mlptools.class_names").GetString()!));
        Assert.Equal(
            new[] { "W1", "b1", "W2", "b2", "optimizer.velocity.W1", "optimizer.velocity.b1", "optimizer.velocity.W2", "optimizer.velocity.b2" },
            root.EnumerateObject().Select(p => p.Name).Where(name => name != "__metadata__"));

        JsonElement w1 = root.GetProperty("W1");
        Assert.Equal("F32", w1.GetProperty("dtype").GetString());
        Assert.Equal(new[] { 2L, 6L }, w1.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        long begin = w1.GetProperty("data_offsets")[0].GetInt64();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 6; j++)
                Assert.Equal(net.W1[i, j], BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan((int)(8 + n + begin + 4 * (i * 6 + j)))));
        Assert.Equal(new[] { 6L, 3L }, root.GetProperty("W2").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    public static TheoryData<Precision, OptimizerKind?, bool> Layouts => new()
    {
        { Precision.Single, OptimizerKind.Sgd, true },
        { Precision.Double, OptimizerKind.Adam, false },
        { Precision.Single, OptimizerKind.RmsProp, false },
        { Precision.Double, null, true },
    };

    /// <summary>
    /// Every rule of the safetensors layout, checked on the bytes as a reader that knows nothing of MlpTools sees them:
    /// N a little-endian u64 with 8 + N a multiple of 8; the header a JSON object from its first byte, padded after its
    /// closing brace with spaces only; __metadata__ strings to strings; each tensor exactly dtype (the network's F32 or
    /// F64), shape and data_offsets, spanning its elements' bytes; the tensors contiguous in header order from 0 to the
    /// end of the file.
    /// </summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void Every_model_file_follows_the_rules_of_the_safetensors_layout(Precision precision, OptimizerKind? optimizer, bool scaled)
    {
        SavedModel model = optimizer is { } kind
            ? ModelFileFixtures.Trained(precision, kind)
            : new SavedModel(Mlp.Create(2, 6, 3, precision, seed: 1), new TrainingState());
        if (scaled) model.Network.Preprocessor = Preprocessor.Fit(BuiltInDatasets.Spiral(3, 20, seed: 1), ScalingKind.Standardize);
        byte[] file = ModelFileFixtures.Bytes(model);

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.InRange(n, 1UL, (ulong)file.Length - 8);
        Assert.Equal(0UL, (8 + n) % 8);
        byte[] header = file.AsSpan(8, (int)n).ToArray();
        Assert.Equal((byte)'{', header[0]);
        int jsonEnd = header.Length;
        while (jsonEnd > 0 && header[jsonEnd - 1] == (byte)' ') jsonEnd--;
        Assert.Equal((byte)'}', header[jsonEnd - 1]);
        Assert.InRange(header.Length - jsonEnd, 0, 7);
        using JsonDocument doc = JsonDocument.Parse(header.AsMemory(0, jsonEnd));

        string dtype = precision == Precision.Double ? "F64" : "F32";
        int size = precision == Precision.Double ? 8 : 4;
        long data = file.Length - 8 - (long)n, cursor = 0;
        var names = new List<string>();
        foreach (JsonProperty entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                Assert.Empty(names); // first, as the reference writer puts it
                Assert.All(entry.Value.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
                continue;
            }
            names.Add(entry.Name);
            Assert.Equal(new[] { "dtype", "shape", "data_offsets" }, entry.Value.EnumerateObject().Select(p => p.Name));
            Assert.Equal(dtype, entry.Value.GetProperty("dtype").GetString());
            long count = entry.Value.GetProperty("shape").EnumerateArray().Aggregate(1L, (c, d) => c * d.GetInt64());
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
            Assert.Equal(2, offsets.Length);
            Assert.Equal(cursor, offsets[0]);
            Assert.Equal(count * size, offsets[1] - offsets[0]);
            Assert.Equal(0, offsets[0] % size);
            cursor = offsets[1];
        }
        Assert.Equal(data, cursor);
        Assert.Equal(new[] { "W1", "b1", "W2", "b2" }, names.Take(4));
        Assert.Equal(4 * (1 + (optimizer is null ? 0 : Optimizer.Rules[optimizer.Value].Slots.Length)), names.Count);
    }

    [Fact]
    public void An_existing_file_is_replaced_only_when_asked()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        Mlp first = Mlp.Create(2, 3, 2, seed: 1), second = Mlp.Create(2, 3, 2, seed: 2);
        ModelFile.Save(first, path, overwrite: false);
        byte[] original = File.ReadAllBytes(path);

        var ex = Assert.Throws<MlpException>(() => ModelFile.Save(second, path, overwrite: false));
        Assert.Equal("ModelFileExists", ex.ErrorId);
        Assert.Equal(MlpErrorKind.AlreadyExists, ex.Kind);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, folder.Names());

        ModelFile.Save(second, path, overwrite: true);
        Assert.Equal(ModelFileFixtures.Bits(second), ModelFileFixtures.Bits(ModelFile.Load(path)));
        Assert.Equal(new[] { "model.safetensors" }, folder.Names());
    }

    [Fact]
    public void A_failed_write_leaves_no_temporary_file_and_the_old_model_untouched()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), path, overwrite: false);
        byte[] original = File.ReadAllBytes(path);
        string? seen = null;

        var ex = Assert.Throws<MlpException>(() => ModelFile.Save(Mlp.Create(2, 3, 2, seed: 2), path, overwrite: true,
            beforeReplace: temp =>
            {
                seen = temp;
                Assert.True(File.Exists(temp));
                Assert.Equal(Path.GetDirectoryName(path), Path.GetDirectoryName(temp));
                throw new IOException("simulated crash before the rename");
            }, CancellationToken.None));

        Assert.Equal("ModelWriteFailed", ex.ErrorId);
        Assert.IsType<IOException>(ex.InnerException);
        Assert.NotNull(seen);
        Assert.False(File.Exists(seen));
        Assert.Equal(new[] { "model.safetensors" }, folder.Names());
        Assert.Equal(original, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_cancelled_save_writes_nothing()
    {
        using var folder = new TempFolder();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), folder.File("m.safetensors"), false, cts.Token));
        Assert.Empty(folder.Names());
    }

    [Fact]
    public void A_network_with_a_non_finite_weight_is_not_saved()
    {
        using var folder = new TempFolder();
        var net = (Mlp<double>)Mlp.Create(2, 3, 2, Precision.Double, seed: 1);
        net.W2[1, 1] = double.NaN;
        var ex = Assert.Throws<MlpException>(() => ModelFile.Save(net, folder.File("m.safetensors"), false));
        Assert.Equal("ModelNonFiniteParameter", ex.ErrorId);
        Assert.Empty(folder.Names());
    }

    [Fact]
    public void Missing_files_and_folders_are_reported_clearly()
    {
        using var folder = new TempFolder();
        var missing = Assert.Throws<MlpException>(() => ModelFile.Load(folder.File("nope.safetensors")));
        Assert.Equal("ModelNotFound", missing.ErrorId);
        Assert.Equal(MlpErrorKind.NotFound, missing.Kind);
        Assert.Contains("nope.safetensors", missing.Message, StringComparison.Ordinal);

        Assert.Equal("ModelNotFound", Assert.Throws<MlpException>(() => ModelFile.Load(folder.Path)).ErrorId);
        Assert.Equal("ModelPathIsDirectory", Assert.Throws<MlpException>(() => ModelFile.Save(Mlp.Create(1, 1, 1), folder.Path, true)).ErrorId);
        var noDir = Assert.Throws<MlpException>(() => ModelFile.Save(Mlp.Create(1, 1, 1), Path.Combine(folder.Path, "sub", "m.safetensors"), false));
        Assert.Equal("ModelDirectoryNotFound", noDir.ErrorId);
        Assert.Equal(MlpErrorKind.NotFound, noDir.Kind);
    }

    [Fact]
    public void A_damaged_file_on_disk_names_the_file()
    {
        using var folder = new TempFolder();
        string path = folder.File("broken.safetensors");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("not a model"));
        var ex = Assert.Throws<MlpException>(() => ModelFile.Load(path));
        Assert.Equal(MlpErrorKind.InvalidData, ex.Kind);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.Target);
    }
}
