using System.Management.Automation;
using System.Management.Automation.Runspaces;
using MlpTools.Commands;
using MlpTools.Core.Data;
using MlpTools.Core.Numerics;

namespace MlpTools;

/// <summary>
/// A first training rehearsed in the background when the module is imported, after the engine's warm-up
/// (<see cref="MlpTools.Core.Numerics.KernelWarmup"/>): a session's first <c>New-Mlp | Invoke-Training</c>, then
/// <c>Test-Mlp</c> and <c>Invoke-MlpPrediction</c>, on a dataset of 32 made-up samples, in a runspace of its own that
/// holds those commands alone and is closed when done.
/// </summary>
/// <remarks>
/// <para>
/// What it is for: the code a call runs once, the runtime compiles on its first use, on the caller's thread. After the
/// engine's warm-up, a session's first 1-epoch training of 784-100-10 still compiled 186 methods (30-40 ms of compile
/// time on a Zen 5): PowerShell's binding of the commands' parameters and of a network or a dataset from the pipeline,
/// its adapters and type data for our types (so the module's type file is loaded here too), the script compiler's, and
/// the engine's generic code over the settings' types, which compiling method by method ahead does not reach. Compiled
/// code serves every runspace of the process, so running the same commands once elsewhere left 34, those of the user's
/// own script (its member accesses, Measure-Command).
/// </para>
/// <para>
/// Nothing of the user's is touched: the rehearsal's runspace, network and data are its own and are dropped, it writes
/// no file and no output, its kernels run on its own thread only (no kernel worker, so a training started meanwhile
/// has the cores' pool), and whatever goes wrong in it is ignored: a command the rehearsal could not run is compiled
/// on its first real call, as without it.
/// </para>
/// <para>
/// Once run through, it makes the session's first garbage collection. A fresh process's first one has all that
/// starting PowerShell, importing the module and reading the data left in the youngest generation to move on: on a
/// Zen 5 it came in the first training, paused it 7 ms, and the 1-epoch 784-100-10 call took 149-187 ms against
/// 137-148 ms with the collection made here beforehand (6 pairs of fresh sessions, Import-Dataset then the call); the
/// 3-epoch 3072-100-10 call right after its 0.1 s read 0.95x. It pauses the session about 10 ms, while it is reading its
/// data, usually.
/// </para>
/// <para>
/// It gives way to the session's own work: once a training, an evaluation or a prediction has begun, it does not
/// start, or stops before its next step. That work compiles what it needs itself, and on 2 cores a rehearsal beside
/// it took a core from it (a dataset read in 0.1 s, as an uncompressed IDX file is, leaves the warm-up still running
/// when the first training starts).
/// </para>
/// </remarks>
internal static class FirstCallRehearsal
{
    /// <summary>The commands the rehearsal runs, by the names a script calls them.</summary>
    internal static readonly (string Name, Type Type)[] Commands =
    {
        ("New-Mlp", typeof(NewMlpCommand)),
        ("Invoke-Training", typeof(InvokeTrainingCommand)),
        ("Test-Mlp", typeof(TestMlpCommand)),
        ("Invoke-MlpPrediction", typeof(InvokeMlpPredictionCommand)),
    };

    /// <summary>
    /// The rehearsal, a statement at a time: a first training as a script writes it, then an evaluation and a
    /// prediction. Each takes the data as <c>$data</c>; the network lives in the runspace from one to the next.
    /// </summary>
    internal static readonly string[] Steps =
    {
        "param($data) $net = $data | New-Mlp -HiddenSize 4 -Seed 1",
        "param($data) $null = $net | Invoke-Training -Epochs 2 -BatchSize 8 -LearningRate 0.01 -Momentum 0.9 -Regularization 1e-4 -Seed 1",
        "param($data) $null = Test-Mlp -Network $net -Dataset $data",
        "param($data) $null = Invoke-MlpPrediction -Network $net -Dataset $data",
    };

    private static int s_finished;

    /// <summary>Whether a rehearsal has ended in this process (run through, given way or failed).</summary>
    internal static bool Finished => Volatile.Read(ref s_finished) != 0;

    /// <summary>
    /// Runs the rehearsal on the calling thread. With <paramref name="yieldToCalls"/> it gives way, before it starts and
    /// between its steps, once the process's own work has begun (a training, an evaluation or a prediction: see
    /// KernelWarmup.NoteCall), which compiles what it needs itself and needs both cores more than a rehearsal beside it.
    /// Returns whether it gave way and its runspace's errors (none when it ran through); never throws for what goes
    /// wrong inside it.
    /// </summary>
    /// <param name="moduleFolder">The module's folder: its type file (MlpTools.Types.ps1xml) is loaded as an import loads it.</param>
    /// <param name="yieldToCalls">Whether to give way to the process's own work (tests run it regardless).</param>
    internal static (bool GaveWay, IReadOnlyList<string> Errors) Run(string moduleFolder, bool yieldToCalls = true)
    {
        var errors = new List<string>();
        bool gaveWay = false;
        bool GiveWay() => gaveWay = yieldToCalls && KernelWarmup.CallBegun;
        int limit = KernelThreads.OwnLimit;
        try
        {
            if (GiveWay()) return (true, errors);
            // Serial kernels: the shapes are tiny anyway, and the cores' pool stays free for the user's own training.
            KernelThreads.Limit(1);
            InitialSessionState state = InitialSessionState.Create();
            foreach ((string name, Type type) in Commands) state.Commands.Add(new SessionStateCmdletEntry(name, type, null));
            string types = Path.Combine(moduleFolder, "MlpTools.Types.ps1xml");
            if (File.Exists(types)) state.Types.Add(new SessionStateTypeEntry(types));
            state.LanguageMode = PSLanguageMode.FullLanguage;
            using Runspace runspace = RunspaceFactory.CreateRunspace(state);
            // The steps run on this thread, so the serial limit above holds for their kernels.
            runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
            runspace.Open();
            Dataset data = Data();
            foreach (string step in Steps)
            {
                if (GiveWay()) break;
                using PowerShell shell = PowerShell.Create();
                shell.Runspace = runspace;
                shell.AddScript(step).AddArgument(data);
                shell.Invoke();
                foreach (ErrorRecord error in shell.Streams.Error) errors.Add(error.ToString());
            }
        }
#pragma warning disable CA1031 // A rehearsal that fails leaves the first real call to compile its code, as without one.
        catch (Exception e)
        {
            errors.Add(e.Message);
        }
#pragma warning restore CA1031
        finally
        {
            KernelThreads.Limit(limit);
        }
        // The session's first garbage collection, now rather than in its first training (see the remarks); not once the
        // session's own work has begun, which it would pause.
        if (yieldToCalls && !GiveWay()) GC.Collect();
        Volatile.Write(ref s_finished, 1);
        return (gaveWay, errors);
    }

    private static readonly string[] ClassNames = { "a", "b", "c" };

    /// <summary>32 samples of 8 features in 3 classes, single precision as read files are, made up and fixed.</summary>
    private static Dataset Data()
    {
        const int count = 32, features = 8;
        var rows = new float[count * features];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % 3;
            for (int j = 0; j < features; j++) rows[i * features + j] = ((i * 7 + j * 3) % 11) / 10f + (j == labels[i] ? 1f : 0f);
        }
        return Dataset.FromRows(rows, count, features, labels, ClassNames, name: "Rehearsal");
    }
}
