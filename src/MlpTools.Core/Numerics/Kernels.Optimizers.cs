using System.Numerics;
using System.Runtime.CompilerServices;

namespace MlpTools.Core.Numerics;

/// <summary>
/// How far one step moved a parameter array, as sums of squares: <see cref="Update"/> = sum_i (w_after[i] -
/// w_before[i])^2 and <see cref="Before"/> = sum_i w_before[i]^2. Their square roots are ||update|| and ||w before||.
/// </summary>
internal readonly record struct StepSquares(double Update, double Before);

/// <summary>
/// The sums of squares of a parameter array's gradient and of the array after a step, the same bits as
/// <see cref="Kernels.SumOfSquares{T}"/> of each: a training's gradient norms and the next batch's L2 penalty.
/// </summary>
internal readonly record struct ArraySquares(double Gradient, double Weights);

/// <summary>
/// The optimizers' in-place parameter updates (SGD with momentum, Adam, RMSProp): element-wise passes over a
/// parameter array, its state arrays and its gradient, vectorized and split across the kernel threads.
/// </summary>
/// <remarks>
/// Each can also measure the step it takes (<c>measure: true</c>): the sums of squares of <see cref="StepSquares"/>,
/// taken in the same pass from the values it loads and stores, so measuring costs no extra pass over the arrays and
/// changes no bit of what the step writes. The sums are taken in chunks of <see cref="UpdateChunk"/> elements whose
/// partial sums are added in order in double, so they do not depend on the number of threads (within a chunk, see
/// <see cref="UpdateRange{T}"/>). The plain reference is <see cref="ReferenceKernels.SquaredDistance{T}"/> and
/// <see cref="ReferenceKernels.SumOfSquares{T}"/>. Each can also give the sums of squares of the gradient and of the
/// updated array (<see cref="ArraySquares"/>), the bits of <see cref="SumOfSquares{T}"/>, in the same pass.
/// </remarks>
internal static partial class Kernels
{
    /// <summary>
    /// One step of SGD with momentum over a parameter array w, its velocity v and gradient g:
    /// <code>
    ///   v' = mu v - lr g
    ///   w += v'                         (classical)
    ///   w += -mu v + (1 + mu) v'        (Nesterov)
    /// </code>
    /// Element-wise, in the same roundings as the scalar loop <see cref="ReferenceKernels.MomentumStep{T}"/>.
    /// Large arrays are split across the kernel threads (element-wise, so the result does not depend on them).
    /// With <paramref name="measure"/> it returns the step's <see cref="StepSquares"/> (otherwise zeros).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static StepSquares MomentumStep<T>(Span<T> w, Span<T> v, ReadOnlySpan<T> g, T mu, T lr, bool nesterov, bool measure = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(nesterov ? UpdateRule.Nesterov : UpdateRule.Momentum, w, v, Span<T>.Empty, g, mu, lr, T.Zero, T.Zero, measure, sumSquares: false, out _);

    /// <summary>
    /// <see cref="MomentumStep{T}(Span{T}, Span{T}, ReadOnlySpan{T}, T, T, bool, bool)"/>, also giving the sums of squares
    /// of g and of w after the step (<see cref="ArraySquares"/>), taken in the same pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static StepSquares MomentumStep<T>(Span<T> w, Span<T> v, ReadOnlySpan<T> g, T mu, T lr, bool nesterov, bool measure, out ArraySquares squares)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(nesterov ? UpdateRule.Nesterov : UpdateRule.Momentum, w, v, Span<T>.Empty, g, mu, lr, T.Zero, T.Zero, measure, sumSquares: true, out squares);

    /// <summary>
    /// One step of Adam over a parameter array w, its moment estimates m and s and gradient g, with the bias
    /// corrections already folded into <paramref name="lr"/> and <paramref name="eps"/> by the caller:
    /// <code>
    ///   m = b1 m + (1 - b1) g
    ///   s = b2 s + (1 - b2) g g
    ///   w -= lr m / (sqrt(s) + eps)
    /// </code>
    /// In the same roundings as <see cref="ReferenceKernels.AdamStep{T}"/>; split across threads and measured like
    /// <see cref="MomentumStep{T}(Span{T}, Span{T}, ReadOnlySpan{T}, T, T, bool, bool)"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static StepSquares AdamStep<T>(Span<T> w, Span<T> m, Span<T> s, ReadOnlySpan<T> g, T beta1, T beta2, T lr, T eps, bool measure = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(UpdateRule.Adam, w, m, s, g, beta1, beta2, lr, eps, measure, sumSquares: false, out _);

