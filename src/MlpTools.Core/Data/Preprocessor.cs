using System.Globalization;
using System.Numerics;

namespace MlpTools.Core.Data;

/// <summary>How a <see cref="Preprocessor"/> scales each feature.</summary>
public enum ScalingKind
{
    /// <summary>Subtract the feature's mean, divide by its population standard deviation: mean 0, deviation 1 on the training data.</summary>
    Standardize,
    /// <summary>Subtract the feature's minimum, divide by its range: [0,1] on the training data.</summary>
    MinMax,
}

/// <summary>
/// Per-feature scaling fitted on training data and then applied, unchanged, to every batch the model sees
/// (training, validation, test, prediction): <c>x'[j] = (x[j] - Offsets[j]) / Scales[j]</c>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ScalingKind.Standardize"/>: Offsets are the means, Scales the population deviations
/// sqrt(sum (x - mean)^2 / n). <see cref="ScalingKind.MinMax"/>: Offsets are the minima, Scales the ranges max - min.
/// A constant feature gets Offset = its value and Scale = 1, so it becomes 0 and never NaN.
/// </para>
/// <para>
/// Fit on the training part only: statistics taken over validation or test data leak them into training.
/// The state is plain data (<see cref="Kind"/>, <see cref="Offsets"/>, <see cref="Scales"/>) so a model file can carry it;
/// the constructor rebuilds it. Arithmetic runs in the precision of the data: single-precision rows use the offsets and
/// scales rounded to float, and every element is computed the same way with or without SIMD, so
/// <see cref="Apply"/> and <see cref="ApplyInPlace{T}"/> give identical results.
/// </para>
/// </remarks>
public sealed class Preprocessor
{
    private const int BlockRows = 256;
    private readonly double[] _offsets;
    private readonly double[] _scales;
    private readonly float[] _offsetsSingle;
    private readonly float[] _scalesSingle;

