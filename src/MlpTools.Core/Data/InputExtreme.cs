using System.Numerics;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Data;

/// <summary>The largest magnitude a network takes from a dataset (after its scaling), and where it sits (row and feature from 0).</summary>
internal readonly record struct InputExtreme(double Magnitude, int Row, int Feature);

/// <summary>
/// Finds the <see cref="InputExtreme"/> of finite values seen block by block in their order: the largest magnitude and
/// its first place (none while every value is 0). The network's value check uses it on every block it checks, and a
/// reader that converts every value of a dataset anyway (IDX) uses it on each block it converts, and a subset of such a
/// dataset on each row it copies, so that a training's check of the same values needs no pass of its own.
/// </summary>
internal struct ExtremeFinder<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private T _largest;
    private long _after; // 1 + the flat index of the largest magnitude; 0 while none was above 0 (so default is a finder that has seen nothing)

    /// <summary>Takes the next block, finite values that start at flat index <paramref name="first"/> (row * featureCount + feature).</summary>
    public void See(ReadOnlySpan<T> values, long first) => See(values, first, Kernels.MaxAbs<T>(values));

    /// <summary>As <see cref="See(ReadOnlySpan{T}, long)"/>, when the caller knows the block's largest magnitude already.</summary>
    public void See(ReadOnlySpan<T> values, long first, T blockLargest)
    {
        if (blockLargest <= _largest) return;
        _largest = blockLargest;
        int i = 0;
        while (T.Abs(values[i]) != blockLargest) i++;
        _after = first + i + 1;
    }

    /// <summary>Takes what another finder saw, of values that all come after those this one saw.</summary>
    public void Take(in ExtremeFinder<T> later)
    {
        if (later._largest <= _largest) return;
        _largest = later._largest;
        _after = later._after;
    }

    /// <summary>The extreme of every value seen, in rows of <paramref name="featureCount"/>; all zeros when none was above 0.</summary>
    public readonly InputExtreme Result(int featureCount) =>
        _after == 0 ? default : new InputExtreme(double.CreateTruncating(_largest), (int)((_after - 1) / featureCount), (int)((_after - 1) % featureCount));
}