    /// <summary><see cref="AdamStep{T}(Span{T}, Span{T}, Span{T}, ReadOnlySpan{T}, T, T, T, T, bool)"/>, also giving <see cref="ArraySquares"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static StepSquares AdamStep<T>(Span<T> w, Span<T> m, Span<T> s, ReadOnlySpan<T> g, T beta1, T beta2, T lr, T eps, bool measure, out ArraySquares squares)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(UpdateRule.Adam, w, m, s, g, beta1, beta2, lr, eps, measure, sumSquares: true, out squares);

    /// <summary>
    /// One step of RMSProp over a parameter array w, its running mean square s and gradient g:
    /// <code>
    ///   s = rho s + (1 - rho) g g
    ///   w -= lr g / (sqrt(s) + eps)
    /// </code>
    /// In the same roundings as <see cref="ReferenceKernels.RmsPropStep{T}"/>; split across threads and measured like
    /// <see cref="MomentumStep{T}(Span{T}, Span{T}, ReadOnlySpan{T}, T, T, bool, bool)"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static StepSquares RmsPropStep<T>(Span<T> w, Span<T> s, ReadOnlySpan<T> g, T rho, T lr, T eps, bool measure = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(UpdateRule.RmsProp, w, s, Span<T>.Empty, g, rho, lr, eps, T.Zero, measure, sumSquares: false, out _);

    /// <summary><see cref="RmsPropStep{T}(Span{T}, Span{T}, ReadOnlySpan{T}, T, T, T, bool)"/>, also giving <see cref="ArraySquares"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static StepSquares RmsPropStep<T>(Span<T> w, Span<T> s, ReadOnlySpan<T> g, T rho, T lr, T eps, bool measure, out ArraySquares squares)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(UpdateRule.RmsProp, w, s, Span<T>.Empty, g, rho, lr, eps, T.Zero, measure, sumSquares: true, out squares);

    /// <summary>Arrays at least this long are worth splitting across threads.</summary>
    private const int ParallelElementwiseMinimum = 1 << 15;

    /// <summary>Elements per chunk of a parallel element-wise pass (a multiple of every vector width).</summary>
    private const int UpdateChunk = 1 << 14;

    /// <summary>The in-place parameter updates, one per optimizer.</summary>
    private enum UpdateRule
    {
        Momentum,
        Nesterov,
        Adam,
        RmsProp,
    }

