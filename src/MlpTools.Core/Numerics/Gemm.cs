using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlpTools.Core.Numerics;

/// <summary>One matrix product C (+)= op(A) op(B) as raw pointers, pinned by the caller until it returns.</summary>
/// <remarks>C is M x N, op(A) M x K, op(B) K x N, all row-major with leading dimensions Lda, Ldb, Ldc.</remarks>
internal unsafe struct GemmArgs<T>
    where T : unmanaged
{
    public T* A;
    public T* B;
    public T* C;
    public nint Lda;
    public nint Ldb;
    public nint Ldc;
    public int M;
    public int N;
    public int K;
    public bool TransA;
    public bool TransB;
    public bool Accumulate;

    /// <summary>When set, C starts from InitScale * Init (M x N, leading dimension LdInit) instead of from C or 0.</summary>
    public T* Init;
    public nint LdInit;
    public T InitScale;

    /// <summary>
    /// When set, each finished block of C gets the hidden layer's epilogue before the chunk moves on, while the block
    /// is still in cache: C[i, j] += Bias[j], then Relu[i, j] = C[i, j] &gt; 0 ? C[i, j] : 0 (leading dimension
    /// LdRelu), with the operations of <see cref="Kernels.AddBiasRelu{T}"/>, so the same bits.
    /// </summary>
    public T* Bias;
    public T* Relu;
    public nint LdRelu;

    /// <summary>The address of op(A)[i, p].</summary>
    public readonly T* AAt(int i, int p) => TransA ? A + p * Lda + i : A + i * Lda + p;

    /// <summary>The address of op(B)[p, j].</summary>
    public readonly T* BAt(int p, int j) => TransB ? B + j * Ldb + p : B + p * Ldb + j;
}

/// <summary>
/// Choices of how a product is cut and read. None changes a result's bits: the tests pass other instances to show
/// that; everything else uses <see cref="Default"/>, the fast choices.
/// </summary>
internal sealed record GemmOptions
{
    /// <summary>The fast choices, used unless a caller passes others.</summary>
    public static GemmOptions Default { get; } = new();

    /// <summary>Use the AVX-512 tiles where the CPU has them (else the portable <see cref="VectorTiles{T}"/>).</summary>
    public bool UseAvx512 { get; init; } = true;

    /// <summary>Read A in place where that is cheap (else always pack it).</summary>
    public bool DirectA { get; init; } = true;

    /// <summary>Read B in place where that is cheap (else always pack it).</summary>
    public bool DirectB { get; init; } = true;

    /// <summary>The largest kc, in bytes of one row of an A panel; null for the tile family's own (<see cref="IGemmTiles{T}.KcMax"/>).</summary>
    public int? KcBytes { get; init; }

    /// <summary>True forces row chunks, false column chunks; null lets the plan choose.</summary>
    public bool? RowChunks { get; init; }

    /// <summary>Compute the last rows of C with the shorter edge tiles where the family has them (else as a whole panel).</summary>
    public bool EdgeTiles { get; init; } = true;

    /// <summary>Cut column chunks into blocks of rows too when there are too few strips to share out (else whole columns).</summary>
    public bool RowParts { get; init; } = true;
}

