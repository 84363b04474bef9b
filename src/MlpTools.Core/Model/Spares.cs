namespace MlpTools.Core.Model;

/// <summary>
/// Large scratch objects a call leaves for the next one (the buffers of a batch, a set of gradients): fresh arrays of
/// this size come from the large object heap, whose pages the first write faults in, and on these machines a page
/// fault costs about 10 us. For 10,000 predictions at 784-100-10 that was as much as the forward products (12.4 ms a
/// call against 7.2 ms with the arrays reused); a 1-epoch 784-100-10 training's first batch took 4-8 ms instead of
/// 0.5 ms, most of it faulting its buffers and gradients in.
/// </summary>
/// <remarks>
/// The process keeps a few of each kind (<see cref="Slots"/>: a training takes two sets of batch buffers at once, its
/// own and its starting loss's), each taken by one caller for itself (two threads never share one), none larger than
/// <see cref="MaxBytes"/>, and drops them all at the next full garbage collection, so they are held no longer than that. What a spare holds is whatever its
/// last user left: a taker writes before it reads.
/// </remarks>
internal static class Spares<TItem>
    where TItem : class
{
    /// <summary>How many of a kind are kept.</summary>
    internal const int Slots = 2;

    private static readonly TItem?[] s_items = new TItem?[Slots];
    private static int s_next;

    static Spares() => SpareRelease.Register(Drop);

    /// <summary>
    /// A kept object that <paramref name="fits"/> holds for, the one of the highest <paramref name="rank"/> when several
    /// do, taken for the caller alone; null when there is none.
    /// </summary>
    public static TItem? Take<TState>(TState state, Func<TItem, TState, bool> fits, Func<TItem, TState, int>? rank = null)
    {
        while (true)
        {
            int best = -1, bestRank = int.MinValue;
            TItem? chosen = null;
            for (int i = 0; i < Slots; i++)
            {
                TItem? item = Volatile.Read(ref s_items[i]);
                if (item is null || !fits(item, state)) continue;
                int r = rank?.Invoke(item, state) ?? 0;
                if (r > bestRank) (best, bestRank, chosen) = (i, r, item);
            }
            if (chosen is null) return null;
            if (Interlocked.CompareExchange(ref s_items[best], null, chosen) == chosen) return chosen;
            // Another thread took it meanwhile: look again.
        }
    }

    /// <summary>The largest object kept, in bytes: 32 MiB (a whole-data batch of L-BFGS is not held on to).</summary>
    internal const long MaxBytes = 32L << 20;

    /// <summary>
    /// Keeps <paramref name="item"/>, of <paramref name="bytes"/>, for a later call: in an empty place, else in place of
    /// the one kept longest; not when it is larger than <see cref="MaxBytes"/>.
    /// </summary>
    public static void GiveBack(TItem item, long bytes)
    {
        if (bytes > MaxBytes) return;
        SpareRelease.Arm();
        for (int i = 0; i < Slots; i++)
            if (Interlocked.CompareExchange(ref s_items[i], item, null) is null) return;
        int slot = (int)((uint)Interlocked.Increment(ref s_next) % Slots);
        Volatile.Write(ref s_items[slot], item);
    }

    /// <summary>Forgets every kept object of this kind (see <see cref="SpareRelease.DropAll"/>).</summary>
    private static void Drop()
    {
        for (int i = 0; i < Slots; i++) Volatile.Write(ref s_items[i], null);
    }
}

/// <summary>Drops the spares at every full collection: an object that is finalized each time the collector frees it, and lives on.</summary>
internal sealed class SpareRelease
{
    private static readonly List<Action> s_drops = new();
    private static int s_armed;

    /// <summary>Adds a kind of spares to drop.</summary>
    public static void Register(Action drop)
    {
        lock (s_drops) s_drops.Add(drop);
    }

    /// <summary>Starts watching for full collections (once).</summary>
    public static void Arm()
    {
        if (Interlocked.Exchange(ref s_armed, 1) == 0) _ = new SpareRelease();
    }

    /// <summary>Forgets every kept object of every kind (at a full collection; tests, to compare with objects never used before).</summary>
    internal static void DropAll()
    {
        lock (s_drops)
            foreach (Action drop in s_drops) drop();
    }

    ~SpareRelease()
    {
        // A gen-0 object's finalizer runs after the collection that found it unreachable; the next time round it is
        // in gen 2 and comes back only with a full collection.
        if (GC.CollectionCount(2) > _fullCollections)
        {
            DropAll();
            _fullCollections = GC.CollectionCount(2);
        }
        if (!Environment.HasShutdownStarted) GC.ReRegisterForFinalize(this);
    }

    private int _fullCollections = GC.CollectionCount(2);
}
