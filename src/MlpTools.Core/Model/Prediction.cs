using System.Globalization;
using MlpTools.Core.Data;

namespace MlpTools.Core.Model;

/// <summary>
/// What a network says about one sample: the most probable class, the probability of every class (a row of
/// P = softmax(Z)), and, when the sample's true class is known, that class and whether the network got it right.
/// </summary>
/// <remarks>
/// The probabilities are exactly those of <see cref="Mlp.Predict"/>, which agree bit for bit with
/// <see cref="Mlp.Evaluate"/> and the P of a gradient trace on the same samples. The true class is matched to the
/// network's classes by name (see <see cref="ClassIndex"/>), so data whose class list differs from the network's (a
/// test file missing a class, say) is still compared class for class.
/// </remarks>
public sealed class Prediction
{
    private readonly double[] _probabilities;

    /// <summary>A prediction for one sample.</summary>
    /// <param name="index">Where the sample is: its row in a dataset, or its position among the objects given, counting from 0.</param>
    /// <param name="classNames">The network's class names, in label order (shared, not copied).</param>
    /// <param name="probabilities">The probability of each class, in label order (copied).</param>
    /// <param name="predictedLabel">The most probable class.</param>
    /// <param name="actual">The sample's true class, by name, when it is known; null otherwise.</param>
    /// <param name="inputObject">The object the sample came from, when it came from one.</param>
    public Prediction(int index, IReadOnlyList<string> classNames, IReadOnlyList<double> probabilities, int predictedLabel,
        string? actual = null, object? inputObject = null)
        : this(index, classNames, CheckedCopy(classNames, probabilities, predictedLabel), predictedLabel, actual,
            actual is null ? null : ClassIndex(classNames, actual), inputObject)
    {
    }

    /// <summary>A copy of <paramref name="probabilities"/>, once they and the predicted label are checked against the classes.</summary>
    private static double[] CheckedCopy(IReadOnlyList<string> classNames, IReadOnlyList<double> probabilities, int predictedLabel)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Count != classNames.Count)
            throw new ArgumentException(Invariant.Format($"{probabilities.Count} probabilities were given for {classNames.Count} classes."), nameof(probabilities));
        ArgumentOutOfRangeException.ThrowIfNegative(predictedLabel);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(predictedLabel, classNames.Count);
        return probabilities.ToArray();
    }

    /// <summary>
    /// A prediction made in bulk (Invoke-MlpPrediction, one per sample): it keeps <paramref name="probabilities"/>
    /// itself (a row made for it, not copied), and is given the true class's label, which the caller has matched to the
    /// network's classes once for all samples (see <see cref="ClassIndex"/>).
    /// </summary>
    internal Prediction(int index, IReadOnlyList<string> classNames, double[] probabilities, int predictedLabel,
        string? actual, int? actualLabel, object? inputObject = null)
    {
        Index = index;
        ClassNames = classNames;
        _probabilities = probabilities;
        PredictedLabel = predictedLabel;
        Actual = actual;
        ActualLabel = actualLabel;
        InputObject = inputObject;
    }

    /// <summary>The sample's row in its dataset, or the object's position among those given, counting from 0.</summary>
    public int Index { get; }

    /// <summary>The name of the most probable class.</summary>
    public string Predicted => ClassNames[PredictedLabel];

    /// <summary>The most probable class, as a label in 0..C-1.</summary>
    public int PredictedLabel { get; }

    /// <summary>The probability of the predicted class.</summary>
    public double Probability => _probabilities[PredictedLabel];

    /// <summary>The probability of every class, in the order of <see cref="ClassNames"/>; they sum to 1.</summary>
    public IReadOnlyList<double> Probabilities => _readOnly ??= Array.AsReadOnly(_probabilities);

    private IReadOnlyList<double>? _readOnly;

    /// <summary>The network's class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The sample's true class, by name, when it is known (a dataset's label, or the object's label property).</summary>
    public string? Actual { get; }

    /// <summary>The true class as one of the network's labels; null when it is unknown or is not one of the network's classes.</summary>
    public int? ActualLabel { get; }

    /// <summary>Whether the predicted class is the true one; null when the true class is unknown.</summary>
    public bool? Correct => Actual is null ? null : ActualLabel == PredictedLabel;

    /// <summary>The object the sample's features were read from; null for a dataset's samples.</summary>
    public object? InputObject { get; }

    /// <summary>The probability of the class named <paramref name="className"/> (matched as <see cref="ClassIndex"/> matches).</summary>
    /// <exception cref="MlpException"><c>UnknownClass</c>: the network has no such class.</exception>
    public double ProbabilityOf(string className)
    {
        ArgumentNullException.ThrowIfNull(className);
        int? k = ClassIndex(ClassNames, className);
        if (k is null)
            throw MlpException.Argument("UnknownClass",
                $"The network has no class '{className}'. Its classes are: {string.Join(", ", ClassNames.Select(n => "'" + n + "'"))}.", className);
        return _probabilities[k.Value];
    }

    /// <summary>The label of the class named <paramref name="name"/>, matched as <see cref="Data.ClassNames.IndexOf"/> matches; null when there is none.</summary>
    public static int? ClassIndex(IReadOnlyList<string> classNames, string name) =>
        Data.ClassNames.IndexOf(classNames, name) is var k && k >= 0 ? k : null;

    /// <summary>A label value as class-name text: strings as they are, numbers in the invariant culture; null for none.</summary>
    public static string? LabelText(object? value) => DatasetBuilder.LabelText(value);

    /// <inheritdoc />
    public override string ToString() =>
        Invariant.Format($"{Index}: {Predicted} ({Probability:0.0000})") +
        (Actual is null ? "" : Correct == true ? ", right" : $", actually {Actual}");
}
