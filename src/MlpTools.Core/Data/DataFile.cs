using System.Globalization;
using System.IO.Compression;

namespace MlpTools.Core.Data;

/// <summary>
/// What the file readers share: opening a file with errors a user can act on, recognising gzip by its
/// content (the magic bytes 1f 8b, never the file name), naming a dataset after its file, and reporting progress.
/// </summary>
internal static class DataFile
{
    /// <summary>How many bytes a gzip (deflate) stream can at most inflate to per compressed byte; deflate's limit is about 1032.</summary>
    public const long MaxInflationRatio = 1032;

    /// <summary>Extensions that say "compressed": stripped first when a dataset is named after its file.</summary>
    private static readonly string[] CompressionExtensions = { ".gz", ".gzip" };

    /// <summary>Opens <paramref name="path"/> for sequential reading, turning the usual I/O failures into MlpExceptions.</summary>
    public static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        try
        {
            return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MlpException("DataFileNotFound", MlpErrorKind.NotFound, $"The file '{full}' does not exist. Check the path.", full, e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new MlpException("DataFileUnreadable", MlpErrorKind.InvalidOperation, $"The file '{full}' could not be opened: {e.Message}", full, e);
        }
    }

    /// <summary>True when the stream starts with the gzip magic bytes 1f 8b. Leaves the stream at its start.</summary>
    public static bool IsGzip(Stream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>The stream to read the content through: the file itself, or a gzip decompressor over it (which closes the file with it unless <paramref name="leaveOpen"/>).</summary>
    public static Stream Content(Stream file, bool gzip, bool leaveOpen = false) =>
        gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen) : file;

    /// <summary>A dataset name from a path: the file name without a compression extension and then one more extension.</summary>
    public static string NameFromPath(string path)
    {
        string name = Path.GetFileName(path);
        foreach (string ext in CompressionExtensions)
        {
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase) && name.Length > ext.Length)
            {
                name = name[..^ext.Length];
                break;
            }
        }
        string stem = Path.GetFileNameWithoutExtension(name);
        return stem.Length > 0 ? stem : name;
    }
}

/// <summary>What is wrong with a feature value, if anything.</summary>
internal enum ValueProblem
{
    None,
    Missing,
    NonFinite,
    NotANumber,
}

/// <summary>Feature values from text: the invariant culture ('.' decimal point), finite values only.</summary>
internal static class ValueParser
{
    /// <summary>Texts taken to mean "no value" (besides blank).</summary>
    private static readonly string[] MissingTokens = { "NA", "N/A", "null", "NULL", "None", "?", "-" };

    /// <summary>Powers of ten that doubles hold exactly (10^0..10^22).</summary>
    private static readonly double[] ExactPowersOfTen =
    {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };

    /// <summary>Parses <paramref name="field"/> (surrounding white space allowed) as a finite number.</summary>
    public static ValueProblem Parse(ReadOnlySpan<char> field, out double value)
    {
        if (TryParseSimple(field, out value)) return ValueProblem.None;
        if (double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            return double.IsFinite(value) ? ValueProblem.None : ValueProblem.NonFinite;
        ReadOnlySpan<char> t = field.Trim();
        if (t.IsEmpty) return ValueProblem.Missing;
        foreach (string token in MissingTokens)
            if (t.Equals(token, StringComparison.Ordinal)) return ValueProblem.Missing;
        return ValueProblem.NotANumber;
    }

    /// <summary>
    /// The common case, fast: an optional '-', at most 15 significant digits (and 22 after the point) with at most one '.', nothing else. Then the digits
    /// form an integer m &lt; 2^53 and the value is m / 10^k with both operands exact, so the one division rounds
    /// correctly and the result is bit for bit what <see cref="double.Parse(string, IFormatProvider)"/> gives
    /// (Clinger's fast path). Anything else (exponents, white space, more digits) returns false.
    /// </summary>
    internal static bool TryParseSimple(ReadOnlySpan<char> s, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] == '-')
        {
            negative = true;
            i = 1;
        }
        long mantissa = 0;
        int digits = 0, significant = 0, fraction = -1;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            uint d = (uint)(c - '0');
            if (d <= 9)
            {
                // Leading zeros add nothing to the mantissa; only significant digits count towards the 15.
                if ((mantissa != 0 || d != 0) && ++significant > 15) return false;
                mantissa = mantissa * 10 + d;
                digits++;
                if (fraction >= 0 && ++fraction > 22) return false;
            }
            else if (c == '.' && fraction < 0)
            {
                fraction = 0;
            }
            else
            {
                return false;
            }
        }
        if (digits == 0) return false;
        double v = fraction > 0 ? mantissa / ExactPowersOfTen[fraction] : mantissa;
        value = negative ? -v : v;
        return true;
    }
}

/// <summary>
/// Turns "so many of so many units done" into fraction callbacks in [0, 1], at most about every 1/200th of
/// the work (so a cmdlet's Write-Progress is not flooded), always ending with exactly 1.
/// </summary>
internal sealed class ProgressReporter
{
    private readonly Action<double>? _callback;
    private readonly double _total;
    private double _lastReported = -1;

    public ProgressReporter(Action<double>? callback, double total)
    {
        _callback = callback;
        _total = total;
    }

    public void Report(double done)
    {
        if (_callback is null || _total <= 0) return;
        double fraction = Math.Clamp(done / _total, 0, 1);
        if (fraction - _lastReported < 0.005 && fraction < 1) return;
        _lastReported = fraction;
        _callback(fraction);
    }

    public void Complete()
    {
        if (_callback is null || _lastReported >= 1) return;
        _lastReported = 1;
        _callback(1);
    }
}
