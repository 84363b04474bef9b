using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Training;

namespace MlpTools.Core.Model;

/// <summary>
/// A two-layer classifier: affine (W1, b1), ReLU, affine (W2, b2), softmax. The network alone: its sizes, parameters,
/// class and feature names, and preprocessing. What training produces (history, best epoch, stop reason, optimizer
/// state) is a <see cref="TrainingState"/>, returned by the trainer and saved beside the network in a model file. This
/// base type carries what does not depend on the precision; <see cref="Mlp{T}"/> holds the parameters.
/// </summary>
public abstract class Mlp
{
    private protected Mlp(int inputSize, int hiddenSize, int classCount, IReadOnlyList<string>? classNames, IReadOnlyList<string>? featureNames)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        ClassCount = classCount;
        ClassNames = classNames is not null && classNames.Count == classCount ? classNames.ToArray() : Data.ClassNames.Numbered(classCount);
        FeatureNames = featureNames is not null && featureNames.Count == inputSize ? featureNames.ToArray() : Dataset.DefaultFeatureNames(inputSize);
    }

    /// <summary>D: how many inputs (features) a sample has.</summary>
    public int InputSize { get; }

    /// <summary>H: how many hidden ReLU units.</summary>
    public int HiddenSize { get; }

    /// <summary>C: how many classes.</summary>
    public int ClassCount { get; }

    /// <summary>D*H + H + H*C + C.</summary>
    public int ParameterCount => InputSize * HiddenSize + HiddenSize + HiddenSize * ClassCount + ClassCount;

    /// <summary>The most parameters a network may have (D*H + H + H*C + C): 500,000,000, 2 GB of Single weights.</summary>
    public const long MaxParameterCount = 500_000_000;

    /// <summary>The names of the parameters, in the order the network, its gradients and its model file list them: W1, b1, W2, b2.</summary>
    public static IReadOnlyList<string> ParameterNames => ParameterSet<double>.Names;

    /// <summary>The precision the network computes in.</summary>
    public abstract Precision Precision { get; }

    /// <summary>The class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; internal set; }

    /// <summary>The feature names the network expects, in input order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>
    /// What the labels were called in the data the network was made from or trained on (a label column's header,
    /// ConvertTo-Dataset's -LabelProperty); null when nothing named them. Invoke-MlpPrediction finds the true class of
    /// objects by this name.
    /// </summary>
    public string? LabelName { get; internal set; }

    /// <summary>
    /// The image each input is, when the data the network was made from or trained on said so (<see cref="Dataset.ImageShape"/>):
    /// a picture of the first-layer weights shows each hidden unit as an image of this shape. Null when unknown. Saved
    /// with the model.
    /// </summary>
    public ImageShape? ImageShape
    {
        get => _imageShape;
        internal set
        {
            value?.Check(InputSize, Invariant.Format($"a network of {InputSize} inputs"));
            _imageShape = value;
        }
    }

    private ImageShape? _imageShape;

    /// <summary>
    /// The feature scaling fitted to the training data, when there is one. The network applies it to every sample it
    /// takes (training, testing, prediction, gradients), so raw data goes in and the same statistics always apply;
    /// it is saved with the model.
    /// </summary>
    public Preprocessor? Preprocessor
    {
        get => _preprocessor;
        set
        {
            if (value is not null && value.FeatureCount != InputSize)
                throw MlpException.Argument("PreprocessorFeatureMismatch",
                    $"The scaling was fitted to {value.FeatureCount} features, but the network takes {InputSize} inputs.", value);
            _preprocessor = value;
        }
    }

    private Preprocessor? _preprocessor;

    /// <summary>A new network with initial weights.</summary>
    /// <param name="inputSize">D, the number of features.</param>
    /// <param name="hiddenSize">H, the number of hidden units.</param>
    /// <param name="classCount">C, the number of classes.</param>
    /// <param name="precision">Single (default) or Double.</param>
    /// <param name="seed">Seed for the weights; null draws one at random.</param>
    /// <param name="weightScale">
    /// When given, every weight is drawn from N(0, weightScale^2) (the CS231n convention). When null, weights are
    /// drawn uniformly from +-sqrt(6 / (fan_in + fan_out)) (Glorot, as scikit-learn's MLPClassifier does).
    /// Biases start at zero either way.
    /// </param>
    /// <param name="classNames">Optional class names (C of them).</param>
    /// <param name="featureNames">Optional feature names (D of them).</param>
    public static Mlp Create(int inputSize, int hiddenSize, int classCount, Precision precision = Precision.Single,
        int? seed = null, double? weightScale = null, IReadOnlyList<string>? classNames = null, IReadOnlyList<string>? featureNames = null)
    {
        MlpException.RequirePositive(inputSize, "InputSize", "InvalidInputSize");
        MlpException.RequirePositive(hiddenSize, "HiddenSize", "InvalidHiddenSize");
        MlpException.RequirePositive(classCount, "ClassCount", "InvalidClassCount");
        if (weightScale is { } ws && (!double.IsFinite(ws) || ws < 0))
            throw MlpException.Argument("InvalidWeightScale", $"WeightScale must be a finite number >= 0, but it is {ws.ToString(CultureInfo.InvariantCulture)}.", ws);
        long count = (long)inputSize * hiddenSize + hiddenSize + (long)hiddenSize * classCount + classCount;
        if (count > MaxParameterCount)
            throw MlpException.Argument("NetworkTooLarge",
                Invariant.Format($"A {inputSize}-{hiddenSize}-{classCount} network has {count} parameters, more than the {MaxParameterCount:N0} MlpTools allows; use fewer hidden units."), count);

        // Draw in double, in a fixed order (W1 then W2, each in storage order), so a seed fixes the weights
        // for both precisions.
        var random = Rng.Create(seed);
        var init = new ParameterSet<double>(inputSize, hiddenSize, classCount);
        FillWeights(init.W1, inputSize, hiddenSize, weightScale, random);
        FillWeights(init.W2, hiddenSize, classCount, weightScale, random);
        return precision == Precision.Double
            ? new Mlp<double>(init, classNames, featureNames)
            : new Mlp<float>(init.Convert<float>(), classNames, featureNames);
    }

    /// <summary>
    /// A new network for <paramref name="data"/>: its sizes, class and feature names, label name and image shape come
    /// from the data (New-Mlp's way, and a sweep's).
    /// </summary>
    public static Mlp CreateFor(Dataset data, int hiddenSize, Precision precision = Precision.Single, int? seed = null, double? weightScale = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Mlp network = Create(data.FeatureCount, hiddenSize, data.ClassCount, precision, seed, weightScale, data.ClassNames, data.FeatureNames);
        network.LabelName = data.LabelName;
        network.ImageShape = data.ImageShape;
        return network;
    }

    private static void FillWeights(double[] w, int fanIn, int fanOut, double? scale, Random random)
    {
        if (scale is { } s)
        {
            for (int i = 0; i < w.Length; i++) w[i] = s * Normal.Sample(random, 0.0, 1.0);
        }
        else
        {
            double bound = Math.Sqrt(6.0 / (fanIn + fanOut));
            for (int i = 0; i < w.Length; i++) w[i] = (2.0 * random.NextDouble() - 1.0) * bound;
        }
    }

    /// <summary>A network holding exactly the given parameters (W1 is D x H: one row per input).</summary>
    public static Mlp FromParameters(Matrix<double> w1, MathNet.Numerics.LinearAlgebra.Vector<double> b1, Matrix<double> w2, MathNet.Numerics.LinearAlgebra.Vector<double> b2,
        Precision precision = Precision.Double, IReadOnlyList<string>? classNames = null, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(w1);
        ArgumentNullException.ThrowIfNull(b1);
        ArgumentNullException.ThrowIfNull(w2);
        ArgumentNullException.ThrowIfNull(b2);
        int d = w1.RowCount, h = w1.ColumnCount, c = w2.ColumnCount;
        string Shapes() => Invariant.Format($"W1 is {w1.RowCount}x{w1.ColumnCount}, b1 has {b1.Count}, W2 is {w2.RowCount}x{w2.ColumnCount}, b2 has {b2.Count}");
        if (d == 0 || h == 0 || c == 0)
            throw MlpException.Argument("InvalidParameterShape", $"Parameters must not be empty: {Shapes()}.");
        if (b1.Count != h || w2.RowCount != h || b2.Count != c)
            throw MlpException.Argument("ParameterShapeMismatch",
                $"The parameters do not fit together: {Shapes()}. W1 must be D x H, b1 H, W2 H x C and b2 C.");
        var p = new ParameterSet<double>(d, h, c);
        w1.ToColumnMajorArray().CopyTo(p.W1, 0);
        b1.CopyTo(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(p.b1));
        w2.ToColumnMajorArray().CopyTo(p.W2, 0);
        b2.CopyTo(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(p.b2));
        if (!p.AllFinite())
            throw MlpException.Argument("NonFiniteParameter", "A parameter holds NaN or infinity; every weight and bias must be a finite number.");
        if (precision == Precision.Double) return new Mlp<double>(p, classNames, featureNames);
        ParameterSet<float> single = p.Convert<float>();
        for (int k = 0; k < 4; k++)
        {
            int e = Array.FindIndex(single[k], v => !float.IsFinite(v));
            if (e < 0) continue;
            int rows = p.Shape(k).Rows;
            string entry = k % 2 == 0 ? Invariant.Format($"{ParameterSet<double>.Names[k]}[{e % rows},{e / rows}]")
                : Invariant.Format($"{ParameterSet<double>.Names[k]}[{e}]");
            throw MlpException.Argument("NonFiniteParameter", Invariant.Format($"{entry} is {p[k][e]:R}, beyond what a Single-precision network holds (at most {LargestText(Precision.Single)} in magnitude); use Double precision, or smaller parameters."), p[k][e]);
        }
        return new Mlp<float>(single, classNames, featureNames);
    }

    /// <summary>A copy of this network in double precision (weights, names and preprocessing).</summary>
    public abstract Mlp<double> ToDouble();

    /// <summary>A deep copy (weights, names and preprocessing).</summary>
    public abstract Mlp Clone();

    /// <summary>Accuracy, mean cross-entropy and confusion matrix over a dataset.</summary>
    public abstract Evaluation Evaluate(Dataset data);

    /// <summary>
    /// The class probabilities P = softmax(Z) of every sample (Count x C, one row per sample, in the network's
    /// precision widened exactly to double) and the most probable label of each. A sample's probabilities do not
    /// depend on which other samples share its batch, so they agree exactly with Evaluate and ComputeGradient's trace.
    /// </summary>
    public abstract (double[,] Probabilities, int[] Predicted) Predict(Dataset data);

    /// <summary>
    /// As <see cref="Predict"/>, each sample's probabilities an array of its own (what a Prediction object keeps), so
    /// that a caller making one object per sample copies nothing.
    /// </summary>
    internal abstract (double[][] Probabilities, int[] Predicted) PredictRows(Dataset data);

    /// <summary>Loss and gradients over every sample of <paramref name="data"/> (one batch), optionally with every intermediate.</summary>
    /// <param name="data">The batch.</param>
    /// <param name="regularization">lambda.</param>
    /// <param name="trace">Include every intermediate of the forward and backward passes.</param>
    /// <param name="classWeights">Optional per-class weights in the loss (length C).</param>
    public abstract GradientReport ComputeGradient(Dataset data, double regularization, bool trace, IReadOnlyList<double>? classWeights = null);

    /// <summary>
    /// Throws a clear error when the dataset does not fit this network: its feature count, its labels, and every value as
    /// the network would take it (in the network's precision, after its scaling).
    /// </summary>
    public void EnsureCompatible(Dataset data) => Accept(data);

    /// <summary>
    /// The dataset as this network sees it: checked to fit (feature count, labels within the classes unless
    /// <paramref name="checkLabels"/> is off, and every value finite as the network takes it unless
    /// <paramref name="checkValues"/> is off; see <see cref="CheckValues"/>), with its labels numbered as the network numbers its classes.
    /// </summary>
    /// <remarks>
    /// When both the dataset and the network name their classes (other than the plain "0", "1", ... that numeric labels
    /// get), classes are matched by name, so a test file holding only some of the classes, in another order, is
    /// scored right. Otherwise labels are taken as class numbers.
    /// </remarks>
    /// <remarks>
    /// This is where data meets the network: every public operation that takes a dataset (Evaluate, Predict,
    /// ComputeGradient, EnsureCompatible, the trainer and the gradient checker) comes through here once, so the
    /// values are checked once per call, never per batch; and the warm-up learns here that the process's own work has
    /// begun (see KernelWarmup.NoteCall).
    /// </remarks>
    internal Dataset Accept(Dataset data, bool checkLabels = true, bool checkValues = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        Numerics.KernelWarmup.NoteCall();
        if (checkLabels) data = AlignClasses(data);
        EnsureCompatible(data, checkLabels);
        if (checkValues) CheckValues(data, Preprocessor);
        return data;
    }

    /// <summary>
    /// Checks that every value of <paramref name="data"/>, as this network takes it (converted to its precision, then
    /// scaled by <paramref name="preprocessor"/>, exactly as batches are gathered), is a finite number, and returns the
    /// largest magnitude it takes. One pass over the data, a block of rows at a time.
    /// </summary>
    /// <exception cref="MlpException">
    /// <c>FeatureValueNotFinite</c> (the dataset holds NaN or an infinity) or <c>FeatureValueOutOfRange</c> (a finite value
    /// the precision cannot hold, or whose scaled value it cannot hold); both InvalidData, naming the row (counting from
    /// 1), the feature and the value, with an <see cref="InputValueProblem"/> as the target.
    /// </exception>
    internal abstract InputExtreme CheckValues(Dataset data, Preprocessor? preprocessor);

    /// <summary>
    /// Throws <c>InvalidRegularization</c> when lambda is not a finite number >= 0, or is so large that for a batch of
    /// <paramref name="batchSize"/> the L2 term of the gradient, (lambda/m) W, or the penalty (lambda/2m)(||W1||^2 + ||W2||^2)
    /// cannot be represented at the current weights (then with a <see cref="RegularizationProblem"/> as the target).
    /// </summary>
    internal abstract void CheckRegularization(double lambda, int batchSize);

    /// <summary>The largest finite magnitude of a precision, as a message shows it.</summary>
    internal static string LargestText(Precision precision) =>
        precision == Precision.Single ? float.MaxValue.ToString("R", CultureInfo.InvariantCulture) : double.MaxValue.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>"Row 3 (counting from 1) of 'name'".</summary>
    internal static string RowText(Dataset data, int row) =>
        Invariant.Format($"Row {row + 1} (counting from 1) of '{data.Name}'");

    /// <summary>The error for a value the network cannot take: NaN or infinity, beyond the precision, or beyond it once scaled.</summary>
    private protected MlpException ValueError(Dataset data, Preprocessor? preprocessor, int row, int feature, bool scaled)
    {
        double raw = data.Value(row, feature);
        string name = data.FeatureNames[feature];
        string value = raw.ToString("R", CultureInfo.InvariantCulture);
        string holds = Invariant.Format($"beyond what a {Precision}-precision network holds (at most {LargestText(Precision)} in magnitude)");
        string orDouble = Precision == Precision.Single ? " or use Double precision" : "";
        string id, explanation;
        double? scaledValue = null;
        if (!double.IsFinite(raw))
        {
            id = "FeatureValueNotFinite";
            explanation = $"{value} is not a finite number; every feature value must be finite. Fix or remove the sample.";
        }
        else if (!scaled || preprocessor is null)
        {
            id = "FeatureValueOutOfRange";
            explanation = $"{value} is {holds}. Rescale the feature before the network takes it (for example, divide the column by a power of ten){orDouble}.";
        }
        else
        {
            id = "FeatureValueOutOfRange";
            double offset = preprocessor.Offsets[feature], scale = preprocessor.Scales[feature];
            scaledValue = (raw - offset) / scale;
            explanation = Invariant.Format($"{value} becomes {scaledValue:G6} after the network's {preprocessor.Kind} scaling, (x - {offset:G6}) / {scale:G6}, which is {holds}. The value lies far outside the data the scaling was fitted to: check it, or leave the sample out{orDouble}.");
        }
        var problem = new InputValueProblem(row, feature, name, raw, scaledValue, Precision) { Explanation = explanation, AboutValue = true };
        return MlpException.InvalidData(id, $"{RowText(data, row)}, feature '{name}': {explanation}", problem);
    }

    /// <summary>
    /// The error for a sample whose values the network takes but whose scores (or loss, or gradient) then overflow its
    /// precision; names the sample's largest input (as the network took it: <paramref name="x"/> is its row after scaling).
    /// </summary>
    private protected MlpException OverflowError(Dataset data, int row, ReadOnlySpan<double> x, string what)
    {
        int feature = 0;
        for (int j = 1; j < x.Length; j++) if (Math.Abs(x[j]) > Math.Abs(x[feature])) feature = j;
        string name = data.FeatureNames[feature];
        string scaling = Preprocessor is null ? "" : " after scaling";
        string advice = Preprocessor is null
            ? "Rescale the features (for example, train a new network with Scaling set to Standardize)"
            : "Check the sample: it lies far outside the data the network's scaling was fitted to";
        string orDouble = Precision == Precision.Single ? ", or use Double precision" : "";
        string explanation = Invariant.Format($"the network's {what} overflow {Precision} precision; the sample's largest input{scaling} is {x[feature]:G6}, in feature '{name}'. {advice}{orDouble}.");
        double raw = data.Value(row, feature);
        var problem = new InputValueProblem(row, feature, name, raw, Preprocessor is null ? null : x[feature], Precision) { Explanation = explanation };
        return MlpException.InvalidData("NetworkOverflow", $"{RowText(data, row)}: {explanation}", problem);
    }

    private Dataset AlignClasses(Dataset data)
    {
        IReadOnlyList<string> theirs = data.ClassNames, ours = ClassNames;
        if (Data.ClassNames.AreNumbered(theirs) || Data.ClassNames.AreNumbered(ours)) return data;
        bool samePrefix = theirs.Count <= ours.Count;
        for (int k = 0; samePrefix && k < theirs.Count; k++) samePrefix = string.Equals(theirs[k], ours[k], StringComparison.Ordinal);
        if (samePrefix) return data;
        var matcher = new Data.ClassNames.Matcher(ours);
        var map = new int[theirs.Count];
        for (int k = 0; k < theirs.Count; k++)
        {
            map[k] = matcher.IndexOf(theirs[k]);
            if (map[k] < 0)
                throw MlpException.InvalidData("UnknownClass",
                    $"The dataset '{data.Name}' has class '{theirs[k]}', which is not one of the network's {ours.Count} classes ({Data.ClassNames.Quoted(ours)}).",
                    theirs[k]);
        }
        return data.Relabel(map, ours);
    }

    private protected void EnsureCompatible(Dataset data, bool checkLabels)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FeatureCount != InputSize)
            throw MlpException.InvalidData("FeatureCountMismatch",
                $"The dataset '{data.Name}' has {data.FeatureCount} features per sample, but the network takes {InputSize} inputs; use a network made for this data (InputSize {data.FeatureCount}) or data with {InputSize} features.",
                data);
        if (checkLabels && data.ClassCount > ClassCount)
        {
            var labels = data.LabelSpan;
            for (int i = 0; i < labels.Length; i++)
                if (labels[i] >= ClassCount)
                    throw MlpException.InvalidData("LabelOutOfRange",
                        $"Sample {i} of '{data.Name}' has label {labels[i]}, but the network has only {ClassCount} classes (0..{ClassCount - 1}).", labels[i]);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        Invariant.Format($"Mlp {InputSize}-{HiddenSize}-{ClassCount} ({Precision}, {ParameterCount} parameters)");
}