    /// <summary>
    /// One update: w and its state arrays S1 (velocity, first moment or mean square) and S2 (Adam's second
    /// moment), the gradient G, and the rule's scalars P0..P3 in the order of its public kernel's parameters.
    /// </summary>
    private unsafe struct UpdateArgs<T>
        where T : unmanaged
    {
        public UpdateRule Rule;
        public T* W, S1, S2, G;
        public int N;
        public T P0, P1, P2, P3;
        public bool Measure;
        public bool Squares;    // chunks of SumChunk elements, their sums of squares in SquareParts (UpdateWithSquares)
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe StepSquares Update<T>(UpdateRule rule, Span<T> w, Span<T> s1, Span<T> s2, ReadOnlySpan<T> g, T p0, T p1, T p2, T p3,
        bool measure, bool sumSquares, out ArraySquares squares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = w.Length;
        if (s1.Length < n || g.Length < n || (rule == UpdateRule.Adam && s2.Length < n))
            throw new ArgumentException($"An update of {n} parameters needs state and gradient arrays at least as long (got {s1.Length}, {s2.Length}, {g.Length}).");
        int chunks = (n + UpdateChunk - 1) / UpdateChunk;
        fixed (T* pw = w, ps1 = s1, ps2 = s2, pg = g)
        {
            var args = new UpdateArgs<T> { Rule = rule, W = pw, S1 = ps1, S2 = ps2, G = pg, N = n, P0 = p0, P1 = p1, P2 = p2, P3 = p3, Measure = measure };
            squares = default;
            if (sumSquares)
            {
                squares = UpdateWithSquares(args, chunks, out StepSquares step);
                return step;
            }
            if (n >= ParallelElementwiseMinimum && IsVectorizable<T>() && KernelThreads.TryEnter())
            {
                try
                {
                    UpdateJob<T> job = UpdateJob<T>.Instance;
                    job.Args = args;
                    if (measure && job.Partials.Length < chunks) job.Partials = new StepSquares[chunks];
                    KernelThreads.Run(job, chunks);
                    job.Args = default;
                    return measure ? AddInOrder(job.Partials.AsSpan(0, chunks)) : default;
                }
                finally
                {
                    KernelThreads.Exit();
                }
            }
            if (!measure)
            {
                UpdateRange(args, 0, n);
                return default;
            }
            // The same chunks as the threads take, their sums added in the same order.
            double update = 0, before = 0;
            for (int c = 0; c < chunks; c++)
            {
                StepSquares part = UpdateRange(args, c * UpdateChunk, Math.Min(n, (c + 1) * UpdateChunk));
                update += part.Update;
                before += part.Before;
            }
            return new StepSquares(update, before);
        }
    }

    /// <summary>
    /// An update that also sums the squares of g and of the updated w, chunk by chunk of <see cref="SumChunk"/> elements as
    /// <see cref="SumOfSquares{T}"/> does (the chunks' sums added in order), each chunk by one thread: it updates the
    /// chunk a piece of <see cref="UpdateChunk"/> elements at a time and adds each piece's squares while the piece is in
    /// the cache, so the sums cost no pass of their own over the arrays. The step's own measure, when asked, is summed
    /// per piece as <see cref="Update{T}"/> sums it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ArraySquares UpdateWithSquares<T>(in UpdateArgs<T> args, int pieces, out StepSquares step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = args.N, chunks = (n + SumChunk - 1) / SumChunk;
        UpdateJob<T> job = UpdateJob<T>.Instance;
        if (args.Measure && job.Partials.Length < pieces) job.Partials = new StepSquares[pieces];
        if (job.SquareParts.Length < chunks) job.SquareParts = new ArraySquares[chunks];
        job.Args = args;
        job.Args.Squares = true;
        bool parallel = chunks > 1 && IsVectorizable<T>() && KernelThreads.TryEnter();
        try
        {
            if (parallel) KernelThreads.Run(job, chunks);
            else for (int c = 0; c < chunks; c++) job.Execute(c);
        }
        finally
        {
            job.Args = default;
            if (parallel) KernelThreads.Exit();
        }
        step = args.Measure ? AddInOrder(job.Partials.AsSpan(0, pieces)) : default;
        double gradient = 0, weights = 0;
        foreach (ArraySquares part in job.SquareParts.AsSpan(0, chunks))
        {
            gradient += part.Gradient;
            weights += part.Weights;
        }
        return new ArraySquares(gradient, weights);
    }

