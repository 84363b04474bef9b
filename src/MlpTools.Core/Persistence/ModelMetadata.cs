using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Persistence;

/// <summary>
/// An optimizer's settings and step count as a model file keeps them; its state arrays are tensors beside the weights.
/// What a kind of optimizer holds (its slots and settings) is asked of <see cref="Training.Optimizer.Rules"/>.
/// </summary>
internal sealed record OptimizerSettings(OptimizerKind Kind, long StepCount, IReadOnlyList<KeyValuePair<string, object>> Settings)
{
    /// <summary>The name a file uses: "sgd", "adam", "rmsprop".</summary>
    public string Name => NameOf(Kind);

    public static string NameOf(OptimizerKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The key of a setting in the file: the setting's name in lower case ("momentum", "beta1").</summary>
    public static string KeyOf(string setting) => setting.ToLowerInvariant();

    /// <summary>The names of the optimizer's state arrays, in file order.</summary>
    public IReadOnlyList<string> SlotNames => Training.Optimizer.Rules[Kind].Slots;

    /// <summary>The settings and step count of <paramref name="optimizer"/>.</summary>
    public static OptimizerSettings Of(Training.Optimizer optimizer) =>
        new(optimizer.Kind, optimizer.StepCount, optimizer.SettingNames.Select(n => new KeyValuePair<string, object>(n, optimizer.Setting(n))).ToArray());

    /// <summary>A new optimizer with these settings and step count, its state arrays zero (the caller fills them).</summary>
    public Optimizer<T> Create<T>(ParameterSet<T> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Optimizer<T> o = Optimizer<T>.Create(Kind, shape);
        foreach (var (name, value) in Settings) o.SetSetting(name, value);
        o.StepCount = StepCount;
        return o;
    }
}

/// <summary>Everything a model file says besides the tensors, read from its metadata and checked.</summary>
internal sealed record ModelDescription(
    int InputSize,
    int HiddenSize,
    int ClassCount,
    string[] ClassNames,
    string[] FeatureNames,
    OptimizerSettings? Optimizer,
    Preprocessor? Preprocessing,
    TrainingState Training,
    string DataSha256,
    string? LabelName = null,
    ImageShape? ImageShape = null);

/// <summary>
/// The <c>__metadata__</c> of an MlpTools model file: every value a string, structured values JSON-encoded inside it.
/// </summary>
/// <remarks>
/// <code>
///   mlptools.format            "1"
///   mlptools.input_size        D, decimal          mlptools.hidden_size  H      mlptools.class_count  C
///   mlptools.class_names       JSON array of C strings
///   mlptools.feature_names     JSON array of D strings
///   mlptools.optimizer         (when trained) JSON object: name ("sgd", "adam", "rmsprop"), its settings
///                              (sgd: momentum, nesterov; adam: beta1, beta2, epsilon; rmsprop: rho, epsilon), step_count.
///                              Its state arrays are the tensors optimizer.SLOT.W1 ... (SLOT: velocity; m, v; meanSquare)
///   mlptools.label_name        (optional) what the labels were called in the data
///   mlptools.image_shape       (optional) JSON array [rows, columns]: the image each input is (rows x columns = D)
///   mlptools.preprocessing     (optional) JSON object: kind ("standardize", "minmax"), offsets and scales (D numbers each)
///   mlptools.history           JSON array, one object per epoch: epoch, loss, accuracy, validation_loss and
///                              validation_accuracy (null when not measured), learning_rate, gradient_norm_w1,
///                              gradient_norm_w2, seconds, and (optional: absent or null when not recorded) diagnostics,
///                              a flat JSON object of numbers: for each P of w1, b1, w2, b2 weight_norm_P,
///                              gradient_norm_P, update_norm_P and update_ratio_P; then dead_unit_share and
///                              zero_activation_share (see TrainingDiagnostics). Flat, so a history stays three levels
///                              deep and readers that know no diagnostics (they ignore the key) still read it
///   mlptools.best_epoch        (optional) decimal
///   mlptools.stop_reason       free text
///   mlptools.sha256            SHA-256 of the data buffer (all tensor bytes), lowercase hex
///   mlptools.metadata_sha256   SHA-256 over every other metadata entry, lowercase hex: for each, in the byte order of the
///                              UTF-8 keys, the UTF-8 key and value, each preceded by its byte length as 8 bytes little-endian
/// </code>
/// A number that is not finite is written as the string "NaN", "Infinity" or "-Infinity". Keys this version does not
/// know are ignored, so other tools may add their own.
/// </remarks>
internal static class ModelMetadata
{
    public const string FormatVersion = "1";
    public const string Format = "mlptools.format";
    public const string InputSize = "mlptools.input_size";
    public const string HiddenSize = "mlptools.hidden_size";
    public const string ClassCount = "mlptools.class_count";
    public const string ClassNames = "mlptools.class_names";
    public const string FeatureNames = "mlptools.feature_names";
    public const string Optimizer = "mlptools.optimizer";
    public const string Preprocessing = "mlptools.preprocessing";
    public const string History = "mlptools.history";
    public const string BestEpoch = "mlptools.best_epoch";
    public const string StopReason = "mlptools.stop_reason";
    public const string LabelName = "mlptools.label_name";
    public const string ImageShape = "mlptools.image_shape";
    public const string DataSha256 = "mlptools.sha256";
    public const string MetadataSha256 = "mlptools.metadata_sha256";

