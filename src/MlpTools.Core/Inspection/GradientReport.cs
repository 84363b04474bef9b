using System.Numerics;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Model;

namespace MlpTools.Core.Inspection;

/// <summary>The loss of one batch and its gradient with respect to every parameter.</summary>
public abstract class GradientReport
{
    private protected GradientReport(double dataLoss, double regularizationLoss, int sampleCount, double regularization)
    {
        DataLoss = dataLoss;
        RegularizationLoss = regularizationLoss;
        SampleCount = sampleCount;
        Regularization = regularization;
    }

    /// <summary>L = DataLoss + RegularizationLoss.</summary>
    public double Loss => DataLoss + RegularizationLoss;

    /// <summary>-(1/m) sum_i log P[i, y_i].</summary>
    public double DataLoss { get; }

    /// <summary>(lambda / (2m)) (||W1||_F^2 + ||W2||_F^2).</summary>
    public double RegularizationLoss { get; }

    /// <summary>m, the number of samples the loss is taken over.</summary>
    public int SampleCount { get; }

    /// <summary>lambda, the L2 regularization strength.</summary>
    public double Regularization { get; }

    /// <summary>True when the intermediates (Trace: X, Y, Hpre, A, Z, P, dZ, dA, dH) are included.</summary>
    public abstract bool HasTrace { get; }

    internal abstract ParameterSet<double> GradientsAsDouble();
}

/// <summary>
/// Loss and gradients in the network's precision, as MathNet matrices and vectors of the parameters' shapes, each
/// named after what it differentiates (dW1 is dL/dW1); with a trace, every intermediate of the forward and backward
/// passes by its name in the derivation.
/// </summary>
/// <remarks>
/// The module's type data (MlpTools.Types.ps1xml) also gives PowerShell hidden aliases W1, b1, W2 and b2 for the
/// four gradients, the names they had before: scripts that read $g.W1 keep working, and Test-MlpGradient -Gradient
/// reads a report through them as it reads any object with the parameters' names.
/// </remarks>
public sealed class GradientReport<T> : GradientReport
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterSet<T> _gradients;

    internal GradientReport(BatchLoss loss, int m, double lambda, ParameterSet<T> gradients, BatchBuffers<T>? trace)
        : base(loss.DataLoss, loss.RegularizationLoss, m, lambda)
    {
        _gradients = gradients;
        dW1 = gradients.BindMatrix(0);
        db1 = gradients.BindVector(1);
        dW2 = gradients.BindMatrix(2);
        db2 = gradients.BindVector(3);
        if (trace is not null) Trace = new BackpropTrace<T>(trace, m, gradients.D, gradients.H, gradients.C);
    }

#pragma warning disable IDE1006 // names as in the derivation
    /// <summary>dW1 = dL/dW1 = X^T dH + (lambda/m) W1, D x H.</summary>
    public Matrix<T> dW1 { get; }
    /// <summary>db1 = dL/db1 = the column sums of dH, H.</summary>
    public MathNet.Numerics.LinearAlgebra.Vector<T> db1 { get; }
    /// <summary>dW2 = dL/dW2 = A^T dZ + (lambda/m) W2, H x C.</summary>
    public Matrix<T> dW2 { get; }
    /// <summary>db2 = dL/db2 = the column sums of dZ, C.</summary>
    public MathNet.Numerics.LinearAlgebra.Vector<T> db2 { get; }

    /// <summary>Every intermediate of the batch's forward and backward passes (with -Trace; null otherwise).</summary>
    public BackpropTrace<T>? Trace { get; }

    // The intermediates again, one level up, so the derivation reads as it is written ($g.A, $g.dZ beside $g.W2):
    // the same matrices as Trace's, not copies.

    /// <summary>The batch's inputs, m x D (trace only; the same matrix as Trace.X).</summary>
    public Matrix<T>? X => Trace?.X;
    /// <summary>Y, the one-hot labels, m x C (trace only).</summary>
    public Matrix<T>? Y => Trace?.Y;
    /// <summary>Hpre = X W1 + b1, m x H (trace only).</summary>
    public Matrix<T>? Hpre => Trace?.Hpre;
    /// <summary>A = max(0, Hpre), m x H (trace only).</summary>
    public Matrix<T>? A => Trace?.A;
    /// <summary>Z = A W2 + b2, m x C (trace only).</summary>
    public Matrix<T>? Z => Trace?.Z;
    /// <summary>P = softmax(Z), m x C (trace only).</summary>
    public Matrix<T>? P => Trace?.P;
    /// <summary>dZ = (P - Y) / m, m x C (trace only).</summary>
    public Matrix<T>? dZ => Trace?.dZ;
    /// <summary>dA = dZ W2^T, m x H (trace only).</summary>
    public Matrix<T>? dA => Trace?.dA;
    /// <summary>dH = dA * 1[Hpre &gt; 0], m x H (trace only).</summary>
    public Matrix<T>? dH => Trace?.dH;
