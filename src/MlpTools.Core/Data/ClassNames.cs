using System.Globalization;

namespace MlpTools.Core.Data;

/// <summary>
/// How MlpTools names classes and finds a class by name: the one rule used wherever a name given by a user or by data
/// (a test file's labels, a class weight, a prediction's true class) meets a network's or a dataset's classes.
/// </summary>
public static class ClassNames
{
    /// <summary>The names of classes known only by number: "0", "1", ..., "n-1".</summary>
    public static IReadOnlyList<string> Numbered(int count) =>
        Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Whether the names are the plain "0", "1", ... of classes known only by number.</summary>
    public static bool AreNumbered(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        for (int k = 0; k < names.Count; k++)
            if (!string.Equals(names[k], k.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)) return false;
        return true;
    }

    /// <summary>
    /// The index of the class <paramref name="name"/> names in <paramref name="names"/>, or -1. Matching, in order: the
    /// name exactly (surrounding white space ignored); a whole number written another way ("3.0", "03") as the class
    /// named by that number ("3"); the name ignoring case, when exactly one class matches so. Data whose classes are
    /// named differently from a network's is matched class by class this way.
    /// </summary>
    public static int IndexOf(IReadOnlyList<string> names, string name) => new Matcher(names).IndexOf(name);

    /// <summary>The names in quotes, for a message: "'cat', 'dog'".</summary>
    public static string Quoted(IEnumerable<string> names) => string.Join(", ", names.Select(n => "'" + n + "'"));

    /// <summary>Finds classes by name as <see cref="IndexOf"/> does, with the lookups built once for many names.</summary>
    public sealed class Matcher
    {
        private readonly Dictionary<string, int> _exact = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _loose = new(StringComparer.OrdinalIgnoreCase);

        public Matcher(IReadOnlyList<string> names)
        {
            ArgumentNullException.ThrowIfNull(names);
            for (int k = 0; k < names.Count; k++)
            {
                _exact.TryAdd(names[k], k);
                // A name two classes share when case is ignored matches neither loosely.
                if (!_loose.TryAdd(names[k], k)) _loose[names[k]] = -1;
            }
        }

        /// <summary>The index of the class <paramref name="name"/> names, or -1.</summary>
        public int IndexOf(string name)
        {
            ArgumentNullException.ThrowIfNull(name);
            if (_exact.TryGetValue(name, out int k)) return k;
            string trimmed = name.Trim();
            if (_exact.TryGetValue(trimmed, out k)) return k;
            if (Invariant.TryParseWholeNumber(trimmed, out double v) && v < int.MaxValue
                && _exact.TryGetValue(((int)v).ToString(CultureInfo.InvariantCulture), out k)) return k;
            return _loose.TryGetValue(trimmed, out k) ? k : -1;
        }
    }
}
