using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Persistence;

/// <summary>
/// Saves a network to a file and loads it back: weights, names, training history, optimizer state and preprocessing,
/// bit for bit. The file holds data only (no type names, no code) in the safetensors layout, so other safetensors
/// readers can open the weights.
/// </summary>
/// <remarks>
/// <para>
/// The layout (<see cref="SafetensorsHeader"/>): an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then
/// the tensors' bytes. Tensors, all in the network's precision (<c>F32</c> or <c>F64</c>), row-major, little-endian:
/// </para>
/// <code>
///   W1 [D, H]   b1 [H]   W2 [H, C]   b2 [C]                         the parameters
///   optimizer.SLOT.W1 [D, H] ... optimizer.SLOT.b2 [C]              the optimizer's state, when the network was trained
///                                                                   (SLOT: velocity for SGD; m and v for Adam; meanSquare for RMSProp)
/// </code>
/// <para>
/// The header's <c>__metadata__</c> (<see cref="ModelMetadata"/>) holds the format version, the sizes, the names, the
/// optimizer's settings, the preprocessing, the history and two SHA-256 checksums (of the tensor bytes, and of the
/// metadata itself). Loading checks every size and offset against the file before allocating, then the checksums, then
/// that every number is finite; anything else is refused with an <see cref="MlpException"/> whose
/// <see cref="MlpException.ErrorId"/> starts with <c>Model</c>.
/// </para>
/// <para>
/// Saving goes through <see cref="AtomicFile"/>: a temporary file beside the target, published under the target's name
/// only once it is complete, so an interrupted save (a crash, Ctrl+C) never leaves a broken model behind. Without
/// overwrite, publishing fails atomically when the target exists (<c>ModelFileExists</c>), so of two processes saving
/// to one new path at the same moment exactly one succeeds. A save also removes the temporary files that killed
/// writers of the same target left behind.
/// </para>
/// </remarks>
public static class ModelFile
{
    private const int ChunkBytes = 1 << 16;

    /// <summary>ModelFileExists and ModelWriteFailed, as <see cref="AtomicFile"/> reports them.</summary>
    private static readonly FileErrors Errors = new("Model", "model file");

    /// <summary>Saves <paramref name="network"/> and what its training produced to <paramref name="path"/>, atomically.</summary>
    /// <param name="network">The network: its weights, names and preprocessing.</param>
    /// <param name="training">Its training state (history, best epoch, stop reason, optimizer state); null for a network never trained.</param>
    /// <param name="path">The file to write (a full file-system path; a relative one is taken from the current directory).</param>
    /// <param name="overwrite">Replace the file when it exists; when false, an existing file is an error (<c>ModelFileExists</c>).</param>
    /// <param name="cancellationToken">Checked between chunks; when set, nothing is written and an <see cref="OperationCanceledException"/> is thrown.</param>
    /// <exception cref="MlpException">
    /// <c>ModelFileExists</c>, <c>ModelDirectoryNotFound</c>, <c>ModelPathIsDirectory</c>, <c>ModelWriteFailed</c> (an I/O error;
    /// nothing was changed), <c>ModelNonFiniteParameter</c>, <c>ModelTextInvalid</c>, <c>ModelOptimizerUnsupported</c>.
    /// </exception>
    public static void Save(Mlp network, TrainingState? training, string path, bool overwrite, CancellationToken cancellationToken = default) =>
        Save(network, path, overwrite, beforeReplace: null, cancellationToken, training: training);

    /// <summary>Saves a network alone (no training state: as one never trained) to <paramref name="path"/>, atomically.</summary>
    public static void Save(Mlp network, string path, bool overwrite, CancellationToken cancellationToken = default) =>
        Save(network, path, overwrite, beforeReplace: null, cancellationToken);

    /// <summary>
    /// <see cref="Save(Mlp, TrainingState, string, bool, CancellationToken)"/>, calling <paramref name="beforeReplace"/> with the complete
    /// temporary file just before it is published under the target's name (tests use it to fail or to race there);
    /// <paramref name="what"/> names the file in a <c>ModelWriteFailed</c> message ("Could not write the checkpoint ...").
    /// </summary>
    internal static void Save(Mlp network, string path, bool overwrite, Action<string>? beforeReplace,
        CancellationToken cancellationToken, string what = "model file", TrainingState? training = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        cancellationToken.ThrowIfCancellationRequested();
        string full = Path.GetFullPath(path);
        Errors.CheckTarget(full, overwrite, "model.safetensors");
        training ??= new TrainingState();
        switch (network)
        {
            case Mlp<float> single:
                SaveCore(single, training, full, overwrite, Errors with { Noun = what }, beforeReplace, cancellationToken);
                break;
            case Mlp<double> dbl:
                SaveCore(dbl, training, full, overwrite, Errors with { Noun = what }, beforeReplace, cancellationToken);
                break;
            default:
                throw new ArgumentException($"Unsupported network type {network.GetType()}.", nameof(network));
        }
    }

