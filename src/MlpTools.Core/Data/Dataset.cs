using System.Globalization;
using System.Numerics;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Data;

/// <summary>
/// A labelled data set: <see cref="Count"/> samples of <see cref="FeatureCount"/> features each, one
/// sample a row, and a class label in 0..<see cref="ClassCount"/>-1 for each.
/// </summary>
/// <remarks>
/// Features are stored once, row-major, in single or double precision (whichever the source needs to be
/// exact); mini-batches are gathered from that storage by row index. <see cref="Features"/> hands out a
/// MathNet matrix built on first request. Deliberately not enumerable: a dataset travels down a
/// PowerShell pipeline as one object.
/// </remarks>
public sealed class Dataset
{
    private readonly float[]? _single;
    private readonly double[]? _double;
    private readonly int[] _labels;
    private readonly int[]? _sourceRows;
    private Matrix<double>? _features;

    /// <summary>A dataset over the given storage (one of <paramref name="single"/> and <paramref name="dbl"/>), checked. Takes ownership of the arrays.</summary>
    internal Dataset(float[]? single, double[]? dbl, int count, int featureCount, int[] labels,
        IReadOnlyList<string> classNames, IReadOnlyList<string> featureNames, string name, string source, string? attribution,
        int[]? sourceRows = null, string? labelName = null, ImageShape? imageShape = null)
    {
        _sourceRows = sourceRows;
        ImageShape = imageShape;
        LabelName = string.IsNullOrWhiteSpace(labelName) ? null : labelName;
        _single = single;
        _double = dbl;
        Count = count;
        FeatureCount = featureCount;
        _labels = labels;
        ClassNames = classNames;
        FeatureNames = featureNames;
        Name = name;
        Source = source;
        Attribution = attribution;
        Validate();
    }

    /// <summary>A dataset over single-precision row-major features (count x featureCount). Takes ownership of the arrays.</summary>
    public static Dataset FromRows(float[] rows, int count, int featureCount, int[] labels, IReadOnlyList<string> classNames,
        IReadOnlyList<string>? featureNames = null, string name = "Dataset", string source = "", string? attribution = null, string? labelName = null,
        ImageShape? imageShape = null) =>
        new(rows, null, count, featureCount, labels, classNames, featureNames ?? DefaultFeatureNames(featureCount), name, source, attribution,
            labelName: labelName, imageShape: imageShape);

    /// <summary>A dataset over double-precision row-major features (count x featureCount). Takes ownership of the arrays.</summary>
    public static Dataset FromRows(double[] rows, int count, int featureCount, int[] labels, IReadOnlyList<string> classNames,
        IReadOnlyList<string>? featureNames = null, string name = "Dataset", string source = "", string? attribution = null, string? labelName = null,
        ImageShape? imageShape = null) =>
        new(null, rows, count, featureCount, labels, classNames, featureNames ?? DefaultFeatureNames(featureCount), name, source, attribution,
            labelName: labelName, imageShape: imageShape);

