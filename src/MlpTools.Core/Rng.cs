using MathNet.Numerics.Random;

namespace MlpTools.Core;

/// <summary>
/// Random sources. Seeded runs use MathNet's Xoshiro256** (a fixed, documented algorithm, so a seed gives the
/// same numbers on every .NET version); unseeded runs draw a seed from the system's cryptographic source.
/// </summary>
internal static class Rng
{
    public static Random Create(int? seed) =>
        new Xoshiro256StarStar(seed ?? RandomSeed.Robust(), threadSafe: false);

    /// <summary>Fisher-Yates shuffle of <paramref name="items"/> in place.</summary>
    /// <remarks>
    /// Once per epoch over every sample, so compiled optimized from its first call (and ahead by the warm-up): left to
    /// tiering, a session's first training ran it unoptimized until the runtime replaced it in the middle of its loop.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Shuffle(Random random, Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
