using MlpTools.Fuzz;
using Xunit.Abstractions;

namespace MlpTools.Core.Tests.Fuzz;

/// <summary>
/// The deterministic mutation pass: for each reader, 20,000 inputs made by mutating the seed corpus with a fixed seed
/// (<see cref="FuzzInputs"/>), each of which must be read or refused with an <see cref="MlpException"/>: no other
/// exception, no hang, no allocation past <see cref="FuzzPass.AllocationCap"/>. The same targets run under afl-fuzz in
/// <c>build.ps1 -Task Fuzz</c>; these passes keep the readers sound in every test run, without AFL.
/// </summary>
/// <remarks>
/// A failure names the pass, its seed and the input's index, and writes the input to output/fuzz/failures/ (see
/// <see cref="FuzzCorpus.FailureFolder"/>): <c>FuzzInputs.Csv(seed, index)</c> makes it again, and
/// <c>dotnet run --project tests/MlpTools.Fuzz -- --replay Csv FILE</c> replays it. Once fixed, keep it in
/// tests/fuzz-corpus/crashes/TARGET/, which <see cref="Saved_crash_inputs_and_seeds_are_read_or_refused"/> reads.
/// </remarks>
public class MutationPassTests
{
    /// <summary>
    /// The passes' seed, and how many inputs each makes: the committed values, which every run repeats, unless
    /// MLPTOOLS_FUZZ_SEED or MLPTOOLS_FUZZ_INPUTS say otherwise (to explore further by hand).
    /// </summary>
    private static readonly int Seed = FromEnvironment("MLPTOOLS_FUZZ_SEED", 20261206);

    private static readonly int InputsPerReader = FromEnvironment("MLPTOOLS_FUZZ_INPUTS", 20_000);

    private static int FromEnvironment(string name, int committed) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value : committed;

    private readonly ITestOutputHelper _output;

    public MutationPassTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Csv_reader_survives_20000_mutated_inputs() => Pass("csv", FuzzInputs.Csv);

    [Fact]
    public void Idx_reader_survives_20000_mutated_inputs() => Pass("idx", FuzzInputs.Idx);

    [Fact]
    public void Model_reader_survives_20000_inputs_with_mutated_bytes() => Pass("model-raw", FuzzInputs.ModelRaw);

    [Fact]
    public void Model_reader_survives_20000_structure_aware_mutations_with_valid_checksums() => Pass("model-structured", FuzzInputs.ModelStructured);

    private void Pass(string name, Func<int, int, FuzzCase> make)
    {
        using var culture = Data.CultureScope.Invariant();
        FuzzPassResult result = new FuzzPass(name, Seed, InputsPerReader, make).Run();
        _output.WriteLine(result.Summary);
        Assert.True(result.Failures.Count == 0,
            $"{result.Summary}{Environment.NewLine}{string.Join(Environment.NewLine, result.Failures)}");
        Assert.Equal(InputsPerReader, result.Count);
        // A pass where every input is refused at the first check would prove little.
        Assert.True(result.Read > 0 && result.Refused > 0, result.Summary);
    }

    [Fact]
    public void Saved_crash_inputs_and_seeds_are_read_or_refused()
    {
        using var culture = Data.CultureScope.Invariant();
        var cases = FuzzCorpus.Crashes().Select(c => (c.File, Case: new FuzzCase(c.Target, File.ReadAllBytes(c.File), Path.GetFileName(c.File))))
            .Concat(Enum.GetValues<FuzzTarget>().SelectMany(t => FuzzCorpus.Seeds(t).Select(f => (File: f, Case: new FuzzCase(t, File.ReadAllBytes(f), Path.GetFileName(f))))))
            .ToArray();
        Assert.NotEmpty(cases);
        FuzzPassResult result = new FuzzPass("corpus", 0, cases.Length, (_, i) => cases[i].Case).Run();
        _output.WriteLine(result.Summary);
        Assert.True(result.Failures.Count == 0, string.Join(Environment.NewLine, result.Failures.Select(f => cases[f.Index].File + ": " + f.What)));
    }

    [Fact]
    public void Every_seed_is_a_valid_input()
    {
        // The fuzzers start from inputs that read, so their mutations start deep in the readers.
        foreach (FuzzTarget target in Enum.GetValues<FuzzTarget>())
        {
            Assert.NotEmpty(FuzzCorpus.Seeds(target));
            foreach (string seed in FuzzCorpus.Seeds(target))
                Assert.Equal(FuzzOutcome.Read, FuzzTargets.Run(target, File.ReadAllBytes(seed), Path.GetFileName(seed)));
        }
    }

    [Fact]
    public void Inputs_are_made_again_from_seed_and_index()
    {
        foreach (Func<int, int, FuzzCase> make in new Func<int, int, FuzzCase>[] { FuzzInputs.Csv, FuzzInputs.Idx, FuzzInputs.ModelRaw, FuzzInputs.ModelStructured })
        {
            Assert.Equal(make(Seed, 1234).Input, make(Seed, 1234).Input);
            Assert.NotEqual(make(Seed, 1234).Input, make(Seed, 1235).Input);
        }
    }
}