    /// <summary>Loads the network saved in <paramref name="path"/>, and its training state.</summary>
    /// <param name="path">The model file (a full file-system path; a relative one is taken from the current directory).</param>
    /// <returns>
    /// The network, in the precision it was saved in, with its names and preprocessing; and its training state (history,
    /// best epoch, stop reason, optimizer state), empty for a network saved before it was trained.
    /// </returns>
    /// <exception cref="MlpException">
    /// The file is missing (<c>ModelNotFound</c>), unreadable (<c>ModelReadFailed</c>), plainly another kind of file such as
    /// CSV text (<c>ModelFileWrongKind</c>, saying what it looks like) or not a valid model: <c>ModelFileTruncated</c>,
    /// <c>ModelHeaderInvalid</c>, <c>ModelDtypeUnsupported</c>, <c>ModelVersionUnsupported</c>, <c>ModelMetadataInvalid</c>,
    /// <c>ModelTooLarge</c>, <c>ModelTensorMissing</c>, <c>ModelTensorUnexpected</c>, <c>ModelShapeMismatch</c>,
    /// <c>ModelChecksumMismatch</c>, <c>ModelNonFiniteParameter</c> (all of kind InvalidData).
    /// </exception>
    public static SavedModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw NotFound(full, $"The path '{full}' is a folder, not a model file. Give the path of a model file.");
        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound(full, $"There is no model file '{full}'. Check the path.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReadFailed(full, ex);
        }
        using (stream)
        {
            try
            {
                if (!stream.CanSeek)
                    throw new MlpException("ModelReadFailed", MlpErrorKind.InvalidOperation,
                        $"'{full}' is not a regular file; a model file must be one whose length is known.", full);
                return Read(stream, full);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw ReadFailed(full, ex);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="network"/> and what its training produced to <paramref name="destination"/>, in the model
    /// file's layout, byte for byte what <see cref="Save(Mlp, TrainingState, string, bool, CancellationToken)"/> writes
    /// to a file. No temporary file is made.
    /// </summary>
    /// <param name="network">The network: its weights, names and preprocessing.</param>
    /// <param name="training">Its training state; null for a network never trained.</param>
    /// <param name="destination">A writable stream; written from its current position, and left open.</param>
    /// <param name="cancellationToken">Checked between chunks.</param>
    /// <exception cref="MlpException"><c>ModelNonFiniteParameter</c>, <c>ModelTextInvalid</c>, <c>TrainingStateMismatch</c>.</exception>
    public static void Save(Mlp network, TrainingState? training, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite) throw new ArgumentException("The stream is not writable.", nameof(destination));
        cancellationToken.ThrowIfCancellationRequested();
        training ??= new TrainingState();
        Action<Action<Stream>> into = write => write(destination);
        switch (network)
        {
            case Mlp<float> single:
                SaveCore(single, training, null, false, Errors, null, cancellationToken, into);
                break;
            case Mlp<double> dbl:
                SaveCore(dbl, training, null, false, Errors, null, cancellationToken, into);
                break;
            default:
                throw new ArgumentException($"Unsupported network type {network.GetType()}.", nameof(network));
        }
    }

    /// <summary>
    /// Throws what saving <paramref name="network"/> with <paramref name="training"/> would throw, without encoding
    /// anything: whether they can be saved, and if not, why.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="training">Its training state; null for a network never trained.</param>
    /// <param name="name">Names where the network would be written, in messages ("nothing was written to ...").</param>
    /// <exception cref="MlpException"><c>ModelNonFiniteParameter</c>, <c>ModelTextInvalid</c>, <c>TrainingStateMismatch</c>.</exception>
    public static void CheckSavable(Mlp network, TrainingState? training, string name)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(name);
        training ??= new TrainingState();
        switch (network)
        {
            case Mlp<float> single:
                Prepare(single, training, name);
                break;
            case Mlp<double> dbl:
                Prepare(dbl, training, name);
                break;
            default:
                throw new ArgumentException($"Unsupported network type {network.GetType()}.", nameof(network));
        }
    }

