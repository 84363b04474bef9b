using MlpTools.Core.Model;
using MlpTools.Core.Numerics;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Numerics;

[Collection(NumericsTestGroup.Name)]
public class RuntimeCompilerYieldTests
{
    /// <summary>A thread that waits until released, named <paramref name="name"/>; its Linux thread id once it runs.</summary>
    private static (Thread Thread, int Tid, ManualResetEventSlim Release) Waiting(string name)
    {
        var release = new ManualResetEventSlim();
        int tid = 0;
        var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            // /proc/thread-self links to /proc/<pid>/task/<tid> of the thread that reads it.
            tid = int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!), System.Globalization.CultureInfo.InvariantCulture);
            started.Set();
            release.Wait();
        })
        { IsBackground = true, Name = name };
        thread.Start();
        started.Wait();
        return (thread, tid, release);
    }

    public static TheoryData<string> Optimizers => new() { "Sgd", "Lbfgs" };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_training_lowers_the_runtime_compilers_worker_to_the_lowest_priority_and_no_other_thread(string optimizer)
    {
        if (!OperatingSystem.IsLinux()) return; // thread priorities are set this way on Linux only (see RuntimeCompilerYield)
        // Named as the runtime names its worker; Linux keeps the first 15 bytes of a thread's name, as of the runtime's.
        var worker = Waiting(".NET Tiered Compilation Worker");
        var other = Waiting("MlpTools test thread");
        try
        {
            Assert.Equal(RuntimeCompilerYield.WorkerName, File.ReadAllText($"/proc/self/task/{worker.Tid}/comm").TrimEnd('\n'));
            // New threads start at the priority of the thread that made them (0, unless the tests run under nice).
            int inherited = RuntimeCompilerYield.PriorityOf(worker.Tid);
            Assert.Equal(inherited, RuntimeCompilerYield.PriorityOf(other.Tid));
            if (inherited >= RuntimeCompilerYield.LowestPriority) return; // the tests run at the lowest priority already: nothing to lower
            int lowered = RuntimeCompilerYield.Lowered;

            var net = (Mlp<float>)Mlp.Create(20, 8, 3, Precision.Single, seed: 1);
            var options = optimizer == "Lbfgs"
                ? new TrainingOptions { Epochs = 2, Optimizer = OptimizerKind.Lbfgs }
                : new TrainingOptions { Epochs = 1, BatchSize = 20, Seed = 1 };
            Trainer.Train(net, KernelShareTests.Synthetic(60, 20, 3, seed: 1), options);

            Assert.Equal(RuntimeCompilerYield.LowestPriority, RuntimeCompilerYield.PriorityOf(worker.Tid));
            Assert.Equal(inherited, RuntimeCompilerYield.PriorityOf(other.Tid));
            // (The count also takes in the test process's own workers, which the runtime may start at any time.)
            Assert.True(RuntimeCompilerYield.Lowered > lowered);
        }
        finally
        {
            worker.Release.Set();
            other.Release.Set();
            worker.Thread.Join();
            other.Thread.Join();
        }
    }
}
