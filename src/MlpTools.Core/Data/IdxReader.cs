using System.Buffers;
using System.Buffers.Binary;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Data;

/// <summary>The element types an IDX file can declare (the third byte of its magic number).</summary>
internal enum IdxElementType : byte
{
    UByte = 0x08,
    SByte = 0x09,
    Int16 = 0x0B,
    Int32 = 0x0C,
    Float32 = 0x0D,
    Float64 = 0x0E,
}

/// <summary>How <see cref="IdxReader"/> reads a pair of IDX files.</summary>
public sealed record IdxOptions
{
    /// <summary>The cap on the element count a header may claim when nothing else sets it: 2^30 (4 GiB as floats).</summary>
    public const long DefaultMaxElements = 1L << 30;

    /// <summary>Divide unsigned-byte elements by 255, so pixels land in [0,1]. Default true. Other element types are never scaled.</summary>
    public bool ScaleBytes { get; init; } = true;

    /// <summary>Names for the classes 0..k-1; null names them "0", "1", ... up to the largest label. Every label must be below their count.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The dataset's name; null takes the images file name without its extensions.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The most elements (samples x features) a file's header may claim; a larger claim is refused before anything is
    /// allocated. Default <see cref="DefaultMaxElements"/>; never above what one .NET array holds.
    /// </summary>
    public long MaxElements { get; init; } = DefaultMaxElements;

    internal static IdxOptions Default { get; } = new();
}

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST: an images file and a labels file, raw or gzip-compressed
/// (recognised by content, not by name).
/// </summary>
/// <remarks>
/// <para>
/// The format: a magic number of four bytes (0, 0, element type, dimension count d), then d big-endian 32-bit
/// sizes, then the elements, big-endian, last dimension fastest. The first size is the sample count; a sample's
/// remaining dimensions are flattened into one row of features. Element types: 0x08 unsigned byte, 0x09 signed byte,
/// 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. Bytes, int16 and float32 are stored in single precision
/// (exactly); int32 and float64 in double precision. Labels must be integers of one of the four integer types.
/// </para>
/// <para>
/// Safety: every size in a header is checked before anything is allocated: against overflow, against
/// <see cref="IdxOptions.MaxElements"/>, and against the bytes actually there (a raw file's length must match its
/// header exactly; a gzip file must be large enough to inflate to the claimed size, decompression stops at the
/// claimed size, and one byte more means the file is refused). Elements are decompressed in small chunks straight into
/// the dataset's final array, so the peak memory is that array plus a few hundred kilobytes.
/// </para>
/// </remarks>
public static class IdxReader
{
    private const int ChunkBytes = 1 << 18;

    /// <summary>The class names of Fashion-MNIST, in label order, for <see cref="IdxOptions.ClassNames"/>.</summary>
    public static IReadOnlyList<string> FashionMnistClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>
    /// Reads an images file and its labels file into a dataset: one sample a row, features the flattened image.
    /// </summary>
    /// <param name="imagesPath">The images (samples) file, for example <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">The labels file, one integer label per sample, for example <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <param name="options">How to read; null for the defaults.</param>
    /// <param name="progress">Called with the fraction done, in [0,1], on the caller's thread; last with 1.</param>
    /// <param name="cancellationToken">Checked between chunks; when set, the read stops with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="MlpException">The files are missing, malformed or disagree (ErrorIds <c>Idx*</c>, <c>DataFile*</c>).</exception>
    public static Dataset Read(string imagesPath, string labelsPath, IdxOptions? options = null,
        Action<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        ArgumentException.ThrowIfNullOrEmpty(labelsPath);
        options ??= IdxOptions.Default;
        long maxElements = MaxElements(options);
        using var images = IdxFile.Open(imagesPath, maxElements);
        using var labels = IdxFile.Open(labelsPath, maxElements);
        return Read(images, labels, options, progress, cancellationToken);
    }

