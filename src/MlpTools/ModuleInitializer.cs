using System.Management.Automation;
using MlpTools.Plots;

namespace MlpTools;

/// <summary>
/// Runs when the module is imported and removed. On import it points .NET at the native libraries the module ships for
/// drawing pictures (<c>runtimes/&lt;rid&gt;/native/</c> beside this assembly), which PowerShell itself does not search,
/// so Export-MlpPlot works wherever the module is installed. Nothing is loaded at import: the libraries are found when
/// the first picture is drawn.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <inheritdoc />
    public void OnImport() =>
        NativeLibraries.UseFolder(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? AppContext.BaseDirectory);

    /// <inheritdoc />
    public void OnRemove(PSModuleInfo psModuleInfo) => NativeLibraries.StopWatching();
}
