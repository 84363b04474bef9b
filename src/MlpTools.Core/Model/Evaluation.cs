using System.Globalization;
using System.Text;

namespace MlpTools.Core.Model;

/// <summary>How well a network classifies a dataset.</summary>
public sealed class Evaluation
{
    internal Evaluation(double accuracy, double loss, int count, ConfusionMatrix confusion)
    {
        Accuracy = accuracy;
        Loss = loss;
        Count = count;
        ConfusionMatrix = confusion;
    }

    /// <summary>The share of samples whose most probable class is their label.</summary>
    public double Accuracy { get; }

    /// <summary>Mean cross-entropy, -(1/m) sum_i log P[i, y_i] (no regularization term).</summary>
    public double Loss { get; }

    /// <summary>How many samples were evaluated.</summary>
    public int Count { get; }

    /// <summary>Counts of (actual, predicted) pairs.</summary>
    public ConfusionMatrix ConfusionMatrix { get; }
}

/// <summary>Precision, recall and F1 of one class.</summary>
public sealed record ClassMetrics(string Class, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Counts[actual][predicted]: how many samples of class <c>actual</c> the network called <c>predicted</c>.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[,] _counts;

    internal ConfusionMatrix(IReadOnlyList<string> classNames, int[,] counts)
    {
        ClassNames = classNames;
        _counts = counts;
    }

    /// <summary>Class names, in label order (rows are actual classes, columns predicted ones).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The count of samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>The counts as jagged rows: <c>Counts[actual][predicted]</c>.</summary>
    public int[][] Counts =>
        Enumerable.Range(0, ClassNames.Count).Select(a => Enumerable.Range(0, ClassNames.Count).Select(p => _counts[a, p]).ToArray()).ToArray();

    /// <summary>Precision, recall, F1 and support for each class.</summary>
    public IReadOnlyList<ClassMetrics> PerClass()
    {
        int c = ClassNames.Count;
        var result = new ClassMetrics[c];
        for (int k = 0; k < c; k++)
        {
            int tp = _counts[k, k], actual = 0, predicted = 0;
            for (int j = 0; j < c; j++)
            {
                actual += _counts[k, j];
                predicted += _counts[j, k];
            }
            double precision = predicted == 0 ? 0 : (double)tp / predicted;
            double recall = actual == 0 ? 0 : (double)tp / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            result[k] = new ClassMetrics(ClassNames[k], precision, recall, f1, actual);
        }
        return result;
    }

    /// <summary>A grid: one row per actual class, one column per predicted class.</summary>
    public override string ToString()
    {
        int c = ClassNames.Count;
        int width = Math.Max(ClassNames.Max(n => n.Length), 1);
        for (int a = 0; a < c; a++)
            for (int p = 0; p < c; p++) width = Math.Max(width, _counts[a, p].ToString(CultureInfo.InvariantCulture).Length);
        var sb = new StringBuilder();
        sb.Append(new string(' ', width)).Append(" |");
        foreach (string name in ClassNames) sb.Append(' ').Append(name.PadLeft(width));
        sb.AppendLine();
        for (int a = 0; a < c; a++)
        {
            sb.Append(ClassNames[a].PadLeft(width)).Append(" |");
            for (int p = 0; p < c; p++) sb.Append(' ').Append(_counts[a, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            if (a < c - 1) sb.AppendLine();
        }
        return sb.ToString();
    }
}