    /// <summary>
    /// Reads an images stream and its labels stream (each seekable, positioned at its start, raw or gzip) into a
    /// dataset, as <see cref="Read(string, string, IdxOptions?, Action{double}?, CancellationToken)"/> reads files; messages
    /// name <paramref name="imagesSource"/> and <paramref name="labelsSource"/>. Both streams are left open.
    /// </summary>
    internal static Dataset Read(Stream images, string imagesSource, Stream labels, string labelsSource, IdxOptions? options = null,
        Action<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        options ??= IdxOptions.Default;
        long maxElements = MaxElements(options);
        using var imagesFile = IdxFile.Open(images, imagesSource, maxElements, leaveOpen: true);
        using var labelsFile = IdxFile.Open(labels, labelsSource, maxElements, leaveOpen: true);
        return Read(imagesFile, labelsFile, options, progress, cancellationToken);
    }

    /// <summary>The element cap of <paramref name="options"/>, never above what one array holds; refuses one that is not positive.</summary>
    private static long MaxElements(IdxOptions options)
    {
        long maxElements = Math.Min(options.MaxElements, Array.MaxLength);
        if (maxElements <= 0)
            throw MlpException.Argument("InvalidMaxElements", Invariant.Format($"MaxElements must be positive, but it is {options.MaxElements}."), options.MaxElements);
        return maxElements;
    }

    private static Dataset Read(IdxFile images, IdxFile labels, IdxOptions options, Action<double>? progress, CancellationToken cancellationToken)
    {
        IdxHeader ih = images.Header, lh = labels.Header;
        if (lh.Type is IdxElementType.Float32 or IdxElementType.Float64)
            throw MlpException.InvalidData("IdxLabelType",
                $"The labels file '{labels.Path}' holds {lh.Type} elements; labels must be integers (an IDX type of 0x08, 0x09, 0x0B or 0x0C).", labels.Path);
        if (lh.ElementsPerSample != 1)
            throw MlpException.InvalidData("IdxLabelShape",
                $"The labels file '{labels.Path}' has dimensions {lh.Shape}: {lh.ElementsPerSample} values per sample, but a labels file has one label per sample.", labels.Path);
        if (ih.Count != lh.Count)
            throw MlpException.InvalidData("IdxCountMismatch",
                Invariant.Format($"The images file '{images.Path}' has {ih.Count:N0} samples but the labels file '{labels.Path}' has {lh.Count:N0} labels; they must be a matching pair."),
                labels.Path);

        var reporter = new ProgressReporter(progress, lh.PayloadBytes + ih.PayloadBytes);
        int n = (int)ih.Count, d = (int)ih.ElementsPerSample;

        // Labels first: they are small, and a bad label should be reported before the images are read.
        int[] y = GC.AllocateUninitializedArray<int>(n);
        labels.ReadPayload((chunk, first) => IdxConvert.ToInt32(lh.Type, chunk, y.AsSpan((int)first, chunk.Length / lh.ElementSize)),
            reporter, 0, cancellationToken);
        IReadOnlyList<string> classNames = ClassNamesFor(y, labels.Path, options.ClassNames);

        string name = options.Name ?? DataFile.NameFromPath(images.Path);
        string source = images.Path + "; " + labels.Path;
        long done = lh.PayloadBytes;
        switch (ih.Type)
        {
            case IdxElementType.Int32:
            case IdxElementType.Float64:
            {
                double[] x = LargeArrays.Uninitialized<double>(n * d);
                var extreme = new ExtremeFinder<double>();
                images.ReadPayload((chunk, first) =>
                {
                    Span<double> dst = x.AsSpan((int)first, chunk.Length / ih.ElementSize);
                    if (ih.Type == IdxElementType.Int32) IdxConvert.Int32ToDouble(chunk, dst);
                    else CheckFinite(IdxConvert.Float64ToDouble(chunk, dst), first, d, images.Path);
                    extreme.See(dst, first);
                }, reporter, done, cancellationToken);
                reporter.Complete();
                Dataset data = Dataset.FromRows(x, n, d, y, classNames, FeatureNames(ih), name, source, imageShape: ImageShapeOf(ih));
                data.ReadExtreme = extreme.Result(d);
                return data;
            }
            default:
            {
                float[] x = LargeArrays.Uninitialized<float>(n * d);
                bool scale = options.ScaleBytes;
                var extreme = new ExtremeFinder<float>();
                images.ReadPayload((chunk, first) =>
                {
                    Span<float> dst = x.AsSpan((int)first, chunk.Length / ih.ElementSize);
                    switch (ih.Type)
                    {
                        case IdxElementType.UByte:
                            // The largest value is the largest byte's, found as they are converted.
                            byte largest = IdxConvert.UByteToSingle(chunk, dst, scale);
                            extreme.See(dst, first, dst[chunk.IndexOf(largest)]);
                            return;
                        case IdxElementType.SByte: IdxConvert.SByteToSingle(chunk, dst); break;
                        case IdxElementType.Int16: IdxConvert.Int16ToSingle(chunk, dst); break;
                        default: CheckFinite(IdxConvert.Float32ToSingle(chunk, dst), first, d, images.Path); break;
                    }
                    extreme.See(dst, first);
                }, reporter, done, cancellationToken);
                reporter.Complete();
                Dataset data = Dataset.FromRows(x, n, d, y, classNames, FeatureNames(ih), name, source, imageShape: ImageShapeOf(ih));
                data.ReadExtreme = extreme.Result(d);
                return data;
            }
        }
    }