    /// <summary>A preprocessor from its stored state (for example, read back from a model file).</summary>
    /// <param name="kind">How the values were fitted (recorded; the transform is the same formula for both kinds).</param>
    /// <param name="offsets">What is subtracted from each feature.</param>
    /// <param name="scales">What each feature is then divided by; every one finite and above 0.</param>
    public Preprocessor(ScalingKind kind, IReadOnlyList<double> offsets, IReadOnlyList<double> scales)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(scales);
        if (!Enum.IsDefined(kind))
            throw MlpException.Argument("InvalidScalingKind", $"'{kind}' is not a scaling kind; use Standardize or MinMax.", kind);
        if (offsets.Count == 0 || offsets.Count != scales.Count)
            throw MlpException.InvalidData("PreprocessorShapeMismatch",
                Invariant.Format($"A preprocessor needs one offset and one scale per feature (at least one), but has {offsets.Count} offsets and {scales.Count} scales."));
        for (int j = 0; j < offsets.Count; j++)
        {
            if (!double.IsFinite(offsets[j]) || !double.IsFinite(scales[j]) || scales[j] <= 0)
                throw MlpException.InvalidData("PreprocessorInvalidValue",
                    Invariant.Format($"Feature {j} has offset {offsets[j]} and scale {scales[j]}; offsets must be finite and scales finite and above 0."), j);
        }
        Kind = kind;
        _offsets = offsets.ToArray();
        _scales = scales.ToArray();
        _offsetsSingle = _offsets.Select(v => (float)v).ToArray();
        _scalesSingle = _scales.Select(v => (float)v).ToArray();
        // A scale that is positive in double precision can round to 0 in single precision.
        for (int j = 0; j < _scalesSingle.Length; j++)
            if (_scalesSingle[j] == 0 || !float.IsFinite(_scalesSingle[j]) || !float.IsFinite(_offsetsSingle[j]))
                throw MlpException.InvalidData("PreprocessorInvalidValue",
                    Invariant.Format($"Feature {j} has offset {_offsets[j]} and scale {_scales[j]}, which single precision cannot hold."), j);
        Offsets = Array.AsReadOnly(_offsets);
        Scales = Array.AsReadOnly(_scales);
    }

    /// <summary>How the offsets and scales were fitted.</summary>
    public ScalingKind Kind { get; }

    /// <summary>What is subtracted from each feature (means or minima).</summary>
    public IReadOnlyList<double> Offsets { get; }

    /// <summary>What each feature is divided by after that (deviations or ranges; 1 for a constant feature).</summary>
    public IReadOnlyList<double> Scales { get; }

    /// <summary>How many features it scales.</summary>
    public int FeatureCount => _offsets.Length;

    /// <summary>Fits a preprocessor to <paramref name="train"/> (which it does not change). Statistics are taken in double precision.</summary>
    public static Preprocessor Fit(Dataset train, ScalingKind kind = ScalingKind.Standardize)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
            throw MlpException.InvalidData("PreprocessorNoData", $"'{train.Name}' has no samples to fit a preprocessor to.");
        int n = train.Count, d = train.FeatureCount;
        var min = new double[d];
        var max = new double[d];
        var sum = new double[d];
        Array.Fill(min, double.PositiveInfinity);
        Array.Fill(max, double.NegativeInfinity);
        ForEachBlock(train, (rows, count) =>
        {
            for (int r = 0; r < count; r++)
            {
                ReadOnlySpan<double> x = rows.Slice(r * d, d);
                for (int j = 0; j < d; j++)
                {
                    double v = x[j];
                    sum[j] += v;
                    if (v < min[j]) min[j] = v;
                    if (v > max[j]) max[j] = v;
                }
            }
        });
        for (int j = 0; j < d; j++)
        {
            if (!double.IsFinite(min[j]) || !double.IsFinite(max[j]) || !double.IsFinite(sum[j]))
                throw MlpException.InvalidData("PreprocessorNonFiniteData",
                    Invariant.Format($"Feature {j} ('{train.FeatureNames[j]}') of '{train.Name}' has values that are not finite (or whose sum is not); scaling needs finite values."), j);
        }

        var offsets = new double[d];
        var scales = new double[d];
        if (kind == ScalingKind.MinMax)
        {
            for (int j = 0; j < d; j++)
            {
                offsets[j] = min[j];
                double range = max[j] - min[j];
                scales[j] = range > 0 && double.IsFinite(range) ? range : 1;
            }
        }
        else
        {
            var mean = new double[d];
            for (int j = 0; j < d; j++) mean[j] = sum[j] / n;
            var squares = new double[d];
            ForEachBlock(train, (rows, count) =>
            {
                for (int r = 0; r < count; r++)
                {
                    ReadOnlySpan<double> x = rows.Slice(r * d, d);
                    for (int j = 0; j < d; j++)
                    {
                        double e = x[j] - mean[j];
                        squares[j] += e * e;
                    }
                }
            });
            for (int j = 0; j < d; j++)
            {
                // A constant feature (max == min) is centred on its exact value, not on a mean with rounding error.
                bool constant = max[j] == min[j];
                offsets[j] = constant ? min[j] : mean[j];
                double deviation = Math.Sqrt(squares[j] / n);
                scales[j] = !constant && deviation > 0 && double.IsFinite(deviation) ? deviation : 1;
            }
        }
        return new Preprocessor(kind, offsets, scales);
    }

    /// <summary>A new dataset with every feature scaled, in the same storage precision, with the same labels and names.</summary>
    public Dataset Apply(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatureCount(data.FeatureCount, $"'{data.Name}'");
        int n = data.Count, d = data.FeatureCount;
        if (data.StoragePrecision == Precision.Single)
        {
            float[] x = Gather<float>(data);
            ApplyInPlace<float>(x);
            return Dataset.FromRows(x, n, d, data.Labels, data.ClassNames, data.FeatureNames, data.Name, data.Source, data.Attribution, data.LabelName, data.ImageShape);
        }
        double[] xd = Gather<double>(data);
        ApplyInPlace<double>(xd);
        return Dataset.FromRows(xd, n, d, data.Labels, data.ClassNames, data.FeatureNames, data.Name, data.Source, data.Attribution, data.LabelName, data.ImageShape);
    }

    /// <summary>
    /// Scales a batch in place: <paramref name="rows"/> holds whole rows of <see cref="FeatureCount"/> values, one sample a
    /// row, row-major. No allocation.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ApplyInPlace<T>(Span<T> rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = _offsets.Length;
        if (rows.Length % d != 0)
            throw new ArgumentException(Invariant.Format($"The batch has {rows.Length} values, not a whole number of rows of {d} features."), nameof(rows));
        if (typeof(T) == typeof(float))
            Transform(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(rows), _offsetsSingle, _scalesSingle);
        else if (typeof(T) == typeof(double))
            Transform(System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(rows), _offsets, _scales);
        else
            throw new NotSupportedException($"Scaling {typeof(T).Name} values is not supported; use float or double.");
    }

    /// <inheritdoc />
    public override string ToString() =>
        Invariant.Format($"{Kind} preprocessor over {FeatureCount} features");

    internal void CheckFeatureCount(int featureCount, string what)
    {
        if (featureCount != FeatureCount)
            throw MlpException.InvalidData("PreprocessorFeatureMismatch",
                Invariant.Format($"{what} has {featureCount} features, but the preprocessor was fitted to {FeatureCount}."), featureCount);
    }

    /// <summary>row[j] = (row[j] - offset[j]) / scale[j] for every row; the vector lanes and the scalar tail compute the same IEEE operations.</summary>
    private static void Transform<T>(Span<T> rows, T[] offset, T[] scale)
        where T : unmanaged, INumber<T>
    {
        int d = offset.Length, w = Vector<T>.Count;
        for (int r = 0; r < rows.Length; r += d)
        {
            Span<T> row = rows.Slice(r, d);
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j <= d - w; j += w)
                {
                    var v = (new Vector<T>(row[j..]) - new Vector<T>(offset, j)) / new Vector<T>(scale, j);
                    v.CopyTo(row[j..]);
                }
            }
            for (; j < d; j++) row[j] = (row[j] - offset[j]) / scale[j];
        }
    }

    private static T[] Gather<T>(Dataset data)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = data.Count, d = data.FeatureCount;
        var result = new T[(long)n * d];
        var index = new int[Math.Min(BlockRows, Math.Max(n, 1))];
        for (int start = 0; start < n; start += index.Length)
        {
            int count = Math.Min(index.Length, n - start);
            for (int r = 0; r < count; r++) index[r] = start + r;
            data.GatherRows<T>(index.AsSpan(0, count), result.AsSpan(start * d, count * d));
        }
        return result;
    }

    private delegate void BlockAction(ReadOnlySpan<double> rows, int count);

    /// <summary>Visits the rows of <paramref name="data"/> in double precision, a block at a time.</summary>
    private static void ForEachBlock(Dataset data, BlockAction action)
    {
        int n = data.Count, d = data.FeatureCount;
        int block = Math.Max(1, Math.Min(BlockRows, n));
        var index = new int[block];
        var buffer = new double[(long)block * d];
        for (int start = 0; start < n; start += block)
        {
            int count = Math.Min(block, n - start);
            for (int r = 0; r < count; r++) index[r] = start + r;
            data.GatherRows<double>(index.AsSpan(0, count), buffer);
            action(buffer.AsSpan(0, count * d), count);
        }
    }
}