/// <summary>A two-layer network whose parameters are numbers of type <typeparamref name="T"/> (float or double).</summary>
public sealed class Mlp<T> : Mlp
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal Mlp(ParameterSet<T> parameters, IReadOnlyList<string>? classNames, IReadOnlyList<string>? featureNames)
        : base(parameters.D, parameters.H, parameters.C, classNames, featureNames)
    {
        Parameters = parameters;
        // The first double-precision network of a process starts compiling its kernels (single precision's start at import).
        if (typeof(T) == typeof(double)) Numerics.KernelWarmup.Start(Precision.Double);
        W1 = parameters.BindMatrix(0);
        b1 = parameters.BindVector(1);
        W2 = parameters.BindMatrix(2);
        b2 = parameters.BindVector(3);
    }

    internal ParameterSet<T> Parameters { get; }

    /// <inheritdoc />
    public override Precision Precision => typeof(T) == typeof(double) ? Precision.Double : Precision.Single;

    /// <summary>First-layer weights, D x H (one row per input). The network's own storage: changing it changes the network.</summary>
    public Matrix<T> W1 { get; }

    /// <summary>First-layer biases, H.</summary>
#pragma warning disable IDE1006 // b1 and b2 are named as in the math.
    public MathNet.Numerics.LinearAlgebra.Vector<T> b1 { get; }

    /// <summary>Second-layer weights, H x C.</summary>
    public Matrix<T> W2 { get; }

    /// <summary>Second-layer biases, C.</summary>
    public MathNet.Numerics.LinearAlgebra.Vector<T> b2 { get; }
