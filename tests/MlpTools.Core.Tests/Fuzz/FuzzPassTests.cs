using System.Text;
using MlpTools.Core.Persistence;
using MlpTools.Core.Tests.Persistence;
using MlpTools.Fuzz;

namespace MlpTools.Core.Tests.Fuzz;

/// <summary>The fuzzing machinery itself: the pass catches what it is there to catch, and the shared pieces of the harness do what they say.</summary>
public class FuzzPassTests
{
    private static FuzzCase Case(int index) => new(FuzzTarget.Csv, Encoding.ASCII.GetBytes("input " + index), "case.csv");

    [Fact]
    public void A_pass_reports_another_exception_a_huge_allocation_and_a_hang_with_the_index_and_saves_the_input()
    {
        using var folder = new TempFolder();
        using var release = new ManualResetEventSlim();
        object Read(FuzzCase c)
        {
            string text = Encoding.ASCII.GetString(c.Input);
            return text switch
            {
                "input 3" => new[] { 0 }[text.Length], // an IndexOutOfRangeException, as a reader's bug would throw
                "input 5" => new byte[FuzzPass.AllocationCap(c) + 1],
                "input 8" => release.Wait(Timeout.Infinite),
                "input 1" => throw new MlpException("Refused", MlpErrorKind.InvalidData, "refused"),
                _ => text,
            };
        }

        FuzzPassResult result = new FuzzPass("selftest", 42, 20, (_, i) => Case(i), Read)
        {
            PerInputLimit = TimeSpan.FromMilliseconds(300),
            FailureFolder = folder.Path,
        }.Run();
        release.Set();

        Assert.Equal(new[] { 3, 5, 8 }, result.Failures.Select(f => f.Index));
        Assert.Contains("IndexOutOfRangeException", result.Failures[0].What, StringComparison.Ordinal);
        Assert.Contains("more than the cap", result.Failures[1].What, StringComparison.Ordinal);
        Assert.Contains("hang", result.Failures[2].What, StringComparison.Ordinal);
        Assert.Equal(9, result.Count);
        Assert.Equal(1, result.Refused);
        foreach (FuzzFailure f in result.Failures)
        {
            Assert.Equal($"selftest-seed42-{f.Index:D5}.csv", Path.GetFileName(f.SavedAs));
            Assert.Equal(Case(f.Index).Input, File.ReadAllBytes(f.SavedAs));
        }
    }

    [Fact]
    public void The_allocation_cap_counts_what_a_gzip_input_inflates_to()
    {
        byte[] zeros = new byte[1 << 20];
        var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) gz.Write(zeros);
        byte[] gzip = ms.ToArray();
        Assert.Equal(1 << 20, FuzzPass.ContentBytes(new FuzzCase(FuzzTarget.Csv, gzip)));
        Assert.Equal((1 << 20) + 3, FuzzPass.ContentBytes(new FuzzCase(FuzzTarget.Idx, IdxPair.Join(gzip, new byte[3]))));
        Assert.Equal(gzip.Length, FuzzPass.ContentBytes(new FuzzCase(FuzzTarget.Model, gzip)));
    }

    [Fact]
    public void The_harness_counts_an_allocation_past_the_cap_as_a_crash()
    {
        long cap = FuzzLimits.CapFor(1000);
        Assert.Equal(128 * 1000 + (8 << 20), cap);
        FuzzLimits.CheckAllocation(FuzzTarget.Idx, cap, cap, 1000);
        var e = Assert.Throws<InvalidOperationException>(() => FuzzLimits.CheckAllocation(FuzzTarget.Idx, cap + 1, cap, 1000));
        Assert.Contains("Idx reader allocated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_idx_pair_splits_into_the_files_it_was_joined_from_and_any_bytes_split()
    {
        byte[] images = { 0, 0, 8, 1, 0, 0, 0, 1, 7 }, labels = { 0, 0, 8, 1, 0, 0, 0, 1, 2 };
        var (i, l) = IdxPair.Split(IdxPair.Join(images, labels));
        Assert.Equal(images, i);
        Assert.Equal(labels, l);
        var (i1, l1) = IdxPair.Split(new byte[] { 5 });
        Assert.Equal(new byte[] { 5 }, i1);
        Assert.Empty(l1);
        var (i2, l2) = IdxPair.Split(new byte[] { 0xFF, 0xFF, 1, 2, 3 });
        Assert.Empty(i2);
        Assert.Equal(new byte[] { 1, 2, 3 }, l2);
    }

    [Fact]
    public void Recomputed_checksums_make_a_changed_model_file_load_and_leave_others_alone()
    {
        byte[] valid = ModelFileFixtures.Bytes(ModelFileFixtures.Trained(Precision.Single, hidden: 3, epochs: 1));
        var model = RawModel.Parse(valid);
        model.Metadata[ModelMetadata.StopReason] = "changed";
        byte[] changed = model.Build(fixChecksums: false);
        Assert.Equal("ModelChecksumMismatch", Assert.Throws<MlpException>(() => ModelFileFixtures.Read(changed)).ErrorId);

        byte[] repaired = ModelChecksums.Recompute(changed)!;
        Assert.Equal("changed", ModelFileFixtures.Read(repaired).Training.StopReason);
        Assert.Equal(FuzzOutcome.Read, FuzzTargets.Run(FuzzTarget.ModelStructured, changed));
        Assert.Equal(FuzzOutcome.Refused, FuzzTargets.Run(FuzzTarget.Model, changed));

        // A weight changed: the data checksum is made true, so the value check behind it is what refuses NaN.
        byte[] nan = (byte[])valid.Clone();
        BitConverter.GetBytes(float.NaN).CopyTo(nan, nan.Length - 4);
        Assert.Equal("ModelNonFiniteParameter", Assert.Throws<MlpException>(() => ModelFileFixtures.Read(ModelChecksums.Recompute(nan)!)).ErrorId);

        Assert.Null(ModelChecksums.Recompute(new byte[7]));
        Assert.Null(ModelChecksums.Recompute(RawModel.Assemble(Encoding.UTF8.GetBytes("{not json"), Array.Empty<byte>())));
        Assert.Null(ModelChecksums.Recompute(RawModel.Assemble(Encoding.UTF8.GetBytes("{\"W1\": {}}"), Array.Empty<byte>())));
    }
}
