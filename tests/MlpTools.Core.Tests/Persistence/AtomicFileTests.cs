using System.Diagnostics;
using System.Text.RegularExpressions;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>Temporary files: how they are named and held while written, and which orphans a later write removes.</summary>
public class AtomicFileTests
{
    private const string Target = "model.safetensors";
    private static readonly TimeSpan TwoHours = TimeSpan.FromHours(2), TwoDays = TimeSpan.FromDays(2);

    [Fact]
    public void The_temporary_file_is_named_for_its_target_and_writer_and_closed_before_it_is_published()
    {
        using var folder = new TempFolder();
        string? seen = null;
        ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), folder.File(Target), overwrite: false, beforeReplace: temp =>
        {
            seen = temp;
            Assert.Equal(folder.Path, Path.GetDirectoryName(temp));
            // The writer has closed it, so the published file carries no lock that a reader opening it would run
            // into (two writers racing with overwrite, each reading the file back, saw "in use" 2 times in 200).
            new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.None).Dispose();
        }, CancellationToken.None);

        Match m = Regex.Match(Path.GetFileName(seen)!, @"^\.model\.safetensors\.mlptools-(?<pid>[1-9][0-9]*)-(?<host>[0-9a-f]{8})-[0-9a-f]{16}\.tmp$");
        Assert.True(m.Success, seen);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups["pid"].Value);
        Assert.Equal(AtomicFile.HostTag, m.Groups["host"].Value);
        Assert.Equal(new[] { Target }, folder.Names());
    }

    [Fact]
    public void A_long_target_name_is_cut_to_64_characters_in_the_temporary_name_without_splitting_a_character()
    {
        string target = new string('x', 63) + "\U0001F600" + ".safetensors"; // an emoji (two UTF-16 units) across the cut
        string temp = AtomicFile.TemporaryName(target, 42, AtomicFile.HostTag);
        Assert.StartsWith("." + new string('x', 63) + ".mlptools-42-", temp, StringComparison.Ordinal);

        using var folder = new TempFolder();
        string path = folder.File(target);
        ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), path, overwrite: false);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void A_save_removes_the_orphan_of_a_killed_writer_of_the_same_target_and_nothing_that_only_looks_like_one()
    {
        using var folder = new TempFolder();
        int dead = ExitedProcessId();
        string host = AtomicFile.HostTag, token = "0123456789abcdef";
        string orphan = Put(folder, AtomicFile.TemporaryName(Target, dead, host), TwoHours);
        string userFile = Put(folder, "notes.txt", TwoDays);
        string[] lookAlikes =
        {
            AtomicFile.TemporaryName("other.safetensors", dead, host),          // another target's orphan
            AtomicFile.TemporaryName("model.safetensors.bak", dead, host),      // ... whose name starts like this one's
            $".{Target}.mlptools-{dead}-{host}-{token}.tmp.bak",
            $".{Target}.mlptools-{dead}-{host}-{token}.TMP",
            $".{Target}.mlptools-0{dead}-{host}-{token}.tmp",                    // a leading zero
            $".{Target}.mlptools--{dead}-{host}-{token}.tmp",
            $".{Target}.mlptools-{dead}-{host}-{token.ToUpperInvariant()}.tmp",
            $".{Target}.mlptools-{dead}-{host}-{token[..15]}.tmp",              // 15 random digits, not 16
            $".{Target}.mlptools-{dead}-{host}{token}.tmp",
            $".{Target}.mlptools-99999999999-{host}-{token}.tmp",               // no process id has 11 digits
            $".{Target}.mlptools-{dead}.tmp",
            $"{Target}.mlptools-{dead}-{host}-{token}.tmp",                     // no leading dot
            $".{Target}.MLPTOOLS-{dead}-{host}-{token}.tmp",
            $".{Target}.{Guid.NewGuid():N}.tmp",                                // the naming before this one
        };
        foreach (string name in lookAlikes) Put(folder, name, TwoDays);
        string folderLookAlike = Path.Combine(folder.Path, AtomicFile.TemporaryName(Target, dead, host));
        Directory.CreateDirectory(folderLookAlike);
        Directory.SetLastWriteTimeUtc(folderLookAlike, DateTime.UtcNow - TwoDays);
        string link = Path.Combine(folder.Path, AtomicFile.TemporaryName(Target, dead, host));
        File.CreateSymbolicLink(link, userFile);

        ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), folder.File(Target), overwrite: false);

        Assert.False(File.Exists(orphan), "the killed writer's temporary file should be gone");
        foreach (string name in lookAlikes) Assert.True(File.Exists(folder.File(name)), name);
        Assert.True(Directory.Exists(folderLookAlike));
        Assert.True(File.Exists(link) && File.Exists(userFile));
    }

    [Fact]
    public void A_save_leaves_the_temporary_files_of_live_recent_or_locked_writers_alone()
    {
        using var folder = new TempFolder();
        int dead = ExitedProcessId();
        string here = AtomicFile.HostTag, elsewhere = here == "00000000" ? "00000001" : "00000000";
        int alive = OperatingSystem.IsWindows() ? 4 : 1; // the system process, or init: always running
        string[] removed =
        {
            Put(folder, AtomicFile.TemporaryName(Target, dead, here), TwoHours),          // its writer is gone
            Put(folder, AtomicFile.TemporaryName(Target, dead, elsewhere), TwoDays),      // abandoned on another machine
            Put(folder, AtomicFile.TemporaryName(Target, alive, here), TwoDays),          // that id is another program's by now
        };
        string[] kept =
        {
            Put(folder, AtomicFile.TemporaryName(Target, alive, here), TwoHours),         // its writer runs
            Put(folder, AtomicFile.TemporaryName(Target, Environment.ProcessId, here), TwoHours),
            Put(folder, AtomicFile.TemporaryName(Target, dead, here), TimeSpan.FromSeconds(5)),     // just written
            Put(folder, AtomicFile.TemporaryName(Target, dead, elsewhere), TwoHours),    // another machine's: may be writing
        };
        string locked = Put(folder, AtomicFile.TemporaryName(Target, dead, here), TwoDays);
        using (new FileStream(locked, FileMode.Open, FileAccess.Read, FileShare.None))   // a writer holds it
        {
            ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), folder.File(Target), overwrite: false);
        }

        Assert.All(removed, path => Assert.False(File.Exists(path), path));
        Assert.All(kept.Append(locked), path => Assert.True(File.Exists(path), path));
    }

    [Fact]
    public void One_write_examines_a_bounded_number_of_orphans_and_the_next_write_goes_on()
    {
        using var folder = new TempFolder();
        int dead = ExitedProcessId();
        for (int i = 0; i < AtomicFile.MaxCandidates + 5; i++) Put(folder, AtomicFile.TemporaryName(Target, dead, AtomicFile.HostTag), TwoHours);

        ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), folder.File(Target), overwrite: false);
        Assert.Equal(5 + 1, folder.Names().Length);
        ModelFile.Save(Mlp.Create(2, 3, 2, seed: 1), folder.File(Target), overwrite: true);
        Assert.Equal(new[] { Target }, folder.Names());
    }

    [Theory]
    [InlineData(nameof(AtomicFile.PublishMethod.Auto), false)]
    [InlineData(nameof(AtomicFile.PublishMethod.Link), false)]
    [InlineData(nameof(AtomicFile.PublishMethod.Placeholder), false)]
    [InlineData(nameof(AtomicFile.PublishMethod.Auto), true)]
    public void A_name_the_file_system_refuses_is_a_write_failure_that_names_the_path_and_the_reason(string methodName, bool overwrite)
    {
        using var folder = new TempFolder();
        string path = folder.File(new string('n', 300) + ".bin"); // longer than any file system allows a name to be

        var ex = Assert.Throws<MlpException>(() => AtomicFile.Write(path, overwrite, ConcurrentWriterTests.TestErrors, s => s.WriteByte(1),
            CancellationToken.None, method: Enum.Parse<AtomicFile.PublishMethod>(methodName)));

        Assert.Equal("TestWriteFailed", ex.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidOperation, ex.Kind);
        Assert.StartsWith($"Could not write the test file '{path}': ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("too long", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith(". Nothing was changed.", ex.Message, StringComparison.Ordinal);
        Assert.Empty(folder.Names()); // the temporary file is gone
    }

    [Fact]
    public void Cleaning_up_a_folder_that_cannot_be_listed_is_quietly_skipped()
    {
        AtomicFile.RemoveOrphans(Path.Combine(Path.GetTempPath(), "mlptools-no-such-folder-" + Guid.NewGuid().ToString("N")), Target);
    }

    /// <summary>Writes a file of a few bytes named <paramref name="name"/>, last modified <paramref name="age"/> ago.</summary>
    private static string Put(TempFolder folder, string name, TimeSpan age)
    {
        string path = folder.File(name);
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }

    /// <summary>The id of a process that has run and exited (and been reaped), so no process has it now.</summary>
    private static int ExitedProcessId()
    {
        var start = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe", "/c exit 0") : new ProcessStartInfo("true");
        start.UseShellExecute = false;
        using Process p = Process.Start(start)!;
        p.WaitForExit();
        return p.Id;
    }
}