    /// <summary>An array of objects of numbers is two levels deep; anything deeper is refused.</summary>
    private const int MaxValueDepth = 3;

    /// <summary>The metadata for a network, in the order it is written, ending with its checksum.</summary>
    public static List<KeyValuePair<string, string>> Build(Mlp network, TrainingState training, OptimizerSettings? optimizer, string dataSha256)
    {
        var m = new List<KeyValuePair<string, string>>
        {
            new(Format, FormatVersion),
            new(InputSize, Int(network.InputSize)),
            new(HiddenSize, Int(network.HiddenSize)),
            new(ClassCount, Int(network.ClassCount)),
            new(ClassNames, Json(w => WriteStrings(w, network.ClassNames))),
            new(FeatureNames, Json(w => WriteStrings(w, network.FeatureNames))),
        };
        if (network.LabelName is { } labelName) m.Add(new(LabelName, labelName));
        if (network.ImageShape is { } shape) m.Add(new(ImageShape, Json(w => WriteInts(w, shape.Rows, shape.Columns))));
        if (optimizer is not null) m.Add(new(Optimizer, Json(w => WriteOptimizer(w, optimizer))));
        if (network.Preprocessor is { } preprocessing) m.Add(new(Preprocessing, Json(w => WritePreprocessing(w, preprocessing))));
        m.Add(new(History, Json(w => WriteHistory(w, training.History))));
        if (training.BestEpoch is { } best) m.Add(new(BestEpoch, Int(best)));
        m.Add(new(StopReason, training.StopReason));
        m.Add(new(DataSha256, dataSha256));
        m.Add(new(MetadataSha256, Checksum(m)));
        return m;
    }

    /// <summary>
    /// Reads and checks the metadata of the model file <paramref name="path"/>: its version first, then its checksum,
    /// then every value.
    /// </summary>
    public static ModelDescription Parse(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(Format, out string? version))
            throw Invalid(path, Invariant.Format($"has no '{Format}' metadata: it is a safetensors file, but not an MlpTools model"));
        if (version != FormatVersion)
            throw new MlpException("ModelVersionUnsupported", MlpErrorKind.InvalidData,
                Invariant.Format($"The model file '{path}' is in MlpTools format version '{version}', but this version of MlpTools reads version {FormatVersion}. Update MlpTools to load it."), version);
        string expected = Required(metadata, MetadataSha256, path);
        string actual = Checksum(metadata.Where(p => p.Key != MetadataSha256));
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
            throw ModelFile.ChecksumMismatch(path, Invariant.Format($"its metadata has the SHA-256 {actual}, but the file records {expected}"));

        int d = Size(metadata, InputSize, path), h = Size(metadata, HiddenSize, path), c = Size(metadata, ClassCount, path);
        long parameters = (long)d * h + h + (long)h * c + c;
        if (parameters > Mlp.MaxParameterCount)
            throw new MlpException("ModelTooLarge", MlpErrorKind.InvalidData,
                Invariant.Format($"The model file '{path}' describes a {d}-{h}-{c} network of {parameters:N0} parameters, more than the {Mlp.MaxParameterCount:N0} MlpTools allows."), parameters);

