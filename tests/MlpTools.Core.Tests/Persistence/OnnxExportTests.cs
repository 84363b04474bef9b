using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;
using Onnx;
using Xunit.Abstractions;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>
/// The ONNX export, checked by the real runtime: ONNX Runtime loads each exported file and its probabilities are held to
/// what the network itself predicts (Mlp.Predict, which Invoke-MlpPrediction reports), row by row, for batches of one
/// and of many rows through the one symbolic batch dimension.
/// </summary>
public class OnnxExportTests
{
    /// <summary>How far ONNX Runtime's probabilities may be from the network's: float32 graphs, and float64 ones.</summary>
    private const double SingleTolerance = 1e-6, DoubleTolerance = 1e-12;

    private readonly ITestOutputHelper _output;

    public OnnxExportTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string, Precision> Networks => new()
    {
        { "Digits", Precision.Single },
        { "Digits", Precision.Double },
        { "Spiral", Precision.Single },
        { "Spiral", Precision.Double },
        { "Csv-Standardize", Precision.Single },
        { "Csv-Standardize", Precision.Double },
        { "Csv-MinMax", Precision.Single },
        { "Csv-MinMax", Precision.Double },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Onnx_Runtime_gives_the_probabilities_the_network_predicts(string name, Precision precision)
    {
        (Mlp net, Dataset data) = Trained(name, precision);
        byte[] onnx = OnnxExport.ToBytes(net);
        var (expected, predicted) = net.Predict(data);

        using var session = new InferenceSession(onnx);
        double tolerance = precision == Precision.Double ? DoubleTolerance : SingleTolerance;
        // The whole dataset in one batch, a batch of one (the first row) and an odd-sized batch from the middle.
        int n = data.Count;
        foreach ((int start, int count) in new[] { (0, n), (0, 1), (n / 2, 7) })
        {
            var (probabilities, labels) = precision == Precision.Double
                ? Run<double>(session, data, start, count)
                : Run<float>(session, data, start, count);
            double worst = 0;
            for (int r = 0; r < count; r++)
            {
                for (int k = 0; k < net.ClassCount; k++)
                    worst = Math.Max(worst, Math.Abs(probabilities[r, k] - expected[start + r, k]));
                Assert.Equal(FirstLargest(probabilities, r), labels[r]);
                if (Margin(expected, start + r) > 10 * tolerance) Assert.Equal(predicted[start + r], labels[r]);
            }
            _output.WriteLine(Invariant.Format($"{name} {precision} ({net}, {(net.Preprocessor?.Kind.ToString() ?? "no scaling")}): rows {start}..{start + count - 1}: largest difference {worst:E3}"));
            Assert.True(worst <= tolerance, Invariant.Format($"{name} {precision}: ONNX Runtime's probabilities differ from the network's by up to {worst:E3} over rows {start}..{start + count - 1}, more than {tolerance:E0}."));
        }
    }

    [Fact]
    public void A_Double_network_exported_in_Single_precision_agrees_to_float32_rounding()
    {
        (Mlp net, Dataset data) = Trained("Csv-Standardize", Precision.Double);
        byte[] onnx = OnnxExport.ToBytes(net, Precision.Single);
        Assert.Equal((int)TensorProto.Types.DataType.Float, ModelProto.Parser.ParseFrom(onnx).Graph.Input[0].Type.TensorType.ElemType);
        using var session = new InferenceSession(onnx);
        var (probabilities, _) = Run<float>(session, data, 0, data.Count);
        var (expected, _) = net.Predict(data);
        double worst = 0;
        for (int r = 0; r < data.Count; r++)
            for (int k = 0; k < net.ClassCount; k++) worst = Math.Max(worst, Math.Abs(probabilities[r, k] - expected[r, k]));
        _output.WriteLine(Invariant.Format($"Double network as float32: largest difference {worst:E3}"));
        Assert.True(worst <= 1e-5, Invariant.Format($"largest difference {worst:E3}"));
    }

    [Fact]
    public void The_file_names_its_input_outputs_and_classes_for_a_consumer()
    {
        (Mlp net, _) = Trained("Csv-MinMax", Precision.Single);
        net.LabelName = "kind";
        using var folder = new TempFolder();
        string path = folder.File("model.onnx");
        OnnxExport.Save(net, path, overwrite: false);

        using var session = new InferenceSession(path);
        Assert.Equal(new[] { "input" }, session.InputNames);
        Assert.Equal(new[] { "probabilities", "label" }, session.OutputNames);
        NodeMetadata input = session.InputMetadata["input"];
        Assert.Equal(new[] { -1, net.InputSize }, input.Dimensions);
        Assert.Equal("N", input.SymbolicDimensions[0]);
        Assert.Equal(typeof(float), input.ElementType);
        Assert.Equal(new[] { -1, net.ClassCount }, session.OutputMetadata["probabilities"].Dimensions);
        Assert.Equal(typeof(long), session.OutputMetadata["label"].ElementType);

        var metadata = session.ModelMetadata;
        Assert.Equal("MlpTools", metadata.ProducerName);
        Assert.Contains("affine, ReLU, affine, softmax", metadata.Description, StringComparison.Ordinal);
        Assert.Equal(net.ClassNames, JsonSerializer.Deserialize<string[]>(metadata.CustomMetadataMap["mlptools.class_names"]));
        Assert.Equal(net.FeatureNames, JsonSerializer.Deserialize<string[]>(metadata.CustomMetadataMap["mlptools.feature_names"]));
        Assert.Equal("kind", metadata.CustomMetadataMap["mlptools.label_name"]);
    }

    [Fact]
    public void The_graph_is_opset_13_with_the_scaling_only_when_the_network_has_it()
    {
        (Mlp scaled, _) = Trained("Csv-MinMax", Precision.Single);
        ModelProto model = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(scaled));
        Assert.Equal(7, model.IrVersion);
        Assert.Equal(13, Assert.Single(model.OpsetImport).Version);
        Assert.Equal(new[] { "Sub", "Div", "Gemm", "Relu", "Gemm", "Softmax", "ArgMax", "Squeeze" }, model.Graph.Node.Select(n => n.OpType));
        Assert.Equal(new[] { "offsets", "scales", "W1", "b1", "W2", "b2", "class_axis" }, model.Graph.Initializer.Select(t => t.Name));
        // W1 is stored as the network holds it, W1^T [H, D], and Gemm multiplies by its transpose.
        Assert.Equal(new long[] { scaled.HiddenSize, scaled.InputSize }, model.Graph.Initializer.Single(t => t.Name == "W1").Dims);
        Assert.Equal(1, model.Graph.Node[2].Attribute.Single(a => a.Name == "transB").I);

        Mlp plain = Mlp.Create(3, 4, 2, seed: 1);
        model = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(plain));
        Assert.Equal(new[] { "Gemm", "Relu", "Gemm", "Softmax", "ArgMax", "Squeeze" }, model.Graph.Node.Select(n => n.OpType));
        Assert.Equal("input", model.Graph.Node[0].Input[0]);
    }

    [Fact]
    public void A_network_with_NaN_weights_is_refused_and_nothing_is_written()
    {
        var net = (Mlp<float>)Mlp.Create(2, 3, 2, seed: 1);
        net.W2[1, 0] = float.NaN;
        using var folder = new TempFolder();
        string path = folder.File("nan.onnx");
        var ex = Assert.Throws<MlpException>(() => OnnxExport.Save(net, path, overwrite: false));
        Assert.Equal("ModelNonFiniteParameter", ex.ErrorId);
        Assert.Contains("W2", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Empty(folder.Names());
    }

    [Fact]
    public void A_Double_parameter_beyond_float_is_refused_in_Single_precision_only()
    {
        var net = (Mlp<double>)Mlp.Create(2, 3, 2, Precision.Double, seed: 1);
        net.b1[2] = 1e300;
        var ex = Assert.Throws<MlpException>(() => OnnxExport.ToBytes(net, Precision.Single));
        Assert.Equal("OnnxParameterOutOfRange", ex.ErrorId);
        Assert.Contains("b1 holds 1E+300", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(OnnxExport.ToBytes(net));
    }

    [Fact]
    public void A_network_past_protobufs_2_GiB_is_refused()
    {
        Mlp net = Mlp.Create(100, 50, 10, seed: 1);
        var ex = Assert.Throws<MlpException>(() => OnnxExport.Build(net, Precision.Single, "big.onnx", maxBytes: 4 * net.ParameterCount));
        Assert.Equal("OnnxTooLarge", ex.ErrorId);
        Assert.Contains("big.onnx", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(OnnxExport.Build(net, Precision.Single, "big.onnx", maxBytes: 4 * net.ParameterCount + (1 << 17)));
    }

    [Fact]
    public void The_file_rules_are_those_of_a_model_file()
    {
        Mlp net = Mlp.Create(2, 3, 2, seed: 1);
        using var folder = new TempFolder();
        string path = folder.File("model.onnx");
        OnnxExport.Save(net, path, overwrite: false);
        byte[] first = File.ReadAllBytes(path);

        Mlp other = Mlp.Create(2, 3, 2, seed: 2);
        var exists = Assert.Throws<MlpException>(() => OnnxExport.Save(other, path, overwrite: false));
        Assert.Equal(("OnnxFileExists", MlpErrorKind.AlreadyExists), (exists.ErrorId, exists.Kind));
        Assert.Equal(first, File.ReadAllBytes(path));
        OnnxExport.Save(other, path, overwrite: true);
        Assert.NotEqual(first, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.onnx" }, folder.Names());

        var missing = Assert.Throws<MlpException>(() => OnnxExport.Save(net, folder.File("no/such/model.onnx"), overwrite: false));
        Assert.Equal(("OnnxDirectoryNotFound", MlpErrorKind.NotFound), (missing.ErrorId, missing.Kind));
        var isFolder = Assert.Throws<MlpException>(() => OnnxExport.Save(net, folder.Path, overwrite: true));
        Assert.Equal(("OnnxPathIsDirectory", MlpErrorKind.InvalidArgument), (isFolder.ErrorId, isFolder.Kind));
        Assert.Contains(Path.Combine(folder.Path, "model.onnx"), isFolder.Message, StringComparison.Ordinal);
    }

    // ---- helpers ----

    /// <summary>A network trained a few epochs on the named data, and that data.</summary>
    internal static (Mlp Network, Dataset Data) Trained(string name, Precision precision)
    {
        Dataset data = name switch
        {
            "Digits" => BuiltInDatasets.Digits(),
            "Spiral" => BuiltInDatasets.Spiral(3, 100, seed: 1),
            _ => ScaledCsv(),
        };
        ScalingKind? scaling = name switch
        {
            "Csv-Standardize" => ScalingKind.Standardize,
            "Csv-MinMax" => ScalingKind.MinMax,
            _ => null,
        };
        Mlp net = Mlp.CreateFor(data, hiddenSize: name == "Digits" ? 32 : 16, precision, seed: 1);
        Trainer.Train(net, data, new TrainingOptions { Epochs = 5, Seed = 1, Scaling = scaling, LearningRate = 0.05 });
        return (net, data);
    }

    /// <summary>
    /// A CSV file's dataset whose features need scaling: an income in the tens of thousands, an age, a ratio in [0, 1],
    /// a negative reading and a constant column (whose scale is 1), with text labels.
    /// </summary>
    private static Dataset ScaledCsv()
    {
        var random = new Random(7);
        var csv = new StringBuilder("income,age,ratio,reading,constant,group\n");
        for (int i = 0; i < 240; i++)
        {
            double income = 20_000 + 80_000 * random.NextDouble(), age = 18 + 70 * random.NextDouble(), ratio = random.NextDouble();
            double reading = -500 - 100 * random.NextDouble();
            string group = income / 100_000 + ratio > 1.1 ? "high" : age > 50 ? "senior" : "other";
            csv.Append(CultureInfo.InvariantCulture, $"{income:F2},{age:F1},{ratio:F4},{reading:F3},7.5,{group}\n");
        }
        using var folder = new TempFolder();
        string path = folder.File("people.csv");
        File.WriteAllText(path, csv.ToString());
        return CsvDatasetReader.Read(path);
    }

    /// <summary>ONNX Runtime's probabilities (widened to double) and labels for rows start..start+count-1 of the data.</summary>
    private static (double[,] Probabilities, long[] Labels) Run<T>(InferenceSession session, Dataset data, int start, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = data.FeatureCount;
        var x = new T[count * d];
        data.GatherRows<T>(Enumerable.Range(start, count).ToArray(), x);
        using var input = OrtValue.CreateTensorValueFromMemory(x, new long[] { count, d });
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, new[] { "input" }, new[] { input }, session.OutputNames);
        Assert.Equal(new long[] { count, data.ClassCount }, outputs[0].GetTensorTypeAndShape().Shape);
        ReadOnlySpan<T> p = outputs[0].GetTensorDataAsSpan<T>();
        var probabilities = new double[count, data.ClassCount];
        for (int r = 0; r < count; r++)
            for (int k = 0; k < data.ClassCount; k++) probabilities[r, k] = double.CreateTruncating(p[r * data.ClassCount + k]);
        return (probabilities, outputs[1].GetTensorDataAsSpan<long>().ToArray());
    }

    private static int FirstLargest(double[,] p, int row)
    {
        int best = 0;
        for (int k = 1; k < p.GetLength(1); k++) if (p[row, k] > p[row, best]) best = k;
        return best;
    }

    /// <summary>How far a row's most probable class is ahead of the next.</summary>
    private static double Margin(double[,] p, int row)
    {
        var sorted = Enumerable.Range(0, p.GetLength(1)).Select(k => p[row, k]).OrderDescending().ToArray();
        return sorted.Length < 2 ? double.PositiveInfinity : sorted[0] - sorted[1];
    }
}
