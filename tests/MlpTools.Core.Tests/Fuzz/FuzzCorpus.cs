using MlpTools.Fuzz;

namespace MlpTools.Core.Tests.Fuzz;

/// <summary>
/// tests/fuzz-corpus, copied beside the test assembly: seeds/TARGET/ (valid inputs that the fuzzers start from) and
/// crashes/TARGET/ (inputs that once crashed or hung a reader, kept as regression tests).
/// </summary>
internal static class FuzzCorpus
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus");

    /// <summary>The folder of seeds a target starts from (ModelStructured shares Model's).</summary>
    public static string SeedFolder(FuzzTarget target) =>
        Path.Combine(Root, "seeds", (target == FuzzTarget.ModelStructured ? FuzzTarget.Model : target).ToString());

    public static IReadOnlyList<string> Seeds(FuzzTarget target) => Files(SeedFolder(target));

    public static IReadOnlyList<byte[]> SeedBytes(FuzzTarget target) => Seeds(target).Select(File.ReadAllBytes).ToArray();

    /// <summary>Every saved crash or hang input, with the target that found it (the name of its folder).</summary>
    public static IEnumerable<(FuzzTarget Target, string File)> Crashes()
    {
        string crashes = Path.Combine(Root, "crashes");
        foreach (FuzzTarget target in Enum.GetValues<FuzzTarget>())
            foreach (string file in Files(Path.Combine(crashes, target.ToString())))
                yield return (target, file);
    }

    private static string[] Files(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToArray()
            : Array.Empty<string>();

    /// <summary>
    /// Where a failing input is written: $MLPTOOLS_FUZZ_FAILURES, else output/fuzz/failures/ of the repository the tests
    /// run in, else a folder in the temp folder.
    /// </summary>
    public static string FailureFolder()
    {
        string? configured = Environment.GetEnvironmentVariable("MLPTOOLS_FUZZ_FAILURES");
        if (!string.IsNullOrEmpty(configured)) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "build.ps1")) && Directory.Exists(Path.Combine(dir.FullName, "tests", "fuzz-corpus")))
                return Path.Combine(dir.FullName, "output", "fuzz", "failures");
        }
        return Path.Combine(Path.GetTempPath(), "mlptools-fuzz-failures");
    }
}
