using MlpTools.Core.Model;
using MlpTools.Core.Persistence;

namespace MlpTools.Core.Tests.Persistence;

/// <summary>Two writers publishing to one path at the same moment: without overwrite exactly one wins, every time.</summary>
public class ConcurrentWriterTests
{
    [Fact]
    public void Two_writers_racing_to_a_new_path_without_overwrite_give_exactly_one_winner_every_time()
    {
        const int Rounds = 500;
        using var folder = new TempFolder();
        Mlp[] nets = { Mlp.Create(2, 3, 2, seed: 1), Mlp.Create(2, 3, 2, seed: 2) };
        byte[][] bytes = nets.Select(ModelFileFixtures.Bytes).ToArray();

        // Both writers reach the publishing step of the same round together, so every round is a real race.
        string?[,] outcomes = Race(Rounds, (w, round, atPublish) =>
            ModelFile.Save(nets[w], folder.File($"{round}.safetensors"), overwrite: false, beforeReplace: _ => atPublish(), CancellationToken.None));

        AssertOneWinnerPerRound(outcomes, "ModelFileExists", round => File.ReadAllBytes(folder.File($"{round}.safetensors")), bytes);
        Assert.Equal(Rounds, folder.Names().Length); // no temporary file is left
    }

    [Theory]
    [InlineData(nameof(AtomicFile.PublishMethod.Auto))]
    [InlineData(nameof(AtomicFile.PublishMethod.Link))]
    [InlineData(nameof(AtomicFile.PublishMethod.Placeholder))]
    public void Every_way_of_publishing_without_replacing_gives_exactly_one_winner(string methodName)
    {
        var method = Enum.Parse<AtomicFile.PublishMethod>(methodName);
        const int Rounds = 200;
        using var folder = new TempFolder();
        byte[][] contents = { Enumerable.Repeat((byte)'a', 5000).ToArray(), Enumerable.Repeat((byte)'b', 7000).ToArray() };

        string?[,] outcomes = Race(Rounds, (w, round, atPublish) =>
            AtomicFile.Write(folder.File($"{round}.bin"), overwrite: false, TestErrors, stream => stream.Write(contents[w]),
                CancellationToken.None, _ => atPublish(), method));

        AssertOneWinnerPerRound(outcomes, "TestFileExists", round => File.ReadAllBytes(folder.File($"{round}.bin")), contents);
        Assert.Equal(Rounds, folder.Names().Length);
    }

    [Fact]
    public void Two_writers_racing_with_overwrite_both_succeed_and_the_file_is_one_of_theirs_whole()
    {
        const int Rounds = 100;
        using var folder = new TempFolder();
        string path = folder.File("shared.bin");
        byte[][] contents = { Enumerable.Repeat((byte)'a', 5000).ToArray(), Enumerable.Repeat((byte)'b', 7000).ToArray() };

        string?[,] outcomes = Race(Rounds, (w, round, atPublish) =>
        {
            AtomicFile.Write(path, overwrite: true, TestErrors, stream => stream.Write(contents[w]), CancellationToken.None, _ => atPublish());
            byte[] now = File.ReadAllBytes(path);
            Assert.True(now.AsSpan().SequenceEqual(contents[0]) || now.AsSpan().SequenceEqual(contents[1]));
        });

        Assert.All(outcomes.Cast<string?>(), o => Assert.Equal("won", o));
        Assert.Equal(new[] { "shared.bin" }, folder.Names());
    }

    internal static readonly FileErrors TestErrors = new("Test", "test file");

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds of two writers on two threads; each calls its atPublish action just before
    /// publishing, which waits for the other writer to get there too. Returns each writer's outcome of each round:
    /// "won", the ErrorId of its MlpException, or the type and message of any other exception.
    /// </summary>
    private static string?[,] Race(int rounds, Action<int, int, Action> write)
    {
        using var atPublish = new Barrier(2);
        var outcomes = new string?[2, rounds];
        void Writer(int w)
        {
            for (int round = 0; round < rounds; round++)
            {
                try
                {
                    write(w, round, () => Assert.True(atPublish.SignalAndWait(TimeSpan.FromSeconds(30)), "the other writer never reached the publishing step"));
                    outcomes[w, round] = "won";
                }
                catch (MlpException ex)
                {
                    outcomes[w, round] = ex.ErrorId;
                }
                catch (Exception ex) // a thread must not die of an exception: it is the outcome, checked below
                {
                    outcomes[w, round] = $"{ex.GetType().Name}: {ex.Message}";
                }
            }
        }
        Thread[] writers = { new(() => Writer(0)), new(() => Writer(1)) };
        foreach (Thread t in writers) t.Start();
        foreach (Thread t in writers) t.Join();
        return outcomes;
    }

    private static void AssertOneWinnerPerRound(string?[,] outcomes, string existsId, Func<int, byte[]> onDisk, byte[][] written)
    {
        int rounds = outcomes.GetLength(1);
        var wrong = new List<string>();
        for (int round = 0; round < rounds; round++)
        {
            string? a = outcomes[0, round], b = outcomes[1, round];
            int winner = a == "won" && b == existsId ? 0 : a == existsId && b == "won" ? 1 : -1;
            if (winner < 0 || !onDisk(round).AsSpan().SequenceEqual(written[winner])) wrong.Add($"round {round}: {a} / {b}");
        }
        Assert.True(wrong.Count == 0,
            $"Every round must have exactly one winner, whose file is on disk; {wrong.Count} of {rounds} did not: {string.Join("; ", wrong.Take(10))}");
    }
}
