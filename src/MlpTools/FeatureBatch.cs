using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

using MlpTools.Core;

namespace MlpTools.Commands;

/// <summary>
/// The batch that -Features and -Labels describe, read the same way by every cmdlet that takes them (Get-MlpGradient,
/// Test-MlpGradient, Invoke-MlpPrediction): the features through <see cref="NumericInput.ToMatrix"/>, one sample a
/// row, every entry a finite number; the labels the network's class numbers 0..C-1, one per row.
/// </summary>
/// <remarks>
/// Errors: those of <see cref="NumericInput.ToMatrix"/>, <c>NonFiniteEntry</c> (InvalidArgument), and the dataset's and
/// network's own checks, <c>LabelCountMismatch</c>, <c>LabelOutOfRange</c> and <c>FeatureCountMismatch</c> (InvalidData).
/// </remarks>
internal static class FeatureBatch
{
    /// <summary>
    /// The batch for <paramref name="network"/>. Without <paramref name="labelValues"/> (prediction) every sample is given
    /// label 0, which nothing reads.
    /// </summary>
    public static Dataset Create(Mlp network, object features, object?[]? labelValues)
    {
        Matrix<double> x = NumericInput.ToMatrix(features, "-Features");
        for (int i = 0; i < x.RowCount; i++)
            for (int j = 0; j < x.ColumnCount; j++)
                if (!double.IsFinite(x[i, j]))
                    throw MlpCmdlet.ArgumentError("NonFiniteEntry", Invariant.Format($"-Features: the entry at row {i}, column {j} is {x[i, j]}; every feature must be a finite number."), x[i, j]);
        // Labels are taken as objects, not int, so that 0.5 is refused rather than rounded by PowerShell's binder.
        int[]? labels = labelValues is null ? null : NumericInput.ToLabels(labelValues, "-Labels", network.ClassCount);
        Dataset batch = Dataset.FromMatrix(x, labels ?? new int[x.RowCount], network.ClassCount, "Features",
            labels is null ? "-Features" : "-Features and -Labels");
        network.EnsureCompatible(batch);
        return batch;
    }
}
