using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;
using MlpTools.Core.Model;

namespace MlpTools;

/// <summary>
/// The assemblies the module ships that every command needs and that other modules may carry too: MathNet.Numerics
/// above all, whose matrices and vectors users hold (<c>$net.W1</c>) and hand back (<c>New-Mlp -Parameters</c>). They
/// load, like any module's, into the session's one load context, which holds one version of an assembly: the first one
/// loaded. .NET satisfies a reference with that version or a later one, never with an earlier one; without this check
/// an earlier MathNet.Numerics loaded by another module makes the first command fail with a bare FileLoadException.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="CheckAndLoad"/> runs when the module is imported. When another module has already loaded an earlier
/// version, every MlpTools command ends with one error (<c>DependencyVersionConflict</c>, <see cref="Refusal"/>) naming
/// both versions and what to do, before it touches the assembly, and deserialized networks and datasets stay property
/// bags. The import itself succeeds: PowerShell's module auto-loading turns a failed import into "the term
/// 'Import-Dataset' is not recognized", which names neither version, so a user who just runs a command would never see
/// the reason. Otherwise ours is loaded at once, so that the order of imports cannot break MlpTools later: a module
/// imported afterwards gets ours when it asks for MathNet.Numerics by name, and fails to import, saying an assembly of
/// that name is already loaded, when it loads an earlier one from its own file.
/// </para>
/// <para>
/// Why not a load context of our own, where two versions could live side by side (measured with the whole module
/// loaded that way): the matrices users see would be of types PowerShell cannot name. The type literal
/// [MathNet.Numerics.LinearAlgebra.Matrix[double]] would be the other module's (or unknown), so a matrix a user builds
/// could go neither to -Parameters nor into a product with <c>$net.W1</c>; [MlpTools.Core.Model.Mlp] would be
/// unknown; and the type data file, which names our types, could not load, taking serialization (jobs, remoting,
/// Invoke-MlpSweep -Session) with it.
/// </para>
/// <para>
/// The drawing libraries (ScottPlot, SkiaSharp, HarfBuzzSharp) are not checked: only Export-MlpPlot needs them, and a
/// conflict there must not keep a user from training.
/// </para>
/// </remarks>
internal static class SharedDependencies
{
    /// <summary>The error id of a command refused for a conflict.</summary>
    public const string ConflictErrorId = "DependencyVersionConflict";

    /// <summary>What the import found: the refusal's message when a dependency was loaded at an earlier version, else null.</summary>
    private static volatile string? s_conflict;

    /// <summary>A dependency loaded at an earlier version than the one the module is built against.</summary>
    /// <param name="Name">The assembly's simple name, such as MathNet.Numerics.</param>
    /// <param name="Needed">The version the module's assemblies reference.</param>
    /// <param name="Loaded">The version already loaded.</param>
    /// <param name="LoadedFrom">Its file, when it was loaded from one.</param>
    internal sealed record Conflict(string Name, Version Needed, Version Loaded, string? LoadedFrom);

    /// <summary>True when the import found a dependency loaded at an earlier version: no command can run in this session.</summary>
    public static bool Conflicting => s_conflict is not null;

    /// <summary>
    /// The error every command ends with when the import found a conflict (id <c>DependencyVersionConflict</c>,
    /// category ResourceUnavailable); null when the module can run.
    /// </summary>
    public static ErrorRecord? Refusal() =>
        s_conflict is { } message
            ? new ErrorRecord(new InvalidOperationException(message), ConflictErrorId, ErrorCategory.ResourceUnavailable, null)
            : null;

    /// <summary>
    /// Dependencies that one command alone needs, by assembly name: a conflict over one of them refuses that command
    /// only (<see cref="RefusalFor"/>), and they are not loaded at import, so they cannot get in another module's way
    /// unless that command runs.
    /// </summary>
    private static readonly Dictionary<string, string> s_onlyFor = new(StringComparer.OrdinalIgnoreCase)
    {
        ["OnnxSharp"] = "Export-MlpOnnx",
        ["Google.Protobuf"] = "Export-MlpOnnx",
    };

    private static string? s_folder;

    /// <summary>
    /// The error <paramref name="command"/> ends with when a dependency only it needs (<see cref="s_onlyFor"/>) is
    /// already loaded at an earlier version; null otherwise (and for every other command).
    /// </summary>
    public static ErrorRecord? RefusalFor(string command)
    {
        if (s_folder is not { } folder || !s_onlyFor.ContainsValue(command)) return null;
        Assembly commands = typeof(SharedDependencies).Assembly;
        AssemblyLoadContext context = AssemblyLoadContext.GetLoadContext(commands) ?? AssemblyLoadContext.Default;
        var mine = Needed(folder, commands, typeof(Mlp).Assembly)
            .Where(n => s_onlyFor.TryGetValue(n.Name!, out string? c) && c == command).ToList();
        IReadOnlyList<Conflict> conflicts = Find(mine, context.Assemblies);
        return conflicts.Count == 0 ? null
            : new ErrorRecord(new InvalidOperationException(Describe(conflicts, command)), ConflictErrorId, ErrorCategory.ResourceUnavailable, null);
    }

