using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;

namespace MlpTools.Fuzz;

/// <summary>
/// The seed corpus (committed under tests/fuzz-corpus/seeds/): small valid inputs of every target that between them
/// take each reader down each of its paths: every delimiter, quoting, line end, BOM and gzip for CSV; every element
/// type, a 3- and a 4-dimensional sample and gzip for IDX; both precisions, every optimizer, both scalings and a best
/// epoch for model files (written by <see cref="ModelFile.Save(Mlp, string, bool, CancellationToken)"/> from tiny networks).
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string folder)
    {
        WriteCsv(Path.Combine(folder, nameof(FuzzTarget.Csv)));
        WriteIdx(Path.Combine(folder, nameof(FuzzTarget.Idx)));
        WriteModels(Path.Combine(folder, nameof(FuzzTarget.Model)));
    }

    private static void WriteCsv(string dir)
    {
        Directory.CreateDirectory(dir);
        void Text(string name, string text) => File.WriteAllBytes(Path.Combine(dir, name), Encoding.UTF8.GetBytes(text));
        Text("header-numbers.csv", "a,b,c,label\n0.5,1,-2,0\n1.5,2e-3,3,1\n-0.25,4,5E2,2\n7,8,9,1\n");
        Text("quoted-text-labels-crlf.csv", "x,\"y, quoted\",species\r\n1,2,\"setosa\"\r\n3,4,\"vers \"\"i\"\" color\"\r\n5,6,virginica\r\n1,1,setosa\r\n");
        Text("tab-no-header.tsv", "1\t2\t0\n3\t4\t1\n5\t6\t0\n");
        Text("semicolons-blank-lines.txt", "f1;f2;y\n\n-1.25;+3;a\n\n2;.5;b\n3;4;a");
        Text("bars-multiline-label.txt", "p|q|r\n1|2|\"two\nlines\"\n3|4|one\n");
        Text("unicode-names.csv", "grün,größe,klasse\n1,2,ä\n3,4,ö\n");
        File.WriteAllBytes(Path.Combine(dir, "bom.csv"), Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("a,b,label\n1,2,0\n3,4,1\n")).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "gzip.csv.gz"), Gzip(Encoding.UTF8.GetBytes("a,b,label\n1,2,0\n3,4,1\n5,6,2\n")));
    }

    private static void WriteIdx(string dir)
    {
        Directory.CreateDirectory(dir);
        void Pair(string name, byte[] images, byte[] labels) => File.WriteAllBytes(Path.Combine(dir, name), IdxPair.Join(images, labels));
        byte[] ubyteLabels = Idx(0x08, new[] { 4 }, new byte[] { 0, 1, 2, 1 });
        Pair("ubyte-3d.idxpair", Idx(0x08, new[] { 4, 2, 3 }, Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray()), ubyteLabels);
        Pair("ubyte-4d.idxpair", Idx(0x08, new[] { 4, 2, 1, 2 }, Enumerable.Range(0, 16).Select(i => (byte)(255 - i)).ToArray()), ubyteLabels);
        Pair("sbyte-int16-labels.idxpair", Idx(0x09, new[] { 3, 2 }, new byte[] { 0x80, 0x7F, 0, 1, 0xFF, 2 }),
            Idx(0x0B, new[] { 3 }, BigEndian16(0, 2, 1)));
        Pair("int16-int32-labels.idxpair", Idx(0x0B, new[] { 2, 3 }, BigEndian16(-32768, 32767, 0, 1, -1, 300)),
            Idx(0x0C, new[] { 2 }, BigEndian32(1, 0)));
        Pair("int32-sbyte-labels.idxpair", Idx(0x0C, new[] { 2, 2 }, BigEndian32(int.MinValue, int.MaxValue, 0, -7)),
            Idx(0x09, new[] { 2 }, new byte[] { 3, 0 }));
        Pair("float32.idxpair", Idx(0x0D, new[] { 3, 2 }, Floats(0.5f, -1.25f, 3e38f, 1e-45f, 0f, -0f)), Idx(0x08, new[] { 3 }, new byte[] { 0, 1, 0 }));
        Pair("float64.idxpair", Idx(0x0E, new[] { 2, 2 }, Doubles(0.1, -2.5, 1e308, 5e-324)), Idx(0x08, new[] { 2 }, new byte[] { 1, 0 }));
        Pair("ubyte-gzip.idxpair", Gzip(Idx(0x08, new[] { 4, 6 }, Enumerable.Range(0, 24).Select(i => (byte)i).ToArray())), Gzip(ubyteLabels));
    }

    private static void WriteModels(string dir)
    {
        Directory.CreateDirectory(dir);
        var spiral = BuiltInDatasets.Spiral(3, 6, seed: 1);
        void Save(string name, Mlp net) => ModelFile.Save(net, Path.GetFullPath(Path.Combine(dir, name)), overwrite: true);

        Save("single-untrained.safetensors", Mlp.Create(2, 3, 3, Precision.Single, seed: 1, classNames: new[] { "a", "b", "c" }));

        var sgd = Mlp.Create(2, 3, 3, Precision.Single, seed: 2, classNames: new[] { "rot", "grün", "blå \"quoted\"" }, featureNames: new[] { "x", "y" });
        Trainer.Train(sgd, spiral, new TrainingOptions { Epochs = 2, BatchSize = 8, Seed = 1, Optimizer = OptimizerKind.Sgd, Nesterov = true }, validation: spiral);
        Save("single-sgd-validation.safetensors", sgd);

        var adam = Mlp.Create(2, 2, 3, Precision.Double, seed: 3);
        Trainer.Train(adam, spiral, new TrainingOptions { Epochs = 2, BatchSize = 8, Seed = 1, Optimizer = OptimizerKind.Adam, Scaling = ScalingKind.Standardize });
        Save("double-adam-standardize.safetensors", adam);

        var rms = Mlp.Create(2, 2, 3, Precision.Single, seed: 4);
        Trainer.Train(rms, spiral, new TrainingOptions { Epochs = 3, BatchSize = 8, Seed = 1, Optimizer = OptimizerKind.RmsProp, Scaling = ScalingKind.MinMax, Patience = 1 },
            validation: spiral);
        Save("single-rmsprop-minmax-patience.safetensors", rms);
    }

    /// <summary>An IDX file: the magic number, big-endian dimensions, then the elements (already big-endian).</summary>
    private static byte[] Idx(byte type, int[] dims, byte[] payload)
    {
        var file = new byte[4 + 4 * dims.Length + payload.Length];
        file[2] = type;
        file[3] = (byte)dims.Length;
        for (int k = 0; k < dims.Length; k++) BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * k), dims[k]);
        payload.CopyTo(file, 4 + 4 * dims.Length);
        return file;
    }

    private static byte[] BigEndian16(params short[] values)
    {
        var bytes = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(2 * i), values[i]);
        return bytes;
    }

    private static byte[] BigEndian32(params int[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    private static byte[] Doubles(params double[] values)
    {
        var bytes = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleBigEndian(bytes.AsSpan(8 * i), values[i]);
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }
}
