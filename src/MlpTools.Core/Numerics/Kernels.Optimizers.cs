using System.Numerics;

namespace MlpTools.Core.Numerics;

/// <summary>
/// The optimizers' in-place parameter updates (SGD with momentum, Adam, RMSProp): element-wise passes over a
/// parameter array, its state arrays and its gradient, vectorized and split across the kernel threads.
/// </summary>
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
    /// </summary>
    public static void MomentumStep<T>(Span<T> w, Span<T> v, ReadOnlySpan<T> g, T mu, T lr, bool nesterov)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(nesterov ? UpdateRule.Nesterov : UpdateRule.Momentum, w, v, Span<T>.Empty, g, mu, lr, T.Zero, T.Zero);

    /// <summary>
    /// One step of Adam over a parameter array w, its moment estimates m and s and gradient g, with the bias
    /// corrections already folded into <paramref name="lr"/> and <paramref name="eps"/> by the caller:
    /// <code>
    ///   m = b1 m + (1 - b1) g
    ///   s = b2 s + (1 - b2) g g
    ///   w -= lr m / (sqrt(s) + eps)
    /// </code>
    /// In the same roundings as <see cref="ReferenceKernels.AdamStep{T}"/>; split across threads like <see cref="MomentumStep{T}"/>.
    /// </summary>
    public static void AdamStep<T>(Span<T> w, Span<T> m, Span<T> s, ReadOnlySpan<T> g, T beta1, T beta2, T lr, T eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(UpdateRule.Adam, w, m, s, g, beta1, beta2, lr, eps);

    /// <summary>
    /// One step of RMSProp over a parameter array w, its running mean square s and gradient g:
    /// <code>
    ///   s = rho s + (1 - rho) g g
    ///   w -= lr g / (sqrt(s) + eps)
    /// </code>
    /// In the same roundings as <see cref="ReferenceKernels.RmsPropStep{T}"/>; split across threads like <see cref="MomentumStep{T}"/>.
    /// </summary>
    public static void RmsPropStep<T>(Span<T> w, Span<T> s, ReadOnlySpan<T> g, T rho, T lr, T eps)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Update(UpdateRule.RmsProp, w, s, Span<T>.Empty, g, rho, lr, eps, T.Zero);

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
    }

    private static unsafe void Update<T>(UpdateRule rule, Span<T> w, Span<T> s1, Span<T> s2, ReadOnlySpan<T> g, T p0, T p1, T p2, T p3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = w.Length;
        if (s1.Length < n || g.Length < n || (rule == UpdateRule.Adam && s2.Length < n))
            throw new ArgumentException($"An update of {n} parameters needs state and gradient arrays at least as long (got {s1.Length}, {s2.Length}, {g.Length}).");
        fixed (T* pw = w, ps1 = s1, ps2 = s2, pg = g)
        {
            var args = new UpdateArgs<T> { Rule = rule, W = pw, S1 = ps1, S2 = ps2, G = pg, N = n, P0 = p0, P1 = p1, P2 = p2, P3 = p3 };
            if (n >= ParallelElementwiseMinimum && KernelThreads.MaxThreads > 1 && IsVectorizable<T>() && KernelThreads.TryEnter())
            {
                try
                {
                    UpdateJob<T> job = UpdateJob<T>.Instance;
                    job.Args = args;
                    KernelThreads.Run(job, (n + UpdateChunk - 1) / UpdateChunk);
                    job.Args = default;
                }
                finally
                {
                    KernelThreads.Exit();
                }
                return;
            }
            UpdateRange(args, 0, n);
        }
    }

    /// <summary>Elements start..end-1 of an update, vectorized where the hardware allows; each element rounds as the scalar loop does.</summary>
    private static unsafe void UpdateRange<T>(in UpdateArgs<T> a, int start, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* w = a.W, s1 = a.S1, s2 = a.S2, g = a.G;
        int i = start, vc = Vector<T>.Count;
        bool vector = IsVectorizable<T>();
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
                        (Vector.Load(w + i) + step).Store(w + i);
                    }
                }
                for (; i < end; i++)
                {
                    T previous = s1[i];
                    T next = mu * previous - lr * g[i];
                    s1[i] = next;
                    w[i] += nesterov ? onePlusMu * next - mu * previous : next;
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
                        (Vector.Load(w + i) - vlr * mi / (Vector.SquareRoot(si) + veps)).Store(w + i);
                    }
                }
                for (; i < end; i++)
                {
                    T gi = g[i];
                    T mi = b1 * s1[i] + oneMinusB1 * gi;
                    T si = b2 * s2[i] + oneMinusB2 * gi * gi;
                    s1[i] = mi;
                    s2[i] = si;
                    w[i] -= lr * mi / (T.Sqrt(si) + eps);
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
                        (Vector.Load(w + i) - vlr * gi / (Vector.SquareRoot(si) + veps)).Store(w + i);
                    }
                }
                for (; i < end; i++)
                {
                    T gi = g[i];
                    T si = rho * s1[i] + oneMinusRho * gi * gi;
                    s1[i] = si;
                    w[i] -= lr * gi / (T.Sqrt(si) + eps);
                }
                break;
            }
        }
    }

    /// <summary>An update cut into chunks of <see cref="UpdateChunk"/> elements.</summary>
    private sealed class UpdateJob<T> : IKernelJob
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly UpdateJob<T> Instance = new();
        public UpdateArgs<T> Args;

        public void Execute(int chunk)
        {
            int start = chunk * UpdateChunk;
            UpdateRange(Args, start, Math.Min(Args.N, start + UpdateChunk));
        }
    }
}