    /// <summary>A dataset from a MathNet matrix (one sample a row) and labels; classes are 0..classCount-1.</summary>
    public static Dataset FromMatrix(Matrix<double> features, int[] labels, int? classCount = null, string name = "Dataset", string source = "")
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        int count = features.RowCount, d = features.ColumnCount;
        var rows = new double[(long)count * d];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < d; j++) rows[(long)i * d + j] = features[i, j];
        int classes = classCount ?? (labels.Length == 0 ? 0 : labels.Max() + 1);
        return FromRows(rows, count, d, (int[])labels.Clone(), DefaultClassNames(classes), null, name, source);
    }

    /// <summary>Class names "0".."n-1".</summary>
    public static IReadOnlyList<string> DefaultClassNames(int count) => Data.ClassNames.Numbered(count);

    /// <summary>Feature names "x0".."x{n-1}".</summary>
    public static IReadOnlyList<string> DefaultFeatureNames(int count) =>
        Enumerable.Range(0, count).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>How many samples (rows).</summary>
    public int Count { get; }

    /// <summary>How many features each sample has (columns).</summary>
    public int FeatureCount { get; }

    /// <summary>How many classes the labels range over.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>The name of each class; label k means <c>ClassNames[k]</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The name of each feature column.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>A copy of the labels, one per sample, each in 0..ClassCount-1.</summary>
    public int[] Labels => (int[])_labels.Clone();

    /// <summary>
    /// For a dataset taken from another (a part of Split-Dataset, a Subset): row i here is row SourceRows[i] (0-based)
    /// of the dataset first read or built, through any number of takes; null for a dataset read or built whole.
    /// </summary>
    public IReadOnlyList<int>? SourceRows => _sourceRows;

    /// <summary>The features, row-major, when the dataset holds them in single precision; else null.</summary>
    internal float[]? SingleRows => _single;

    /// <summary>The features, row-major, when the dataset holds them in double precision; else null.</summary>
    internal double[]? DoubleRows => _double;

    /// <summary>The features, row-major, when the dataset holds them in precision <typeparamref name="T"/>; else null.</summary>
    internal T[]? RowsIn<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? (T[]?)(object?)_single : typeof(T) == typeof(double) ? (T[]?)(object?)_double : null;

    /// <summary>The features as a MathNet matrix, one sample a row (built on first request, then shared).</summary>
    public Matrix<double> Features => _features ??= BuildMatrix();

    /// <summary>A short name, such as <c>Digits</c>.</summary>
    public string Name { get; }

    /// <summary>Where the data came from (a file path, or a built-in's description).</summary>
    public string Source { get; }

    /// <summary>The credit the data's authors ask for, when there is one.</summary>
    public string? Attribution { get; }

    /// <summary>
    /// What the labels are called where they came from (the label column's header, ConvertTo-Dataset's -LabelProperty),
    /// or null when nothing named them. A network trained on the dataset keeps it, to find the labels among objects to predict.
    /// </summary>
    public string? LabelName { get; }

    /// <summary>
    /// The image each sample is, when the features are an image's pixels row by row (8x8 for Digits, the last two
    /// dimensions of an IDX file of images); null when nothing says so. Parts and subsets keep it; a network made from or
    /// trained on the dataset takes it.
    /// </summary>
    public ImageShape? ImageShape { get; }

    /// <summary>
    /// The <see cref="InputExtreme"/> of the stored values when the reader that made the dataset found it as it converted
    /// them (it refuses values that are not finite); null otherwise. Set by that reader before it hands the dataset out,
    /// kept by the datasets that share its features (<see cref="Renamed"/>, <see cref="Relabel"/>), and found anew by a
    /// <see cref="Subset"/> of them as it copies its rows: a network's value check of the same values then needs no pass
    /// of its own.
    /// </summary>
    internal InputExtreme? ReadExtreme { get; set; }

    /// <summary>The precision the features are stored in.</summary>
    public Precision StoragePrecision => _single is not null ? Precision.Single : Precision.Double;

    internal ReadOnlySpan<int> LabelSpan => _labels;

    /// <summary><see cref="SourceRows"/> without a copy; empty when the dataset has none.</summary>
    internal ReadOnlySpan<int> SourceRowSpan => _sourceRows;

    /// <summary>How many samples of each class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int y in _labels) counts[y]++;
        return counts;
    }

    /// <summary>Copies the features of the given rows into <paramref name="destination"/> (rows.Length x FeatureCount, row-major).</summary>
    /// <remarks>
    /// Rows picked at random from a large set come from main memory one by one, so a mini-batch is gathered on the
    /// kernel threads when it is large (a copy: the result does not depend on the threads). Measured on 200
    /// Fashion-MNIST rows: 52-80 us on two cores against 103-161 us on one.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal void GatherRows<T>(ReadOnlySpan<int> rows, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        GatherRows(rows, destination, find: false);

    /// <summary>
    /// As <see cref="GatherRows{T}(ReadOnlySpan{int}, Span{T})"/>; with <paramref name="find"/>, also the
    /// <see cref="InputExtreme"/> of the copied values (finite ones: the caller knows they are), each row looked at while it
    /// is in cache, its row numbers those of <paramref name="destination"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private unsafe InputExtreme GatherRows<T>(ReadOnlySpan<int> rows, Span<T> destination, bool find)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((long)rows.Length * FeatureCount >= ParallelGatherMinimum && KernelThreads.TryEnter())
        {
            try
            {
                fixed (int* pr = rows)
                fixed (T* pd = destination)
                {
                    GatherJob<T> job = GatherJob<T>.Instance;
                    job.Source = this;
                    job.Rows = pr;
                    job.Count = rows.Length;
                    job.Destination = pd;
                    job.Chunks = Math.Min(rows.Length, 2 * KernelThreads.Threads);
                    job.Finders = find ? new ExtremeFinder<T>[job.Chunks] : null;
                    KernelThreads.Run(job, job.Chunks);
                    // The chunks' finds in chunk order, as one finder over the rows in order would make them.
                    var all = new ExtremeFinder<T>();
                    if (job.Finders is { } finders) foreach (ExtremeFinder<T> part in finders) all.Take(part);
                    job.Source = null;
                    job.Rows = null;
                    job.Destination = null;
                    job.Finders = null;
                    return all.Result(FeatureCount);
                }
            }
            finally
            {
                KernelThreads.Exit();
            }
        }
        var finder = new ExtremeFinder<T>();
        GatherRange(rows, destination, find ? new Span<ExtremeFinder<T>>(ref finder) : default, 0);
        return finder.Result(FeatureCount);
    }

    /// <summary>Mini-batches of at least this many elements are gathered on the kernel threads.</summary>
    private const int ParallelGatherMinimum = 1 << 15;

    /// <summary>
    /// Copies rows into <paramref name="destination"/>; with a <paramref name="finder"/> (one element, or empty for none),
    /// each copied row is also shown to it, as row <paramref name="firstRow"/> + r of the whole destination.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void GatherRange<T>(ReadOnlySpan<int> rows, Span<T> destination, Span<ExtremeFinder<T>> finder, long firstRow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = FeatureCount;
        for (int r = 0; r < rows.Length; r++)
        {
            // The rows of a mini-batch lie scattered over data much larger than the caches: the next row is asked for
            // while this one is copied, so its lines do not each wait for memory in turn (a gather of 200 random rows of
            // 784 floats from a cold cache took 122 us instead of 158 us on one core).
            if (r + 1 < rows.Length) PrefetchRow(rows[r + 1]);
            long start = (long)rows[r] * d;
            Span<T> dst = destination.Slice(r * d, d);
            if (_single is not null) Convert<float, T>(_single.AsSpan((int)start, d), dst);
            else Convert<double, T>(_double.AsSpan((int)start, d), dst);
            if (!finder.IsEmpty) finder[0].See(dst, (firstRow + r) * d);
        }
    }

    /// <summary>Asks the processor to bring row <paramref name="row"/> into the caches, without waiting for it (nothing where the processor has no prefetch instruction).</summary>
    /// <remarks>
    /// Hot (once per row of every mini-batch), so compiled optimized from its first call, as the gather is: left to
    /// tiering it ran as unoptimized code through a process's first training while the runtime's recompiling waited.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private unsafe void PrefetchRow(int row)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        long start = (long)row * FeatureCount;
        if (_single is not null)
        {
            fixed (float* p = &_single[start]) PrefetchLines((byte*)p, FeatureCount * sizeof(float));
        }
        else
        {
            fixed (double* p = &_double![start]) PrefetchLines((byte*)p, FeatureCount * sizeof(double));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PrefetchLines(byte* start, int bytes)
    {
        // Every 64-byte line from the first byte to the last (a row need not start on a line).
        byte* last = start + bytes - 1;
        for (byte* at = start; at < last; at += 64) System.Runtime.Intrinsics.X86.Sse.Prefetch0(at);
        System.Runtime.Intrinsics.X86.Sse.Prefetch0(last);
    }

    /// <summary>A gather cut into chunks of consecutive rows.</summary>
    private sealed unsafe class GatherJob<T> : KernelJob
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static GatherJob<T>? t_instance;

        /// <summary>The calling thread's job (a job is filled and run by one caller at a time).</summary>
        public static GatherJob<T> Instance => t_instance ??= new();
        public Dataset? Source;
        public int* Rows;
        public int Count, Chunks;
        public T* Destination;

        /// <summary>One finder per chunk when the gather also finds the copied values' extreme; else null.</summary>
        public ExtremeFinder<T>[]? Finders;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public override void Execute(int chunk)
        {
            int r0 = (int)((long)Count * chunk / Chunks), r1 = (int)((long)Count * (chunk + 1) / Chunks);
            int d = Source!.FeatureCount;
            Span<ExtremeFinder<T>> finder = Finders is null ? default : Finders.AsSpan(chunk, 1);
            Source.GatherRange(new ReadOnlySpan<int>(Rows + r0, r1 - r0), new Span<T>(Destination + (long)r0 * d, (r1 - r0) * d), finder, r0);
        }
    }

    /// <summary>One feature value as the dataset holds it (widened exactly to double): for naming a value in a message.</summary>
    internal double Value(int row, int feature)
    {
        long at = (long)row * FeatureCount + feature;
        return _single is not null ? _single[at] : _double![at];
    }

    /// <summary>Copies the labels of the given rows.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal void GatherLabels(ReadOnlySpan<int> rows, Span<int> destination)
    {
        for (int r = 0; r < rows.Length; r++) destination[r] = _labels[rows[r]];
    }

    /// <summary>A new dataset holding the given rows, in that order, with the same names and storage precision.</summary>
    public Dataset Subset(IReadOnlyList<int> rows, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int d = FeatureCount;
        var idx = rows.ToArray();
        foreach (int r in idx)
            if ((uint)r >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(rows), $"Row {r} is outside 0..{Count - 1}.");
        var labels = new int[idx.Length];
        GatherLabels(idx, labels);
        int[] sourceRows = _sourceRows is null ? (int[])idx.Clone() : Array.ConvertAll(idx, r => _sourceRows[r]);
        // Values known finite (a reader's answer) stay so in a copy: its own answer is found as the rows are copied. The
        // copy is written in full by the gather: not cleared, and of huge pages where they are on (see LargeArrays).
        bool find = ReadExtreme is not null;
        float[]? single = null;
        double[]? dbl = null;
        InputExtreme found;
        if (_single is not null)
        {
            single = LargeArrays.Uninitialized<float>(checked(idx.Length * d));
            found = GatherRows<float>(idx, single, find);
        }
        else
        {
            dbl = LargeArrays.Uninitialized<double>(checked(idx.Length * d));
            found = GatherRows<double>(idx, dbl, find);
        }
        return new Dataset(single, dbl, idx.Length, d, labels, ClassNames, FeatureNames, name ?? Name, Source, Attribution, sourceRows, LabelName, ImageShape)
        {
            ReadExtreme = find ? found : null,
        };
    }

    /// <summary>The same samples (nothing copied) under another name.</summary>
    internal Dataset Renamed(string name) =>
        new(_single, _double, Count, FeatureCount, _labels, ClassNames, FeatureNames, name, Source, Attribution, _sourceRows, LabelName, ImageShape)
        {
            ReadExtreme = ReadExtreme,
        };

    /// <summary>
    /// The same samples (features shared, not copied) with label k renumbered to <paramref name="map"/>[k] and the
    /// classes named <paramref name="classNames"/>.
    /// </summary>
    internal Dataset Relabel(int[] map, IReadOnlyList<string> classNames)
    {
        var labels = new int[_labels.Length];
        for (int i = 0; i < labels.Length; i++) labels[i] = map[_labels[i]];
        return new Dataset(_single, _double, Count, FeatureCount, labels, classNames, FeatureNames, Name, Source, Attribution, _sourceRows, LabelName, ImageShape)
        {
            ReadExtreme = ReadExtreme,
        };
    }

    /// <inheritdoc />
    public override string ToString() =>
        Invariant.Format($"{Name}: {Count} samples x {FeatureCount} features, {ClassCount} classes");

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> from, Span<TTo> to)
        where TFrom : unmanaged, IFloatingPointIeee754<TFrom>
        where TTo : unmanaged, IFloatingPointIeee754<TTo>
    {
        if (typeof(TFrom) == typeof(TTo))
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(from).CopyTo(to);
            return;
        }
        int at = 0;
        if (typeof(TFrom) == typeof(float) && typeof(TTo) == typeof(double) && System.Numerics.Vector.IsHardwareAccelerated)
        {
            // float to double is exact: widened a vector at a time, the same values as one at a time.
            ReadOnlySpan<float> single = System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, float>(from);
            Span<double> wide = System.Runtime.InteropServices.MemoryMarshal.Cast<TTo, double>(to);
            for (; at <= single.Length - System.Numerics.Vector<float>.Count; at += System.Numerics.Vector<float>.Count)
            {
                System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(single.Slice(at)), out System.Numerics.Vector<double> low, out System.Numerics.Vector<double> high);
                low.CopyTo(wide.Slice(at));
                high.CopyTo(wide.Slice(at + System.Numerics.Vector<double>.Count));
            }
        }
        for (int i = at; i < from.Length; i++) to[i] = TTo.CreateTruncating(from[i]);
    }

    private Matrix<double> BuildMatrix()
    {
        int d = FeatureCount;
        var m = Matrix<double>.Build.Dense(Count, d);
        for (int i = 0; i < Count; i++)
            for (int j = 0; j < d; j++)
                m[i, j] = _single is not null ? _single[(long)i * d + j] : _double![(long)i * d + j];
        return m;
    }

    private void Validate()
    {
        if (Count < 0 || FeatureCount <= 0)
            throw MlpException.InvalidData("InvalidDatasetShape", $"A dataset needs at least one feature; this one has {Count} samples x {FeatureCount} features.");
        long needed = (long)Count * FeatureCount;
        long have = _single?.LongLength ?? _double!.LongLength;
        if (have != needed)
            throw MlpException.InvalidData("InvalidDatasetShape", $"{Count} samples x {FeatureCount} features need {needed} values, but {have} were given.");
        if (_labels.Length != Count)
            throw MlpException.InvalidData("LabelCountMismatch", $"The dataset has {Count} samples but {_labels.Length} labels; give one label per sample.");
        if (ClassNames.Count == 0 && Count > 0)
            throw MlpException.InvalidData("NoClasses", "A labelled dataset needs at least one class.");
        if (FeatureNames.Count != FeatureCount)
            throw MlpException.InvalidData("FeatureNameCountMismatch", $"{FeatureNames.Count} feature names were given for {FeatureCount} features.");
        ImageShape?.Check(FeatureCount, "the dataset");
        for (int i = 0; i < _labels.Length; i++)
        {
            if ((uint)_labels[i] >= (uint)ClassCount)
                throw MlpException.InvalidData("LabelOutOfRange",
                    $"Sample {i} has label {_labels[i]}, outside the {ClassCount} classes 0..{ClassCount - 1}.", _labels[i]);
        }
    }
}
