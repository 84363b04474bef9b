using System.Management.Automation;
using MlpTools.Commands;
using MlpTools.Plots;

namespace MlpTools;

/// <summary>
/// Runs when the module is imported and removed. On import it first finds out whether the assemblies every command
/// needs can load in this session (<see cref="SharedDependencies"/>): when another module has already loaded an earlier
/// MathNet.Numerics, every command will end with one error naming both versions and what to do; otherwise ours is
/// loaded now. Then it points .NET at the native libraries the module ships for drawing pictures
/// (<c>runtimes/&lt;rid&gt;/native/</c> beside this assembly), which PowerShell itself does not search, so Export-MlpPlot
/// works wherever the module is installed; those are found when the first picture is drawn. Last, it starts compiling
/// the engine's kernels on a background thread (<see cref="MlpTools.Core.Numerics.KernelWarmup"/>) and then rehearses a first
/// training there (<see cref="FirstCallRehearsal"/>).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <inheritdoc />
    public void OnImport()
    {
        string folder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? AppContext.BaseDirectory;
        SharedDependencies.CheckAndLoad(folder);
        NativeLibraries.UseFolder(folder);
        // The kernels, then the code a training or a prediction runs once per call, are compiled in the background while
        // the session goes on (reading its data, usually), so the first training does not wait for the JIT (see KernelWarmup);
        // then a first training is rehearsed there, for the code compiling method by method does not reach (FirstCallRehearsal).
        if (SharedDependencies.Refusal() is null)
            MlpTools.Core.Numerics.KernelWarmup.Start(MlpTools.Core.Precision.Single, FirstCallCommands, then: () => FirstCallRehearsal.Run(folder));
    }

    /// <summary>The commands' side of a first training, evaluation or prediction: compiled ahead with the engine's.</summary>
    private static readonly Type[] FirstCallCommands =
    {
        typeof(InvokeTrainingCommand), typeof(InvokeMlpPredictionCommand), typeof(TestMlpCommand), typeof(TrainingSettingsCmdlet),
        typeof(MlpCmdlet), typeof(NumericInput), typeof(PipelineState), typeof(ProgressWriter), typeof(ObjectProperties),
        typeof(FeatureBatch), typeof(ErrorHints), typeof(InputOfAttribute),
    };

    /// <inheritdoc />
    public void OnRemove(PSModuleInfo psModuleInfo) => NativeLibraries.StopWatching();
}