/// <summary>
/// The cache-blocked, register-tiled matrix product behind <see cref="Kernels.Gemm{T}"/>, for one family of
/// micro-kernels <typeparamref name="TTiles"/> (MR x 2V tiles, V the vector width).
/// </summary>
/// <remarks>
/// C is cut into chunks of whole tiles: column blocks (the usual case), each also cut into blocks of rows when there
/// are too few of them to share out and C has the rows to pay for packing B once per block, or, when C has few
/// columns, row blocks.
/// Chunks are independent and may run on any thread (<see cref="KernelThreads"/>). Within a chunk:
/// <code>
///   for pc over K in blocks of kc         kc about K / ceil(K / kcMax), rounded up to a multiple of V
///                                         (kcMax: the tile family's, 512 floats by default)
///     pack the chunk's strips of op(B)    kc x 2V each, contiguous: a transposing pack for B^T (16 x 16
///                                         register transposes), a copy otherwise (or B read in place when
///                                         C has so few rows that a strip is used only once or twice)
///     for ic over the rows, MR at a time  A read in place: by rows for A, by columns for A^T (packed only
///                                         for the last, partial panel, or, for A^T, when its stride is a
///                                         multiple of 2 KiB, which would put the whole panel in one L1 set)
///       for each strip: one MR x 2V (or MR x V) tile of C, loaded when accumulating or pc &gt; 0
/// </code>
/// The last rows of C, when fewer than MR, get a shorter tile of their own where the family has one for that many
/// rows (<see cref="IGemmTiles{T}.EdgeTile"/>: 8 or 4 rows on AVX-512, so batches of 200 and 100 and 1024 rows
/// compute nothing twice). A tile that still sticks out of C (other row counts, the last columns) is computed
/// whole in a scratch tile and only its valid part is copied. Row chunks share one packed copy of op(B), made
/// before they start.
/// </remarks>
internal static unsafe class GemmDriver<T, TTiles>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TTiles : struct, IGemmTiles<T>
{
    /// <summary>Below this many multiply-adds a second thread costs more than it saves.</summary>
    private const long MinParallelWork = 1 << 18;

    /// <summary>Products with a shorter K are computed by one thread (unless C is much larger than the caches).</summary>
    private const int MinParallelK = 16;

    /// <summary>A shared packed op(B) smaller than this (in elements) is packed by the caller alone.</summary>
    private const long MinParallelPack = 1 << 16;

    /// <summary>Chunks per thread: enough to balance the load when a core is busy with something else.</summary>
    private const int ChunksPerThread = 4;

    /// <summary>The fewest panels of rows a column chunk is cut into blocks of (see <see cref="Plan.RowParts"/>).</summary>
    private const int MinPanelsPerRowPart = 16;

    // The calling thread's job: a job is filled and run by one caller at a time, and callers on different threads
    // (trainings side by side, each on its own pool) run theirs at the same time.
    [ThreadStatic]
    private static ChunkedGemm? t_job;

    private static int MR => TTiles.MR;

    private static int V => TTiles.V;

    private static int NR => 2 * TTiles.V;

    /// <summary>How a product is cut and read.</summary>
    internal struct Plan
    {
        public int KcStep;
        public bool EdgeTiles;      // the last rows of C through the family's shorter tiles (GemmOptions.EdgeTiles)
        public int Strips;          // column strips of C (2V wide; the last may be V wide)
        public int Panels;          // row panels of C (MR high)
        public bool ByRows;         // chunks are row blocks (else column blocks)
        public int Units;           // panels (row chunks) or strips (column chunks) to share out
        public int RowParts;        // column chunks: each block of columns is cut into this many blocks of rows
        public int Chunks;
        public bool DirectA;        // read full panels of A in place
        public bool DirectB;        // read full strips of B in place
        public T* SharedB;          // row chunks: op(B) packed once, [pc block][strip][kc][2V]
    }

