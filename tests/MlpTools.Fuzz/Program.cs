using System.Globalization;
using MlpTools.Core;
using SharpFuzz;

namespace MlpTools.Fuzz;

/// <summary>
/// The fuzzing harness of MlpTools' readers.
/// </summary>
/// <remarks>
/// <code>
///   MlpTools.Fuzz TARGET                    under afl-fuzz (Invoke-Fuzz.ps1): one input a run, on standard input
///   MlpTools.Fuzz --replay TARGET FILE...   runs inputs (saved crashes, hangs) once each and says what happened
///   MlpTools.Fuzz --write-seeds FOLDER      writes the seed corpus: FOLDER/TARGET/...
/// </code>
/// TARGET is Csv, Idx, Model or ModelStructured (<see cref="FuzzTarget"/>). Under afl-fuzz, SharpFuzz's out-of-process
/// fork server runs the target in a child process and starts a new one when the child dies or hangs; every exception
/// that escapes the target (anything but an <see cref="MlpException"/>), and an allocation past
/// <see cref="FuzzLimits.AllocationCap"/>, is reported to afl-fuzz as a crash. The
/// instrumented MlpTools.Core.dll exists only in Invoke-Fuzz.ps1's output/fuzz/bin: replay inputs with a normal build
/// (<c>dotnet run --project tests/MlpTools.Fuzz -c Release -- --replay Csv FILE</c>).
/// </remarks>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "--write-seeds")
        {
            SeedCorpus.Write(args[1]);
            return 0;
        }
        if (args.Length >= 3 && args[0] == "--replay" && TryTarget(args[1], out FuzzTarget replayed))
            return Replay(replayed, args.Skip(2));
        if (args.Length == 1 && TryTarget(args[0], out FuzzTarget target))
        {
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var input = new MemoryStream();
                stream.CopyTo(input);
                FuzzTargets.Run(target, input.ToArray());
            });
            return 0;
        }
        Console.Error.WriteLine("usage: MlpTools.Fuzz Csv|Idx|Model|ModelStructured");
        Console.Error.WriteLine("       MlpTools.Fuzz --replay Csv|Idx|Model|ModelStructured FILE...");
        Console.Error.WriteLine("       MlpTools.Fuzz --write-seeds FOLDER");
        return 2;
    }

    private static bool TryTarget(string name, out FuzzTarget target) =>
        Enum.TryParse(name, ignoreCase: true, out target) && Enum.IsDefined(target);

    /// <summary>Runs each file once; prints what the reader did. Exit code 1 when any input escaped as another exception or allocated past the cap.</summary>
    private static int Replay(FuzzTarget target, IEnumerable<string> files)
    {
        int crashes = 0;
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long before = GC.GetAllocatedBytesForCurrentThread();
            string what;
            try
            {
                FuzzTargets.Read(target, input);
                what = "read";
            }
            catch (MlpException e)
            {
                what = "refused: " + e.ErrorId + ": " + e.Message;
            }
            catch (Exception e)
            {
                crashes++;
                what = "CRASH: " + e;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long cap = FuzzLimits.AllocationCap(target, input);
            if (allocated > cap)
            {
                crashes++;
                what += Invariant.Format($"; ALLOCATED MORE THAN THE CAP OF {cap:N0} BYTES");
            }
            Console.WriteLine(Invariant.Format($"{file} ({input.Length:N0} bytes, {clock.Elapsed.TotalMilliseconds:N1} ms, {allocated:N0} bytes allocated): {what}"));
        }
        return crashes > 0 ? 1 : 0;
    }
}
