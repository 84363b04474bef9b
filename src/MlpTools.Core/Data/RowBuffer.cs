namespace MlpTools.Core.Data;

/// <summary>
/// Rows of doubles appended one at a time when their number is not known in advance, held in blocks (no
/// doubling-and-copying), then copied once into the exact array a dataset takes.
/// </summary>
internal sealed class RowBuffer
{
    private const int BlockValues = 1 << 16;
    private readonly List<double[]> _blocks = new();
    private readonly int _rowsPerBlock;
    private int _rowsInLast;

    public RowBuffer(int featureCount)
    {
        FeatureCount = featureCount;
        _rowsPerBlock = Math.Max(1, BlockValues / featureCount);
    }

    public int FeatureCount { get; }

    public int Count { get; private set; }

    /// <summary>The next row, to be filled by the caller; it counts once returned.</summary>
    public Span<double> Append()
    {
        if ((long)(Count + 1) * FeatureCount > Array.MaxLength)
            throw MlpException.InvalidData("DatasetTooLarge",
                Invariant.Format($"{Count + 1:N0} rows of {FeatureCount:N0} features are more values than one array holds ({Array.MaxLength:N0})."));
        if (_blocks.Count == 0 || _rowsInLast == _rowsPerBlock)
        {
            _blocks.Add(new double[(long)_rowsPerBlock * FeatureCount]);
            _rowsInLast = 0;
        }
        Span<double> row = _blocks[^1].AsSpan(_rowsInLast * FeatureCount, FeatureCount);
        _rowsInLast++;
        Count++;
        return row;
    }

    /// <summary>Takes back the last row handed out (a row that failed to parse).</summary>
    public void RemoveLast()
    {
        if (Count == 0) return;
        Count--;
        _rowsInLast--;
        if (_rowsInLast == 0 && _blocks.Count > 0)
        {
            _blocks.RemoveAt(_blocks.Count - 1);
            _rowsInLast = _blocks.Count == 0 ? 0 : _rowsPerBlock;
        }
    }

    /// <summary>All rows, row-major, in one exact array. The buffer is emptied.</summary>
    public double[] ToArray()
    {
        var result = new double[(long)Count * FeatureCount];
        int offset = 0, left = Count;
        foreach (double[] block in _blocks)
        {
            int rows = Math.Min(left, _rowsPerBlock);
            block.AsSpan(0, rows * FeatureCount).CopyTo(result.AsSpan(offset));
            offset += rows * FeatureCount;
            left -= rows;
        }
        _blocks.Clear();
        Count = 0;
        _rowsInLast = 0;
        return result;
    }
}