    /// <summary>Computes the product, on one thread or, when it pays, on several.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in GemmArgs<T> g, GemmOptions options)
    {
        // With a short K the product is bound by writing C, not by arithmetic; split over cores, C's cache lines
        // would also move between their caches on every call.
        bool worthSplitting = (long)g.M * g.N * g.K >= 2 * MinParallelWork && (g.K >= MinParallelK || (long)g.M * g.N * sizeof(T) > 8 << 20);
        int threads = worthSplitting ? KernelThreads.Threads : 1;
        Plan plan = MakePlan(g, threads, options);
        if (plan.ByRows) plan.SharedB = PackBuffers<T>.ForThisThread(0, 0, 0, plan.Strips * NR * g.K).Shared;
        if (plan.Chunks > 1 && threads > 1 && KernelThreads.TryEnter())
        {
            ChunkedGemm job = t_job ??= new();
            try
            {
                job.Args = g;
                job.Plan = plan;
                if (plan.ByRows && (long)plan.Strips * NR * g.K < MinParallelPack)
                {
                    PackShared(g, plan, 0, 1);
                }
                else if (plan.ByRows)
                {
                    // First the threads pack the shared op(B), a range of strips each; then all compute.
                    job.PackParts = Math.Min(plan.Strips, threads * ChunksPerThread);
                    KernelThreads.Run(job, job.PackParts);
                    job.PackParts = 0;
                }
                KernelThreads.Run(job, plan.Chunks);
            }
            finally
            {
                job.Args = default;
                job.Plan = default;
                job.PackParts = 0;
                KernelThreads.Exit();
            }
            return;
        }
        if (plan.ByRows) PackShared(g, plan, 0, 1);
        for (int c = 0; c < plan.Chunks; c++) RunChunk(g, plan, c);
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of the shared packed op(B) of row chunks: a range of strips, every pc block.</summary>
    private static void PackShared(in GemmArgs<T> g, in Plan plan, int part, int parts)
    {
        int s0 = (int)((long)plan.Strips * part / parts), s1 = (int)((long)plan.Strips * (part + 1) / parts);
        for (int pc = 0; pc < g.K; pc += plan.KcStep)
        {
            int kc = Math.Min(plan.KcStep, g.K - pc);
            T* block = plan.SharedB + (nint)pc * plan.Strips * NR;
            PackStrips(g, plan, pc, kc, s0, s1, block + (nint)s0 * kc * NR);
        }
    }

    internal static Plan MakePlan(in GemmArgs<T> g, int threads, GemmOptions options)
    {
        var plan = new Plan { EdgeTiles = options.EdgeTiles };
        // The panel of A (MR x kc) is what stays in L1 while the strips of B stream past it from L2 (the family's
        // KcMax says how long).
        int kcMax = options.KcBytes is { } bytes ? Math.Max(1, bytes / sizeof(T)) : TTiles.KcMax;
        int kBlocks = (g.K + kcMax - 1) / kcMax;
        plan.KcStep = (g.K + kBlocks - 1) / kBlocks;
        // When K is split, a multiple of V: the transposing pack then works in whole V x V blocks (784 = 400 + 384).
        if (kBlocks > 1) plan.KcStep = (plan.KcStep + V - 1) / V * V;
        plan.Strips = (g.N + NR - 1) / NR;
        plan.Panels = (g.M + MR - 1) / MR;
        // For A^T, a stride that is a multiple of 2 KiB maps every p of a panel to the same few L1 sets, so the
        // panel (read once per strip) cannot stay in L1: copy it (cheap, MR contiguous elements per p). A read
        // by rows is streamed once per panel, not once per strip, so it is read in place whatever its stride.
        bool aliased = g.TransA && g.Lda * sizeof(T) % 2048 == 0;
        plan.DirectA = options.DirectA && !aliased;
        // A strip read in place is fetched row by row at stride ldb for every panel; packed, it is one contiguous
        // stream that the prefetchers follow and that no stride can alias. The copy pays unless C has only a
        // panel or two.
        plan.DirectB = options.DirectB && !g.TransB && plan.Panels <= 2;

        // Column chunks need no shared state, but each reads all of A: row chunks (over one shared packed op(B))
        // are for products with few columns and many rows, and for two kinds of A:
        // - one that must be packed, which every column chunk would pack again. Row chunks pay even when the shared
        //   op(B) does not stay in L2: on a Zen 3 (512 KiB L2), dW1 of 784-H-10 (H x 784 x batch, dH^T packed for
        //   its stride of H elements) took 0.78-0.88x the time by rows for H = 512 to 4,096 in float64 (op(B) of
        //   1.2 MiB at batch 200, 6.1 MiB at batch 1,024) and in float32 at batch 1,024; up to 8 MiB of it;
        // - a large one read in place, which column chunks fetch from L3 or memory again for every block of columns
        //   where a row chunk reads each panel once, for all the strips, while it is in L1: a batch of 1,024
        //   samples of 784 inputs (3 MiB in float32), as evaluation and prediction read it from the dataset, took
        //   0.78-0.89x the time by rows (100 columns); that needs op(B) in L2 (up to 1 MiB), and below about 2 MiB
        //   of A, or with A just written (a gathered batch), the two cuts were within the noise or columns a
        //   little faster.
        long sharedB = (long)g.K * plan.Strips * NR * sizeof(T);
        bool aLarge = (long)g.M * g.K * sizeof(T) > 2 << 20;
        plan.ByRows = plan.Panels >= 2 * threads && threads > 1
            && (plan.Strips < 2 * threads
                || (plan.Panels >= 4 * threads && ((!plan.DirectA && sharedB <= 8 << 20) || (aLarge && sharedB <= 1 << 20))));
        if (options.RowChunks is { } rows) plan.ByRows = rows;
        plan.Units = plan.ByRows ? plan.Panels : plan.Strips;
        // Chunk boundaries are spread evenly (units * c / chunks), so chunk sizes differ by one unit at most.
        int chunks = threads == 1 ? 1 : Math.Min(plan.Units, threads * ChunksPerThread);
        if (!plan.ByRows)
        {
            // A chunk's packed B (kc x chunk width) should stay in L2 with room to spare: at most 512 KiB.
            int maxStrips = Math.Max(1, (512 << 10) / (plan.KcStep * NR * sizeof(T)));
            chunks = Math.Max(chunks, (plan.Units + maxStrips - 1) / maxStrips);
        }
        // Column chunks of a C with few strips cannot share the work evenly: at 100 columns, 3 strips and one a quarter
        // full (a tile of half the work) on 2 threads, one thread computes 2 strips while the other computes 1.5. Cutting
        // the rows of each block of columns too gives enough chunks to even the load out, at the price of packing each
        // strip of B once per block of rows: worth it while a block has enough panels to spread its pack over.
        plan.RowParts = 1;
        if (options.RowParts && !plan.ByRows && threads > 1 && chunks < threads * ChunksPerThread)
            plan.RowParts = Math.Max(1, Math.Min((threads * ChunksPerThread + chunks - 1) / chunks, plan.Panels / MinPanelsPerRowPart));
        plan.Chunks = chunks * plan.RowParts;
        return plan;
    }

    /// <summary>Computes chunk <paramref name="chunk"/> of C on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunChunk(in GemmArgs<T> g, in Plan plan, int chunk)
    {
        // Column chunks: chunk = block of columns x RowParts + block of rows.
        int parts = plan.ByRows ? 1 : plan.RowParts, blocks = plan.Chunks / parts, block = chunk / parts, part = chunk % parts;
        int u0 = (int)((long)plan.Units * block / blocks), u1 = (int)((long)plan.Units * (block + 1) / blocks);
        int s0, s1, ic0, ic1;
        if (plan.ByRows)
        {
            (s0, s1) = (0, plan.Strips);
            (ic0, ic1) = (u0 * MR, Math.Min(g.M, u1 * MR));
        }
        else
        {
            (s0, s1) = (u0, u1);
            int p0 = (int)((long)plan.Panels * part / parts), p1 = (int)((long)plan.Panels * (part + 1) / parts);
            (ic0, ic1) = (p0 * MR, Math.Min(g.M, p1 * MR));
        }
        int k = g.K, mr = MR, nr = NR;
        // Room for the widest chunk of the plan, so that a thread never grows its buffers for a later, wider one.
        int widest = (plan.Units + blocks - 1) / blocks;
        PackBuffers<T> buffers = PackBuffers<T>.ForThisThread(mr * plan.KcStep, plan.ByRows ? 0 : widest * nr * plan.KcStep, mr * nr, 0);
        T* aPanel = buffers.A, scratch = buffers.Tile;
        nint ldc = g.Ldc;

        for (int pc = 0; pc < k; pc += plan.KcStep)
        {
            int kc = Math.Min(plan.KcStep, k - pc);
            bool init = pc == 0 && g.Init != null;
            bool load = g.Accumulate || pc > 0 || init;
            T* strips;
            if (plan.ByRows)
            {
                strips = plan.SharedB + (nint)pc * plan.Strips * nr;
            }
            else
            {
                strips = buffers.B;
                PackStrips(g, plan, pc, kc, s0, s1, strips);
            }

            for (int ic = ic0; ic < ic1; ic += mr)
            {
                int rows = Math.Min(mr, ic1 - ic);
                // The last, partial panel has a shorter tile of its own when the family has one for that many rows.
                // Else it is computed as the whole panel of the last MR rows of C, when C has that many: its first
                // MR - rows rows are computed again (the same bits) and not copied.
                bool edge = rows < mr && plan.EdgeTiles && TTiles.HasEdgeTile(rows);
                int skip = rows < mr && !edge && g.M >= mr && plan.DirectA ? mr - rows : 0;
                bool rowsForm = false;
                T* ap;
                nint aStride;
                if ((rows == mr || skip > 0 || edge) && plan.DirectA)
                {
                    ap = g.AAt(ic - skip, pc);
                    aStride = g.Lda;
                    rowsForm = !g.TransA;
                }
                else
                {
                    PackA(g, ic, rows, pc, kc, aPanel);
                    ap = aPanel;
                    aStride = mr;
                }

                for (int s = s0; s < s1; s++)
                {
                    int j = s * nr, valid = Math.Min(nr, g.N - j), width = valid <= V ? V : nr;
                    T* bp;
                    nint bStride;
                    if (plan.DirectB && valid == width)
                    {
                        bp = g.BAt(pc, j);
                        bStride = g.Ldb;
                    }
                    else
                    {
                        bp = strips + (nint)(plan.ByRows ? s : s - s0) * kc * nr;
                        bStride = width;
                    }
                    T* ct = g.C + ic * ldc + j;
                    if ((rows == mr || edge) && valid == width)
                    {
                        if (init) ScaleTile(g.Init + ic * g.LdInit + j, g.LdInit, g.InitScale, ct, ldc, rows, valid);
                        if (edge) TTiles.EdgeTile(rows, width == nr, rowsForm, kc, ap, aStride, bp, bStride, ct, ldc, load);
                        else Tile(width == nr, rowsForm, kc, ap, aStride, bp, bStride, ct, ldc, load);
                    }
                    else
                    {
                        // An edge tile: compute it whole in the scratch tile, keep the valid part (rows skip.. of it).
                        T* st = scratch + (nint)skip * width;
                        if (init) ScaleTile(g.Init + ic * g.LdInit + j, g.LdInit, g.InitScale, st, width, rows, valid);
                        else if (load) CopyTile(ct, ldc, st, width, rows, valid);
                        if (edge) TTiles.EdgeTile(rows, width == nr, rowsForm, kc, ap, aStride, bp, bStride, scratch, width, load);
                        else Tile(width == nr, rowsForm, kc, ap, aStride, bp, bStride, scratch, width, load);
                        CopyTile(st, width, ct, ldc, rows, valid);
                    }
                    if (g.Bias != null && pc + kc == k) BiasRelu(g, ic, rows, j, valid);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(bool wide, bool rowsForm, nint kc, T* a, nint aStride, T* b, nint bStride, T* c, nint ldc, bool load)
    {
        if (rowsForm)
        {
            if (wide) TTiles.WideRows(kc, a, aStride, b, bStride, c, ldc, load);
            else TTiles.NarrowRows(kc, a, aStride, b, bStride, c, ldc, load);
        }
        else
        {
            if (wide) TTiles.Wide(kc, a, aStride, b, bStride, c, ldc, load);
            else TTiles.Narrow(kc, a, aStride, b, bStride, c, ldc, load);
        }
    }

    /// <summary>The epilogue of <see cref="GemmArgs{T}.Bias"/> on rows ic.. and columns j.. of C, a finished block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BiasRelu(in GemmArgs<T> g, int ic, int rows, int j, int cols)
    {
        T* bias = g.Bias + j;
        for (int i = ic; i < ic + rows; i++)
        {
            T* c = g.C + i * g.Ldc + j, relu = g.Relu + i * g.LdRelu + j;
            int q = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; q <= cols - Vector512<T>.Count; q += Vector512<T>.Count)
                {
                    Vector512<T> v = Vector512.Load(c + q) + Vector512.Load(bias + q);
                    v.Store(c + q);
                    // v > 0 ? v : 0, exactly as the scalar loop (+0 for -0 and for NaN).
                    Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<T>.Zero), v, Vector512<T>.Zero).Store(relu + q);
                }
            }
            if (Vector256.IsHardwareAccelerated)
            {
                for (; q <= cols - Vector256<T>.Count; q += Vector256<T>.Count)
                {
                    Vector256<T> v = Vector256.Load(c + q) + Vector256.Load(bias + q);
                    v.Store(c + q);
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<T>.Zero), v, Vector256<T>.Zero).Store(relu + q);
                }
            }
            for (; q < cols; q++)
            {
                T v = c[q] + bias[q];
                c[q] = v;
                relu[q] = v > T.Zero ? v : T.Zero;
            }
        }
    }

    /// <summary>to[i, j] = scale * from[i, j], one rounding, as <see cref="Kernels.Scale{T}"/> computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleTile(T* from, nint ldFrom, T scale, T* to, nint ldTo, int rows, int cols)
    {
        for (int i = 0; i < rows; i++)
        {
            T* f = from + i * ldFrom, t = to + i * ldTo;
            int j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var vs = Vector512.Create(scale);
                for (; j <= cols - Vector512<T>.Count; j += Vector512<T>.Count) (vs * Vector512.Load(f + j)).Store(t + j);
            }
            if (Vector256.IsHardwareAccelerated)
            {
                var vs = Vector256.Create(scale);
                for (; j <= cols - Vector256<T>.Count; j += Vector256<T>.Count) (vs * Vector256.Load(f + j)).Store(t + j);
            }
            for (; j < cols; j++) t[j] = scale * f[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyTile(T* from, nint ldFrom, T* to, nint ldTo, int rows, int cols)
    {
        for (int i = 0; i < rows; i++)
            new ReadOnlySpan<T>(from + i * ldFrom, cols).CopyTo(new Span<T>(to + i * ldTo, cols));
    }

    /// <summary>
    /// The MR x kc panel of op(A) at rows ic.., columns pc.., stored p-major: panel[p * MR + i] = op(A)[ic + i, pc + p],
    /// rows past the edge zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(in GemmArgs<T> g, int ic, int rows, int pc, int kc, T* panel)
    {
        int mr = MR;
        if (g.TransA && rows == mr)
        {
            // Columns of op(A) are contiguous: copy MR at a time (a constant size, so the copy is a few vector moves).
            T* src = g.A + pc * g.Lda + ic;
            for (int p = 0; p < kc; p++, src += g.Lda)
                Unsafe.CopyBlockUnaligned(panel + (nint)p * TTiles.MR, src, (uint)(TTiles.MR * sizeof(T)));
        }
        else if (g.TransA)
        {
            for (int p = 0; p < kc; p++)
            {
                T* src = g.A + (pc + p) * g.Lda + ic;
                T* dst = panel + (nint)p * mr;
                int i = 0;
                for (; i < rows; i++) dst[i] = src[i];
                for (; i < mr; i++) dst[i] = T.Zero;
            }
        }
        else
        {
            for (int p = 0; p < kc; p++)
            {
                T* dst = panel + (nint)p * mr;
                T* src = g.A + ic * g.Lda + pc + p;
                int i = 0;
                for (; i < rows; i++) dst[i] = src[i * g.Lda];
                for (; i < mr; i++) dst[i] = T.Zero;
            }
        }
    }

    /// <summary>
    /// Strips s0..s1-1 of op(B), rows pc..pc+kc-1, each kc x width and contiguous at dst + (s - s0) * kc * 2V:
    /// strip[p * width + j] = op(B)[pc + p, s * 2V + j], columns past the edge zero. Strips read in place
    /// (see <see cref="Plan.DirectB"/>) are skipped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackStrips(in GemmArgs<T> g, in Plan plan, int pc, int kc, int s0, int s1, T* dst)
    {
        int nr = NR, v = V;
        for (int s = s0; s < s1; s++)
        {
            int j0 = s * nr, valid = Math.Min(nr, g.N - j0), width = valid <= v ? v : nr;
            if (plan.DirectB && valid == width) continue;
            T* strip = dst + (nint)(s - s0) * kc * nr;
            if (g.TransB) PackTransposed(g.B + j0 * g.Ldb + pc, g.Ldb, valid, kc, strip, width);
            else PackCopy(g.B + pc * g.Ldb + j0, g.Ldb, valid, kc, strip, width);
        }
    }

    /// <summary>strip[p * width + j] = src[p * ld + j] for j &lt; valid, zero up to width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackCopy(T* src, nint ld, int valid, int kc, T* strip, int width)
    {
        if (valid == NR)
        {
            // A whole strip row is a constant size (2V elements), so the copy is a few vector moves.
            for (int p = 0; p < kc; p++)
                Unsafe.CopyBlockUnaligned(strip + (nint)p * width, src + p * ld, (uint)(NR * sizeof(T)));
            return;
        }
        for (int p = 0; p < kc; p++)
        {
            new ReadOnlySpan<T>(src + p * ld, valid).CopyTo(new Span<T>(strip + (nint)p * width, valid));
            new Span<T>(strip + (nint)p * width + valid, width - valid).Clear();
        }
    }

    /// <summary>strip[p * width + j] = src[j * ld + p] for j &lt; valid (zero up to width), p &lt; kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed(T* src, nint ld, int valid, int kc, T* strip, int width)
    {
        int v = V;
        // Whole groups of V rows of src go through V x V register transposes; the rest element by element.
        int p0 = 0;
        if (valid >= v)
        {
            int groups = valid / v;
            for (; p0 + v <= kc; p0 += v)
                for (int grp = 0; grp < groups; grp++)
                    TTiles.TransposeBlock(src + grp * v * ld + p0, ld, strip + (nint)p0 * width + grp * v, width);
        }
        int done = valid >= v ? valid / v * v : 0;
        for (int p = 0; p < kc; p++)
        {
            T* d = strip + (nint)p * width;
            int j = p < p0 ? done : 0;
            for (; j < valid; j++) d[j] = src[j * ld + p];
            for (; j < width; j++) d[j] = T.Zero;
        }
    }

    /// <summary>The product cut into chunks, run by <see cref="KernelThreads"/>.</summary>
    private sealed class ChunkedGemm : KernelJob
    {
        public GemmArgs<T> Args;
        public Plan Plan;

        /// <summary>When not 0, the job is packing the shared op(B) of row chunks, in this many parts.</summary>
        public int PackParts;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public override void Execute(int chunk)
        {
            if (PackParts > 0) PackShared(Args, Plan, chunk, PackParts);
            else RunChunk(Args, Plan, chunk);
        }
    }
}

/// <summary>
/// A thread's scratch memory for packing: pinned, 64-byte aligned, grown on demand and then reused, so the
/// steady state allocates nothing.
/// </summary>
internal sealed unsafe class PackBuffers<T>
    where T : unmanaged
{
    [ThreadStatic]
    private static PackBuffers<T>? t_buffers;

    private T[] _a = Array.Empty<T>(), _b = Array.Empty<T>(), _tile = Array.Empty<T>(), _shared = Array.Empty<T>();

    /// <summary>A packed panel of A.</summary>
    public T* A { get; private set; }

    /// <summary>A chunk's packed strips of B.</summary>
    public T* B { get; private set; }

    /// <summary>The scratch tile for edges.</summary>
    public T* Tile { get; private set; }

    /// <summary>All of op(B), packed once for row chunks on other threads to share.</summary>
    public T* Shared { get; private set; }

    /// <summary>This thread's buffers, each holding at least the given number of elements.</summary>
    public static PackBuffers<T> ForThisThread(int a, int b, int tile, int shared)
    {
        PackBuffers<T> p = t_buffers ??= new PackBuffers<T>();
        if (p._a.Length < a + Pad) p.A = Allocate(ref p._a, a);
        if (p._b.Length < b + Pad) p.B = Allocate(ref p._b, b);
        if (p._tile.Length < tile + Pad) p.Tile = Allocate(ref p._tile, tile);
        if (p._shared.Length < shared + Pad) p.Shared = Allocate(ref p._shared, shared);
        return p;
    }

    /// <summary>Spare elements: room to align the start to 64 bytes.</summary>
    private static int Pad => 64 / sizeof(T);

    private static T* Allocate(ref T[] array, int length)
    {
        array = GC.AllocateArray<T>(length + Pad, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (T*)((start + 63) & ~(nint)63);
    }
}