    /// <summary>
    /// True when <paramref name="path"/>'s content (decompressed first when it is gzip) starts with an IDX magic number:
    /// two zero bytes, an element type IDX has, and at least one dimension. A text file (CSV) never does.
    /// </summary>
    /// <exception cref="MlpException"><c>DataFileNotFound</c>, <c>DataFileUnreadable</c>.</exception>
    public static bool IsIdx(string path)
    {
        using FileStream file = DataFile.Open(path);
        using Stream content = DataFile.Content(file, DataFile.IsGzip(file));
        Span<byte> magic = stackalloc byte[4];
        int got;
        try
        {
            got = content.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        }
        catch (InvalidDataException)
        {
            return false; // corrupt gzip: whichever reader is chosen reports it
        }
        catch (IOException e)
        {
            throw new MlpException("DataFileUnreadable", MlpErrorKind.InvalidOperation, $"The file '{file.Name}' could not be read: {e.Message}", file.Name, e);
        }
        return got == 4 && magic[0] == 0 && magic[1] == 0 && Enum.IsDefined((IdxElementType)magic[2]) && magic[3] > 0;
    }

    private static void CheckFinite(int badInChunk, long firstInChunk, int d, string path)
    {
        if (badInChunk < 0) return;
        long e = firstInChunk + badInChunk;
        throw MlpException.InvalidData("IdxNonFiniteValue",
            Invariant.Format($"The file '{path}' has a value that is not a finite number (NaN or infinity) at sample {e / d}, feature {e % d}; every value must be finite."), path);
    }

    private static IReadOnlyList<string> ClassNamesFor(int[] labels, string path, IReadOnlyList<string>? names)
    {
        int max = -1;
        for (int i = 0; i < labels.Length; i++)
        {
            int v = labels[i];
            if (v < 0)
                throw MlpException.InvalidData("IdxNegativeLabel", Invariant.Format($"The labels file '{path}' gives sample {i} the label {v}; labels must be 0 or more."), path);
            if (v > max) max = v;
        }
        if (names is not null)
        {
            LabelEncoder.CheckClassNames(names, $"'{path}'");
            if (max >= names.Count)
                throw MlpException.InvalidData("IdxLabelOutOfRange",
                    Invariant.Format($"The labels file '{path}' has the label {max}, but only {names.Count} class names were given (labels 0..{names.Count - 1})."), path);
            return names.ToArray();
        }
        if (max >= LabelEncoder.MaxClassCount)
            throw MlpException.InvalidData("IdxTooManyClasses",
                Invariant.Format($"The labels file '{path}' has the label {max}, which would make {(long)max + 1:N0} classes; at most {LabelEncoder.MaxClassCount:N0} are allowed. Is it really a labels file?"), path);
        return Dataset.DefaultClassNames(max + 1);
    }

