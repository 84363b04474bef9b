using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using MlpTools.Core.Persistence;
using MlpTools.Core.Tests.Data;
using MlpTools.Core.Tests.Persistence;
using MlpTools.Fuzz;

namespace MlpTools.Core.Tests.Fuzz;

/// <summary>
/// The deterministic mutation passes' inputs: input <c>index</c> of the pass seeded <c>seed</c> is a pure function of
/// the two (its own <see cref="Random"/>, seeded from both), so a failing input can be made again on its own.
/// Each starts from a seed of tests/fuzz-corpus (and, for CSV, the malformed files of Data/Corpus/csv) and stacks a
/// few mutations: format-blind ones (<see cref="ByteMutator"/>) and ones that know the format.
/// </summary>
internal static class FuzzInputs
{
    private static readonly Lazy<byte[][]> CsvBases = new(() => FuzzCorpus.SeedBytes(FuzzTarget.Csv)
        .Concat(Directory.GetFiles(Path.Combine(DataTestFiles.Corpus, "csv")).Where(f => !f.EndsWith(".tsv", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).Select(File.ReadAllBytes))
        .Select(Inflate).ToArray());

    private static readonly Lazy<int> CsvSeedCount = new(() => FuzzCorpus.Seeds(FuzzTarget.Csv).Count);

    private static readonly Lazy<(byte[] Images, byte[] Labels)[]> IdxBases = new(() => FuzzCorpus.SeedBytes(FuzzTarget.Idx)
        .Select(IdxPair.Split).Select(p => (Inflate(p.Images), Inflate(p.Labels))).ToArray());

    private static readonly Lazy<byte[][]> ModelBases = new(() => FuzzCorpus.SeedBytes(FuzzTarget.Model).ToArray());

    private static readonly string[] CsvExtensions = { ".csv", ".tsv", ".data" };

    private static readonly byte[][] CsvTokens = Tokens("\"", "\"\"", ",", ";", "\t", "|", "\n", "\r\n", "\r", "NaN", "Infinity", "-Infinity",
        "NA", "?", "-", "1e400", "-1e-400", "1.7976931348623157e308", "4.9e-324", "-0", "0x10", "1,5", "1234567890123456", "0.12345678901234567890123",
        "\uFEFF", " ", "label", "x0", "\u00e9").Concat(new[] { new byte[] { 0xFF }, new byte[] { 0xC3 }, new byte[] { 0xED, 0xA0, 0x80 }, new byte[] { 0xEF, 0xBB, 0xBF } }).ToArray();

    private static readonly byte[][] IdxTokens =
    {
        new byte[] { 0, 0, 0x08, 1 }, new byte[] { 0, 0, 0x0D, 2 }, new byte[] { 0, 0, 0x0E, 3 }, new byte[] { 0, 0, 0x08, 0xFF },
        new byte[] { 0x7F, 0xC0, 0, 0 }, new byte[] { 0x7F, 0x80, 0, 0 }, new byte[] { 0xFF, 0xF0, 0, 0, 0, 0, 0, 0 }, new byte[] { 0x1F, 0x8B, 0x08, 0 },
    };

    private static readonly byte[][] ModelTokens = Tokens("\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"F64\"", "\"BF16\"",
        "\"W1\"", "\"b2\"", "\"optimizer.velocity.W1\"", "mlptools.input_size", "mlptools.history", "\"NaN\"", "\"Infinity\"", "\\\"", "\\ud800",
        "9223372036854775807", "18446744073709551616", "-1", "2.5", "1e308", "[", "]", "{", "}", ",", ":", "null", "true", "[[[[[[");

    private static readonly string[] IntegerTexts =
    {
        "0", "1", "2", "3", "4", "-1", "+2", " 2", "2 ", "02", "2147483647", "2147483648", "4294967297", "99999999999", "1e3", "", "x", "\u0663", "\uFF12",
    };

    private static Random Rng(int seed, int index) => new(unchecked((seed * 1_000_003) + index));

    // ---- CSV ----

    /// <summary>
    /// CSV input <paramref name="index"/>: a seed or a malformed corpus file, its lines rearranged (one input in three
    /// no more than that, so that many are still read) and its bytes mutated; gzipped now and then; read as .csv,
    /// .tsv or .data in turn.
    /// </summary>
    public static FuzzCase Csv(int seed, int index)
    {
        Random rng = Rng(seed, index);
        byte[][] bases = CsvBases.Value;
        byte[] input = bases[rng.Next(10) < 8 ? rng.Next(CsvSeedCount.Value) : rng.Next(bases.Length)];
        int mode = rng.Next(3);
        if (mode != 1) input = CsvStructural(input, rng);
        if (mode != 0) input = new ByteMutator(CsvTokens, bases).Mutate(input, rng, 1 + rng.Next(rng.Next(3) == 0 ? 8 : 3));
        if (rng.Next(20) == 0) input = Gzip(input);
        return new FuzzCase(FuzzTarget.Csv, input, "fuzz" + CsvExtensions[index % CsvExtensions.Length]);
    }

    /// <summary>Line-level mutations: a line repeated, a column added to every line, two lines swapped, a field quoted.</summary>
    private static byte[] CsvStructural(byte[] input, Random rng)
    {
        var lines = Encoding.Latin1.GetString(input).Split('\n').ToList();
        int k = rng.Next(lines.Count);
        switch (rng.Next(4))
        {
            case 0:
                lines.InsertRange(k, Enumerable.Repeat(lines[k], 1 + rng.Next(rng.Next(4) == 0 ? 200 : 3)));
                break;
            case 1:
                string extra = rng.Next(2) == 0 ? ",1" : ",\"a\"";
                for (int i = 0; i < lines.Count; i++) lines[i] = lines[i].TrimEnd('\r') + extra;
                break;
            case 2:
                int other = rng.Next(lines.Count);
                (lines[k], lines[other]) = (lines[other], lines[k]);
                break;
            default:
                lines[k] = "\"" + lines[k].Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                break;
        }
        return Encoding.Latin1.GetBytes(string.Join('\n', lines));
    }

    // ---- IDX ----

    private static readonly byte[] IdxTypes = { 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E };

    /// <summary>IDX input <paramref name="index"/>: a seed pair with its images file, labels file or both mutated, either of them gzipped now and then.</summary>
    public static FuzzCase Idx(int seed, int index)
    {
        Random rng = Rng(seed, index);
        var (images, labels) = IdxBases.Value[rng.Next(IdxBases.Value.Length)];
        int which = rng.Next(20);
        if (rng.Next(30) == 0)
        {
            // A gzip file that claims far more than it holds, long enough to pass the inflation-ratio check.
            images = IdxGzipClaim(labels, rng);
        }
        else
        {
            if (which < 11 || which >= 17) images = IdxMutate(images, labels, rng, isLabels: false);
            if (which >= 11) labels = IdxMutate(labels, images, rng, isLabels: true);
            images = MaybeGzip(images, rng);
        }
        labels = MaybeGzip(labels, rng);
        return new FuzzCase(FuzzTarget.Idx, IdxPair.Join(images, labels.Length <= ushort.MaxValue ? labels : labels[..ushort.MaxValue]));
    }

    private static byte[] MaybeGzip(byte[] file, Random rng)
    {
        if (rng.Next(10) != 0) return file;
        byte[] gz = Gzip(file);
        // (Gzip of nothing is nothing: GZipStream writes no header when no byte was written.)
        if (gz.Length > 0 && rng.Next(4) == 0) gz[rng.Next(gz.Length)] ^= (byte)(1 << rng.Next(8));
        return gz;
    }

    private static byte[] IdxMutate(byte[] file, byte[] other, Random rng, bool isLabels)
    {
        int ops = 1 + rng.Next(2);
        for (int k = 0; k < ops; k++)
        {
            int op = rng.Next(10);
            if (op < 4) file = IdxHeaderField(file, other, rng);
            else if (op == 4) file = IdxReshape(file, other, rng, isLabels);
            else if (op == 5) file = IdxPayload(file, rng);
            else file = new ByteMutator(IdxTokens, Array.Empty<byte[]>()).Mutate(file, rng, 1 + rng.Next(4));
        }
        return file;
    }

    /// <summary>
    /// A gzip images file whose header claims 64K to 256K elements (one sample per label, 2 or 3 dimensions) and whose
    /// compressed stream holds the header and some of the values (none, part, or all), then ends, breaks off, or is
    /// followed by filler: at least 1/1032 of the claim in bytes, so the reader's inflation-ratio check lets it through
    /// and what happens next is what counts. The reader may allocate the final array for the claim here (its documented
    /// bound for gzip); the claims stay small enough (1 MiB of values at most) for that to fit the pass's constant.
    /// (This is how the pass found feature names made for every claimed feature before any value was read.)
    /// </summary>
    private static byte[] IdxGzipClaim(byte[] labels, Random rng)
    {
        uint count = labels.Length >= 8 && labels[3] > 0 ? BinaryPrimitives.ReadUInt32BigEndian(labels.AsSpan(4)) : 1;
        count = Math.Clamp(count, 1, 16);
        byte type = IdxTypes[rng.Next(IdxTypes.Length)];
        int stored = type is 0x0C or 0x0E ? 8 : 4, size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, _ => 8 };
        long perSample = (1 << (16 + rng.Next(3))) / stored * 4 / count;
        uint[] dims = rng.Next(2) == 0 ? new[] { count, (uint)perSample } : new[] { count, (uint)(perSample / 256), 256u };
        long claimed = count * dims.Skip(1).Aggregate(1L, (p, d) => p * d) * size;
        var header = new byte[4 + 4 * dims.Length];
        header[2] = type;
        header[3] = (byte)dims.Length;
        for (int k = 0; k < dims.Length; k++) BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + 4 * k), dims[k]);
        long present = rng.Next(3) switch { 0 => 0, 1 => claimed / 2, _ => claimed };
        byte[] gz = Gzip(header.Concat(new byte[present]).ToArray());
        int filler = (int)(claimed / 1032) + 1 - gz.Length;
        return rng.Next(3) switch
        {
            0 => gz.Concat(new byte[Math.Max(0, filler)]).ToArray(),
            1 => gz[..(gz.Length / 2)].Concat(ByteMutator.RandomBytes(rng, Math.Max(0, filler + gz.Length / 2))).ToArray(),
            _ => gz,
        };
    }

    /// <summary>One header field set to a value at an edge: a magic byte, the type, the rank, or a dimension.</summary>
    private static byte[] IdxHeaderField(byte[] file, byte[] other, Random rng)
    {
        byte[] f = file.Length >= 4 ? (byte[])file.Clone() : file.Concat(new byte[4 - file.Length]).ToArray();
        int rank = f[3];
        switch (rng.Next(6))
        {
            case 0:
                f[rng.Next(2)] = (byte)(1 + rng.Next(255));
                break;
            case 1:
                f[2] = rng.Next(3) == 0 ? new byte[] { 0x00, 0x07, 0x0A, 0x0F, 0xFF }[rng.Next(5)] : IdxTypes[rng.Next(IdxTypes.Length)];
                break;
            case 2:
                f[3] = new[] { 0, 1, 2, 3, 4, 5, 255, rank + 1, rank - 1 }.Select(v => (byte)v).ElementAt(rng.Next(9));
                break;
            default:
            {
                // A dimension: an interesting integer, the actual value plus or minus one, or the other file's sample count.
                int k = rng.Next(Math.Max(1, rank) + 1);
                int at = 4 + 4 * k;
                if (f.Length < at + 4) f = f.Concat(new byte[at + 4 - f.Length]).ToArray();
                uint actual = BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(at));
                uint otherCount = other.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(other.AsSpan(4)) : 1;
                uint value = rng.Next(4) switch
                {
                    0 => actual + 1,
                    1 => actual - 1,
                    2 => otherCount,
                    _ => (uint)ByteMutator.Integer(rng),
                };
                BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(at), value);
                break;
            }
        }
        return f;
    }

    /// <summary>
    /// A consistent file of another shape and type: a valid header and exactly the payload it claims, so the paths past
    /// the header checks run (labels: one per sample of <paramref name="other"/> when it can be read, values at the edges).
    /// </summary>
    private static byte[] IdxReshape(byte[] file, byte[] other, Random rng, bool isLabels)
    {
        uint otherCount = other.Length >= 8 && other[3] > 0 ? BinaryPrimitives.ReadUInt32BigEndian(other.AsSpan(4)) : 0;
        uint count = otherCount is > 0 and <= 16 && rng.Next(4) != 0 ? otherCount : (uint)(1 + rng.Next(6));
        int rank = isLabels ? (rng.Next(5) == 0 ? 2 : 1) : 1 + rng.Next(4);
        var dims = new uint[rank];
        dims[0] = count;
        for (int k = 1; k < rank; k++) dims[k] = (uint)(1 + rng.Next(5));
        byte type = isLabels && rng.Next(5) != 0 ? IdxTypes[rng.Next(4)] : IdxTypes[rng.Next(IdxTypes.Length)];
        int size = type switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, _ => 8 };
        long elements = dims.Aggregate(1L, (p, d) => p * d);
        var f = new byte[4 + 4 * rank + elements * size];
        f[2] = type;
        f[3] = (byte)rank;
        for (int k = 0; k < rank; k++) BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(4 + 4 * k), dims[k]);
        Span<byte> payload = f.AsSpan(4 + 4 * rank);
        if (isLabels)
        {
            // Labels at the edges: 0, small classes, negative, just under and over the class limit.
            int[] values = { 0, 1, 2, 9, -1, 255, 32767, -32768, 99_999, 100_000, int.MaxValue, int.MinValue };
            for (long i = 0; i < elements; i++)
            {
                int v = rng.Next(3) == 0 ? values[rng.Next(values.Length)] : rng.Next(4);
                Span<byte> e = payload.Slice((int)(i * size), size);
                if (size == 1) e[0] = (byte)v;
                else if (size == 2) BinaryPrimitives.WriteInt16BigEndian(e, (short)v);
                else if (size == 4 && type == 0x0C) BinaryPrimitives.WriteInt32BigEndian(e, v);
                else if (size == 4) BinaryPrimitives.WriteSingleBigEndian(e, v);
                else BinaryPrimitives.WriteDoubleBigEndian(e, v);
            }
        }
        else
        {
            rng.NextBytes(payload);
            if (type is 0x0D or 0x0E)
            {
                // Mostly finite values (random bytes are often NaN in the exponent's all-ones corner, rarely).
                for (long i = 0; i < elements; i++)
                {
                    Span<byte> e = payload.Slice((int)(i * size), size);
                    e[0] &= 0xBF;
                }
            }
        }
        return f;
    }

    /// <summary>The payload cut short or made longer, or a float element set to NaN or an infinity.</summary>
    private static byte[] IdxPayload(byte[] file, Random rng)
    {
        switch (rng.Next(3))
        {
            case 0:
                return file[..Math.Max(0, file.Length - 1 - rng.Next(8))];
            case 1:
                return file.Concat(ByteMutator.RandomBytes(rng, 1 + rng.Next(8))).ToArray();
            default:
            {
                if (file.Length < 8) return file;
                byte[] f = (byte[])file.Clone();
                int at = rng.Next(f.Length - 4);
                byte[][] specials = { new byte[] { 0x7F, 0xC0, 0, 0 }, new byte[] { 0x7F, 0x80, 0, 0 }, new byte[] { 0xFF, 0x80, 0, 0 }, new byte[] { 0x7F, 0xF8, 0, 0 }, new byte[] { 0xFF, 0xF0, 0, 0 } };
                specials[rng.Next(specials.Length)].CopyTo(f, at);
                return f;
            }
        }
    }

    // ---- model files, byte by byte ----

    /// <summary>Model input <paramref name="index"/>: a seed model file with its bytes mutated (its header length, header, data, or anywhere).</summary>
    public static FuzzCase ModelRaw(int seed, int index)
    {
        Random rng = Rng(seed, index);
        byte[][] bases = ModelBases.Value;
        byte[] file = bases[rng.Next(bases.Length)];
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var mutator = new ByteMutator(ModelTokens, bases);
        int ops = 1 + rng.Next(rng.Next(3) == 0 ? 6 : 2);
        switch (rng.Next(20))
        {
            case < 3:
            {
                file = (byte[])file.Clone();
                ulong[] lengths = { (ulong)n - 1, (ulong)n + 1, (ulong)n - 8, (ulong)n + 8, (ulong)file.Length - 8, (ulong)file.Length - 7, (ulong)file.Length };
                ulong value = rng.Next(2) == 0 ? lengths[rng.Next(lengths.Length)] : ByteMutator.Integer(rng);
                BinaryPrimitives.WriteUInt64LittleEndian(file, value);
                break;
            }
            case < 10:
                file = mutator.MutateRange(file, 8, 8 + n, rng, ops);
                break;
            case < 14:
                file = mutator.MutateRange(file, 8 + n, file.Length, rng, ops);
                break;
            default:
                file = mutator.Mutate(file, rng, ops);
                break;
        }
        return new FuzzCase(FuzzTarget.Model, file);
    }

    // ---- model files, structure-aware ----

    private static readonly string[] TensorNames =
    {
        "W1", "b1", "W2", "b2", "optimizer.velocity.W1", "optimizer.m.b2", "optimizer.v.W2", "optimizer.meanSquare.b1", "optimizer.W1", "w1", "", "__init__.py",
    };

    private static readonly string[] DTypes = { "F32", "F64", "BF16", "F16", "I64", "f32", "" };

    /// <summary>
    /// Structure-aware model input <paramref name="index"/>: a seed model taken apart (<see cref="RawModel"/>), one to three
    /// changes made to its metadata, its tensors' names, dtypes, shapes and bytes, or its header's entries and offsets,
    /// then put back together with both checksums recomputed (all but one input in twenty), so each change reaches the
    /// check meant for it.
    /// </summary>
    public static FuzzCase ModelStructured(int seed, int index)
    {
        Random rng = Rng(seed, index);
        byte[][] bases = ModelBases.Value;
        RawModel model = RawModel.Parse(bases[rng.Next(bases.Length)]);
        var edits = new List<Action<JsonObject>>();
        int changes = 1 + rng.Next(3);
        for (int k = 0; k < changes; k++)
        {
            switch (rng.Next(20))
            {
                case < 6: MutateMetadata(model, rng); break;
                case < 8: Resize(model, rng); break;
                case < 15: MutateTensor(model, rng); break;
                default: edits.Add(HeaderEdit(rng)); break;
            }
        }
        bool fix = rng.Next(20) != 0;
        byte[] file;
        try
        {
            file = model.Build(fix, h => edits.ForEach(e => e(h)));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // A change the JSON object model cannot express (a text no writer writes); the model as changed so far without the header edits.
            file = model.Build(fix);
        }
        return new FuzzCase(FuzzTarget.Model, file);
    }

    private static void MutateMetadata(RawModel model, Random rng)
    {
        Dictionary<string, string> m = model.Metadata;
        string[] keys = m.Keys.Order(StringComparer.Ordinal).ToArray();
        if (keys.Length == 0)
        {
            m[ModelMetadata.Format] = ModelMetadata.FormatVersion;
            return;
        }
        string key = keys[rng.Next(keys.Length)];
        switch (rng.Next(12))
        {
            case 0:
                m.Remove(key);
                return;
            case 1:
                m[new[] { "format", "mlptools.extra", "", "mlptools.FORMAT", ModelMetadata.BestEpoch }[rng.Next(5)]] = IntegerTexts[rng.Next(IntegerTexts.Length)];
                return;
            case 2:
            case 3:
            {
                // A value's text mutated as bytes (JSON values become broken or different JSON).
                byte[] bytes = new ByteMutator(ModelTokens, Array.Empty<byte[]>()).Mutate(Encoding.UTF8.GetBytes(m[key]), rng, 1 + rng.Next(3));
                m[key] = Encoding.UTF8.GetString(bytes);
                return;
            }
        }
        string[] sizes = { ModelMetadata.InputSize, ModelMetadata.HiddenSize, ModelMetadata.ClassCount, ModelMetadata.Format, ModelMetadata.BestEpoch };
        switch (rng.Next(7))
        {
            case 0:
                m[sizes[rng.Next(sizes.Length)]] = IntegerTexts[rng.Next(IntegerTexts.Length)];
                break;
            case 1:
            {
                string names = rng.Next(2) == 0 ? ModelMetadata.ClassNames : ModelMetadata.FeatureNames;
                int count = m.TryGetValue(names == ModelMetadata.ClassNames ? ModelMetadata.ClassCount : ModelMetadata.InputSize, out string? text)
                    && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int c) && c < 1000 ? c : 2;
                m[names] = new[]
                {
                    Json(Enumerable.Range(0, Math.Max(0, count + rng.Next(3) - 1)).Select(i => (JsonNode?)JsonValue.Create("n" + i))),
                    Json(Enumerable.Range(0, count).Select(i => (JsonNode?)JsonValue.Create(i))),
                    Json(Enumerable.Range(0, count).Select(_ => (JsonNode?)JsonValue.Create(""))),
                    "[\"\\ud800\"" + string.Concat(Enumerable.Repeat(",\"a\"", Math.Max(0, count - 1))) + "]",
                    "null", "{}", "[[\"a\"]]", new string('[', 100) + new string(']', 100),
                }[rng.Next(8)];
                break;
            }
            case 2:
                m[ModelMetadata.Optimizer] = new[]
                {
                    "{\"name\":\"sgd\",\"momentum\":0.9,\"nesterov\":false,\"step_count\":3}",
                    "{\"name\":\"sgd\",\"momentum\":1,\"nesterov\":false,\"step_count\":3}",
                    "{\"name\":\"adam\",\"beta1\":0.9,\"beta2\":0.999,\"epsilon\":1e-8,\"step_count\":9223372036854775807}",
                    "{\"name\":\"adam\",\"beta1\":\"NaN\",\"beta2\":0.999,\"epsilon\":0,\"step_count\":1}",
                    "{\"name\":\"rmsprop\",\"rho\":0.9,\"epsilon\":\"Infinity\",\"step_count\":1}",
                    "{\"name\":\"rmsprop\",\"rho\":-0.0,\"epsilon\":1e-300,\"step_count\":0}",
                    "{\"name\":\"lbfgs\",\"step_count\":1}", "{\"step_count\":1.5}", "[]", "{\"name\":null}",
                }[rng.Next(10)];
                break;
            case 3:
            {
                int d = m.TryGetValue(ModelMetadata.InputSize, out string? text)
                    && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v < 1000 ? v : 2;
                string Numbers(int count, string value) => "[" + string.Join(",", Enumerable.Repeat(value, Math.Max(0, count))) + "]";
                m[ModelMetadata.Preprocessing] = new[]
                {
                    "{\"kind\":\"standardize\",\"offsets\":" + Numbers(d, "0") + ",\"scales\":" + Numbers(d, "1") + "}",
                    "{\"kind\":\"minmax\",\"offsets\":" + Numbers(d, "\"NaN\"") + ",\"scales\":" + Numbers(d, "1") + "}",
                    "{\"kind\":\"minmax\",\"offsets\":" + Numbers(d, "0") + ",\"scales\":" + Numbers(d, "0") + "}",
                    "{\"kind\":\"standardize\",\"offsets\":" + Numbers(d + 1, "0") + ",\"scales\":" + Numbers(d - 1, "1") + "}",
                    "{\"kind\":\"standardize\",\"offsets\":" + Numbers(d, "1e309") + ",\"scales\":" + Numbers(d, "-1") + "}",
                    "{\"kind\":\"whiten\",\"offsets\":[],\"scales\":[]}", "{}",
                }[rng.Next(7)];
                break;
            }
            case 4:
            {
                const string epoch = "{\"epoch\":1,\"loss\":0.5,\"accuracy\":0.9,\"validation_loss\":null,\"validation_accuracy\":null,\"learning_rate\":0.01,\"gradient_norm_w1\":1,\"gradient_norm_w2\":1,\"seconds\":0.1}";
                m[ModelMetadata.History] = new[]
                {
                    "[]", "[" + string.Join(",", Enumerable.Repeat(epoch, 1 + rng.Next(300))) + "]",
                    "[" + epoch.Replace("\"epoch\":1", "\"epoch\":-2147483648", StringComparison.Ordinal) + "]",
                    "[" + epoch.Replace("0.5", "\"NaN\"", StringComparison.Ordinal) + "]",
                    "[" + epoch.Replace("\"seconds\":0.1", "\"seconds\":1e400", StringComparison.Ordinal) + "]",
                    "[" + epoch.Replace(",\"seconds\":0.1", "", StringComparison.Ordinal) + "]",
                    "[" + epoch.Replace("null", "\"x\"", StringComparison.Ordinal) + "]", "[{}]", "[1]", "{}",
                }[rng.Next(10)];
                break;
            }
            case 5:
                m[ModelMetadata.StopReason] = new[] { "", "\0", new string('x', 10_000), "\u00e9\u4e2d\ud83d\ude00" }[rng.Next(4)];
                break;
            default:
                m[ModelMetadata.DataSha256] = new[] { "ABC", new string('g', 64), new string('A', 64), new string('0', 64) }[rng.Next(4)];
                break;
        }
    }

    private static string Json(IEnumerable<JsonNode?> items) => new JsonArray(items.ToArray()).ToJsonString();

    /// <summary>A consistent model of another size: D, H and C from 1 to 6, every tensor reshaped and refilled, the names and scaling resized.</summary>
    private static void Resize(RawModel model, Random rng)
    {
        int d = 1 + rng.Next(6), h = 1 + rng.Next(6), c = 1 + rng.Next(6);
        Dictionary<string, string> m = model.Metadata;
        m[ModelMetadata.InputSize] = d.ToString(CultureInfo.InvariantCulture);
        m[ModelMetadata.HiddenSize] = h.ToString(CultureInfo.InvariantCulture);
        m[ModelMetadata.ClassCount] = c.ToString(CultureInfo.InvariantCulture);
        m[ModelMetadata.ClassNames] = Json(Enumerable.Range(0, c).Select(i => (JsonNode?)JsonValue.Create("c" + i)));
        m[ModelMetadata.FeatureNames] = Json(Enumerable.Range(0, d).Select(i => (JsonNode?)JsonValue.Create("f" + i)));
        if (m.ContainsKey(ModelMetadata.Preprocessing))
            m[ModelMetadata.Preprocessing] = "{\"kind\":\"standardize\",\"offsets\":[" + string.Join(",", Enumerable.Repeat("0.5", d)) + "],\"scales\":[" + string.Join(",", Enumerable.Repeat("2", d)) + "]}";
        for (int i = 0; i < model.Tensors.Count; i++)
        {
            RawTensor t = model.Tensors[i];
            string last = t.Name[(t.Name.LastIndexOf('.') + 1)..];
            long[]? shape = last switch
            {
                "W1" => new long[] { d, h },
                "b1" => new long[] { h },
                "W2" => new long[] { h, c },
                "b2" => new long[] { c },
                _ => null,
            };
            if (shape is null) continue;
            int size = t.DType == "F64" ? 8 : 4;
            var bytes = new byte[shape.Aggregate(1L, (p, x) => p * x) * size];
            for (int e = 0; e < bytes.Length / size; e++)
            {
                double v = rng.NextDouble() * 2 - 1;
                if (size == 8) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(e * 8), v);
                else BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(e * 4), (float)v);
            }
            model.Tensors[i] = t with { Shape = shape, Bytes = bytes };
        }
    }

    private static void MutateTensor(RawModel model, Random rng)
    {
        if (model.Tensors.Count == 0) return;
        int i = rng.Next(model.Tensors.Count);
        RawTensor t = model.Tensors[i];
        switch (rng.Next(9))
        {
            case 0:
            {
                // A shape that disagrees: a dimension changed, added, dropped or made huge (the bytes stay).
                var shape = t.Shape.ToList();
                int k = shape.Count == 0 ? 0 : rng.Next(shape.Count);
                switch (rng.Next(5))
                {
                    case 0: if (shape.Count > 0) shape[k] += rng.Next(2) == 0 ? 1 : -1; break;
                    case 1: if (shape.Count > 0) shape[k] = 0; break;
                    case 2: shape.Add(1); break;
                    case 3: if (shape.Count > 0) shape.RemoveAt(k); break;
                    default: if (shape.Count > 0) shape[k] = new[] { 1L << 31, 1L << 40, long.MaxValue / 4, long.MaxValue }[rng.Next(4)]; break;
                }
                model.Tensors[i] = t with { Shape = shape.ToArray() };
                break;
            }
            case 1:
                model.Tensors[i] = t with { DType = DTypes[rng.Next(DTypes.Length)] };
                break;
            case 2:
            {
                // The other precision, bytes re-encoded to match.
                bool toDouble = t.DType != "F64";
                int from = toDouble ? 4 : 8, to = toDouble ? 8 : 4;
                var bytes = new byte[t.Bytes.Length / from * to];
                for (int e = 0; e < t.Bytes.Length / from; e++)
                {
                    if (toDouble) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(e * 8), BinaryPrimitives.ReadSingleLittleEndian(t.Bytes.AsSpan(e * 4)));
                    else BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(e * 4), (float)BinaryPrimitives.ReadDoubleLittleEndian(t.Bytes.AsSpan(e * 8)));
                }
                model.Tensors[i] = t with { DType = toDouble ? "F64" : "F32", Bytes = bytes };
                break;
            }
            case 3:
                model.Tensors[i] = t with { Name = TensorNames[rng.Next(TensorNames.Length)] };
                break;
            case 4:
                model.Tensors.RemoveAt(i);
                break;
            case 5:
            {
                // Two tensors swap places in the data buffer (a valid file, read by name), or one is repeated under another name.
                int j = rng.Next(model.Tensors.Count);
                if (rng.Next(2) == 0) (model.Tensors[i], model.Tensors[j]) = (model.Tensors[j], model.Tensors[i]);
                else model.Tensors.Insert(j, t with { Name = TensorNames[rng.Next(TensorNames.Length)] });
                break;
            }
            case 6:
            {
                // An element set to a special value (NaN, an infinity, the largest finite, a subnormal, -0).
                int size = t.DType == "F64" ? 8 : 4;
                if (t.Bytes.Length < size) break;
                byte[] bytes = (byte[])t.Bytes.Clone();
                double[] specials = { double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, double.Epsilon, -0.0, float.MaxValue, 1e39 };
                double v = specials[rng.Next(specials.Length)];
                int at = rng.Next(bytes.Length / size) * size;
                if (size == 8) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), v);
                else BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), (float)v);
                model.Tensors[i] = t with { Bytes = bytes };
                break;
            }
            case 7:
            {
                // Bytes cut short or made longer than the shape says.
                int delta = 1 + rng.Next(8);
                byte[] bytes = rng.Next(2) == 0 ? t.Bytes[..Math.Max(0, t.Bytes.Length - delta)] : t.Bytes.Concat(new byte[delta]).ToArray();
                model.Tensors[i] = t with { Bytes = bytes };
                break;
            }
            default:
            {
                byte[] bytes = (byte[])t.Bytes.Clone();
                if (bytes.Length > 0) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                model.Tensors[i] = t with { Bytes = bytes };
                break;
            }
        }
    }

    /// <summary>An edit of the header JSON made after the layout is written: offsets, shapes, dtypes and entries that lie.</summary>
    private static Action<JsonObject> HeaderEdit(Random rng)
    {
        int pick = rng.Next(1000), what = rng.Next(12), delta = 1 + rng.Next(16);
        JsonNode? Parse(string json) => JsonNode.Parse(json);
        return header =>
        {
            var tensors = header.Where(p => p.Key != SafetensorsHeader.MetadataKey && p.Value is JsonObject).Select(p => p.Key).ToArray();
            if (tensors.Length == 0) return;
            string name = tensors[pick % tensors.Length];
            var entry = (JsonObject)header[name]!;
            long begin = entry["data_offsets"] is JsonArray { Count: 2 } o && o[0] is JsonValue b && b.TryGetValue(out long bb) ? bb : 0;
            long end = entry["data_offsets"] is JsonArray { Count: 2 } o2 && o2[1] is JsonValue e && e.TryGetValue(out long ee) ? ee : 0;
            switch (what)
            {
                case 0: entry["data_offsets"] = new JsonArray(begin + delta, end + delta); break;
                case 1: entry["data_offsets"] = new JsonArray(end, begin); break;
                case 2: entry["data_offsets"] = new JsonArray(0, end - begin); break;
                case 3: entry["data_offsets"] = Parse(new[] { "[0, 9223372036854775807]", "[-8, 0]", "[1.5, 9]", "[\"0\", \"8\"]", "[0]", "[0, 8, 16]", "[]", "null" }[delta % 8]); break;
                case 4: entry["shape"] = Parse(new[] { "[]", "[[2]]", "\"2\"", "[2.0, 3]", "[1e3]", "[-0]", "[9223372036854775807, 2]", "[4294967296, 4294967296]" }[delta % 8]); break;
                case 5: entry.Remove(new[] { "dtype", "shape", "data_offsets" }[delta % 3]); break;
                case 6: entry["extra"] = "x"; break;
                case 7: entry["dtype"] = Parse(new[] { "4", "null", "[\"F32\"]", "\"F32 \"" }[delta % 4]); break;
                case 8: header[name] = Parse(new[] { "5", "[]", "null", "\"W1\"" }[delta % 4]); break;
                case 9: header["W1.copy"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(1), ["data_offsets"] = new JsonArray(begin, begin + 4) }; break;
                case 10: header[SafetensorsHeader.MetadataKey] = Parse(new[] { "\"x\"", "[]", "{\"mlptools.format\": 1}", "{}" }[delta % 4]); break;
                default:
                    // Every entry shifted, so the tensors no longer start at 0 or leave bytes over.
                    foreach (string t in tensors)
                    {
                        if (header[t] is JsonObject te && te["data_offsets"] is JsonArray { Count: 2 } a && a[0] is JsonValue x && a[1] is JsonValue y && x.TryGetValue(out long xb) && y.TryGetValue(out long ye))
                            te["data_offsets"] = new JsonArray(xb + delta, ye + delta);
                    }
                    break;
            }
        };
    }

    // ---- helpers ----

    private static byte[][] Tokens(params string[] tokens) => tokens.Select(Encoding.UTF8.GetBytes).ToArray();

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>The content of a gzip seed (mutations work on it; the result is gzipped again now and then); other bytes as they are.</summary>
    private static byte[] Inflate(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        var ms = new MemoryStream();
        try
        {
            gz.CopyTo(ms);
        }
        catch (InvalidDataException)
        {
            // A corrupt corpus file: what inflated before the damage.
        }
        return ms.ToArray();
    }
}
