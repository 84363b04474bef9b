using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace MlpTools.Core.Tests.Data;

/// <summary>Where the test data lives, and small files written on the fly into a per-test temporary folder.</summary>
internal static class DataTestFiles
{
    private static readonly Lazy<string> CorpusRoot = new(FindCorpus);

    /// <summary>tests/MlpTools.Core.Tests/Data/Corpus (copied beside the test assembly, or found above it in the source tree).</summary>
    public static string Corpus => CorpusRoot.Value;

    public static string FashionMnistDir => Environment.GetEnvironmentVariable("FMNIST_DIR") ?? "/usr/share/datasets/fashion-mnist";

    /// <summary>Reads a corpus manifest (tab-separated, header line first) as rows of fields.</summary>
    public static IEnumerable<string[]> Manifest(string folder) =>
        File.ReadAllLines(Path.Combine(Corpus, folder, "cases.tsv")).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t'));

    private static string FindCorpus()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "Data", "Corpus");
        if (File.Exists(Path.Combine(beside, "idx", "cases.tsv"))) return beside;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "Data", "Corpus");
            if (File.Exists(Path.Combine(dir.FullName, "MlpTools.Core.Tests.csproj")) && File.Exists(Path.Combine(candidate, "idx", "cases.tsv")))
                return candidate;
            candidate = Path.Combine(dir.FullName, "tests", "MlpTools.Core.Tests", "Data", "Corpus");
            if (File.Exists(Path.Combine(candidate, "idx", "cases.tsv"))) return candidate;
        }
        throw new DirectoryNotFoundException("The data corpus (tests/MlpTools.Core.Tests/Data/Corpus) was not found beside the test assembly or above it.");
    }

    /// <summary>An IDX file's bytes: the magic number, big-endian dimensions, then the elements as given (already big-endian).</summary>
    public static byte[] Idx(byte type, int[] dims, byte[] payload)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 0, 0, type, (byte)dims.Length });
        foreach (int d in dims) ms.Write(BigEndian(d));
        ms.Write(payload);
        return ms.ToArray();
    }

    public static byte[] BigEndian(int v) => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v };

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }
}

/// <summary>A temporary folder, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlptools-tests-" + Guid.NewGuid().ToString("N"));

    public string Write(string name, byte[] bytes)
    {
        string p = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    public string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Sets the current thread's culture for the lifetime of the object, then restores it.</summary>
internal sealed class CultureScope : IDisposable
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _ui = CultureInfo.CurrentUICulture;

    public CultureScope(CultureInfo culture)
    {
        CultureInfo.CurrentCulture = culture;
        CultureInfo.CurrentUICulture = culture;
    }

    /// <summary>
    /// German number formatting (',' decimal, '.' group): de-DE itself where the runtime has culture data, otherwise
    /// (invariant globalization mode) an invariant clone with the German separators, which is what parsing would trip on.
    /// </summary>
    public static CultureInfo CommaDecimal()
    {
        try
        {
            var de = CultureInfo.GetCultureInfo("de-DE");
            if (de.NumberFormat.NumberDecimalSeparator == ",") return de;
        }
        catch (CultureNotFoundException)
        {
        }
        var c = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        c.NumberFormat.NumberDecimalSeparator = ",";
        c.NumberFormat.NumberGroupSeparator = ".";
        return c;
    }

    public static CultureScope Invariant() => new(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _ui;
    }
}