        string[] classNames = Value(metadata, ClassNames, path, e => ReadStrings(e, c));
        string[] featureNames = Value(metadata, FeatureNames, path, e => ReadStrings(e, d));
        OptimizerSettings? optimizer = metadata.ContainsKey(Optimizer) ? Value(metadata, Optimizer, path, ReadOptimizer) : null;
        Preprocessor? preprocessing = metadata.ContainsKey(Preprocessing) ? Value(metadata, Preprocessing, path, e => ReadPreprocessing(e, d)) : null;
        List<EpochRecord> history = Value(metadata, History, path, ReadHistory);
        int? bestEpoch = null;
        if (metadata.TryGetValue(BestEpoch, out string? best))
            bestEpoch = int.TryParse(best, NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b > 0
                ? b : throw Invalid(path, Invariant.Format($"has '{BestEpoch}' = '{best}', not a positive whole number"));
        string stopReason = Required(metadata, StopReason, path);
        string sha = Required(metadata, DataSha256, path);
        if (sha.Length != 64 || !sha.All(ch => ch is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
            throw Invalid(path, Invariant.Format($"has '{DataSha256}' = '{sha}', not 64 lowercase hexadecimal digits"));
        // Optional: files written before networks knew their label's name have none.
        string? labelName = metadata.TryGetValue(LabelName, out string? label) && label.Trim().Length > 0 ? label : null;
        // Optional: files written before networks knew the image their inputs are have none.
        Data.ImageShape? imageShape = metadata.ContainsKey(ImageShape) ? Value(metadata, ImageShape, path, e => ReadImageShape(e, d)) : null;
        // The optimizer's state arrays are read with the weights; the state is completed then.
        var training = new TrainingState(history, bestEpoch, stopReason, optimizer: null);
        return new ModelDescription(d, h, c, classNames, featureNames, optimizer, preprocessing, training, sha, labelName, imageShape);
    }

    /// <summary>Byte order of UTF-8 text, which is Unicode code point order (as Python's sorted() orders str).</summary>
    private static readonly Comparer<byte[]> Utf8Order = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    /// <summary>The checksum of metadata entries: SHA-256 over (length, key, length, value), keys in UTF-8 byte order.</summary>
    public static string Checksum(IEnumerable<KeyValuePair<string, string>> entries)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        var items = entries.Where(p => p.Key != MetadataSha256)
            .Select(p => (Key: Encoding.UTF8.GetBytes(p.Key), Value: Encoding.UTF8.GetBytes(p.Value)))
            .OrderBy(p => p.Key, Utf8Order);
        foreach (var (key, value) in items)
        {
            foreach (byte[] bytes in new[] { key, value })
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
                sha.AppendData(length);
                sha.AppendData(bytes);
            }
        }
        return Hex(sha.GetHashAndReset());
    }

    /// <summary>Lowercase hexadecimal.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes)
    {
        const string digits = "0123456789abcdef";
        var chars = new char[bytes.Length * 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = digits[bytes[i] >> 4];
            chars[2 * i + 1] = digits[bytes[i] & 0xF];
        }
        return new string(chars);
    }

    // ---- writing ----

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Strings as a JSON array, as the metadata holds names (the ONNX export writes its names the same way).</summary>
    internal static string JsonStrings(IEnumerable<string> values) => Json(w => WriteStrings(w, values));