#pragma warning restore IDE1006

    /// <inheritdoc />
    public override Mlp<double> ToDouble()
    {
        var copy = new Mlp<double>(typeof(T) == typeof(double) ? ((ParameterSet<double>)(object)Parameters).Clone() : Parameters.Convert<double>(), ClassNames, FeatureNames);
        CopyNamesTo(copy);
        return copy;
    }

    /// <inheritdoc />
    public override Mlp Clone()
    {
        var copy = new Mlp<T>(Parameters.Clone(), ClassNames, FeatureNames);
        CopyNamesTo(copy);
        return copy;
    }

    private void CopyNamesTo(Mlp other)
    {
        other.Preprocessor = Preprocessor;
        other.LabelName = LabelName;
        other.ImageShape = ImageShape;
    }

    /// <inheritdoc />
    public override Evaluation Evaluate(Dataset data) => Score(Accept(data), checkScores: true);

    /// <summary>
    /// Evaluate on data already accepted (the trainer's validation data, every epoch). With <paramref name="checkScores"/>,
    /// scores or a loss that overflow the precision are a <c>NetworkOverflow</c> error; without, they give a NaN or
    /// infinite loss, as a diverging training run shows it.
    /// </summary>
    internal Evaluation Score(Dataset data, bool checkScores)
    {
        int n = data.Count, c = ClassCount;
        var confusion = new int[c, c];
        double lossSum = 0;
        int correct = 0;
        BatchBuffers<T> evaluation = TakeEvaluationBuffers(n);
        ForEachBatch(data, evaluation, withLabels: true, (buffers, start, m) =>
        {
            double loss = FusedBackprop.Forward(Parameters, buffers, m, 0.0, withGradientSeed: false).DataLoss;
            if (checkScores) CheckScores(data, buffers, start, m, loss);
            lossSum += loss * m;
            for (int r = 0; r < m; r++)
            {
                int predicted = FusedBackprop.ArgMax<T>(buffers.P.AsSpan(r * c, c));
                int actual = buffers.Labels[r];
                confusion[actual, predicted]++;
                if (predicted == actual) correct++;
            }
        });
        BatchBuffers<T>.GiveBack(evaluation);
        return new Evaluation(n == 0 ? double.NaN : (double)correct / n, n == 0 ? double.NaN : lossSum / n, n,
            new ConfusionMatrix(ClassNames, confusion));
    }

    /// <inheritdoc />
    public override (double[,] Probabilities, int[] Predicted) Predict(Dataset data)
    {
        int c = ClassCount;
        var probabilities = new double[data.Count, c];
        int[] predicted = Predict(data, (row, p) =>
        {
            for (int j = 0; j < c; j++) probabilities[row, j] = double.CreateTruncating(p[j]);
        });
        return (probabilities, predicted);
    }

    /// <inheritdoc />
    internal override (double[][] Probabilities, int[] Predicted) PredictRows(Dataset data)
    {
        int c = ClassCount;
        var probabilities = new double[data.Count][];
        int[] predicted = Predict(data, (row, p) =>
        {
            var wide = new double[c];
            for (int j = 0; j < c; j++) wide[j] = double.CreateTruncating(p[j]);
            probabilities[row] = wide;
        });
        return (probabilities, predicted);
    }

    /// <summary>A sample's probabilities, in the network's precision, handed to <paramref name="row"/>'s keeper.</summary>
    private delegate void ProbabilityRow(int row, ReadOnlySpan<T> probabilities);

    /// <summary>The forward pass of Predict: hands each sample's probabilities to <paramref name="keep"/> and returns the most probable classes.</summary>
    private int[] Predict(Dataset data, ProbabilityRow keep)
    {
        data = Accept(data, checkLabels: false);
        int n = data.Count, c = ClassCount;
        var predicted = new int[n];
        BatchBuffers<T> buffers = TakeEvaluationBuffers(n);
        ForEachBatch(data, buffers, withLabels: false, (b, start, m) =>
        {
            FusedBackprop.ForwardScores(Parameters, b, m);
            CheckScores(data, b, start, m, loss: 0);
            Numerics.Kernels.Softmax<T>(b.Z.AsSpan(0, m * c), b.P.AsSpan(0, m * c), m, c);
            for (int r = 0; r < m; r++)
            {
                ReadOnlySpan<T> row = b.P.AsSpan(r * c, c);
                keep(start + r, row);
                predicted[start + r] = FusedBackprop.ArgMax(row);
            }
        });
        BatchBuffers<T>.GiveBack(buffers);
        return predicted;
    }

    /// <summary>
    /// Throws <c>NetworkOverflow</c>, naming the first row at fault, when the scores Z of the batch's m rows (or the
    /// batch's mean loss) are not finite: values the network holds, but whose products overflow its precision.
    /// </summary>
    private void CheckScores(Dataset data, BatchBuffers<T> b, int start, int m, double loss)
    {
        int c = ClassCount;
        if (double.IsFinite(loss) && Numerics.Kernels.AllFinite<T>(b.Z.AsSpan(0, m * c))) return;
        int row = 0;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<T> z = b.Z.AsSpan(r * c, c);
            T max = z[0];
            for (int j = 1; j < c; j++) if (z[j] > max) max = z[j];
            bool finite = T.IsFinite(max);
            // The row's loss, log-sum-exp(z) - z_y, needs z_y - max finite too.
            for (int j = 0; j < c && finite; j++) finite = T.IsFinite(z[j]) && T.IsFinite(z[j] - max);
            if (!finite)
            {
                row = r;
                break;
            }
        }
        throw OverflowError(data, start + row, Widen(b.InputRows(m, InputSize).Slice(row * InputSize, InputSize)), "scores");
    }

    private static double[] Widen(ReadOnlySpan<T> values)
    {
        var wide = new double[values.Length];
        for (int i = 0; i < wide.Length; i++) wide[i] = double.CreateTruncating(values[i]);
        return wide;
    }

    /// <summary>
    /// Buffers for evaluating n samples in batches of at most 1,024 (sized to n when smaller), those of an earlier
    /// forward-only pass when they fit (see <see cref="BatchBuffers{T}.Take"/>). Give them back with
    /// <see cref="BatchBuffers{T}.GiveBack"/>.
    /// </summary>
    private BatchBuffers<T> TakeEvaluationBuffers(int n) => BatchBuffers<T>.Take(Math.Min(1024, Math.Max(n, 1)), InputSize, HiddenSize, ClassCount);

    /// <summary>
    /// Takes the samples of <paramref name="data"/> in order, in batches of at most the buffers' capacity, gathering each
    /// (see <see cref="Gather"/>) and then calling <paramref name="visit"/> with the buffers, the batch's first row and its size.
    /// </summary>
    internal void ForEachBatch(Dataset data, BatchBuffers<T> buffers, bool withLabels, Action<BatchBuffers<T>, int, int> visit) =>
        ForEachBatch(data, buffers, withLabels, 0, (b, start, m) =>
        {
            visit(b, start, m);
            return true;
        });

    /// <summary>
    /// As <see cref="ForEachBatch(Dataset, BatchBuffers{T}, bool, Action{BatchBuffers{T}, int, int})"/>, from the sample
    /// <paramref name="from"/> on (a multiple of the buffers' capacity, so the batches are those of a walk from the
    /// first sample), while <paramref name="visit"/> returns true. Returns the first sample not visited (the count when
    /// every one was).
    /// </summary>
    /// <remarks>
    /// The batches are consecutive rows, so when the network takes the dataset's values as they are (no scaling, and
    /// stored in its precision) they are read in place rather than copied: the same values, one pass over memory less.
    /// Its loop runs once per batch of a whole pass, so it is compiled optimized from its first call, as the gather is.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal int ForEachBatch(Dataset data, BatchBuffers<T> buffers, bool withLabels, int from, Func<BatchBuffers<T>, int, int, bool> visit)
    {
        int n = data.Count, size = buffers.Capacity;
        var rows = new int[size];
        T[]? inPlace = Preprocessor is null ? data.RowsIn<T>() : null;
        for (int start = from; start < n; start += size)
        {
            int m = Math.Min(size, n - start);
            for (int r = 0; r < m; r++) rows[r] = start + r;
            if (inPlace is null)
            {
                Gather(data, rows.AsSpan(0, m), buffers, withLabels);
            }
            else
            {
                buffers.ReadInPlace(inPlace, start * InputSize);
                if (withLabels) data.GatherLabels(rows.AsSpan(0, m), buffers.Labels);
            }
            if (!visit(buffers, start, m)) return start + m;
        }
        return n;
    }

    /// <inheritdoc />
    public override GradientReport ComputeGradient(Dataset data, double regularization, bool trace, IReadOnlyList<double>? classWeights = null)
    {
        data = Accept(data);
        int m = data.Count;
        if (m == 0) throw MlpException.InvalidData("EmptyDataset", $"The dataset '{data.Name}' has no samples; the loss needs at least one.");
        CheckRegularization(regularization, m);
        var buffers = LoadBatch(data);
        var gradients = new ParameterSet<T>(InputSize, HiddenSize, ClassCount);
        T[]? weights = ClassWeightArray(classWeights);
        BatchLoss loss = FusedBackprop.Forward(Parameters, buffers, m, regularization, withGradientSeed: true, weights);
        CheckScores(data, buffers, 0, m, loss.DataLoss);
        FusedBackprop.Backward(Parameters, buffers, m, regularization, gradients);
        if (!gradients.AllFinite())
        {
            // The gradient sums over the batch; the row with the largest input is the one to look at.
            int row = 0;
            double largest = -1;
            for (int i = 0; i < m * InputSize; i++)
            {
                double a = Math.Abs(double.CreateTruncating(buffers.X[i]));
                if (a > largest)
                {
                    largest = a;
                    row = i / InputSize;
                }
            }
            throw OverflowError(data, row, Widen(buffers.X.AsSpan(row * InputSize, InputSize)), "gradients");
        }
        return new GradientReport<T>(loss, m, regularization, gradients, trace ? buffers : null);
    }

    /// <summary>All of <paramref name="data"/> gathered into one batch.</summary>
    internal BatchBuffers<T> LoadBatch(Dataset data)
    {
        int m = data.Count;
        var buffers = new BatchBuffers<T>(m, InputSize, HiddenSize, ClassCount);
        Gather(data, Enumerable.Range(0, m).ToArray(), buffers, withLabels: true);
        return buffers;
    }

    /// <summary>
    /// The one way samples enter the network: copies the given rows of <paramref name="data"/> into the batch (X, and
    /// the labels when asked) and applies the network's <see cref="Mlp.Preprocessor"/>, if any.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal void Gather(Dataset data, ReadOnlySpan<int> rows, BatchBuffers<T> buffers, bool withLabels)
    {
        Span<T> x = buffers.X.AsSpan(0, rows.Length * InputSize);
        data.GatherRows<T>(rows, x);
        Preprocessor?.ApplyInPlace<T>(x);
        buffers.ReadFromX();
        if (withLabels) data.GatherLabels(rows, buffers.Labels);
    }

    /// <summary>One weight per class, in T, checked against the network's classes (see <see cref="ClassWeights.Resolve"/>).</summary>
    internal T[]? ClassWeightArray(IReadOnlyList<double>? classWeights) =>
        classWeights is null ? null : ClassWeights.InClassOrder(classWeights).Resolve(ClassNames).Select(T.CreateTruncating).ToArray();

    /// <inheritdoc />
    // A loop over every weight on a training's first call: compiled optimized ahead, by the module's warm-up, rather than
    // run unoptimized (measured: 5.0-5.8 ms on a process's first 784-100-10 call, 3.8-3.9 ms with this, most of the rest
    // the first use of the kernel threads).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal override void CheckRegularization(double lambda, int batchSize)
    {
        if (!double.IsFinite(lambda) || lambda < 0)
            throw MlpException.Argument("InvalidRegularization",
                $"Regularization (lambda) must be a finite number >= 0, but it is {lambda.ToString(CultureInfo.InvariantCulture)}.", lambda);
        if (lambda == 0) return;
        // Backward adds (lambda/m) W to each weight's gradient, computed in T; the loss adds the penalty, in double.
        T decay = T.CreateTruncating(lambda / batchSize);
        T largest = T.Zero;
        foreach (T[] w in new[] { Parameters.W1, Parameters.W2 })
            foreach (T v in w) largest = T.Max(largest, T.Abs(v));
        double penalty = FusedBackprop.RegularizationLoss(Parameters, batchSize, lambda);
        string? what = !T.IsFinite(decay) ? "lambda/m, the factor of the gradient's L2 term (lambda/m) W,"
            : !T.IsFinite(decay * largest) ? "the gradient's L2 term (lambda/m) W"
            : !double.IsFinite(penalty) ? "the penalty (lambda/2m)(||W1||^2 + ||W2||^2)"
            : null;
        if (what is null) return;
        throw MlpException.Argument("InvalidRegularization", Invariant.Format($"Regularization (lambda) {lambda:R} is too large for this {Precision}-precision network: with {Invariant.Plural(batchSize, "sample")} in a batch (m), {what} overflows {Precision} precision (at most {LargestText(Precision)}). Use a much smaller Regularization (useful values are usually 1e-5 to 1)."),
            new RegularizationProblem(lambda, batchSize, Precision));
    }

    /// <inheritdoc />
    internal override InputExtreme CheckValues(Dataset data, Preprocessor? preprocessor)
    {
        // A dataset's values never change (its arrays are its own), nor does a fitted scaling: the same data, precision
        // and scaling give the same answer, and later calls on the data (the next Invoke-Training, Test-Mlp) skip the pass.
        ConcurrentDictionary<object, InputExtreme> known = s_checked.GetValue(data, _ => new());
        object key = (object?)preprocessor ?? s_unscaled;
        if (known.TryGetValue(key, out InputExtreme extreme)) return extreme;
        // The reader that made the dataset may have found the answer as it converted the values (finite, or it would have
        // refused them): it holds for the values as stored, so for a network that takes them unscaled and exactly.
        bool exact = data.StoragePrecision == Precision.Single || typeof(T) == typeof(double);
        extreme = preprocessor is null && exact && data.ReadExtreme is { } read ? read : CheckValuesPass(data, preprocessor);
        known.TryAdd(key, extreme);
        return extreme;
    }

    /// <summary>Checks made, by dataset and scaling (<see cref="CheckValues"/>); entries go with their dataset.</summary>
    private static readonly ConditionalWeakTable<Dataset, ConcurrentDictionary<object, InputExtreme>> s_checked = new();

    private static readonly object s_unscaled = new();

    /// <summary>How many passes over data <see cref="CheckValues"/> has made on the calling thread (for the tests).</summary>
    internal static long CheckPassesOnThisThread => t_checkPasses;

    [ThreadStatic]
    private static long t_checkPasses;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private InputExtreme CheckValuesPass(Dataset data, Preprocessor? preprocessor)
    {
        t_checkPasses++;
        int n = data.Count, d = InputSize;
        if (n == 0) return default;
        int block = Math.Clamp(CheckBlockValues / d, 1, n);
        // Values the network takes as they are stored (its precision, no scaling) are checked where they are.
        T[]? inPlace = preprocessor is null ? data.RowsIn<T>() : null;
        int[] rows = inPlace is null ? new int[block] : Array.Empty<int>();
        T[] x = inPlace is null ? new T[block * d] : Array.Empty<T>();
        var extreme = new ExtremeFinder<T>();
        for (int start = 0; start < n; start += block)
        {
            int m = Math.Min(block, n - start);
            Span<T> values = inPlace is null ? x.AsSpan(0, m * d) : inPlace.AsSpan(start * d, m * d);
            if (inPlace is null)
            {
                // Exactly as Gather fills a batch: converted to T, then scaled in T.
                for (int r = 0; r < m; r++) rows[r] = start + r;
                data.GatherRows<T>(rows.AsSpan(0, m), values);
            }
            if (preprocessor is not null)
            {
                // A value the precision cannot hold at all is named as such, not as a scaling problem.
                if (!Numerics.Kernels.AllFinite<T>(values))
                {
                    int i = FirstNonFinite(values);
                    throw ValueError(data, preprocessor, start + i / d, i % d, scaled: false);
                }
                preprocessor.ApplyInPlace<T>(values);
            }
            // The first value that is not finite is named; otherwise the first place of the largest magnitude is kept.
            if (!Numerics.Kernels.AllFinite<T>(values))
            {
                int i = FirstNonFinite(values);
                throw ValueError(data, preprocessor, start + i / d, i % d, scaled: preprocessor is not null);
            }
            extreme.See(values, (long)start * d);
        }
        return extreme.Result(d);
    }

    /// <summary>How many values <see cref="CheckValues"/> gathers at a time.</summary>
    private const int CheckBlockValues = 1 << 16;

    private static int FirstNonFinite(ReadOnlySpan<T> values)
    {
        for (int i = 0; i < values.Length; i++) if (!T.IsFinite(values[i])) return i;
        return -1;
    }
}
