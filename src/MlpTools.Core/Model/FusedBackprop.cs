using System.Numerics;
using System.Runtime.CompilerServices;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Model;

/// <summary>
/// Buffers for one batch: its inputs and every intermediate of the forward and backward passes.
/// Sized once for the largest batch, then reused, so a training step allocates nothing.
/// </summary>
/// <remarks>All matrices row-major, one sample a row. m = rows in use, D inputs, H hidden units, C classes.</remarks>
internal sealed class BatchBuffers<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public BatchBuffers(int capacity, int inputSize, int hiddenSize, int classCount)
    {
        Capacity = capacity;
        _inputs = checked(capacity * inputSize);
        _hidden = checked(capacity * hiddenSize);
        Labels = new int[capacity];
        Hpre = new T[_hidden];
        A = new T[_hidden];
        Z = new T[checked(capacity * classCount)];
        P = new T[Z.Length];
    }

    /// <summary>
    /// Buffers of this shape: a spare set an earlier call gave back (<see cref="GiveBack"/>, see <see cref="Spares{TItem}"/>)
    /// when one has this shape, else new ones. Of two spare sets, a pass that goes <paramref name="backward"/> takes the
    /// one that has more of the arrays made when first used (X and the backward pass's), a forward pass the one that
    /// has fewer, so that each finds what it uses already made.
    /// </summary>
    public static BatchBuffers<T> Take(int capacity, int inputSize, int hiddenSize, int classCount, bool backward = false) =>
        Spares<BatchBuffers<T>>.Take((capacity, inputSize, hiddenSize, classCount, backward), static (spare, shape) =>
            spare.Capacity == shape.capacity && spare._inputs == (long)shape.capacity * shape.inputSize
            && spare._hidden == (long)shape.capacity * shape.hiddenSize && spare.Z.Length == (long)shape.capacity * shape.classCount,
            static (spare, shape) => shape.backward ? spare.Made : -spare.Made)
        ?? new BatchBuffers<T>(capacity, inputSize, hiddenSize, classCount);

    /// <summary>The bytes of the arrays made so far.</summary>
    private long Bytes =>
        ((long)(_x?.Length ?? 0) + Hpre.Length + A.Length + Z.Length + P.Length + (_dZ?.Length ?? 0) + (_dA?.Length ?? 0) + (_dH?.Length ?? 0))
        * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() + (long)Labels.Length * sizeof(int);

    /// <summary>How many of the arrays made when first used (X, dZ, dA, dH) are made.</summary>
    private int Made => (_x is null ? 0 : 1) + (_dZ is null ? 0 : 1) + (_dA is null ? 0 : 1) + (_dH is null ? 0 : 1);

    /// <summary>Keeps <paramref name="buffers"/> as a spare set (without its reference to the rows it last read in place).</summary>
    public static void GiveBack(BatchBuffers<T> buffers)
    {
        buffers.ReadFromX();
        Spares<BatchBuffers<T>>.GiveBack(buffers, buffers.Bytes);
    }

    // X and the backward pass's arrays are made when first used: a pass that only goes forward over rows read in place
    // (prediction, evaluation, the starting loss) needs neither, and X alone is larger than all the others at D = 784.
    private readonly int _inputs, _hidden;
    private T[]? _x, _dZ, _dA, _dH, _input;

    /// <summary>
    /// The array the batch's inputs are read from, m x D from <see cref="InputStart"/> on: <see cref="X"/> once a batch
    /// is gathered into it, or a dataset's own rows, read in place by a pass that takes them in order and unscaled
    /// (see Mlp.ForEachBatch).
    /// </summary>
    public T[] Input => _input ?? X;

    /// <summary>The batch's first input in <see cref="Input"/>.</summary>
    public int InputStart { get; private set; }

    /// <summary>The batch's inputs: m rows of d.</summary>
    public ReadOnlySpan<T> InputRows(int m, int d) => Input.AsSpan(InputStart, m * d);

    /// <summary>The batch's inputs are in <see cref="X"/> (a gather has filled it).</summary>
    public void ReadFromX()
    {
        _input = null;
        InputStart = 0;
    }

    /// <summary>The batch's inputs are <paramref name="rows"/> from <paramref name="start"/> on, read in place.</summary>
    public void ReadInPlace(T[] rows, int start)
    {
        _input = rows;
        InputStart = start;
    }

    public int Capacity { get; }
    public T[] X => _x ??= new T[_inputs];    // m x D  inputs, when gathered (see Input)
    public int[] Labels { get; }              // m      y, in 0..C-1
    public T[] Hpre { get; }                  // m x H  X W1 + b1
    public T[] A { get; }                     // m x H  max(0, Hpre)
    public T[] Z { get; }                     // m x C  A W2 + b2
    public T[] P { get; }                     // m x C  softmax(Z)
    public T[] dZ => _dZ ??= new T[Z.Length]; // m x C  (P - Y) / m, each row times its class weight when weighted
    public T[] dA => _dA ??= new T[_hidden];  // m x H  dZ W2^T
    public T[] dH => _dH ??= new T[_hidden];  // m x H  dA * 1[Hpre > 0]
}

