using System.Reflection;
using System.Runtime.InteropServices;

namespace MlpTools.Plots;

/// <summary>
/// Finds the native libraries the pictures are drawn with (SkiaSharp's libSkiaSharp and HarfBuzzSharp's
/// libHarfBuzzSharp) in the layout the module ships: <c>runtimes/&lt;rid&gt;/native/</c> beside the assemblies, one
/// folder per platform. A .NET application finds that layout through its deps.json; PowerShell, which loads a module's
/// assemblies itself, does not look there. So the module tells .NET where they are, with a DllImport resolver for the
/// two assemblies that call into them, installed when the module is imported (<see cref="UseFolder"/>). The folder is
/// chosen by <see cref="RuntimeInformation"/> (<see cref="CurrentRuntime"/>), falling back as .NET does from a runtime
/// to its system (<see cref="LibraryPath"/>).
/// </summary>
/// <remarks>
/// The resolver is set when SkiaSharp or HarfBuzzSharp is loaded (or at once if it already is), so importing the module
/// does not load them. When the folder for this machine is missing, .NET's own search goes on (a system-wide copy may
/// still load), and drawing reports <c>PlotNativeLibraryMissing</c> if that fails too.
/// </remarks>
public static class NativeLibraries
{
    /// <summary>The managed assemblies that P/Invoke a native library, and the library each calls (its DllImport name).</summary>
    private static readonly Dictionary<string, string> LibraryOf = new(StringComparer.Ordinal)
    {
        ["SkiaSharp"] = "libSkiaSharp",
        ["HarfBuzzSharp"] = "libHarfBuzzSharp",
    };

    private static readonly object Gate = new();
    private static string? s_folder;
    private static bool s_hooked;
    private static readonly HashSet<Assembly> Resolved = new();

    /// <summary>The native libraries the pictures need, by their file names without extension.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "libSkiaSharp", "libHarfBuzzSharp" };

    /// <summary>
    /// The folder below <c>runtimes/</c> for this process: <c>linux-x64</c>, <c>linux-arm64</c>, <c>win-x64</c>,
    /// <c>osx-arm64</c>, <c>osx-x64</c> and so on, from the operating system and the process's architecture
    /// (<c>linux-musl-x64</c> on a musl C library, such as Alpine's).
    /// </summary>
    public static string CurrentRuntime =>
        RuntimeFolder(RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? OSPlatform.Windows
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? OSPlatform.OSX
            : RuntimeInformation.IsOSPlatform(OSPlatform.FreeBSD) ? OSPlatform.FreeBSD
            : OSPlatform.Linux,
            RuntimeInformation.ProcessArchitecture,
            musl: RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal));

    /// <summary>The folder below <c>runtimes/</c> for an operating system and architecture: "linux-x64", "osx-arm64", ...</summary>
    public static string RuntimeFolder(OSPlatform os, Architecture architecture, bool musl = false)
    {
        string system = os == OSPlatform.Windows ? "win"
            : os == OSPlatform.OSX ? "osx"
            : os == OSPlatform.FreeBSD ? "freebsd"
            : musl ? "linux-musl" : "linux";
        return system + "-" + architecture.ToString().ToLowerInvariant();
    }

    /// <summary>The file name of native library <paramref name="name"/> (such as libSkiaSharp) on the platform of a runtime folder.</summary>
    public static string FileName(string name, string runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.StartsWith("win-", StringComparison.Ordinal) ? name + ".dll"
            : runtime.StartsWith("osx-", StringComparison.Ordinal) ? name + ".dylib"
            : name + ".so";
    }

    /// <summary>The module folder the libraries are taken from (its <c>runtimes/</c>); null before <see cref="UseFolder"/>.</summary>
    public static string? BaseFolder
    {
        get
        {
            lock (Gate) return s_folder;
        }
    }

    /// <summary>
    /// Where native library <paramref name="name"/> (libSkiaSharp, libHarfBuzzSharp) for <paramref name="runtime"/> is in
    /// the layout under <paramref name="baseFolder"/>: <c>runtimes/&lt;runtime&gt;/native/</c>, else the folder of the
    /// whole system, as .NET falls back from a runtime to its family (<c>runtimes/osx/native/</c> holds one universal
    /// macOS library for arm64 and x64). Null when neither has it.
    /// </summary>
    public static string? LibraryPath(string baseFolder, string name, string runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        string file = FileName(name, runtime);
        int dash = runtime.IndexOf('-', StringComparison.Ordinal);
        foreach (string folder in dash > 0 ? new[] { runtime, runtime[..dash] } : new[] { runtime })
        {
            string path = Path.Combine(baseFolder, "runtimes", folder, "native", file);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>
    /// Takes the native libraries from <c>runtimes/&lt;rid&gt;/native/</c> under <paramref name="baseFolder"/> (the
    /// module's folder) from now on. Idempotent; the first folder given stays (a module is imported from one place).
    /// </summary>
    public static void UseFolder(string baseFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseFolder);
        lock (Gate)
        {
            s_folder ??= Path.GetFullPath(baseFolder);
            if (!s_hooked)
            {
                AppDomain.CurrentDomain.AssemblyLoad += OnAssemblyLoad;
                s_hooked = true;
            }
        }
        foreach (Assembly assembly in AppDomain.CurrentDomain.GetAssemblies()) Register(assembly);
    }

    /// <summary>Stops watching for SkiaSharp and HarfBuzzSharp to load (resolvers already set stay: .NET cannot remove them).</summary>
    public static void StopWatching()
    {
        lock (Gate)
        {
            if (!s_hooked) return;
            AppDomain.CurrentDomain.AssemblyLoad -= OnAssemblyLoad;
            s_hooked = false;
        }
    }

    private static void OnAssemblyLoad(object? sender, AssemblyLoadEventArgs args) => Register(args.LoadedAssembly);

    private static void Register(Assembly assembly)
    {
        if (assembly.GetName().Name is not { } name || !LibraryOf.ContainsKey(name)) return;
        lock (Gate)
        {
            if (!Resolved.Add(assembly)) return;
        }
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Another component of this process set a resolver for it first; .NET allows one, and that one stands.
        }
    }

    /// <summary>Loads <paramref name="libraryName"/> from the module's folder for this platform; zero lets .NET search as usual.</summary>
    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!LibraryOf.ContainsValue(libraryName) || BaseFolder is not { } folder) return IntPtr.Zero;
        return LibraryPath(folder, libraryName, CurrentRuntime) is { } path && NativeLibrary.TryLoad(path, out IntPtr handle) ? handle : IntPtr.Zero;
    }
}