    /// <summary>
    /// pixel_r_c for two-dimensional samples (as the built-in Digits names them), x0.. otherwise. A name per feature:
    /// called only once the values are all read, so a header's claim alone never costs one (a gzip file that
    /// breaks off after claiming 10,000 x 10,000 values would otherwise make 10^8 names first). Each name is one string
    /// built from the row's prefix and the column's number.
    /// </summary>
    private static IReadOnlyList<string> FeatureNames(IdxHeader h)
    {
        if (h.Dims.Length != 3) return Dataset.DefaultFeatureNames((int)h.ElementsPerSample);
        int rows = (int)h.Dims[1], cols = (int)h.Dims[2];
        var columns = new string[cols];
        for (int c = 0; c < cols; c++) columns[c] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var names = new string[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            string prefix = "pixel_" + r.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_";
            for (int c = 0; c < cols; c++) names[r * cols + c] = prefix + columns[c];
        }
        return names;
    }

    /// <summary>The image shape of three-dimensional samples files (samples x rows x columns), such as MNIST's; null otherwise.</summary>
    private static ImageShape? ImageShapeOf(IdxHeader h) => h.Dims.Length == 3 ? new ImageShape((int)h.Dims[1], (int)h.Dims[2]) : null;

    /// <summary>What an IDX header says, already checked for overflow and against the cap.</summary>
    internal sealed record IdxHeader(IdxElementType Type, uint[] Dims, long Count, long ElementsPerSample, long HeaderBytes)
    {
        public int ElementSize => Type switch
        {
            IdxElementType.UByte or IdxElementType.SByte => 1,
            IdxElementType.Int16 => 2,
            IdxElementType.Int32 or IdxElementType.Float32 => 4,
            _ => 8,
        };

        public long ElementCount => Count * ElementsPerSample;

        public long PayloadBytes => ElementCount * ElementSize;

        /// <summary>The dimensions as "60,000 x 28 x 28" (the first eight and a count when there are more).</summary>
        public string Shape => string.Join(" x ", Dims.Take(8).Select(v => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))
            + (Dims.Length > 8 ? Invariant.Format($" x ... ({Dims.Length} dimensions)") : "");
    }

    /// <summary>One open IDX file or stream: its header read and checked, positioned at the first element.</summary>
    internal sealed class IdxFile : IDisposable
    {
        private readonly Stream _file;
        private readonly Stream _content;
        private readonly bool _gzip;
        private readonly bool _leaveOpen;

        private IdxFile(string path, Stream file, bool gzip, bool leaveOpen)
        {
            Path = path;
            _file = file;
            _gzip = gzip;
            _leaveOpen = leaveOpen;
            _content = DataFile.Content(file, gzip, leaveOpen);
        }

        /// <summary>The file's full path, or the name given to a stream: what messages call it.</summary>
        public string Path { get; }

        public IdxHeader Header { get; private set; } = null!;

        public delegate void ChunkHandler(ReadOnlySpan<byte> chunk, long firstElement);