/// <summary>The loss of one batch, split into its two terms.</summary>
internal readonly record struct BatchLoss(double DataLoss, double RegularizationLoss)
{
    public double Total => DataLoss + RegularizationLoss;
}

/// <summary>
/// The two-layer network's forward and backward passes as training runs them: each stage's loops fused into the
/// kernels of the Numerics seam (cache-blocked products, bias and ReLU in one pass, the softmax, its loss and dZ in
/// one pass). <see cref="Backprop"/> is the same derivation written plainly, stage by stage, and the tests hold
/// this path to it.
/// <code>
///   Hpre = X W1 + b1            dW2 = A^T dZ + (lambda/m) W2     db2 = column sums of dZ
///   A    = max(0, Hpre)         dA  = dZ W2^T
///   Z    = A W2 + b2            dH  = dA * 1[Hpre > 0]
///   P    = softmax(Z)           dW1 = X^T dH + (lambda/m) W1     db1 = column sums of dH
///   L    = -(1/m) sum_i log P[i, y_i] + (lambda / (2m)) (||W1||^2 + ||W2||^2)
///   dZ   = (P - Y) / m
/// </code>
/// Shapes: X is m x D, W1 D x H, b1 H, W2 H x C, b2 C. Parameters are stored column-major (see
/// <see cref="ParameterSet{T}"/>), so W1's array read row-major is W1^T (H x D) and W2's is W2^T (C x H);
/// each product below names the form it computes.
/// </summary>
internal static class FusedBackprop
{
    /// <summary>
    /// Forward pass over the first <paramref name="m"/> rows of <paramref name="b"/>: fills Hpre, A, Z and P,
    /// and returns the loss. When <paramref name="withGradientSeed"/> is set it also fills dZ = (P - Y)/m,
    /// ready for <see cref="Backward"/>.
    /// </summary>
    /// <remarks>
    /// With <paramref name="classWeights"/> (one per class) each sample's cross-entropy and its row of dZ are
    /// multiplied by the weight of its class: L_data = -(1/m) sum_i w[y_i] log P[i, y_i], dZ[i,:] = w[y_i] (P - Y)[i,:] / m.
    /// <paramref name="weightSquares"/>, when given, is ||W1||_F^2 + ||W2||_F^2 of <paramref name="w"/> as
    /// <see cref="RegularizationLoss"/> measures it, for a caller that runs many batches through the same weights.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BatchLoss Forward<T>(ParameterSet<T> w, BatchBuffers<T> b, int m, double lambda, bool withGradientSeed,
        T[]? classWeights = null, double? weightSquares = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ForwardScores(w, b, m);
        return Loss(w, b, 0, m, lambda, withGradientSeed, classWeights, weightSquares);
    }

    /// <summary>
    /// The loss of a batch of <paramref name="m"/> rows whose scores Z are in <paramref name="b"/> from row
    /// <paramref name="first"/> on (<see cref="ForwardScores"/> of those rows, or of more rows at once): fills their P
    /// (and their dZ, with <paramref name="withGradientSeed"/>), as <see cref="Forward"/> does for a batch of its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static BatchLoss Loss<T>(ParameterSet<T> w, BatchBuffers<T> b, int first, int m, double lambda, bool withGradientSeed,
        T[]? classWeights = null, double? weightSquares = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = w.C;
        Span<T> z = b.Z.AsSpan(first * c, m * c), p = b.P.AsSpan(first * c, m * c);
        // P = softmax(Z); data loss = -(1/m) sum_i w[y_i] log P[i, y_i]; dZ = w[y] (P - Y) / m (w = 1 unweighted).
        T invM = T.One / T.CreateTruncating(m);
        Span<T> dz = withGradientSeed ? b.dZ.AsSpan(first * c, m * c) : Span<T>.Empty;
        double dataLoss = Kernels.SoftmaxCrossEntropy<T>(z, b.Labels.AsSpan(first, m), p, dz, m, c, invM, classWeights) / m;
        return new BatchLoss(dataLoss, RegularizationLoss(w, m, lambda, weightSquares));
    }

    /// <summary>The forward pass up to the scores: fills Hpre, A and Z for the first m rows (no labels needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardScores<T>(ParameterSet<T> w, BatchBuffers<T> b, int m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = w.D, h = w.H, c = w.C;
        Span<T> hpre = b.Hpre.AsSpan(0, m * h), a = b.A.AsSpan(0, m * h);
        Span<T> z = b.Z.AsSpan(0, m * c);

        // Hpre = X W1 + b1: X (m x D) times W1, whose array is W1^T (H x D), so the form is X * (W1^T)^T; and
        // A = max(0, Hpre), each block as soon as the product has finished it.
        Kernels.GemmBiasRelu<T>(false, true, m, h, d, b.InputRows(m, d), d, w.W1, d, hpre, h, w.b1, a, h);
        // Z = A W2 + b2.
        Kernels.Gemm<T>(false, true, m, c, h, a, h, w.W2, h, z, c, accumulate: false);
        Kernels.AddBias<T>(z, w.b2, m, c);
    }

    /// <summary>How many of the first m rows have their label as the most probable class in P.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CountCorrect<T>(BatchBuffers<T> b, int m, int c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int correct = 0;
        for (int i = 0; i < m; i++)
            if (ArgMax<T>(b.P.AsSpan(i * c, c)) == b.Labels[i]) correct++;
        return correct;
    }

    /// <summary>The index of the largest entry of a row (the first, on ties): the predicted class of a row of P.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ArgMax<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    /// <summary>
    /// (lambda / (2m)) (||W1||_F^2 + ||W2||_F^2); biases are not regularized. The sum of squares is measured, or taken
    /// from <paramref name="weightSquares"/> (<see cref="WeightSquares{T}(ParameterSet{T})"/> of the same weights).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double RegularizationLoss<T>(ParameterSet<T> w, int m, double lambda, double? weightSquares = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        lambda == 0 ? 0.0 : lambda / (2.0 * m) * (weightSquares ?? WeightSquares(w));

    /// <summary>||W1||_F^2 + ||W2||_F^2, in double, as the L2 penalty takes it.</summary>
    public static double WeightSquares<T>(ParameterSet<T> w)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Kernels.SumOfSquares<T>(w.W1) + Kernels.SumOfSquares<T>(w.W2);

    /// <summary>
    /// The same sum from an optimizer step's <see cref="ArraySquares"/> (one per parameter, in the order of
    /// <see cref="ParameterSet{T}.Names"/>): the same bits as <see cref="WeightSquares{T}(ParameterSet{T})"/> of the
    /// updated weights.
    /// </summary>
    public static double WeightSquares(ReadOnlySpan<ArraySquares> squares) => squares[0].Weights + squares[2].Weights;

    /// <summary>
    /// Backward pass, after <see cref="Forward"/> with the gradient seed: fills dA, dH and the gradients
    /// <paramref name="g"/> of the loss with respect to every parameter.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ParameterSet<T> w, BatchBuffers<T> b, int m, double lambda, ParameterSet<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = w.D, h = w.H, c = w.C;
        ReadOnlySpan<T> x = b.InputRows(m, d), hpre = b.Hpre.AsSpan(0, m * h), a = b.A.AsSpan(0, m * h);
        ReadOnlySpan<T> dz = b.dZ.AsSpan(0, m * c);
        Span<T> da = b.dA.AsSpan(0, m * h), dh = b.dH.AsSpan(0, m * h);
        T decay = T.CreateTruncating(lambda / m);

        // In the forward pass this was: Z = A W2 + b2.
        // dW2 = A^T dZ + (lambda/m) W2. Its array holds dW2^T = dZ^T A (C x H).
        Kernels.GemmPlusScaled<T>(true, false, c, h, m, dz, c, a, h, g.W2, h, decay, w.W2, h);
        // db2 = column sums of dZ.
        Kernels.ColumnSums<T>(dz, m, c, g.b2);
        // dA = dZ W2^T: W2's array is already W2^T (C x H).
        Kernels.Gemm<T>(false, false, m, h, c, dz, c, w.W2, h, da, h, accumulate: false);

        // In the forward pass this was: A = max(0, Hpre).
        // dH = dA * 1[Hpre > 0], and db1 = column sums of dH in the same pass.
        Kernels.ReluBackwardColumnSums<T>(da, hpre, dh, m, h, g.b1);

        // In the forward pass this was: Hpre = X W1 + b1.
        // dW1 = X^T dH + (lambda/m) W1. Its array holds dW1^T = dH^T X (H x D).
        Kernels.GemmPlusScaled<T>(true, false, h, d, m, dh, h, x, d, g.W1, d, decay, w.W1, d);
    }
}