    /// <summary>Chunk <paramref name="chunk"/> (of <see cref="SumChunk"/> elements) of <see cref="UpdateWithSquares{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe ArraySquares UpdateSumChunk<T>(in UpdateArgs<T> a, int chunk, Span<StepSquares> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int start = chunk * SumChunk, end = Math.Min(a.N, start + SumChunk);
        var gradient = default(SquaresInOrder);
        var weights = default(SquaresInOrder);
        int vectorEnd = start + SquaresInOrder.VectorPart<T>(end - start);
        for (int piece = start; piece < end; piece += UpdateChunk)
        {
            int pieceEnd = Math.Min(end, piece + UpdateChunk);
            StepSquares part = UpdateRange(a, piece, pieceEnd);
            if (a.Measure) partials[piece / UpdateChunk] = part;
            // Pieces are whole vector steps (UpdateChunk is a multiple of every step) but for the chunk's tail.
            int summed = Math.Min(pieceEnd, vectorEnd) - piece;
            if (summed > 0)
            {
                SquaresInOrder.AddPairs(ref gradient, new ReadOnlySpan<T>(a.G + piece, summed), ref weights, new ReadOnlySpan<T>(a.W + piece, summed));
            }
        }
        return new ArraySquares(
            gradient.Finish(new ReadOnlySpan<T>(a.G + vectorEnd, end - vectorEnd)),
            weights.Finish(new ReadOnlySpan<T>(a.W + vectorEnd, end - vectorEnd)));
    }

    /// <summary>The chunks' sums added in chunk order, as the serial loop adds them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static StepSquares AddInOrder(ReadOnlySpan<StepSquares> parts)
    {
        double update = 0, before = 0;
        foreach (StepSquares part in parts)
        {
            update += part.Update;
            before += part.Before;
        }
        return new StepSquares(update, before);
    }

    /// <summary>The sum of a vector's lanes, each widened to double first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SumInDouble<T>(Vector<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            Vector.Widen(Vector.As<T, float>(x), out Vector<double> lo, out Vector<double> hi);
            return Vector.Sum(lo + hi);
        }
        return double.CreateTruncating(Vector.Sum(x));
    }

    /// <summary>
    /// Elements start..end-1 of an update, vectorized where the hardware allows; each element rounds as the scalar loop
    /// does. When measuring, returns the step's sums of squares over the range: the vector part's lanes summed (in double),
    /// then the scalar tail's elements added in order (each in double).
    /// </summary>
    /// <remarks>
    /// The vector part keeps its running sums in T, lane by lane: for float, at most <see cref="UpdateChunk"/> / 8 terms
    /// a lane (a range is at most one chunk), so each sum is within about 2^11 u_float = 1.2e-4 of its value (Higham 3.1,
    /// terms non-negative), and typically far closer; plenty for a diagnostic, at a third of the work of widening every
    /// element to double, which made a measured step about twice as slow as a plain one.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe StepSquares UpdateRange<T>(in UpdateArgs<T> a, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* w = a.W, s1 = a.S1, s2 = a.S2, g = a.G;
        int i = start, vc = Vector<T>.Count;
        bool vector = IsVectorizable<T>(), measure = a.Measure;
        Vector<T> vUpdate = Vector<T>.Zero, vBefore = Vector<T>.Zero;
        double update = 0, before = 0;
        switch (a.Rule)
        {
            case UpdateRule.Momentum:
            case UpdateRule.Nesterov:
            {
                bool nesterov = a.Rule == UpdateRule.Nesterov;
                T mu = a.P0, lr = a.P1, onePlusMu = T.One + mu;
                if (vector)
                {
                    Vector<T> vmu = new(mu), vlr = new(lr), v1mu = new(onePlusMu);
                    for (; i <= end - vc; i += vc)
                    {
                        Vector<T> previous = Vector.Load(s1 + i);
                        Vector<T> next = vmu * previous - vlr * Vector.Load(g + i);
                        next.Store(s1 + i);
                        Vector<T> step = nesterov ? v1mu * next - vmu * previous : next;
                        Vector<T> old = Vector.Load(w + i), updated = old + step;
                        updated.Store(w + i);
                        if (measure)
                        {
                            Vector<T> d = updated - old;
                            vUpdate += d * d;
                            vBefore += old * old;
                        }
                    }
                }
                if (measure) (update, before) = (SumInDouble(vUpdate), SumInDouble(vBefore));
                for (; i < end; i++)
                {
                    T previous = s1[i];
                    T next = mu * previous - lr * g[i];
                    s1[i] = next;
                    T old = w[i];
                    w[i] = old + (nesterov ? onePlusMu * next - mu * previous : next);
                    if (measure) AddStepSquares(old, w[i], ref update, ref before);
                }
                break;
            }
            case UpdateRule.Adam:
            {
                T b1 = a.P0, b2 = a.P1, lr = a.P2, eps = a.P3, oneMinusB1 = T.One - b1, oneMinusB2 = T.One - b2;
                if (vector)
                {
                    Vector<T> vb1 = new(b1), vb2 = new(b2), vlr = new(lr), veps = new(eps), v1b1 = new(oneMinusB1), v1b2 = new(oneMinusB2);
                    for (; i <= end - vc; i += vc)
                    {
                        Vector<T> gi = Vector.Load(g + i);
                        Vector<T> mi = vb1 * Vector.Load(s1 + i) + v1b1 * gi;
                        Vector<T> si = vb2 * Vector.Load(s2 + i) + v1b2 * gi * gi;
                        mi.Store(s1 + i);
                        si.Store(s2 + i);
                        Vector<T> old = Vector.Load(w + i), updated = old - vlr * mi / (Vector.SquareRoot(si) + veps);
                        updated.Store(w + i);
                        if (measure)
                        {
                            Vector<T> d = updated - old;
                            vUpdate += d * d;
                            vBefore += old * old;
                        }
                    }
                }
                if (measure) (update, before) = (SumInDouble(vUpdate), SumInDouble(vBefore));
                for (; i < end; i++)
                {
                    T gi = g[i];
                    T mi = b1 * s1[i] + oneMinusB1 * gi;
                    T si = b2 * s2[i] + oneMinusB2 * gi * gi;
                    s1[i] = mi;
                    s2[i] = si;
                    T old = w[i];
                    w[i] = old - lr * mi / (T.Sqrt(si) + eps);
                    if (measure) AddStepSquares(old, w[i], ref update, ref before);
                }
                break;
            }
            case UpdateRule.RmsProp:
            {
                T rho = a.P0, lr = a.P1, eps = a.P2, oneMinusRho = T.One - rho;
                if (vector)
                {
                    Vector<T> vrho = new(rho), vlr = new(lr), veps = new(eps), v1rho = new(oneMinusRho);
                    for (; i <= end - vc; i += vc)
                    {
                        Vector<T> gi = Vector.Load(g + i);
                        Vector<T> si = vrho * Vector.Load(s1 + i) + v1rho * gi * gi;
                        si.Store(s1 + i);
                        Vector<T> old = Vector.Load(w + i), updated = old - vlr * gi / (Vector.SquareRoot(si) + veps);
                        updated.Store(w + i);
                        if (measure)
                        {
                            Vector<T> d = updated - old;
                            vUpdate += d * d;
                            vBefore += old * old;
                        }
                    }
                }
                if (measure) (update, before) = (SumInDouble(vUpdate), SumInDouble(vBefore));
                for (; i < end; i++)
                {
                    T gi = g[i];
                    T si = rho * s1[i] + oneMinusRho * gi * gi;
                    s1[i] = si;
                    T old = w[i];
                    w[i] = old - lr * gi / (T.Sqrt(si) + eps);
                    if (measure) AddStepSquares(old, w[i], ref update, ref before);
                }
                break;
            }
        }
        return new StepSquares(update, before);
    }

    /// <summary>Adds one element's (after - before)^2 and before^2, in double, to the running sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddStepSquares<T>(T before, T after, ref double update, ref double weight)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double b = double.CreateTruncating(before), d = double.CreateTruncating(after) - b;
        update += d * d;
        weight += b * b;
    }

    /// <summary>An update cut into chunks of <see cref="UpdateChunk"/> elements.</summary>
    private sealed class UpdateJob<T> : KernelJob
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic]
        private static UpdateJob<T>? t_instance;

        /// <summary>The calling thread's job (a job is filled and run by one caller at a time).</summary>
        public static UpdateJob<T> Instance => t_instance ??= new();
        public UpdateArgs<T> Args;

        /// <summary>Each chunk's sums of squares, when measuring (grown when an array needs more chunks).</summary>
        public StepSquares[] Partials = Array.Empty<StepSquares>();

        /// <summary>Each chunk's <see cref="ArraySquares"/>, when asked for (<see cref="UpdateArgs{T}.Squares"/>).</summary>
        public ArraySquares[] SquareParts = Array.Empty<ArraySquares>();

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public override void Execute(int chunk)
        {
            if (Args.Squares)
            {
                SquareParts[chunk] = UpdateSumChunk(Args, chunk, Partials);
                return;
            }
            int start = chunk * UpdateChunk;
            StepSquares part = UpdateRange(Args, start, Math.Min(Args.N, start + UpdateChunk));
            if (Args.Measure) Partials[chunk] = part;
        }
    }
}
