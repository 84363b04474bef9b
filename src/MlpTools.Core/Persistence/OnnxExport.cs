using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using Onnx;

namespace MlpTools.Core.Persistence;

/// <summary>
/// Writes a network as an ONNX model, for ONNX Runtime and the other tools that run ONNX graphs: the forward pass that
/// <see cref="Mlp.Predict"/> computes, from raw features to class probabilities, with the class and feature names in
/// the model's metadata. Export only: the file holds no training state, and MlpTools does not read it back (a model file,
/// <see cref="ModelFile"/>, is the network's own format).
/// </summary>
/// <remarks>
/// <para>The graph, in ai.onnx opset <see cref="Opset"/>; N, the batch dimension, is symbolic (any number of rows):</para>
/// <code>
///   input           [N, D]   the features, unscaled: as a dataset or Invoke-MlpPrediction gives them
///   scaled        = (input - offsets) / scales     Sub, Div     only when the network has a Preprocessor
///   Hpre          = scaled W1 + b1                 Gemm         transB = 1: the initializer W1 is W1^T, [H, D]
///   A             = max(0, Hpre)                   Relu
///   Z             = A W2 + b2                      Gemm         transB = 1: the initializer W2 is W2^T, [C, H]
///   probabilities = softmax(Z)                     Softmax      axis 1: over the classes; output [N, C]
///   label         = argmax(probabilities)          ArgMax       axis 1, the first on ties; then Squeeze of that axis:
///                                                                output [N], int64
/// </code>
/// <para>
/// W1 and W2 are stored transposed because that is how the network holds them (MathNet's column-major storage read
/// row-major), and Gemm's transB multiplies by the transpose back; PyTorch's Linear layers export the same way. The
/// scaling is <see cref="Preprocessor"/>'s formula exactly, a subtraction then a division (not a multiplication by the
/// reciprocal, which rounds differently), with the offsets and scales in the element type.
/// </para>
/// <para>
/// The element type is the network's precision (float for Single, double for Double) unless another is asked for. The
/// model's <c>metadata_props</c> hold <c>mlptools.class_names</c> and <c>mlptools.feature_names</c> (JSON arrays of
/// strings, as in a model file: class k is the k-th name, the index <c>label</c> gives), and, when the network knows
/// them, <c>mlptools.label_name</c> (plain text) and <c>mlptools.image_shape</c> (JSON [rows, columns]).
/// </para>
/// <para>
/// A protobuf message holds at most 2 GiB, so one ONNX file does too (this writer stores the weights inside it, never as
/// external data); a larger network is refused with <c>OnnxTooLarge</c>. Writing goes through <see cref="AtomicFile"/>,
/// as a model file does: complete or not at all, and never over an existing file unless asked.
/// </para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ai.onnx operator set the graph uses: 13, the first whose Softmax normalizes along one axis alone.</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version written: 7, the one that came with opset 13.</summary>
    public const long IrVersion = (long)Onnx.Version.IrVersion202058;

    /// <summary>The name of the graph's input, [N, D].</summary>
    public const string InputName = "input";

    /// <summary>The name of the graph's output of class probabilities, [N, C].</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The name of the graph's output of predicted class indices, [N], int64.</summary>
    public const string LabelName = "label";

    /// <summary>The symbolic batch dimension of the input and outputs.</summary>
    public const string BatchDimension = "N";

    /// <summary>The most bytes an ONNX file written here may have: protobuf's limit for one message, 2 GiB - 1.</summary>
    internal const long MaxBytes = int.MaxValue;

    private static readonly FileErrors Errors = new("Onnx", "ONNX file");

    /// <summary>Writes <paramref name="network"/> as an ONNX model to <paramref name="path"/>, atomically.</summary>
    /// <param name="network">The network: its weights, names and preprocessing.</param>
    /// <param name="path">The file to write (a relative path is taken from the current directory); its folder must exist.</param>
    /// <param name="overwrite">Replace the file when it exists; when false, an existing file is an error (<c>OnnxFileExists</c>).</param>
    /// <param name="precision">The element type of the graph: float for Single, double for Double; null for the network's own precision.</param>
    /// <param name="cancellationToken">Checked before the file is published; when set, nothing is written.</param>
    /// <exception cref="MlpException">
    /// <c>OnnxFileExists</c>, <c>OnnxDirectoryNotFound</c>, <c>OnnxPathIsDirectory</c>, <c>OnnxWriteFailed</c> (an I/O error;
    /// nothing was changed), <c>ModelNonFiniteParameter</c>, <c>ModelTextInvalid</c>, <c>OnnxParameterOutOfRange</c>,
    /// <c>OnnxTooLarge</c>.
    /// </exception>
    public static void Save(Mlp network, string path, bool overwrite, Precision? precision = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        cancellationToken.ThrowIfCancellationRequested();
        string full = Errors.CheckTarget(path, overwrite, "model.onnx");
        ModelProto model = Build(network, precision ?? network.Precision, full);
        AtomicFile.Write(full, overwrite, Errors, model.WriteTo, cancellationToken);
    }

    /// <summary>The bytes of the ONNX model <see cref="Save"/> writes, in memory.</summary>
    /// <inheritdoc cref="Save"/>
    public static byte[] ToBytes(Mlp network, Precision? precision = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        return Build(network, precision ?? network.Precision, "the ONNX bytes").ToByteArray();
    }

    /// <summary>
    /// The ONNX model of <paramref name="network"/> with elements of <paramref name="precision"/>, after checking that
    /// it can be written (<paramref name="shown"/> names where to, in messages; at most <paramref name="maxBytes"/> bytes).
    /// </summary>
    internal static ModelProto Build(Mlp network, Precision precision, string shown, long maxBytes = MaxBytes)
    {
        ModelFile.CheckSavable(network, training: null, shown);
        CheckSize(network, precision, shown, maxBytes);
        return precision == Precision.Double
            ? Build(network, ParametersIn<double>(network, shown))
            : Build(network, ParametersIn<float>(network, shown));
    }

    private static ModelProto Build<T>(Mlp network, ParameterSet<T> p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = p.D, h = p.H, c = p.C;
        string type = typeof(T) == typeof(double) ? "double" : "float";
        var graph = new GraphProto
        {
            Name = "mlptools_mlp",
            DocString = Invariant.Format($"{network}: input [N, {d}] ({type}, the features unscaled, in the order of mlptools.feature_names) -> probabilities [N, {c}] (softmax over the classes of mlptools.class_names) and label [N] (the index of the most probable class)."),
        };
        graph.Input.Add(Value(InputName, ElementType<T>(), Invariant.Format($"N samples, one a row, of the {d} features the network takes, unscaled."), BatchDimension, d));
        graph.Output.Add(Value(ProbabilitiesName, ElementType<T>(), Invariant.Format($"The probability of each of the {c} classes, one row per sample (each row sums to 1)."), BatchDimension, c));
        graph.Output.Add(Value(LabelName, TensorProto.Types.DataType.Int64, "The index of each sample's most probable class (the first on ties); mlptools.class_names names it.", BatchDimension));

        string x = InputName;
        if (network.Preprocessor is { } scaling)
        {
            // scaled = (input - offsets) / scales, per feature: Preprocessor's formula, in the element type.
            graph.Initializer.Add(Tensor("offsets", scaling.Offsets.Select(v => T.CreateTruncating(v)).ToArray(),
                Invariant.Format($"{scaling.Kind} scaling: what is subtracted from each feature ({(scaling.Kind == ScalingKind.MinMax ? "its minimum" : "its mean")} in the training data)."), d));
            graph.Initializer.Add(Tensor("scales", scaling.Scales.Select(v => T.CreateTruncating(v)).ToArray(),
                Invariant.Format($"{scaling.Kind} scaling: what each feature is then divided by ({(scaling.Kind == ScalingKind.MinMax ? "its range" : "its standard deviation")} in the training data; 1 for a constant feature)."), d));
            graph.Node.Add(Node("Sub", "scale_center", "centered", x, "offsets"));
            graph.Node.Add(Node("Div", "scale_divide", "scaled", "centered", "scales"));
            x = "scaled";
        }

        graph.Initializer.Add(Tensor("W1", p.W1, Invariant.Format($"First-layer weights, stored as W1^T: [H, D] = [{h}, {d}], one row per hidden unit."), h, d));
        graph.Initializer.Add(Tensor("b1", p.b1, "First-layer biases, [H].", h));
        graph.Initializer.Add(Tensor("W2", p.W2, Invariant.Format($"Second-layer weights, stored as W2^T: [C, H] = [{c}, {h}], one row per class."), c, h));
        graph.Initializer.Add(Tensor("b2", p.b2, "Second-layer biases, [C].", c));

        // Hpre = X W1 + b1; A = max(0, Hpre); Z = A W2 + b2; P = softmax(Z), row by row; label = argmax of each row of P.
        graph.Node.Add(Node("Gemm", "layer1", "Hpre", x, "W1", "b1").With(Int("transB", 1)));
        graph.Node.Add(Node("Relu", "relu", "A", "Hpre"));
        graph.Node.Add(Node("Gemm", "layer2", "Z", "A", "W2", "b2").With(Int("transB", 1)));
        graph.Node.Add(Node("Softmax", "softmax", ProbabilitiesName, "Z").With(Int("axis", 1)));
        // ArgMax keeps the class axis ([N, 1]) and Squeeze drops it: keepdims = 0 would be an attribute of value 0, which
        // proto3 serialization leaves out of the file, so readers that ask whether it is set would find it missing.
        graph.Initializer.Add(Int64Tensor("class_axis", new long[] { 1 }, "The class axis, which Squeeze removes from ArgMax's [N, 1] result.", 1));
        graph.Node.Add(Node("ArgMax", "argmax", "label_column", ProbabilitiesName).With(Int("axis", 1)));
        graph.Node.Add(Node("Squeeze", "label_squeeze", LabelName, "label_column", "class_axis"));

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MlpTools",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "",
            Domain = "mlptools",
            ModelVersion = 1,
            DocString = Invariant.Format($"A two-layer classifier exported by MlpTools: {(network.Preprocessor is { } s ? s.Kind + " scaling, " : "")}affine, ReLU, affine, softmax. Class k of the outputs is the k-th name of mlptools.class_names."),
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        model.MetadataProps.Add(Metadata(ModelMetadata.ClassNames, ModelMetadata.JsonStrings(network.ClassNames)));
        model.MetadataProps.Add(Metadata(ModelMetadata.FeatureNames, ModelMetadata.JsonStrings(network.FeatureNames)));
        if (network.LabelName is { } labelName) model.MetadataProps.Add(Metadata(ModelMetadata.LabelName, labelName));
        if (network.ImageShape is { } shape) model.MetadataProps.Add(Metadata(ModelMetadata.ImageShape, ModelMetadata.JsonInts(shape.Rows, shape.Columns)));
        return model;
    }

    // ---- checks ----

    /// <summary>Refuses a network whose file would pass protobuf's 2 GiB limit: its parameters alone, plus room for names.</summary>
    private static void CheckSize(Mlp network, Precision precision, string shown, long maxBytes)
    {
        int size = precision == Precision.Double ? sizeof(double) : sizeof(float);
        long values = (long)network.ParameterCount + (network.Preprocessor is null ? 0 : 2L * network.InputSize);
        long names = network.ClassNames.Sum(n => (long)n.Length) + network.FeatureNames.Sum(n => (long)n.Length);
        // UTF-8 takes at most 3 bytes a UTF-16 unit; JSON escapes (\u0001) at most 6. 64 KiB covers the graph itself.
        long estimate = values * size + names * 6 + (1 << 16);
        if (estimate > maxBytes)
            throw MlpException.Argument("OnnxTooLarge",
                Invariant.Format($"{network} needs about {estimate:N0} bytes as an ONNX file of {precision} values, more than the {maxBytes:N0} one ONNX file (one protobuf message) holds; nothing was written to '{shown}'.") +
                (precision == Precision.Double ? " Export it in Single precision, or use fewer hidden units." : " Use fewer hidden units."), estimate);
    }

    /// <summary>The network's parameters as <typeparamref name="T"/>: its own when they are, else converted (and checked to fit).</summary>
    private static ParameterSet<T> ParametersIn<T>(Mlp network, string shown)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ParameterSet<T> p = network switch
        {
            Mlp<T> same => same.Parameters,
            Mlp<float> single => single.Parameters.Convert<T>(),
            Mlp<double> dbl => dbl.Parameters.Convert<T>(),
            _ => throw new ArgumentException($"Unsupported network type {network.GetType()}.", nameof(network)),
        };
        for (int k = 0; k < 4; k++)
        {
            int e = Array.FindIndex(p[k], v => !T.IsFinite(v));
            if (e < 0) continue;
            // Only narrowing makes a finite parameter (CheckSavable has seen every one) infinite.
            double value = ((Mlp<double>)network).Parameters[k][e];
            string name = ParameterSet<T>.Names[k];
            throw MlpException.Argument("OnnxParameterOutOfRange",
                Invariant.Format($"The network's {name} holds {value.ToString("R", CultureInfo.InvariantCulture)}, beyond what Single precision holds (at most {Mlp.LargestText(Precision.Single)} in magnitude); nothing was written to '{shown}'. Export it in Double precision."), value);
        }
        return p;
    }

    // ---- the protobuf messages ----

    private static TensorProto.Types.DataType ElementType<T>() =>
        typeof(T) == typeof(double) ? TensorProto.Types.DataType.Double : TensorProto.Types.DataType.Float;

    /// <summary>A tensor-typed graph input or output; a dimension is a whole number or, as a string, a symbolic one.</summary>
    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, string doc, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (int)dim });
        return new ValueInfoProto
        {
            Name = name,
            DocString = doc,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>An initializer: <paramref name="values"/> row-major in the shape <paramref name="dims"/>, as little-endian raw data.</summary>
    private static TensorProto Tensor<T>(string name, T[] values, string doc, params long[] dims)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var tensor = new TensorProto { Name = name, DataType = (int)ElementType<T>(), DocString = doc };
        tensor.Dims.Add(dims);
        int size = Unsafe.SizeOf<T>();
        var bytes = new byte[(long)values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            T v = values[i];
            if (typeof(T) == typeof(float)) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * size), Unsafe.As<T, float>(ref v));
            else BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * size), Unsafe.As<T, double>(ref v));
        }
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        return tensor;
    }

    /// <summary>An int64 initializer, as little-endian raw data.</summary>
    private static TensorProto Int64Tensor(string name, long[] values, string doc, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, DocString = doc };
        tensor.Dims.Add(dims);
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        return tensor;
    }

    /// <summary>An ai.onnx node computing <paramref name="output"/> from <paramref name="inputs"/>.</summary>
    private static NodeProto Node(string op, string name, string output, params string[] inputs)
    {
        var node = new NodeProto { OpType = op, Name = name, Domain = "" };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    private static NodeProto With(this NodeProto node, params AttributeProto[] attributes)
    {
        node.Attribute.Add(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static StringStringEntryProto Metadata(string key, string value) => new() { Key = key, Value = value };
}
