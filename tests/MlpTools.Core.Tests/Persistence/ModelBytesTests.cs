using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>The model file's stream and byte-array entry points: the same bytes as a file, and the same checks.</summary>
public class ModelBytesTests
{
    public static TheoryData<Precision, OptimizerKind> PrecisionsAndOptimizers => new()
    {
        { Precision.Single, OptimizerKind.Sgd },
        { Precision.Double, OptimizerKind.Adam },
        { Precision.Single, OptimizerKind.RmsProp },
    };

    [Theory]
    [MemberData(nameof(PrecisionsAndOptimizers))]
    public void Bytes_are_the_file_and_round_trip_bit_for_bit_with_training_state(Precision precision, OptimizerKind optimizer)
    {
        SavedModel model = ModelFileFixtures.Trained(precision, optimizer);
        model.Network.Preprocessor = new Preprocessor(ScalingKind.Standardize, new[] { 0.25, -1e-300 }, new[] { 3.0, 0.1 });

        byte[] bytes = ModelFile.ToBytes(model.Network, model.Training);
        Assert.Equal(ModelFileFixtures.Bytes(model), bytes);

        foreach (SavedModel loaded in new[]
                 {
                     ModelFile.Load(bytes, "the serialized network"),
                     ModelFile.Load(new ReadOnlyMemory<byte>(new byte[] { 9, 9 }.Concat(bytes).Append((byte)7).ToArray(), 2, bytes.Length), "the serialized network"),
                     ModelFile.Load(new MemoryStream(bytes, writable: false), "the serialized network"),
                 })
        {
            Assert.Equal(model.Network.GetType(), loaded.Network.GetType());
            Assert.Equal(ModelFileFixtures.Bits(model), ModelFileFixtures.Bits(loaded));
            Assert.Equal(model.Network.ClassNames, loaded.Network.ClassNames);
            Assert.Equal(model.Network.FeatureNames, loaded.Network.FeatureNames);
            Assert.Equal(model.Training.History, loaded.Training.History);
            Assert.Equal(model.Training.History.Select(r => r.Diagnostics), loaded.Training.History.Select(r => r.Diagnostics));
            Assert.Equal(model.Training.BestEpoch, loaded.Training.BestEpoch);
            Assert.Equal(model.Training.StopReason, loaded.Training.StopReason);
            Assert.Equal(model.Training.Optimizer, loaded.Training.Optimizer);
            Assert.Equal(model.Network.Preprocessor.Offsets.Select(ModelFileFixtures.DoubleBits), loaded.Network.Preprocessor!.Offsets.Select(ModelFileFixtures.DoubleBits));
            Assert.Equal(bytes, ModelFile.ToBytes(loaded.Network, loaded.Training));
        }
    }

    [Fact]
    public void Saving_to_a_stream_writes_from_its_position_and_leaves_it_open()
    {
        SavedModel model = ModelFileFixtures.Trained(Precision.Double);
        using var stream = new MemoryStream();
        stream.Write(new byte[] { 1, 2, 3 });
        ModelFile.Save(model.Network, model.Training, stream);
        Assert.Equal(new byte[] { 1, 2, 3 }.Concat(ModelFile.ToBytes(model.Network, model.Training)), stream.ToArray());
    }

    [Fact]
    public void A_truncated_or_changed_byte_array_is_refused_naming_the_bytes()
    {
        SavedModel model = ModelFileFixtures.Trained(Precision.Single, hidden: 3, epochs: 2);
        byte[] bytes = ModelFile.ToBytes(model.Network, model.Training);

        var truncated = Assert.Throws<MlpException>(() => ModelFile.Load(bytes.AsMemory(0, bytes.Length - 1), "the serialized network"));
        Assert.Equal("ModelFileTruncated", truncated.ErrorId);
        Assert.Contains("the serialized network", truncated.Message, StringComparison.Ordinal);

        byte[] changed = (byte[])bytes.Clone();
        changed[^5] ^= 0x01;
        var mismatch = Assert.Throws<MlpException>(() => ModelFile.Load(changed, "the serialized network"));
        Assert.Equal("ModelChecksumMismatch", mismatch.ErrorId);
        Assert.Contains("the serialized network", mismatch.Message, StringComparison.Ordinal);

        var empty = Assert.Throws<MlpException>(() => ModelFile.Load(Array.Empty<byte>(), "the serialized network"));
        Assert.Equal("ModelFileTruncated", empty.ErrorId);

        var text = Assert.Throws<MlpException>(() => ModelFile.Load("a,b\n1,2\n"u8.ToArray(), "the serialized network"));
        Assert.Equal("ModelFileWrongKind", text.ErrorId);
    }

    [Fact]
    public void Checking_whether_a_network_can_be_saved_throws_what_saving_would()
    {
        SavedModel model = ModelFileFixtures.Trained(Precision.Single, OptimizerKind.Adam);
        ModelFile.CheckSavable(model.Network, model.Training, "the serialized network");
        ModelFile.CheckSavable(Mlp.Create(2, 3, 2, seed: 1), null, "the serialized network");

        var net = (Mlp<double>)Mlp.Create(2, 3, 2, Precision.Double, seed: 1);
        net.b1[2] = double.PositiveInfinity;
        var check = Assert.Throws<MlpException>(() => ModelFile.CheckSavable(net, null, "the serialized network"));
        var save = Assert.Throws<MlpException>(() => ModelFile.ToBytes(net, null));
        Assert.Equal("ModelNonFiniteParameter", check.ErrorId);
        Assert.Equal(save.ErrorId, check.ErrorId);
        Assert.Contains("b1", check.Message, StringComparison.Ordinal);
        Assert.Contains("the serialized network", check.Message, StringComparison.Ordinal);

        var named = (Mlp<float>)Mlp.Create(2, 3, 2, seed: 1);
        var renamed = new Mlp<float>(named.Parameters, new[] { "a\uDC00", "b" }, named.FeatureNames);
        Assert.Equal("ModelTextInvalid", Assert.Throws<MlpException>(() => ModelFile.CheckSavable(renamed, null, "the serialized network")).ErrorId);

        var mismatch = Assert.Throws<MlpException>(() => ModelFile.CheckSavable(Mlp.Create(3, 3, 2, seed: 1), model.Training, "the serialized network"));
        Assert.Equal("TrainingStateMismatch", mismatch.ErrorId);
    }

    [Fact]
    public void A_stream_that_cannot_seek_is_refused_before_reading()
    {
        byte[] bytes = ModelFile.ToBytes(ModelFileFixtures.Trained(Precision.Single).Network, null);
        using var stream = new UnseekableStream(bytes);
        Assert.Throws<ArgumentException>(() => ModelFile.Load(stream, "the serialized network"));
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
