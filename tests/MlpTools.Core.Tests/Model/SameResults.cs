using MlpTools.Core.Model;

namespace MlpTools.Core.Tests.Model;

/// <summary>Bit-for-bit comparisons of what Predict and Evaluate return, for tests that hold two ways of computing them to each other.</summary>
internal static class SameResults
{
    /// <summary>The same probabilities, bit for bit, and the same predicted classes.</summary>
    public static void Predictions((double[,] Probabilities, int[] Predicted) expected, (double[,] Probabilities, int[] Predicted) actual)
    {
        Assert.Equal(expected.Predicted, actual.Predicted);
        Assert.Equal(expected.Probabilities.GetLength(0), actual.Probabilities.GetLength(0));
        Assert.Equal(expected.Probabilities.GetLength(1), actual.Probabilities.GetLength(1));
        for (int i = 0; i < expected.Probabilities.GetLength(0); i++)
            for (int k = 0; k < expected.Probabilities.GetLength(1); k++)
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Probabilities[i, k]), BitConverter.DoubleToInt64Bits(actual.Probabilities[i, k]));
    }

    /// <summary>The same loss, bit for bit, and the same accuracy.</summary>
    public static void Evaluations(Evaluation expected, Evaluation actual)
    {
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Loss), BitConverter.DoubleToInt64Bits(actual.Loss));
        Assert.Equal(expected.Accuracy, actual.Accuracy);
    }
}