    /// <summary>Whole numbers as a JSON array, as the metadata holds an image shape.</summary>
    internal static string JsonInts(params int[] values) => Json(w => WriteInts(w, values));

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteStrings(Utf8JsonWriter w, IEnumerable<string> values)
    {
        w.WriteStartArray();
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void WriteInts(Utf8JsonWriter w, params int[] values)
    {
        w.WriteStartArray();
        foreach (int v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>A double, bit for bit: finite ones as JSON numbers (shortest round-trip form), others as strings.</summary>
    private static void WriteDouble(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    private static void WriteDoubleValue(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value)) w.WriteNumberValue(value);
        else w.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    private static void WriteOptimizer(Utf8JsonWriter w, OptimizerSettings o)
    {
        w.WriteStartObject();
        w.WriteString("name", o.Name);
        foreach (var (name, value) in o.Settings)
        {
            if (value is bool b) w.WriteBoolean(OptimizerSettings.KeyOf(name), b);
            else WriteDouble(w, OptimizerSettings.KeyOf(name), (double)value);
        }
        w.WriteNumber("step_count", o.StepCount);
        w.WriteEndObject();
    }

    private static void WritePreprocessing(Utf8JsonWriter w, Preprocessor p)
    {
        w.WriteStartObject();
        w.WriteString("kind", p.Kind.ToString().ToLowerInvariant());
        w.WriteStartArray("offsets");
        foreach (double v in p.Offsets) WriteDoubleValue(w, v);
        w.WriteEndArray();
        w.WriteStartArray("scales");
        foreach (double v in p.Scales) WriteDoubleValue(w, v);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteHistory(Utf8JsonWriter w, IEnumerable<EpochRecord> history)
    {
        w.WriteStartArray();
        foreach (EpochRecord r in history)
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", r.Epoch);
            WriteDouble(w, "loss", r.Loss);
            WriteDouble(w, "accuracy", r.Accuracy);
            if (r.ValidationLoss is { } vl) WriteDouble(w, "validation_loss", vl);
            else w.WriteNull("validation_loss");
            if (r.ValidationAccuracy is { } va) WriteDouble(w, "validation_accuracy", va);
            else w.WriteNull("validation_accuracy");
            WriteDouble(w, "learning_rate", r.LearningRate);
            WriteDouble(w, "gradient_norm_w1", r.GradientNormW1);
            WriteDouble(w, "gradient_norm_w2", r.GradientNormW2);
            WriteDouble(w, "seconds", r.Seconds);
            if (r.Diagnostics is { } d) WriteDiagnostics(w, d);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The keys of one parameter's diagnostics in a history's "diagnostics" object ("weight_norm_w1", ...).</summary>
    private static (string Weight, string Gradient, string Update, string Ratio) DiagnosticKeys(string parameter)
    {
        string p = parameter.ToLowerInvariant();
        return ("weight_norm_" + p, "gradient_norm_" + p, "update_norm_" + p, "update_ratio_" + p);
    }

    private static void WriteDiagnostics(Utf8JsonWriter w, TrainingDiagnostics d)
    {
        w.WriteStartObject("diagnostics");
        ParameterDiagnostics[] parameters = { d.W1, d.b1, d.W2, d.b2 };
        for (int k = 0; k < 4; k++)
        {
            ParameterDiagnostics p = parameters[k];
            var (weight, gradient, update, ratio) = DiagnosticKeys(ParameterSet<float>.Names[k]);
            WriteDouble(w, weight, p.WeightNorm);
            WriteDouble(w, gradient, p.GradientNorm);
            WriteDouble(w, update, p.UpdateNorm);
            WriteDouble(w, ratio, p.UpdateRatio);
        }
        WriteDouble(w, "dead_unit_share", d.DeadUnitShare);
        WriteDouble(w, "zero_activation_share", d.ZeroActivationShare);
        w.WriteEndObject();
    }

    // ---- reading ----

    /// <summary>Thrown inside a value's reader; <see cref="Value"/> turns it into a message naming the key.</summary>
    private sealed class BadValueException(string message) : Exception(message);

    private static T Value<T>(IReadOnlyDictionary<string, string> metadata, string key, string path, Func<JsonElement, T> read)
    {
        string text = Required(metadata, key, path);
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MaxValueDepth });
            return read(doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadValueException)
        {
            throw Invalid(path, Invariant.Format($"has a '{key}' value that is not what MlpTools wrote: {ex.Message}"));
        }
    }

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out string? value) ? value : throw Invalid(path, Invariant.Format($"has no '{key}' metadata"));

    private static int Size(IReadOnlyDictionary<string, string> metadata, string key, string path)
    {
        string text = Required(metadata, key, path);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw Invalid(path, Invariant.Format($"has '{key}' = '{text}', not a whole number from 1 to {int.MaxValue}"));
    }

    private static string[] ReadStrings(JsonElement e, int count)
    {
        Expect(e, JsonValueKind.Array, "a list of names");
        if (e.GetArrayLength() != count) throw Bad(Invariant.Format($"it has {e.GetArrayLength()} names, not {count}"));
        return e.EnumerateArray().Select(v => { Expect(v, JsonValueKind.String, "a name"); return v.GetString()!; }).ToArray();
    }

    private static Data.ImageShape ReadImageShape(JsonElement e, int featureCount)
    {
        Expect(e, JsonValueKind.Array, "a list of two sizes");
        if (e.GetArrayLength() != 2) throw Bad(Invariant.Format($"it has {e.GetArrayLength()} sizes, not 2 (rows, columns)"));
        int[] sizes = e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n > 0
            ? n : throw Bad(Invariant.Format($"{v.GetRawText()} is not a whole number from 1 to {int.MaxValue}"))).ToArray();
        var shape = new Data.ImageShape(sizes[0], sizes[1]);
        if (shape.PixelCount != featureCount)
            throw Bad(Invariant.Format($"an image of {shape} has {shape.PixelCount} pixels, but the network has {featureCount} inputs"));
        return shape;
    }

    private static OptimizerSettings ReadOptimizer(JsonElement e)
    {
        Expect(e, JsonValueKind.Object, "an object");
        var fields = Fields(e);
        string name = String(fields, "name");
        long steps = fields.TryGetValue("step_count", out JsonElement s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out long n) && n >= 0
            ? n : throw Bad("step_count is not a whole number >= 0");
        var kinds = Training.Optimizer.Rules.Keys;
        if (!kinds.Any(k => OptimizerSettings.NameOf(k) == name))
            throw Bad(Invariant.Format($"the optimizer '{name}' is not one this version of MlpTools knows ({string.Join(", ", kinds.Select(OptimizerSettings.NameOf))})"));
        OptimizerKind kind = kinds.First(k => OptimizerSettings.NameOf(k) == name);
        var settings = new List<KeyValuePair<string, object>>();
        foreach (string setting in Training.Optimizer.Rules[kind].Settings)
        {
            // Each value as the training setting of that name accepts it.
            TrainingSetting rule = TrainingOptions.FindSetting(setting)!;
            string key = OptimizerSettings.KeyOf(setting);
            object value = rule.Type == typeof(bool) ? Boolean(fields, key) : Number(fields, key);
            if (!rule.IsValid(value)) throw Bad(Invariant.Format($"'{key}' is {value}, not {rule.Accepts}"));
            settings.Add(new(setting, value));
        }
        return new OptimizerSettings(kind, steps, settings);
    }

    private static Preprocessor ReadPreprocessing(JsonElement e, int featureCount)
    {
        Expect(e, JsonValueKind.Object, "an object");
        var fields = Fields(e);
        ScalingKind kind = String(fields, "kind") switch
        {
            "standardize" => ScalingKind.Standardize,
            "minmax" => ScalingKind.MinMax,
            string other => throw Bad(Invariant.Format($"the scaling kind '{other}' is not standardize or minmax")),
        };
        double[] offsets = Numbers(fields, "offsets", featureCount), scales = Numbers(fields, "scales", featureCount);
        try
        {
            return new Preprocessor(kind, offsets, scales);
        }
        catch (MlpException ex)
        {
            throw Bad(ex.Message);
        }
    }

    private static List<EpochRecord> ReadHistory(JsonElement e)
    {
        Expect(e, JsonValueKind.Array, "a list of epochs");
        var history = new List<EpochRecord>(e.GetArrayLength());
        foreach (JsonElement item in e.EnumerateArray())
        {
            Expect(item, JsonValueKind.Object, "an epoch object");
            var f = Fields(item);
            int epoch = f.TryGetValue("epoch", out JsonElement ep) && ep.ValueKind == JsonValueKind.Number && ep.TryGetInt32(out int k)
                ? k : throw Bad(Invariant.Format($"epoch {history.Count + 1} has no whole-number 'epoch'"));
            history.Add(new EpochRecord(epoch, Number(f, "loss"), Number(f, "accuracy"),
                OptionalNumber(f, "validation_loss"), OptionalNumber(f, "validation_accuracy"), Number(f, "learning_rate"),
                Number(f, "gradient_norm_w1"), Number(f, "gradient_norm_w2"), Number(f, "seconds"))
            {
                // Optional: files written before epochs recorded diagnostics have none.
                Diagnostics = f.TryGetValue("diagnostics", out JsonElement d) && d.ValueKind != JsonValueKind.Null ? ReadDiagnostics(d, epoch) : null,
            });
        }
        return history;
    }

    private static TrainingDiagnostics ReadDiagnostics(JsonElement e, int epoch)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw Bad(Invariant.Format($"epoch {epoch} has 'diagnostics' {e.ValueKind}, not an object of numbers"));
        var parameters = new ParameterDiagnostics[4];
        try
        {
            var f = Fields(e);
            // Norms and ratios are >= 0 and shares in [0, 1]; NaN stands for "not measured" (no step, a zero weight).
            double Norm(string key)
            {
                double v = Number(f, key);
                return double.IsNaN(v) || v >= 0 ? v : throw Bad(Invariant.Format($"'{key}' is {v}, not a number >= 0"));
            }
            double Share(string key)
            {
                double v = Number(f, key);
                return double.IsNaN(v) || (v >= 0 && v <= 1) ? v : throw Bad(Invariant.Format($"'{key}' is {v}, not a share from 0 to 1"));
            }
            for (int k = 0; k < 4; k++)
            {
                var (weight, gradient, update, ratio) = DiagnosticKeys(ParameterSet<float>.Names[k]);
                parameters[k] = new ParameterDiagnostics(Norm(weight), Norm(gradient), Norm(update), Norm(ratio));
            }
            return new TrainingDiagnostics(parameters[0], parameters[1], parameters[2], parameters[3],
                Share("dead_unit_share"), Share("zero_activation_share"));
        }
        catch (BadValueException ex)
        {
            throw Bad(Invariant.Format($"epoch {epoch}'s diagnostics: {ex.Message}"));
        }
    }

