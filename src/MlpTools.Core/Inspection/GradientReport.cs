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

    /// <summary>True when the intermediates (Hpre, A, Z, P, dZ, dA, dH) are included.</summary>
    public abstract bool HasTrace { get; }

    internal abstract ParameterSet<double> GradientsAsDouble();
}

/// <summary>
/// Loss and gradients in the network's precision, as MathNet matrices and vectors of the parameters' shapes;
/// with a trace, every intermediate of the forward and backward passes by its name in the derivation.
/// </summary>
public sealed class GradientReport<T> : GradientReport
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterSet<T> _gradients;

    internal GradientReport(BatchLoss loss, int m, double lambda, ParameterSet<T> gradients, BatchBuffers<T>? trace)
        : base(loss.DataLoss, loss.RegularizationLoss, m, lambda)
    {
        _gradients = gradients;
        W1 = gradients.BindMatrix(0);
        b1 = gradients.BindVector(1);
        W2 = gradients.BindMatrix(2);
        b2 = gradients.BindVector(3);
        if (trace is not null)
        {
            int d = gradients.D, h = gradients.H, c = gradients.C;
            X = RowMajor(trace.X, m, d);
            Hpre = RowMajor(trace.Hpre, m, h);
            A = RowMajor(trace.A, m, h);
            Z = RowMajor(trace.Z, m, c);
            P = RowMajor(trace.P, m, c);
            var y = Matrix<T>.Build.Dense(m, c);
            for (int i = 0; i < m; i++) y[i, trace.Labels[i]] = T.One;
            Y = y;
            dZ = RowMajor(trace.dZ, m, c);
            dA = RowMajor(trace.dA, m, h);
            dH = RowMajor(trace.dH, m, h);
        }
    }

    private static Matrix<T> RowMajor(T[] data, int rows, int cols) =>
        Matrix<T>.Build.DenseOfRowMajor(rows, cols, data.AsSpan(0, rows * cols).ToArray());

#pragma warning disable IDE1006 // names as in the derivation
    /// <summary>dL/dW1, D x H.</summary>
    public Matrix<T> W1 { get; }
    /// <summary>dL/db1, H.</summary>
    public MathNet.Numerics.LinearAlgebra.Vector<T> b1 { get; }
    /// <summary>dL/dW2, H x C.</summary>
    public Matrix<T> W2 { get; }
    /// <summary>dL/db2, C.</summary>
    public MathNet.Numerics.LinearAlgebra.Vector<T> b2 { get; }

    /// <summary>The batch's inputs, m x D (trace only).</summary>
    public Matrix<T>? X { get; }
    /// <summary>Y, the one-hot labels, m x C (trace only).</summary>
    public Matrix<T>? Y { get; }
    /// <summary>Hpre = X W1 + b1, m x H (trace only).</summary>
    public Matrix<T>? Hpre { get; }
    /// <summary>A = max(0, Hpre), m x H (trace only).</summary>
    public Matrix<T>? A { get; }
    /// <summary>Z = A W2 + b2, m x C (trace only).</summary>
    public Matrix<T>? Z { get; }
    /// <summary>P = softmax(Z), m x C (trace only).</summary>
    public Matrix<T>? P { get; }
    /// <summary>dZ = (P - Y) / m, m x C (trace only).</summary>
    public Matrix<T>? dZ { get; }
    /// <summary>dA = dZ W2^T, m x H (trace only).</summary>
    public Matrix<T>? dA { get; }
    /// <summary>dH = dA * 1[Hpre &gt; 0], m x H (trace only).</summary>
    public Matrix<T>? dH { get; }
#pragma warning restore IDE1006

    /// <inheritdoc />
    public override bool HasTrace => Hpre is not null;

    internal ParameterSet<T> Gradients => _gradients;

    internal override ParameterSet<double> GradientsAsDouble() => _gradients.Convert<double>();
}
