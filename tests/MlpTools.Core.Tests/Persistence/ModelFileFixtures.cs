using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>A folder under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlptools-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Every file in the folder, hidden ones included, by name.</summary>
    public string[] Names() => Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Networks to save, and a model file taken apart and put back together (for building damaged files).</summary>
internal static class ModelFileFixtures
{
    /// <summary>A small network (2-6-3 on a spiral) trained a few epochs with validation, so it has history and optimizer state.</summary>
    public static SavedModel Trained(Precision precision, OptimizerKind optimizer = OptimizerKind.Sgd, int hidden = 6, int epochs = 3)
    {
        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 1);
        var net = Mlp.Create(2, hidden, 3, precision, seed: 1, classNames: new[] { "rot", "grün", "blå \"quoted\"" }, featureNames: new[] { "x", "y" });
        TrainingState state = Trainer.Train(net, spiral, new TrainingOptions { Epochs = epochs, Seed = 2, Optimizer = optimizer, BatchSize = 16 }, validation: spiral);
        return new SavedModel(net, state);
    }

    /// <summary>The bytes of a saved model, read back through a file.</summary>
    public static byte[] Bytes(SavedModel model)
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        ModelFile.Save(model.Network, model.Training, path, overwrite: false);
        return File.ReadAllBytes(path);
    }

    /// <summary>The bytes of a network saved without training state.</summary>
    public static byte[] Bytes(Mlp net) => Bytes(new SavedModel(net, new TrainingState()));

    /// <summary>Loads a model from bytes in memory through the byte entry point, which checks them as loading a file does.</summary>
    public static SavedModel Read(byte[] bytes) => ModelFile.Load(bytes, "test.safetensors");

    /// <summary>The raw bits of a network's parameters and its optimizer state, for bit-for-bit comparison.</summary>
    public static byte[] Bits(SavedModel model) => model.Network switch
    {
        Mlp<float> s => Bits(s, model.Training),
        Mlp<double> d => Bits(d, model.Training),
        _ => throw new ArgumentException("unknown network type"),
    };

    /// <summary>The raw bits of a network's parameters.</summary>
    public static byte[] Bits(Mlp net) => Bits(new SavedModel(net, new TrainingState()));

    private static byte[] Bits<T>(Mlp<T> net, TrainingState training)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var bytes = new List<byte>();
        void Add(ParameterSet<T> p)
        {
            for (int k = 0; k < 4; k++) bytes.AddRange(MemoryMarshal.AsBytes(p[k].AsSpan()).ToArray());
        }
        Add(net.Parameters);
        if (training.OptimizerState is Optimizer<T> o)
        {
            bytes.AddRange(BitConverter.GetBytes(o.StepCount));
            foreach (var slot in o.Slots.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(slot.Key));
                Add(slot.Value);
            }
        }
        return bytes.ToArray();
    }

    public static long DoubleBits(double v) => BitConverter.DoubleToInt64Bits(v);
}

/// <summary>One tensor of a model file: name, dtype, shape and its raw bytes.</summary>
internal sealed record RawTensor(string Name, string DType, long[] Shape, byte[] Bytes);

/// <summary>A model file taken apart: its metadata and its tensors, in buffer order.</summary>
internal sealed class RawModel
{
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public List<RawTensor> Tensors { get; } = new();

    public RawTensor Tensor(string name) => Tensors.Single(t => t.Name == name);

    public static RawModel Parse(byte[] file)
    {
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = JsonNode.Parse(file.AsSpan(8, (int)n))!.AsObject();
        var model = new RawModel();
        int dataStart = 8 + (int)n;
        var entries = new List<(long Begin, RawTensor Tensor)>();
        foreach (var (key, value) in header)
        {
            if (key == "__metadata__")
            {
                foreach (var (k, v) in value!.AsObject()) model.Metadata[k] = v!.GetValue<string>();
                continue;
            }
            var offsets = value!["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            var shape = value["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            byte[] bytes = file.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0])).ToArray();
            entries.Add((offsets[0], new RawTensor(key, value["dtype"]!.GetValue<string>(), shape, bytes)));
        }
        model.Tensors.AddRange(entries.OrderBy(e => e.Begin).Select(e => e.Tensor));
        return model;
    }

    /// <summary>
    /// The file for this metadata and these tensors, laid out contiguously in list order. With
    /// <paramref name="fixChecksums"/>, both checksums are recomputed (so a lie is caught by the check meant for it, not
    /// by a checksum). <paramref name="editHeader"/> may then change the header JSON (to make it lie about offsets).
    /// </summary>
    public byte[] Build(bool fixChecksums = true, Action<JsonObject>? editHeader = null)
    {
        byte[] data = Tensors.SelectMany(t => t.Bytes).ToArray();
        var metadata = new Dictionary<string, string>(Metadata, StringComparer.Ordinal);
        if (fixChecksums)
        {
            metadata[ModelMetadata.DataSha256] = ModelMetadata.Hex(SHA256.HashData(data));
            metadata[ModelMetadata.MetadataSha256] = ModelMetadata.Checksum(metadata);
        }
        var header = new JsonObject { ["__metadata__"] = new JsonObject(metadata.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))) };
        long offset = 0;
        foreach (RawTensor t in Tensors)
        {
            header[t.Name] = new JsonObject
            {
                ["dtype"] = t.DType,
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + t.Bytes.Length),
            };
            offset += t.Bytes.Length;
        }
        editHeader?.Invoke(header);
        return Assemble(Encoding.UTF8.GetBytes(header.ToJsonString()), data);
    }

    /// <summary>The length, the header padded with spaces to a multiple of 8, and the data.</summary>
    public static byte[] Assemble(byte[] header, byte[] data)
    {
        int n = (header.Length + 7) / 8 * 8;
        var file = new byte[8 + n + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)n);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, n - header.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + n);
        return file;
    }

    /// <summary>The header JSON text and the data of a file, for edits at the text level.</summary>
    public static (string Header, byte[] Data) Split(byte[] file)
    {
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return (Encoding.UTF8.GetString(file, 8, n).TrimEnd(' '), file.AsSpan(8 + n).ToArray());
    }

    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };
}
