using System.Numerics;

namespace MlpTools.Core.Model;

/// <summary>
/// Backpropagation through the two-layer network, written to be read beside the derivation (README.md): one
/// stage at a time, its forward and backward passes side by side, in plain loops. This is the reference: training
/// runs <see cref="FusedBackprop"/>, the same stages fused into fast kernels, and the tests hold it to this.
/// <code>
///   Shapes, fixed once for the whole file:
///     m  samples in the batch, one a row        X          (m, D)    y   m labels in 0..C-1, Y their one-hot (m, C)
///     D  inputs                                 W1         (D, H)    b1  (H)
///     H  hidden units                           W2         (H, C)    b2  (C)
///     C  classes                                Hpre, A    (m, H)    dA, dH   (m, H)
///                                               Z, P       (m, C)    dZ       (m, C)
///   Storage:
///     a batch matrix M (rows, cols) is row-major:          M[i, j] = M[i * cols + j]
///     a weight W (rows, cols) is kept column by column,    W[p, j] = W[j * rows + p]
///     as MathNet keeps it (see ParameterSet), so the weights users see are these same arrays.
///
///   The network, stage by stage:
///     affine    Hpre = X W1 + b1                   dW1 = X^T dH     db1 = column sums of dH
///     ReLU      A    = max(0, Hpre)                dH  = dA * 1[Hpre > 0]
///     affine    Z    = A W2 + b2                   dW2 = A^T dZ     db2 = column sums of dZ     dA = dZ W2^T
///     softmax   P    = softmax(Z)                  dZ  = w[y] (P - Y) / m
///     with cross-entropy  L_data = -(1/m) sum_i w[y_i] log P[i, y_i]
///     L2        L_reg = (lambda / (2m)) (||W1||^2 + ||W2||^2)      dW1 += (lambda/m) W1     dW2 += (lambda/m) W2
/// </code>
/// w is the optional weight of each class (all 1 without class weights). Each gradient is named after what it
/// differentiates: dZ is dL/dZ, dW1 is dL/dW1, and so on.
/// </summary>
internal static class Backprop
{
    // ---------------------------------------------------------------------------------------------------------
    // Affine: Out = In W + b