        /// <summary>Opens the file <paramref name="path"/>; its full path names it in messages.</summary>
        public static IdxFile Open(string path, long maxElements)
        {
            FileStream file = DataFile.Open(path);
            try
            {
                return Open(file, file.Name, maxElements, leaveOpen: false);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Reads and checks the header of <paramref name="file"/> (seekable, at its start), which messages name
        /// <paramref name="source"/>. With <paramref name="leaveOpen"/>, disposing the result leaves the stream open.
        /// </summary>
        public static IdxFile Open(Stream file, string source, long maxElements, bool leaveOpen)
        {
            if (file.Length == 0)
                throw MlpException.InvalidData("IdxEmptyFile", $"The file '{source}' is empty; an IDX file starts with a 4-byte magic number and its dimensions.", source);
            var result = new IdxFile(source, file, DataFile.IsGzip(file), leaveOpen);
            try
            {
                result.Header = result.ReadHeader(maxElements);
                result.CheckLength();
                return result;
            }
            catch
            {
                result.Dispose();
                throw;
            }
        }

        /// <summary>Closes the decompressor, and the stream under it unless it was opened to be left open.</summary>
        public void Dispose()
        {
            if (_gzip) _content.Dispose();
            if (!_leaveOpen) _file.Dispose();
        }

        private string What => _gzip ? "decompressed content of the gzip file" : "file";

        private IdxHeader ReadHeader(long maxElements)
        {
            Span<byte> magic = stackalloc byte[4];
            int got = ReadFully(magic);
            if (got == 0 && _gzip)
                throw MlpException.InvalidData("IdxEmptyFile", $"The gzip file '{Path}' decompresses to nothing; an IDX file starts with a 4-byte magic number and its dimensions.", Path);
            if (got < 4)
                throw MlpException.InvalidData("IdxTruncatedHeader", Invariant.Format($"The {What} '{Path}' ends after {got} bytes, inside the 4-byte IDX magic number."), Path);
            if (magic[0] != 0 || magic[1] != 0)
                throw MlpException.InvalidData("IdxBadMagic",
                    Invariant.Format($"The file '{Path}' is not an IDX file: it should start with two zero bytes, but starts with 0x{magic[0]:X2} 0x{magic[1]:X2}. IDX files are the MNIST format (for example train-images-idx3-ubyte.gz)."), Path);
            var type = (IdxElementType)magic[2];
            if (!Enum.IsDefined(type))
                throw MlpException.InvalidData("IdxUnknownType",
                    Invariant.Format($"The file '{Path}' declares the element type 0x{magic[2]:X2}, which IDX does not have (0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)."), Path);
            int rank = magic[3];
            if (rank == 0)
                throw MlpException.InvalidData("IdxNoDimensions", $"The file '{Path}' declares zero dimensions; an IDX file has at least one (the sample count).", Path);

            Span<byte> dimBytes = stackalloc byte[4 * rank];
            got = ReadFully(dimBytes);
            if (got < dimBytes.Length)
                throw MlpException.InvalidData("IdxTruncatedHeader",
                    Invariant.Format($"The {What} '{Path}' ends inside its header: it declares {rank} dimensions ({4 * rank} bytes of sizes) but only {got} bytes of them are there."), Path);
            var dims = new uint[rank];
            for (int k = 0; k < rank; k++) dims[k] = BinaryPrimitives.ReadUInt32BigEndian(dimBytes[(4 * k)..]);
            var header = new IdxHeader(type, dims, dims[0], 1, 4 + 4L * rank);
            if (dims[0] == 0)
                throw MlpException.InvalidData("IdxNoSamples", $"The file '{Path}' holds no samples: its first dimension (the sample count) is 0.", Path);
            for (int k = 1; k < rank; k++)
            {
                if (dims[k] == 0)
                    throw MlpException.InvalidData("IdxEmptyDimension",
                        Invariant.Format($"The file '{Path}' has dimensions {header.Shape}: dimension {k + 1} is 0, so a sample would have no values."), Path);
            }

            // Multiply in 128 bits: 255 factors of up to 2^32 cannot overflow before each step is checked.
            UInt128 total = dims[0];
            UInt128 perSample = 1;
            int size = header.ElementSize;
            for (int k = 1; k < rank; k++)
            {
                perSample *= dims[k];
                total *= dims[k];
                if (total * (uint)size > (UInt128)long.MaxValue)
                    throw MlpException.InvalidData("IdxSizeOverflow",
                        Invariant.Format($"The file '{Path}' has dimensions {header.Shape}, whose product does not fit in 64 bits; the header is corrupt."), Path);
            }
            if (total > (ulong)maxElements)
                throw MlpException.InvalidData("IdxTooLarge",
                    Invariant.Format($"The file '{Path}' has dimensions {header.Shape}: {(ulong)total:N0} values, more than the {maxElements:N0} allowed. Raise MaxElements if the file is genuine (one array holds at most {Array.MaxLength:N0})."), Path);
            return header with { ElementsPerSample = (long)perSample };
        }

        /// <summary>Refuses a file whose size disagrees with its header, before anything is allocated.</summary>
        private void CheckLength()
        {
            IdxHeader h = Header;
            long expected = h.HeaderBytes + h.PayloadBytes;
            long length = _file.Length;
            if (!_gzip)
            {
                if (length == h.HeaderBytes)
                    throw HeaderOnly();
                if (length < expected)
                    throw MlpException.InvalidData("IdxTruncated",
                        Invariant.Format($"The file '{Path}' is {length:N0} bytes, but its header ({h.Shape} {h.Type} values) needs {expected:N0}; it is truncated or its header is wrong."), Path);
                if (length > expected)
                    throw TrailingData(Invariant.Format($"The file '{Path}' is {length:N0} bytes, but its header ({h.Shape} {h.Type} values) accounts for only {expected:N0}; it has data after the last element."));
            }
            else if (expected / DataFile.MaxInflationRatio > length)
            {
                throw MlpException.InvalidData("IdxTruncated",
                    Invariant.Format($"The gzip file '{Path}' is {length:N0} bytes, too small to decompress to the {expected:N0} bytes its header ({h.Shape} {h.Type} values) claims; it is truncated or its header is wrong."), Path);
            }
        }

        private MlpException HeaderOnly() =>
            MlpException.InvalidData("IdxHeaderOnly",
                Invariant.Format($"The {What} '{Path}' ends right after its header: it claims {Header.Shape} {Header.Type} values but holds none."), Path);

        private MlpException TrailingData(string message) => MlpException.InvalidData("IdxTrailingData", message, Path);

        /// <summary>
        /// Reads exactly the header-claimed payload in chunks of whole elements, handing each to <paramref name="handle"/>,
        /// then checks that nothing follows. Reads at most one byte past the claim.
        /// </summary>
        public void ReadPayload(ChunkHandler handle, ProgressReporter progress, long progressBase, CancellationToken cancellationToken)
        {
            IdxHeader h = Header;
            int size = h.ElementSize;
            long remaining = h.PayloadBytes, done = 0;
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                while (remaining > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int want = (int)Math.Min(ChunkBytes, remaining);
                    int got = ReadFully(buffer.AsSpan(0, want));
                    if (got < want)
                    {
                        if (done + got == 0) throw HeaderOnly();
                        throw MlpException.InvalidData("IdxTruncated",
                            Invariant.Format($"The {What} '{Path}' ends after {done + got:N0} of the {h.PayloadBytes:N0} bytes of values its header ({h.Shape} {h.Type}) promises; it is truncated or its header is wrong."), Path);
                    }
                    handle(buffer.AsSpan(0, want), done / size);
                    done += want;
                    remaining -= want;
                    progress.Report(progressBase + done);
                }
                if (ReadFully(buffer.AsSpan(0, 1)) != 0)
                    throw TrailingData(Invariant.Format($"The {What} '{Path}' goes on after the {h.PayloadBytes:N0} bytes of values its header ({h.Shape} {h.Type}) accounts for; the header is wrong or the file is not what it seems."));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Reads until <paramref name="destination"/> is full or the content ends; corrupt gzip becomes an MlpException.</summary>
        private int ReadFully(Span<byte> destination)
        {
            try
            {
                return _content.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e)
            {
                throw new MlpException("IdxCorruptGzip", MlpErrorKind.InvalidData,
                    $"The gzip file '{Path}' is corrupt: its compressed data or checksum is wrong. Download or copy it again.", Path, e);
            }
            catch (IOException e)
            {
                throw new MlpException("DataFileUnreadable", MlpErrorKind.InvalidOperation, $"The file '{Path}' could not be read: {e.Message}", Path, e);
            }
        }
    }
}
