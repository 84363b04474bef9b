using System.Collections.ObjectModel;
using System.Management.Automation;
using Microsoft.PowerShell.Commands;
using MlpTools.Core;

namespace MlpTools.Commands;

/// <summary>
/// Turns -Path and -LiteralPath values into file-system paths the engine can open, the PowerShell way: relative to the
/// current location (not the process's directory), through PSDrives, with wildcards for -Path only. Paths of other
/// providers (Env:, Function:, HKLM:, ...) are refused with <c>NotAFileSystemPath</c>.
/// </summary>
internal static class ProviderPaths
{
    /// <summary>
    /// The existing items <paramref name="path"/> names: every match of a wildcard -Path, or the one -LiteralPath.
    /// Nothing there is an <see cref="MlpException"/> of kind NotFound with the id <paramref name="notFoundId"/>.
    /// </summary>
    public static IReadOnlyList<string> ResolveExisting(PSCmdlet cmdlet, string path, bool literal, string notFoundId)
    {
        if (literal)
        {
            string full = Unresolved(cmdlet, path, notFoundId);
            if (!File.Exists(full) && !Directory.Exists(full)) throw NotFound(notFoundId, path, full);
            return new[] { full };
        }

        Collection<string> matches;
        ProviderInfo provider;
        try
        {
            matches = cmdlet.SessionState.Path.GetResolvedProviderPathFromPSPath(path, out provider);
        }
        catch (ItemNotFoundException)
        {
            throw NotFound(notFoundId, path, null);
        }
        catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
        {
            throw NoDrive(path, e);
        }
        RequireFileSystem(provider, path);
        if (matches.Count == 0) throw NotFound(notFoundId, path, null);
        return matches;
    }

    /// <summary>The one existing file <paramref name="path"/> names; a wildcard that matches several is <c>PathAmbiguous</c>.</summary>
    public static string ResolveOne(PSCmdlet cmdlet, string path, bool literal, string notFoundId)
    {
        IReadOnlyList<string> matches = ResolveExisting(cmdlet, path, literal, notFoundId);
        if (matches.Count > 1)
            throw MlpCmdlet.ArgumentError("PathAmbiguous",
                $"The path '{path}' matches {matches.Count} files ({string.Join(", ", matches.Take(3).Select(m => "'" + m + "'"))}{(matches.Count > 3 ? ", ..." : "")}); give one file.",
                path);
        return matches[0];
    }

    /// <summary>
    /// The file-system path of a file to write, which need not exist. A -Path with wildcard characters must match exactly
    /// one existing item (to write a file whose name has '[' or '*', use -LiteralPath).
    /// </summary>
    public static string ResolveNew(PSCmdlet cmdlet, string path, bool literal)
    {
        if (!literal && WildcardPattern.ContainsWildcardCharacters(path))
        {
            IReadOnlyList<string> matches = ResolveExisting(cmdlet, path, literal: false, "PathNotFound");
            if (matches.Count > 1)
                throw MlpCmdlet.ArgumentError("PathAmbiguous", $"The path '{path}' matches {matches.Count} items; give one file to write.", path);
            return matches[0];
        }
        return Unresolved(cmdlet, path, "PathNotFound");
    }

    private static string Unresolved(PSCmdlet cmdlet, string path, string notFoundId)
    {
        string full;
        ProviderInfo provider;
        try
        {
            full = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception e) when (e is System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
        {
            throw NoDrive(path, e);
        }
        catch (ItemNotFoundException)
        {
            throw NotFound(notFoundId, path, null);
        }
        RequireFileSystem(provider, path);
        return full;
    }

    private static void RequireFileSystem(ProviderInfo provider, string path)
    {
        if (provider.ImplementingType != typeof(FileSystemProvider))
            throw MlpCmdlet.ArgumentError("NotAFileSystemPath",
                $"The path '{path}' belongs to the {provider.Name} provider; MlpTools reads and writes files only. Give a file-system path.", path);
    }

    private static MlpException NoDrive(string path, Exception e) =>
        new("NotAFileSystemPath", MlpErrorKind.InvalidArgument, $"The path '{path}' is not a file-system path: {e.Message}", path, e);

    private static MlpException NotFound(string id, string path, string? full) =>
        new(id, MlpErrorKind.NotFound,
            full is null || full == path ? $"There is no file '{path}'. Check the path." : $"There is no file '{path}' ('{full}'). Check the path.",
            path);
}
