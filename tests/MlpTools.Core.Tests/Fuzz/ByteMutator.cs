namespace MlpTools.Core.Tests.Fuzz;

/// <summary>
/// Format-blind mutations of a byte string, as a fuzzer makes them: flipped bits, bytes set to interesting values,
/// tokens of the format inserted, ranges inserted, deleted and duplicated, truncation, splicing with another input,
/// and 16-, 32- and 64-bit integers at their edges written over the bytes (both byte orders).
/// </summary>
internal sealed class ByteMutator
{
    /// <summary>Bytes that change how a text or binary reader branches.</summary>
    private static readonly byte[] InterestingBytes =
    {
        0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x20, 0x09, 0x0A, 0x0D, (byte)'"', (byte)',', (byte)';', (byte)'|',
        (byte)'0', (byte)'1', (byte)'9', (byte)'-', (byte)'+', (byte)'.', (byte)'e', (byte)'E', (byte)'{', (byte)'}',
        (byte)'[', (byte)']', (byte)':', (byte)'\\', 0x1F, 0x8B, 0xC3, 0xED, 0xEF,
    };

    /// <summary>Integers at the edges of the sizes a header may claim.</summary>
    public static readonly ulong[] InterestingIntegers =
    {
        0, 1, 2, 3, 4, 7, 8, 16, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 100_000_000, 100_000_001,
        0x3FFFFFFF, 0x40000000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
        0xFFFFFFFFFFFFFFFF,
    };

    /// <summary>Inputs grow at most to this length, so one pass stays fast.</summary>
    public const int MaxLength = 1 << 16;

    private readonly byte[][] _tokens;
    private readonly IReadOnlyList<byte[]> _splicePool;

    /// <param name="tokens">Tokens of the format (delimiters, keywords, magic numbers) to insert or write over.</param>
    /// <param name="splicePool">Other inputs to splice with.</param>
    public ByteMutator(IEnumerable<byte[]> tokens, IReadOnlyList<byte[]> splicePool)
    {
        _tokens = tokens.ToArray();
        _splicePool = splicePool;
    }

    /// <summary>A copy of <paramref name="input"/> with <paramref name="count"/> mutations stacked.</summary>
    public byte[] Mutate(byte[] input, Random rng, int count)
    {
        var data = new List<byte>(input);
        for (int k = 0; k < count; k++) MutateOnce(data, rng);
        if (data.Count > MaxLength) data.RemoveRange(MaxLength, data.Count - MaxLength);
        return data.ToArray();
    }

    /// <summary>A copy of <paramref name="input"/> whose bytes in [<paramref name="start"/>, <paramref name="end"/>) only are mutated.</summary>
    public byte[] MutateRange(byte[] input, int start, int end, Random rng, int count)
    {
        byte[] middle = Mutate(input[start..end], rng, count);
        return input[..start].Concat(middle).Concat(input[end..]).ToArray();
    }

    private void MutateOnce(List<byte> data, Random rng)
    {
        int n = data.Count;
        switch (rng.Next(n == 0 ? 3 : 12))
        {
            case 0:
                data.InsertRange(rng.Next(n + 1), Token(rng));
                break;
            case 1:
                data.InsertRange(rng.Next(n + 1), RandomBytes(rng, 1 + rng.Next(16)));
                break;
            case 2:
                if (_splicePool.Count > 0 && n > 0)
                {
                    // Splice: this input's head, another one's tail.
                    byte[] other = _splicePool[rng.Next(_splicePool.Count)];
                    int cut = rng.Next(n + 1), from = rng.Next(other.Length + 1);
                    data.RemoveRange(cut, n - cut);
                    data.AddRange(other.AsSpan(from).ToArray());
                }
                else
                {
                    data.Add(InterestingBytes[rng.Next(InterestingBytes.Length)]);
                }
                break;
            case 3:
                data[rng.Next(n)] ^= (byte)(1 << rng.Next(8));
                break;
            case 4:
                data[rng.Next(n)] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                break;
            case 5:
                data[rng.Next(n)] = (byte)rng.Next(256);
                break;
            case 6:
            {
                int at = rng.Next(n), length = 1 + rng.Next(Math.Min(n - at, 32));
                data.RemoveRange(at, length);
                break;
            }
            case 7:
            {
                // Duplicate a range, sometimes many times (wide rows, long headers, repeated elements).
                int at = rng.Next(n), length = 1 + rng.Next(Math.Min(n - at, 64));
                byte[] range = data.GetRange(at, length).ToArray();
                int times = rng.Next(4) == 0 ? 1 + rng.Next(64) : 1;
                int to = rng.Next(data.Count + 1);
                for (int t = 0; t < times && data.Count < MaxLength; t++) data.InsertRange(to, range);
                break;
            }
            case 8:
            {
                int at = rng.Next(n);
                data.RemoveRange(at, n - at);
                break;
            }
            case 9:
            {
                byte[] token = Token(rng);
                int at = rng.Next(n);
                for (int i = 0; i < token.Length && at + i < data.Count; i++) data[at + i] = token[i];
                break;
            }
            default:
            {
                // An integer at an edge, its low 2, 4 or 8 bytes, big- or little-endian, over the bytes at a random place.
                int width = 2 << rng.Next(3);
                ulong v = Integer(rng);
                bool bigEndian = rng.Next(2) == 0;
                int at = rng.Next(n);
                for (int i = 0; i < width && at + i < data.Count; i++)
                    data[at + i] = (byte)(v >> (8 * (bigEndian ? width - 1 - i : i)));
                break;
            }
        }
    }

    /// <summary>An interesting integer, or one next to it.</summary>
    public static ulong Integer(Random rng)
    {
        ulong v = InterestingIntegers[rng.Next(InterestingIntegers.Length)];
        return rng.Next(4) switch
        {
            0 => v + 1,
            1 => v - 1,
            _ => v,
        };
    }

    private byte[] Token(Random rng) => _tokens.Length == 0 ? new[] { InterestingBytes[rng.Next(InterestingBytes.Length)] } : _tokens[rng.Next(_tokens.Length)];

    public static byte[] RandomBytes(Random rng, int count)
    {
        var bytes = new byte[count];
        rng.NextBytes(bytes);
        return bytes;
    }
}