#pragma warning restore IDE1006

    /// <inheritdoc />
    public override bool HasTrace => Trace is not null;

    internal ParameterSet<T> Gradients => _gradients;

    internal override ParameterSet<double> GradientsAsDouble() => _gradients.Convert<double>();
}

/// <summary>
/// Every intermediate of one batch's forward and backward passes, named as in the derivation (see <see cref="Backprop"/>):
/// X, Y, Hpre, A, Z, P, dZ, dA and dH, each a matrix with one row per sample.
/// </summary>
public abstract class BackpropTrace
{
    private protected BackpropTrace(int sampleCount) => SampleCount = sampleCount;

    /// <summary>The intermediates' names, in the order the passes compute them.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "X", "Y", "Hpre", "A", "Z", "P", "dZ", "dA", "dH" };

    /// <summary>m, the number of samples (every matrix's row count).</summary>
    public int SampleCount { get; }

    /// <summary>The intermediates' names: "X, Y, Hpre, A, Z, P, dZ, dA, dH".</summary>
    public override string ToString() => string.Join(", ", Names);
}

/// <summary>The intermediates of a network of precision <typeparamref name="T"/>, as MathNet matrices (copies of the batch buffers).</summary>
public sealed class BackpropTrace<T> : BackpropTrace
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal BackpropTrace(BatchBuffers<T> b, int m, int d, int h, int c)
        : base(m)
    {
        X = RowMajor(b.X, m, d);
        var y = Matrix<T>.Build.Dense(m, c);
        for (int i = 0; i < m; i++) y[i, b.Labels[i]] = T.One;
        Y = y;
        Hpre = RowMajor(b.Hpre, m, h);
        A = RowMajor(b.A, m, h);
        Z = RowMajor(b.Z, m, c);
        P = RowMajor(b.P, m, c);
        dZ = RowMajor(b.dZ, m, c);
        dA = RowMajor(b.dA, m, h);
        dH = RowMajor(b.dH, m, h);
    }

    private static Matrix<T> RowMajor(T[] data, int rows, int cols) =>
        Matrix<T>.Build.DenseOfRowMajor(rows, cols, data.AsSpan(0, rows * cols).ToArray());

#pragma warning disable IDE1006 // names as in the derivation
    /// <summary>The batch's inputs, m x D (after the network's preprocessing).</summary>
    public Matrix<T> X { get; }
    /// <summary>Y, the one-hot labels, m x C.</summary>
    public Matrix<T> Y { get; }
    /// <summary>Hpre = X W1 + b1, m x H.</summary>
    public Matrix<T> Hpre { get; }
    /// <summary>A = max(0, Hpre), m x H.</summary>
    public Matrix<T> A { get; }
    /// <summary>Z = A W2 + b2, m x C.</summary>
    public Matrix<T> Z { get; }
    /// <summary>P = softmax(Z), m x C.</summary>
    public Matrix<T> P { get; }
    /// <summary>dZ = (P - Y) / m, m x C.</summary>
    public Matrix<T> dZ { get; }
    /// <summary>dA = dZ W2^T, m x H.</summary>
    public Matrix<T> dA { get; }
    /// <summary>dH = dA * 1[Hpre &gt; 0], m x H.</summary>
    public Matrix<T> dH { get; }
#pragma warning restore IDE1006
}