    /// <summary>
    /// Out = In W + b, with b added to every row.
    /// In is (m, k), W is (k, n) kept column by column, b is (n); Out is (m, n).
    /// </summary>
    public static void AffineForward<T>(Span<T> output, ReadOnlySpan<T> input, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        int m, int k, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++) sum += input[i * k + p] * weight[j * k + p];
                output[i * n + j] = sum + bias[j];
            }
        }
    }

    /// <summary>
    /// In the forward pass this was: Out = In W + b. Given dOut (m, n):
    /// <code>
    ///   dW  = In^T dOut           (k, n), kept column by column like W
    ///   db  = column sums of dOut (n): b was added to every row
    ///   dIn = dOut W^T            (m, k), only when <paramref name="dInput"/> is not empty
    /// </code>
    /// The first layer's input is the data X, which has no gradient to pass on: it leaves dIn empty.
    /// </summary>
    public static void AffineBackward<T>(Span<T> dWeight, Span<T> dBias, Span<T> dInput, ReadOnlySpan<T> dOutput,
        ReadOnlySpan<T> input, ReadOnlySpan<T> weight, int m, int k, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < k; p++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int i = 0; i < m; i++) sum += input[i * k + p] * dOutput[i * n + j];
                dWeight[j * k + p] = sum;
            }
        }
        for (int j = 0; j < n; j++)
        {
            T sum = T.Zero;
            for (int i = 0; i < m; i++) sum += dOutput[i * n + j];
            dBias[j] = sum;
        }
        if (dInput.IsEmpty) return;
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                T sum = T.Zero;
                for (int j = 0; j < n; j++) sum += dOutput[i * n + j] * weight[j * k + p];
                dInput[i * k + p] = sum;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // ReLU: A = max(0, Hpre)

    /// <summary>A = max(0, Hpre), entry by entry (Hpre and A both (m, H): <paramref name="count"/> = m H entries).</summary>
    public static void ReluForward<T>(Span<T> a, ReadOnlySpan<T> hpre, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++) a[i] = hpre[i] > T.Zero ? hpre[i] : T.Zero;
    }

    /// <summary>
    /// In the forward pass this was: A = max(0, Hpre). Its slope is 1 where Hpre &gt; 0 and 0 elsewhere (at Hpre = 0
    /// too, where it has none: the convention the gradient check shares), so dH = dA * 1[Hpre &gt; 0].
    /// </summary>
    public static void ReluBackward<T>(Span<T> dH, ReadOnlySpan<T> dA, ReadOnlySpan<T> hpre, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++) dH[i] = hpre[i] > T.Zero ? dA[i] : T.Zero;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Softmax with cross-entropy: P = softmax(Z), L_data = -(1/m) sum_i w[y_i] log P[i, y_i]

    /// <summary>
    /// P = softmax(Z), row by row, and returns the data loss L_data = -(1/m) sum_i w[y_i] log P[i, y_i].
    /// Z and P are (m, C); <paramref name="classWeights"/> holds w, one per class, or is empty for all 1.
    /// </summary>
    /// <remarks>
    /// Each row's largest score is subtracted before exp (softmax does not change when a row is shifted), so exp
    /// cannot overflow. The loss of a row, -log P[i, y] = log(sum_j exp(z_j - max)) - (z_y - max), is taken from the
    /// scores rather than from P, whose entry may have rounded to 0. The sum over rows is in double.
    /// </remarks>
    public static double SoftmaxCrossEntropyForward<T>(Span<T> p, ReadOnlySpan<T> z, ReadOnlySpan<int> y,
        ReadOnlySpan<T> classWeights, int m, int c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < m; i++)
        {
            T max = z[i * c];
            for (int j = 1; j < c; j++) max = T.Max(max, z[i * c + j]);
            T sum = T.Zero;
            for (int j = 0; j < c; j++) sum += T.Exp(z[i * c + j] - max);
            for (int j = 0; j < c; j++) p[i * c + j] = T.Exp(z[i * c + j] - max) / sum;

            double loss = double.CreateTruncating(T.Log(sum) - (z[i * c + y[i]] - max));
            double weight = classWeights.IsEmpty ? 1.0 : double.CreateTruncating(classWeights[y[i]]);
            total += weight * loss;
        }
        return total / m;
    }

    /// <summary>
    /// In the forward pass this was: P = softmax(Z) and L_data = -(1/m) sum_i w[y_i] log P[i, y_i].
    /// Through both at once, the gradient of a row is its probabilities less its one-hot label:
    /// dZ = w[y] (P - Y) / m, computed as ((P - Y) / m) w[y]. dZ and P are (m, C).
    /// </summary>
    public static void SoftmaxCrossEntropyBackward<T>(Span<T> dZ, ReadOnlySpan<T> p, ReadOnlySpan<int> y,
        ReadOnlySpan<T> classWeights, int m, int c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(m);
        for (int i = 0; i < m; i++)
        {
            T weight = classWeights.IsEmpty ? T.One : classWeights[y[i]];
            for (int j = 0; j < c; j++)
            {
                T indicator = j == y[i] ? T.One : T.Zero;
                dZ[i * c + j] = (p[i * c + j] - indicator) / count * weight;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // L2 regularization: L_reg = (lambda / (2m)) (||W1||^2 + ||W2||^2); the biases are not regularized

    /// <summary>L_reg = (lambda / (2m)) (||W1||_F^2 + ||W2||_F^2), the squares summed in double.</summary>
    public static double L2Forward<T>(ReadOnlySpan<T> w1, ReadOnlySpan<T> w2, double lambda, int m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double squares = 0;
        foreach (T v in w1) squares += double.CreateTruncating(v) * double.CreateTruncating(v);
        foreach (T v in w2) squares += double.CreateTruncating(v) * double.CreateTruncating(v);
        return lambda / (2.0 * m) * squares;
    }

    /// <summary>
    /// In the forward pass this was: L_reg = (lambda / (2m)) ||W||^2 (for each of W1 and W2). Its gradient is
    /// (lambda/m) W, added to the data's gradient dW already there.
    /// </summary>
    public static void L2Backward<T>(Span<T> dW, ReadOnlySpan<T> weight, double lambda, int m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T decay = T.CreateTruncating(lambda / m);
        for (int i = 0; i < dW.Length; i++) dW[i] += decay * weight[i];
    }

    // ---------------------------------------------------------------------------------------------------------
    // The whole network

    /// <summary>
    /// The forward pass over the first <paramref name="m"/> rows of <paramref name="b"/> (its X and Labels):
    /// fills Hpre, A, Z and P, and returns the loss. It leaves in <paramref name="b"/> what the backward pass
    /// needs: X and A (for dW1 and dW2), Hpre (for the ReLU's mask) and P (for dZ).
    /// </summary>
    public static BatchLoss Forward<T>(ParameterSet<T> parameters, BatchBuffers<T> b, int m, double lambda, T[]? classWeights = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int d, int h, int c) = (parameters.D, parameters.H, parameters.C);
        (T[] W1, T[] b1, T[] W2, T[] b2) = (parameters.W1, parameters.b1, parameters.W2, parameters.b2);

        AffineForward<T>(b.Hpre, b.X, W1, b1, m, d, h);                                 // Hpre = X W1 + b1
        ReluForward<T>(b.A, b.Hpre, m * h);                                             // A = max(0, Hpre)
        AffineForward<T>(b.Z, b.A, W2, b2, m, h, c);                                    // Z = A W2 + b2
        double dataLoss = SoftmaxCrossEntropyForward<T>(b.P, b.Z, b.Labels, classWeights, m, c); // P = softmax(Z), L_data
        double regularizationLoss = L2Forward<T>(W1, W2, lambda, m);                    // L_reg
        return new BatchLoss(dataLoss, regularizationLoss);
    }

    /// <summary>
    /// The backward pass, after <see cref="Forward"/> on the same batch with the same class weights: fills dZ, dA
    /// and dH in <paramref name="b"/>, and the gradient of the loss with respect to every parameter in
    /// <paramref name="gradients"/> (dW1, db1, dW2, db2 in the places of W1, b1, W2, b2).
    /// </summary>
    public static void Backward<T>(ParameterSet<T> parameters, BatchBuffers<T> b, int m, double lambda, ParameterSet<T> gradients,
        T[]? classWeights = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int d, int h, int c) = (parameters.D, parameters.H, parameters.C);
        (T[] W1, T[] W2) = (parameters.W1, parameters.W2);
        (T[] dW1, T[] db1, T[] dW2, T[] db2) = (gradients.W1, gradients.b1, gradients.W2, gradients.b2);

        SoftmaxCrossEntropyBackward<T>(b.dZ, b.P, b.Labels, classWeights, m, c);         // dZ = w[y] (P - Y) / m
        AffineBackward<T>(dW2, db2, b.dA, b.dZ, b.A, W2, m, h, c);                      // dW2 = A^T dZ, db2, dA = dZ W2^T
        L2Backward<T>(dW2, W2, lambda, m);                                              // dW2 += (lambda/m) W2
        ReluBackward<T>(b.dH, b.dA, b.Hpre, m * h);                                     // dH = dA * 1[Hpre > 0]
        AffineBackward<T>(dW1, db1, Span<T>.Empty, b.dH, b.X, W1, m, d, h);             // dW1 = X^T dH, db1
        L2Backward<T>(dW1, W1, lambda, m);                                              // dW1 += (lambda/m) W1
    }
}