    /// <summary>The bytes of the model file <paramref name="network"/> and <paramref name="training"/> make, in memory.</summary>
    /// <inheritdoc cref="Save(Mlp, TrainingState, Stream, CancellationToken)"/>
    public static byte[] ToBytes(Mlp network, TrainingState? training, CancellationToken cancellationToken = default)
    {
        using var memory = new MemoryStream();
        Save(network, training, memory, cancellationToken);
        return memory.ToArray();
    }

    /// <summary>
    /// Loads a model from <paramref name="bytes"/>, the whole of a model file, with every check <see cref="Load(string)"/>
    /// makes of a file (sizes and offsets before allocating, caps, checksums, finite numbers) and the same error ids.
    /// </summary>
    /// <param name="bytes">The model file's bytes.</param>
    /// <param name="name">Names the bytes in error messages, in place of a path, such as "the serialized network".</param>
    /// <exception cref="MlpException">As <see cref="Load(string)"/>: <c>ModelFileTruncated</c>, <c>ModelChecksumMismatch</c>, ... (all of kind InvalidData).</exception>
    public static SavedModel Load(ReadOnlyMemory<byte> bytes, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using Stream stream = MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
        return Read(stream, name);
    }

    /// <inheritdoc cref="Load(ReadOnlyMemory{byte}, string)"/>
    public static SavedModel Load(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Load(bytes.AsMemory(), name);
    }

