using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace MlpTools.Core.Model;

/// <summary>
/// Four arrays shaped like the network's parameters: W1 (D x H), b1 (H), W2 (H x C), b2 (C).
/// The network's weights, its gradients and an optimizer's state are each one of these.
/// </summary>
/// <remarks>
/// Matrices are stored column-major, exactly as a MathNet <c>DenseMatrix</c> keeps them, so the same
/// arrays back the <see cref="Matrix{T}"/> objects users see: read row-major, W1's array is W1 transposed
/// (H x D) and W2's is W2 transposed (C x H).
/// </remarks>
internal sealed class ParameterSet<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public ParameterSet(int inputSize, int hiddenSize, int classCount)
    {
        D = inputSize;
        H = hiddenSize;
        C = classCount;
        W1 = new T[checked(D * H)];
        b1 = new T[H];
        W2 = new T[checked(H * C)];
        b2 = new T[C];
    }

    /// <summary>Inputs (D), hidden units (H), classes (C).</summary>
    public int D { get; }
    public int H { get; }
    public int C { get; }

    public T[] W1 { get; }
    public T[] b1 { get; }
    public T[] W2 { get; }
    public T[] b2 { get; }

    /// <summary>The names of the four parameters, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "W1", "b1", "W2", "b2" };

    /// <summary>The k-th array, in the order of <see cref="Names"/>.</summary>
    public T[] this[int k] => k switch { 0 => W1, 1 => b1, 2 => W2, 3 => b2, _ => throw new ArgumentOutOfRangeException(nameof(k)) };

    /// <summary>Rows and columns of the k-th parameter as a user sees it (a vector is n x 1).</summary>
    public (int Rows, int Columns) Shape(int k) => k switch
    {
        0 => (D, H),
        1 => (H, 1),
        2 => (H, C),
        3 => (C, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public int Count => W1.Length + b1.Length + W2.Length + b2.Length;

    /// <summary>
    /// A set of this shape whose contents the caller writes in full before reading them: a spare one a call gave back
    /// (<see cref="GiveBack"/>, see <see cref="Spares{TItem}"/>) when one has this shape, else a new one.
    /// </summary>
    public static ParameterSet<T> Scratch(int inputSize, int hiddenSize, int classCount) =>
        Spares<ParameterSet<T>>.Take((inputSize, hiddenSize, classCount), static (spare, shape) =>
            spare.D == shape.inputSize && spare.H == shape.hiddenSize && spare.C == shape.classCount)
        ?? new ParameterSet<T>(inputSize, hiddenSize, classCount);

    /// <summary>Keeps <paramref name="set"/>, which nothing else refers to any more, for a later <see cref="Scratch"/>.</summary>
    public static void GiveBack(ParameterSet<T> set) => Spares<ParameterSet<T>>.GiveBack(set, (long)set.Count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());

    public ParameterSet<T> Clone()
    {
        var copy = new ParameterSet<T>(D, H, C);
        copy.CopyFrom(this);
        return copy;
    }

    public void CopyFrom(ParameterSet<T> other)
    {
        for (int k = 0; k < 4; k++) other[k].CopyTo(this[k], 0);
    }

    public void Clear()
    {
        for (int k = 0; k < 4; k++) Array.Clear(this[k]);
    }

    public bool AllFinite()
    {
        for (int k = 0; k < 4; k++)
            if (!Numerics.Kernels.AllFinite<T>(this[k])) return false;
        return true;
    }

    /// <summary>A MathNet matrix bound to (not copied from) the array of W1 or W2.</summary>
    public Matrix<T> BindMatrix(int k)
    {
        var (rows, cols) = Shape(k);
        return Matrix<T>.Build.Dense(rows, cols, this[k]);
    }

    /// <summary>A MathNet vector bound to (not copied from) the array of b1 or b2.</summary>
    public MathNet.Numerics.LinearAlgebra.Vector<T> BindVector(int k) => MathNet.Numerics.LinearAlgebra.Vector<T>.Build.Dense(this[k]);

    /// <summary>A parameter set in another precision holding the same values (rounded when narrowing).</summary>
    public ParameterSet<TOut> Convert<TOut>()
        where TOut : unmanaged, IFloatingPointIeee754<TOut>
    {
        var result = new ParameterSet<TOut>(D, H, C);
        for (int k = 0; k < 4; k++)
        {
            T[] from = this[k];
            TOut[] to = result[k];
            for (int i = 0; i < from.Length; i++) to[i] = TOut.CreateTruncating(from[i]);
        }
        return result;
    }
}