    /// <summary>
    /// Finds out whether the dependencies every command needs can load in this session: when one is already loaded at
    /// an earlier version, records the refusal (<see cref="Refusal"/>); otherwise loads each of them now.
    /// </summary>
    /// <param name="moduleFolder">The folder the module's assemblies are in.</param>
    public static void CheckAndLoad(string moduleFolder)
    {
        Assembly commands = typeof(SharedDependencies).Assembly;
        AssemblyLoadContext context = AssemblyLoadContext.GetLoadContext(commands) ?? AssemblyLoadContext.Default;
        s_folder = moduleFolder;
        IReadOnlyList<AssemblyName> needed = Needed(moduleFolder, commands, typeof(Mlp).Assembly).Where(n => !s_onlyFor.ContainsKey(n.Name!)).ToList();
        IReadOnlyList<Conflict> conflicts = Find(needed, context.Assemblies);
        if (conflicts.Count > 0)
        {
            s_conflict = Describe(conflicts);
            return;
        }
        s_conflict = null;
        // By path: a load by name finds nothing here, since the module's folder is searched only for the references of
        // an assembly loaded from it. One already loaded (at this version or later, as checked) is the one .NET uses.
        var present = context.Assemblies.Select(a => a.GetName().Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (AssemblyName name in needed.Where(n => !present.Contains(n.Name!)))
            context.LoadFromAssemblyPath(Path.Combine(moduleFolder, name.Name + ".dll"));
    }

    /// <summary>
    /// What <paramref name="assemblies"/> reference among the assemblies shipped in <paramref name="moduleFolder"/>,
    /// one name each, at the highest version referenced.
    /// </summary>
    internal static IReadOnlyList<AssemblyName> Needed(string moduleFolder, params Assembly[] assemblies) =>
        assemblies.SelectMany(a => a.GetReferencedAssemblies())
            .Where(r => r.Name is not null && File.Exists(Path.Combine(moduleFolder, r.Name + ".dll")))
            .GroupBy(r => r.Name!, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.OrderByDescending(r => r.Version).First())
            .ToList();

    /// <summary>The dependencies in <paramref name="needed"/> that <paramref name="loaded"/> holds at an earlier version.</summary>
    internal static IReadOnlyList<Conflict> Find(IEnumerable<AssemblyName> needed, IEnumerable<Assembly> loaded)
    {
        var conflicts = new List<Conflict>();
        List<Assembly> present = loaded.ToList();
        foreach (AssemblyName name in needed)
        {
            Version want = name.Version ?? new Version(0, 0);
            foreach (Assembly a in present)
            {
                AssemblyName have = a.GetName();
                if (!string.Equals(have.Name, name.Name, StringComparison.OrdinalIgnoreCase) || have.Version is null || have.Version >= want) continue;
                conflicts.Add(new Conflict(name.Name!, want, have.Version, a.IsDynamic || string.IsNullOrEmpty(a.Location) ? null : a.Location));
            }
        }
        return conflicts;
    }

    /// <summary>The refusal: what is needed, what is loaded, and the ways out.</summary>
    internal static string Describe(IReadOnlyList<Conflict> conflicts, string who = "MlpTools")
    {
        string needs = string.Join(" and ", conflicts.Select(c => $"{c.Name} {Show(c.Needed)} or later"));
        string loaded = string.Join("; ", conflicts.Select(c =>
            $"{c.Name} {Show(c.Loaded)} was already loaded" + (c.LoadedFrom is null ? "" : $" (from '{c.LoadedFrom}')")));
        if (who != "MlpTools")
        {
            // A dependency of one command: it is loaded when that command first runs, not at import.
            return $"{who} cannot run in this session: it needs {needs}, but {loaded}, most likely by another module, " +
                "and a PowerShell session holds only one version of an assembly. The other commands of MlpTools are not affected. " +
                $"Run {who} in a process of its own: a job (Start-Job -InitializationScript {{ Import-Module MlpTools }} -ScriptBlock {{ ... }}) " +
                $"or pwsh -Command, or in a new session before that module is imported.";
        }
        return $"{who} cannot run in this session: it needs {needs}, but {loaded} when MlpTools was imported, " +
            "most likely by another module, and a PowerShell session holds only one version of an assembly. " +
            "Start a new PowerShell session and import MlpTools before that module (which may then fail to import, " +
            $"if it loads its own earlier {conflicts[0].Name}), or run MlpTools in a process of its own: " +
            "a job (Start-Job -InitializationScript { Import-Module MlpTools } -ScriptBlock { ... }) or pwsh -Command.";
    }

    /// <summary>A version as a package names it: 4.15.0 for the assembly version 4.15.0.0.</summary>
    private static string Show(Version v) => v.Revision > 0 ? v.ToString() : v.ToString(v.Build >= 0 ? 3 : 2);
}