    /// <summary>
    /// Loads a model from <paramref name="source"/>, which holds exactly one model file from its start (it is read from
    /// position 0 to its end), with every check <see cref="Load(string)"/> makes of a file and the same error ids.
    /// </summary>
    /// <param name="source">A readable, seekable stream (its length is checked against the sizes the header declares before anything is allocated).</param>
    /// <param name="name">Names the stream in error messages, in place of a path.</param>
    /// <exception cref="MlpException">As <see cref="Load(string)"/>; an I/O error of the stream is <c>ModelReadFailed</c>.</exception>
    public static SavedModel Load(Stream source, string name)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!source.CanRead || !source.CanSeek)
            throw new ArgumentException("The stream must be readable and seekable: a model's sizes are checked against its length before anything is allocated.", nameof(source));
        try
        {
            source.Position = 0;
            return Read(source, name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw ReadFailed(name, ex);
        }
    }

    /// <summary>Reads a model from <paramref name="stream"/> (seekable, positioned at its start); <paramref name="path"/> names it in errors.</summary>
    internal static SavedModel Read(Stream stream, string path)
    {
        try
        {
            SafetensorsHeader header = SafetensorsHeader.Read(stream, path);
            ModelDescription model = ModelMetadata.Parse(header.Metadata, path);
            string dtype = CheckTensors(header, model, path);
            return dtype == "F64"
                ? ReadTensors<double>(stream, header, model, path)
                : ReadTensors<float>(stream, header, model, path);
        }
        catch (EndOfStreamException)
        {
            // The file shrank while it was being read.
            throw Truncated(path, "ended before all its bytes could be read");
        }
    }

    // ---- saving ----

    /// <summary>
    /// Checks and encodes <paramref name="net"/>; writes it atomically to <paramref name="path"/>, or, when
    /// <paramref name="path"/> is null, hands the writer to <paramref name="destination"/>.
    /// </summary>
    private static void SaveCore<T>(Mlp<T> net, TrainingState training, string? path, bool overwrite, FileErrors errors,
        Action<string>? beforeReplace, CancellationToken ct, Action<Action<Stream>>? destination = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (settings, tensors) = Prepare(net, training, path ?? "the stream");
        string dtype = typeof(T) == typeof(double) ? "F64" : "F32";
        var chunk = new byte[ChunkBytes];
        string dataSha;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            EncodeAll(tensors, chunk, bytes => sha.AppendData(bytes), ct);
            dataSha = ModelMetadata.Hex(sha.GetHashAndReset());
        }
        List<KeyValuePair<string, string>> metadata = ModelMetadata.Build(net, training, settings, dataSha);
        byte[] prefix = SafetensorsHeader.Encode(metadata, tensors.Select(t => (t.Name, dtype, t.Shape)));
        Action<Stream> write = stream =>
        {
            stream.Write(prefix);
            EncodeAll(tensors, chunk, stream.Write, ct);
        };
        if (path is null) destination!(write);
        else AtomicFile.Write(path, overwrite, errors, write, ct, beforeReplace);
    }

    /// <summary>
    /// Checks that <paramref name="net"/> and <paramref name="training"/> can be saved (<paramref name="shown"/> names
    /// where to in messages); returns the optimizer's settings and the tensors to write, in file order.
    /// </summary>
    private static (OptimizerSettings? Settings, List<Tensor<T>> Tensors) Prepare<T>(Mlp<T> net, TrainingState training, string shown)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Optimizer<T>? optimizer = training.OptimizerState switch
        {
            null => null,
            Optimizer<T> o when o.Fits(net.Parameters) => o,
            _ => throw MlpException.Argument("TrainingStateMismatch",
                $"The training state's optimizer state is shaped for another network than {net}; save the network with the training state its own training returned.", training),
        };
        OptimizerSettings? settings = optimizer is null ? null : OptimizerSettings.Of(optimizer);
        List<Tensor<T>> tensors = TensorsOf(net.Parameters, settings, optimizer);
        foreach (Tensor<T> t in tensors)
        {
            if (!Numerics.Kernels.AllFinite<T>(t.Values))
                throw MlpException.InvalidData("ModelNonFiniteParameter",
                    $"The network's {t.Name} holds NaN or infinity, which a model file cannot hold; nothing was written to '{shown}'. Train it again or fix its weights.", t.Name);
        }
        CheckText(net.ClassNames, "class name", shown);
        CheckText(net.FeatureNames, "feature name", shown);
        CheckText(new[] { training.StopReason }, "stop reason", shown);
        if (net.LabelName is { } labelName) CheckText(new[] { labelName }, "label name", shown);
        return (settings, tensors);
    }

    private static void CheckText(IEnumerable<string> values, string what, string path)
    {
        foreach (string s in values)
        {
            int i = UnicodeText.UnpairedSurrogateAt(s);
            if (i >= 0)
                throw MlpException.InvalidData("ModelTextInvalid",
                    $"The {what} '{s}' is not valid Unicode text (it has an unpaired surrogate at position {i}); nothing was written to '{path}'. Rename it.", s);
        }
    }

    // ---- the tensors ----

    /// <summary>A tensor of the file and the array behind it: a matrix stored column-major (as MathNet does), or a vector.</summary>
    private sealed record Tensor<T>(string Name, T[] Values, int Rows, int Columns, long[] Shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static Tensor<T> Matrix(string name, T[] values, int rows, int columns) => new(name, values, rows, columns, new long[] { rows, columns });

        public static Tensor<T> Vector(string name, T[] values) => new(name, values, values.Length, 1, new long[] { values.Length });
    }

    /// <summary>The expected shapes of the tensors of a D-H-C network, by name, in file order.</summary>
    private static List<(string Name, long[] Shape)> ExpectedTensors(int d, int h, int c, OptimizerSettings? optimizer)
    {
        var list = new List<(string, long[])>();
        var shapes = new[] { new long[] { d, h }, new long[] { h }, new long[] { h, c }, new long[] { c } };
        foreach (string prefix in Prefixes(optimizer))
            for (int k = 0; k < 4; k++) list.Add((prefix + Mlp.ParameterNames[k], shapes[k]));
        return list;
    }

    private static IEnumerable<string> Prefixes(OptimizerSettings? optimizer) =>
        (optimizer?.SlotNames ?? Array.Empty<string>()).Select(slot => "optimizer." + slot + ".").Prepend("");

    private static List<Tensor<T>> TensorsOf<T>(ParameterSet<T> parameters, OptimizerSettings? settings, Optimizer<T>? optimizer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sets = new List<ParameterSet<T>> { parameters };
        if (settings is not null)
        {
            if (optimizer!.Slots.Count != settings.SlotNames.Count)
                throw new InvalidOperationException($"The {settings.Name} optimizer has state {string.Join(", ", optimizer.Slots.Keys)}, not {string.Join(", ", settings.SlotNames)}.");
            sets.AddRange(settings.SlotNames.Select(slot => optimizer.Slots[slot]));
        }
        var tensors = new List<Tensor<T>>();
        foreach (var (prefix, set) in Prefixes(settings).Zip(sets))
        {
            for (int k = 0; k < 4; k++)
            {
                (int rows, int columns) = set.Shape(k);
                tensors.Add(k % 2 == 0 ? Tensor<T>.Matrix(prefix + Mlp.ParameterNames[k], set[k], rows, columns)
                    : Tensor<T>.Vector(prefix + Mlp.ParameterNames[k], set[k]));
            }
        }
        return tensors;
    }

    /// <summary>Checks the header's tensors are exactly the model's, in one dtype, with the shapes its sizes give; returns the dtype.</summary>
    private static string CheckTensors(SafetensorsHeader header, ModelDescription model, string path)
    {
        List<(string Name, long[] Shape)> expected = ExpectedTensors(model.InputSize, model.HiddenSize, model.ClassCount, model.Optimizer);
        var present = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var missing = expected.Where(e => !present.ContainsKey(e.Name)).Select(e => e.Name).ToList();
        if (missing.Count > 0)
            throw MlpException.InvalidData("ModelTensorMissing",
                $"The model file '{path}' has no tensor {string.Join(", ", missing)}; a model {(model.Optimizer is null ? "" : "trained with " + model.Optimizer.Name + " ")}needs {string.Join(", ", expected.Select(e => e.Name))}. It is damaged or not an MlpTools model file.", path);
        var known = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var extra = header.Tensors.Where(t => !known.Contains(t.Name)).Select(t => t.Name).ToList();
        if (extra.Count > 0)
            throw MlpException.InvalidData("ModelTensorUnexpected",
                $"The model file '{path}' has tensors this model does not have: {string.Join(", ", extra.Take(10))}{(extra.Count > 10 ? ", ..." : "")}. It is damaged or was not written by MlpTools.", path);

        string dtype = present[Mlp.ParameterNames[0]].DType;
        foreach (TensorEntry t in header.Tensors)
        {
            if (t.DType != dtype)
                throw new MlpException("ModelDtypeUnsupported", MlpErrorKind.InvalidData,
                    $"The model file '{path}' stores tensor '{t.Name}' as {t.DType} but W1 as {dtype}; every tensor of a model has the network's one precision.", path);
        }
        foreach (var (name, shape) in expected)
        {
            TensorEntry t = present[name];
            if (!t.Shape.AsSpan().SequenceEqual(shape))
                throw MlpException.InvalidData("ModelShapeMismatch", Invariant.Format($"The model file '{path}' gives tensor '{name}' the shape {t.ShapeText}, but its sizes (D = {model.InputSize}, H = {model.HiddenSize}, C = {model.ClassCount}) make it {TensorEntry.ShapeToText(shape)}. It is damaged; export the model again."), path);
        }
        return dtype;
    }

    private static SavedModel ReadTensors<T>(Stream stream, SafetensorsHeader header, ModelDescription model, string path)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Every size was checked against the file above: what is allocated here is what the file holds.
        var parameters = new ParameterSet<T>(model.InputSize, model.HiddenSize, model.ClassCount);
        Optimizer<T>? optimizer = model.Optimizer?.Create(parameters);
        var byName = TensorsOf(parameters, model.Optimizer, optimizer).ToDictionary(t => t.Name, StringComparer.Ordinal);

        var chunk = new byte[ChunkBytes];
        int size = Unsafe.SizeOf<T>();
        stream.Position = header.DataStart;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            foreach (TensorEntry entry in header.Tensors)
            {
                Tensor<T> tensor = byName[entry.Name];
                long total = entry.End - entry.Begin;
                for (long done = 0; done < total;)
                {
                    int n = (int)Math.Min(chunk.Length, total - done);
                    Span<byte> bytes = chunk.AsSpan(0, n);
                    stream.ReadExactly(bytes);
                    sha.AppendData(bytes);
                    Decode(tensor, done / size, bytes);
                    done += n;
                }
            }
            string actual = ModelMetadata.Hex(sha.GetHashAndReset());
            if (!string.Equals(actual, model.DataSha256, StringComparison.Ordinal))
                throw ChecksumMismatch(path, $"its tensor bytes have the SHA-256 {actual}, but the file records {model.DataSha256}");
        }
        foreach (Tensor<T> t in byName.Values)
        {
            if (!Numerics.Kernels.AllFinite<T>(t.Values))
                throw MlpException.InvalidData("ModelNonFiniteParameter",
                    $"The model file '{path}' has NaN or infinity in tensor '{t.Name}'; a model's numbers must all be finite. Export the model again from a network that trained without diverging.", path);
        }

        var net = new Mlp<T>(parameters, model.ClassNames, model.FeatureNames)
        {
            Preprocessor = model.Preprocessing,
            LabelName = model.LabelName,
            ImageShape = model.ImageShape,
        };
        model.Training.OptimizerState = optimizer;
        return new SavedModel(net, model.Training);
    }

    private delegate void ChunkAction(ReadOnlySpan<byte> bytes);

    /// <summary>Every tensor's bytes, in order, a chunk at a time; checks for cancellation between chunks.</summary>
    private static void EncodeAll<T>(List<Tensor<T>> tensors, byte[] chunk, ChunkAction action, CancellationToken ct)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = Unsafe.SizeOf<T>(), perChunk = chunk.Length / size;
        foreach (Tensor<T> t in tensors)
        {
            for (long first = 0; first < t.Values.Length; first += perChunk)
            {
                ct.ThrowIfCancellationRequested();
                int n = (int)Math.Min(perChunk, t.Values.Length - first);
                Span<byte> bytes = chunk.AsSpan(0, n * size);
                Encode(t, first, bytes);
                action(bytes);
            }
        }
    }

    /// <summary>
    /// Row-major elements first, first+1, ... of <paramref name="t"/> into <paramref name="bytes"/>, little-endian. Element
    /// (i, j) of a rows x columns matrix is Values[i + j*rows] in MathNet's column-major storage.
    /// </summary>
    private static void Encode<T>(Tensor<T> t, long first, Span<byte> bytes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = Unsafe.SizeOf<T>(), count = bytes.Length / size, rows = t.Rows, columns = t.Columns;
        int i = (int)(first / columns), j = (int)(first % columns);
        T[] values = t.Values;
        for (int k = 0; k < count; k++)
        {
            T v = values[i + j * rows];
            if (typeof(T) == typeof(float)) BinaryPrimitives.WriteSingleLittleEndian(bytes.Slice(k * 4), Unsafe.As<T, float>(ref v));
            else BinaryPrimitives.WriteDoubleLittleEndian(bytes.Slice(k * 8), Unsafe.As<T, double>(ref v));
            if (++j == columns)
            {
                j = 0;
                i++;
            }
        }
    }

    /// <summary>The inverse of <see cref="Encode{T}"/>.</summary>
    private static void Decode<T>(Tensor<T> t, long first, ReadOnlySpan<byte> bytes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = Unsafe.SizeOf<T>(), count = bytes.Length / size, rows = t.Rows, columns = t.Columns;
        int i = (int)(first / columns), j = (int)(first % columns);
        T[] values = t.Values;
        for (int k = 0; k < count; k++)
        {
            T v;
            if (typeof(T) == typeof(float))
            {
                float f = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(k * 4));
                v = Unsafe.As<float, T>(ref f);
            }
            else
            {
                double d = BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(k * 8));
                v = Unsafe.As<double, T>(ref d);
            }
            values[i + j * rows] = v;
            if (++j == columns)
            {
                j = 0;
                i++;
            }
        }
    }

    // ---- errors ----

    internal static MlpException Truncated(string path, string what) =>
        MlpException.InvalidData("ModelFileTruncated",
            $"The model file '{path}' {what}: it is truncated (an interrupted copy or download?). Copy it again or export the model again.", path);

    internal static MlpException ChecksumMismatch(string path, string what) =>
        MlpException.InvalidData("ModelChecksumMismatch",
            $"The model file '{path}' is damaged: {what}. Copy it again or export the model again.", path);

    private static MlpException NotFound(string path, string message) =>
        new("ModelNotFound", MlpErrorKind.NotFound, message, path);

    private static MlpException ReadFailed(string path, Exception ex) =>
        new("ModelReadFailed", MlpErrorKind.InvalidOperation, $"Could not read the model file '{path}': {ex.Message}", path, ex);
}

/// <summary>What a model file holds: the network, and what its training produced.</summary>
/// <param name="Network">The network (weights, names, preprocessing).</param>
/// <param name="Training">Its training state: history, best epoch, stop reason and optimizer state.</param>
public sealed record SavedModel(Mlp Network, TrainingState Training);