    private static Dictionary<string, JsonElement> Fields(JsonElement e)
    {
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonProperty p in e.EnumerateObject())
            if (!fields.TryAdd(p.Name, p.Value)) throw Bad(Invariant.Format($"the key '{p.Name}' appears twice"));
        return fields;
    }

    private static string String(Dictionary<string, JsonElement> f, string key) =>
        f.TryGetValue(key, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Bad(Invariant.Format($"'{key}' is missing or not a string"));

    private static bool Boolean(Dictionary<string, JsonElement> f, string key) =>
        f.TryGetValue(key, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : throw Bad(Invariant.Format($"'{key}' is missing or not true/false"));

    private static double Number(Dictionary<string, JsonElement> f, string key) =>
        f.TryGetValue(key, out JsonElement v) ? ToDouble(v, key) : throw Bad(Invariant.Format($"'{key}' is missing"));

    private static double? OptionalNumber(Dictionary<string, JsonElement> f, string key) =>
        !f.TryGetValue(key, out JsonElement v) ? throw Bad(Invariant.Format($"'{key}' is missing"))
        : v.ValueKind == JsonValueKind.Null ? null : ToDouble(v, key);

    private static double[] Numbers(Dictionary<string, JsonElement> f, string key, int count)
    {
        if (!f.TryGetValue(key, out JsonElement v) || v.ValueKind != JsonValueKind.Array) throw Bad(Invariant.Format($"'{key}' is missing or not a list"));
        if (v.GetArrayLength() != count) throw Bad(Invariant.Format($"'{key}' has {v.GetArrayLength()} numbers, not {count}"));
        return v.EnumerateArray().Select(x => ToDouble(x, key)).ToArray();
    }

    private static double ToDouble(JsonElement v, string key)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double x)) return x;
        if (v.ValueKind == JsonValueKind.String)
        {
            switch (v.GetString())
            {
                case "NaN": return double.NaN;
                case "Infinity": return double.PositiveInfinity;
                case "-Infinity": return double.NegativeInfinity;
            }
        }
        throw Bad(Invariant.Format($"'{key}' is {v.GetRawText()}, not a number"));
    }

    private static void Expect(JsonElement e, JsonValueKind kind, string what)
    {
        if (e.ValueKind != kind) throw Bad(Invariant.Format($"found a JSON {e.ValueKind} where {what} belongs"));
    }

    private static BadValueException Bad(string message) => new(message);

    private static MlpException Invalid(string path, string what) =>
        MlpException.InvalidData("ModelMetadataInvalid",
            $"The model file '{path}' {what}. It is damaged or was not written by MlpTools; export the model again.", path);

}
