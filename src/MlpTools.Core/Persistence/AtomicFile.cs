using System.Diagnostics;
using System.Globalization;
using System.IO.Enumeration;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MlpTools.Core.Persistence;

/// <summary>
/// Writes a file the one way MlpTools writes every file (model files, checkpoints): completely or not at all, and,
/// unless replacing is allowed, never over a file that exists, even one another process creates at the same moment.
/// </summary>
/// <remarks>
/// <para><b>Writing.</b> The content goes to a temporary file beside the target, which is flushed to disk and then
/// published under the target's name. The writer holds the temporary file open, under an exclusive lock, while it
/// writes; it closes it just before publishing, so the published file carries no lock a reader would run into (its
/// name, which holds the writer's process id, still marks it live until then). Readers see the old file (or none) or
/// the complete new one, never a part.</para>
/// <para><b>Publishing.</b> With replacing allowed, the temporary file is renamed over the target (<c>rename(2)</c>;
/// <c>MoveFileEx</c> with <c>MOVEFILE_REPLACE_EXISTING</c> on Windows), which is atomic. Without it, the publishing
/// step itself fails when the target exists, so two writers racing to one new path cannot both succeed:</para>
/// <list type="bullet">
/// <item>Linux: <c>renameat2</c> with <c>RENAME_NOREPLACE</c>. When the kernel, the C library or the file system
/// refuses the flag (<c>EINVAL</c>, <c>ENOSYS</c>, <c>EPERM</c>, <c>ENOTSUP</c>; NFS and some FUSE file systems do),
/// <c>link(2)</c> as on macOS.</item>
/// <item>macOS and other Unix systems: <c>link(2)</c> of the temporary file to the target, which fails with
/// <c>EEXIST</c> when the target exists, then unlinking the temporary name.</item>
/// <item>A file system with neither (no hard links: FAT and exFAT on macOS, <c>link</c> failing with <c>EPERM</c>,
/// <c>ENOTSUP</c> or <c>ENOSYS</c>): the target is created empty and exclusively (<c>O_CREAT | O_EXCL</c>), which
/// claims the name, and the temporary file is renamed over that placeholder. Another writer still cannot win the same
/// name, but for that instant a reader can see an empty file.</item>
/// <item>Windows: <c>MoveFileEx</c> without <c>MOVEFILE_REPLACE_EXISTING</c>, which is atomic and fails when the
/// target exists.</item>
/// </list>
/// <para>A target that exists is reported with the caller's "exists" error (<see cref="MlpErrorKind.AlreadyExists"/>);
/// any other failure with its "write failed" error, naming the path and the system's reason. Either way the temporary
/// file is deleted and the target is as it was.</para>
/// <para><b>Temporary files.</b> They are named <c>.&lt;target&gt;.mlptools-&lt;pid&gt;-&lt;host&gt;-&lt;random&gt;.tmp</c>:
/// the target's name (its first 64 characters), the writing process's id in decimal, 8 hex digits of a hash of this
/// machine's name (a process id means something only on the machine that wrote it) and 16 random hex digits.</para>
/// <para><b>Orphans.</b> A writer that is killed leaves its temporary file behind. Every write first removes such
/// orphans of the same target (same folder, same name): a file is removed only when all of these hold:</para>
/// <list type="number">
/// <item>its name has exactly the pattern above, for this target (or one whose name has the same first 64 characters),
/// and it is a regular file (not a folder or a link);</item>
/// <item>it was last modified more than <see cref="FreshAge"/> ago;</item>
/// <item>its writer is certainly gone: the host part is this machine's and no process with that id runs here, or the
/// file was last modified more than <see cref="AbandonedAge"/> ago (its id since reused by another program, or a writer
/// on another machine sharing the folder that died);</item>
/// <item>an exclusive lock on it can be taken (a live writer holds one); it is deleted while that lock is held.</item>
/// </list>
/// <para>Anything else is left alone: files of other targets, files whose name only resembles the pattern, and files of
/// the writers before this pattern (<c>.&lt;target&gt;.&lt;guid&gt;.tmp</c>). The scan reads the folder listing once and
/// examines at most <see cref="MaxCandidates"/> matching names. Cleaning up never fails a write: any error there is
/// ignored, and the file stays for a later write.</para>
/// </remarks>
internal static partial class AtomicFile
{
    /// <summary>A temporary file modified more recently than this is never removed as an orphan.</summary>
    internal static readonly TimeSpan FreshAge = TimeSpan.FromMinutes(1);

    /// <summary>A temporary file untouched this long, and not locked, is removed whichever process or machine wrote it.</summary>
    internal static readonly TimeSpan AbandonedAge = TimeSpan.FromHours(24);

    /// <summary>At most this many orphans are examined per write (each costs a few system calls).</summary>
    internal const int MaxCandidates = 16;

    private const int BufferBytes = 1 << 16;
    private const int MaxTargetChars = 64;
    private const string Marker = ".mlptools-";
    private const string Suffix = ".tmp";

    /// <summary>This machine's part of temporary file names: 8 hex digits of the SHA-256 of its name.</summary>
    internal static string HostTag { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Environment.MachineName)), 0, 4).ToLowerInvariant();

    /// <summary>
    /// Writes <paramref name="path"/> through a temporary file: <paramref name="write"/> fills it, then it is published
    /// under <paramref name="path"/> (see the remarks of <see cref="AtomicFile"/>).
    /// </summary>
    /// <param name="path">The file to write: a full path whose folder exists.</param>
    /// <param name="overwrite">Replace the file when it exists; when false, an existing file is <paramref name="errors"/>' exists error.</param>
    /// <param name="errors">The errors to report, by the kind of file written.</param>
    /// <param name="write">Writes the content to the stream it is given.</param>
    /// <param name="cancellationToken">Checked before publishing; when set, nothing is published.</param>
    /// <param name="beforePublish">Called with the complete temporary file just before it is published (tests use it).</param>
    /// <param name="method">How to publish without replacing; tests choose a fallback, everything else uses <see cref="PublishMethod.Auto"/>.</param>
    /// <exception cref="MlpException">The target exists (and <paramref name="overwrite"/> is false), or an I/O error; nothing was changed.</exception>
    internal static void Write(string path, bool overwrite, FileErrors errors, Action<Stream> write, CancellationToken cancellationToken,
        Action<string>? beforePublish = null, PublishMethod method = PublishMethod.Auto)
    {
        string directory = Path.GetDirectoryName(path)!;
        string name = Path.GetFileName(path);
        RemoveOrphans(directory, name);
        string temp = Path.Combine(directory, TemporaryName(name, Environment.ProcessId, HostTag));
        FileStream? stream = null;
        bool published = false;
        try
        {
            // The exclusive lock (Unix: flock) tells other writers' clean-up that this file is in use. On Windows the
            // handle must share delete access, or the file could not be renamed while it is open.
            stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None, BufferBytes);
            write(stream);
            stream.Flush(flushToDisk: true);
            // Closed before it is published: an open handle keeps its lock on the file under its new name, and a reader
            // opening the published file meanwhile would be refused. The writer's process id still marks the file live.
            stream.Dispose();
            stream = null;
            cancellationToken.ThrowIfCancellationRequested();
            beforePublish?.Invoke(temp);
            if (overwrite) File.Move(temp, path, overwrite: true);
            else PublishWithoutReplacing(temp, path, errors, method);
            published = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw errors.WriteFailed(path, ex.Message.TrimEnd('.'), ex);
        }
        finally
        {
            stream?.Dispose();
            if (!published) TryDelete(temp);
        }
    }

    /// <summary>How <see cref="Write"/> publishes a file without replacing one: <see cref="Auto"/> picks by platform and falls back as needed.</summary>
    internal enum PublishMethod
    {
        Auto,
        Link,
        Placeholder,
    }

    // ---- publishing ----

    private static void PublishWithoutReplacing(string temp, string path, FileErrors errors, PublishMethod method)
    {
        if (OperatingSystem.IsWindows())
        {
            PublishOnWindows(temp, path, errors);
            return;
        }
        if (method == PublishMethod.Auto && OperatingSystem.IsLinux() && TryRenameNoReplace(temp, path, errors)) return;
        if (method != PublishMethod.Placeholder && TryLink(temp, path, errors)) return;
        PublishThroughPlaceholder(temp, path, errors);
    }

    private static void PublishOnWindows(string temp, string path, FileErrors errors)
    {
        const int ErrorFileExists = unchecked((int)0x80070050), ErrorAlreadyExists = unchecked((int)0x800700B7);
        try
        {
            File.Move(temp, path, overwrite: false); // MoveFileEx without MOVEFILE_REPLACE_EXISTING: atomic
        }
        catch (IOException ex) when (ex.HResult is ErrorFileExists or ErrorAlreadyExists)
        {
            throw errors.Exists(path);
        }
    }

    /// <summary>Linux <c>renameat2(RENAME_NOREPLACE)</c>; false when this system or file system does not offer it.</summary>
    private static bool TryRenameNoReplace(string temp, string path, FileErrors errors)
    {
        int result;
        try
        {
            result = Libc.RenameAt2(Libc.AtFdCwd, temp, Libc.AtFdCwd, path, Libc.RenameNoReplace);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // a C library without renameat2 (glibc before 2.28)
        }
        if (result == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == Errno.EEXIST) throw errors.Exists(path);
        if (errno is Errno.EINVAL or Errno.EPERM || Errno.IsUnsupported(errno)) return false;
        throw Failed(errors, path, "renameat2", errno);
    }

    /// <summary><c>link(2)</c> then unlink of the temporary name; false when the file system has no hard links.</summary>
    private static bool TryLink(string temp, string path, FileErrors errors)
    {
        int result;
        try
        {
            result = Libc.Link(temp, path);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
        if (result != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EEXIST) throw errors.Exists(path);
            if (errno == Errno.EPERM || Errno.IsUnsupported(errno)) return false;
            throw Failed(errors, path, "link", errno);
        }
        // Published: the target is the complete file. The temporary name goes; if it cannot, a later write removes it.
        TryDelete(temp);
        return true;
    }

    /// <summary>Claims the name with an exclusive create, then renames the temporary file over that empty placeholder.</summary>
    private static void PublishThroughPlaceholder(string temp, string path, FileErrors errors)
    {
        try
        {
            new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete).Dispose(); // O_CREAT | O_EXCL
        }
        catch (IOException) when (Path.Exists(path))
        {
            throw errors.Exists(path);
        }
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Take the placeholder back, unless something else has replaced it since.
            try
            {
                if (new FileInfo(path).Length == 0) File.Delete(path);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // The error to report is the rename's.
            }
            throw;
        }
    }

    private static MlpException Failed(FileErrors errors, string path, string call, int errno) =>
        errors.WriteFailed(path, Invariant.Format($"{Marshal.GetPInvokeErrorMessage(errno)} ({call} failed with errno {errno} while giving the complete file its name)"), null);

    // ---- temporary files and orphans ----

    /// <summary>The name of a temporary file for <paramref name="target"/> written by process <paramref name="pid"/> on the host <paramref name="hostTag"/>.</summary>
    internal static string TemporaryName(string target, int pid, string hostTag) =>
        Invariant.Format($"{Prefix(target)}{pid}-{hostTag}-{RandomNumberGenerator.GetHexString(16, lowercase: true)}{Suffix}");

    /// <summary>What every temporary file of <paramref name="target"/> starts with: <c>.&lt;target, at most 64 characters&gt;.mlptools-</c>.</summary>
    private static string Prefix(string target)
    {
        int n = Math.Min(target.Length, MaxTargetChars);
        if (n < target.Length && char.IsHighSurrogate(target[n - 1])) n--; // never split a surrogate pair
        return "." + target[..n] + Marker;
    }

    /// <summary>
    /// Parses the part of a temporary file's name after its prefix: <c>&lt;pid&gt;-&lt;8 hex&gt;-&lt;16 hex&gt;.tmp</c>, the pid in
    /// decimal without leading zeros, the hex digits lowercase. Anything else is not ours.
    /// </summary>
    internal static bool TryParseTail(ReadOnlySpan<char> tail, out int pid, out ReadOnlySpan<char> hostTag)
    {
        pid = 0;
        hostTag = default;
        int dash = tail.IndexOf('-');
        if (dash < 1 || dash > 10 || tail[0] == '0') return false;
        ReadOnlySpan<char> digits = tail[..dash];
        foreach (char c in digits)
            if (c is < '0' or > '9') return false;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out pid)) return false;
        ReadOnlySpan<char> rest = tail[(dash + 1)..];
        if (rest.Length != 8 + 1 + 16 + Suffix.Length || rest[8] != '-' || !rest.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        if (!IsLowerHex(rest[..8]) || !IsLowerHex(rest.Slice(9, 16))) return false;
        hostTag = rest[..8];
        return true;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }

    /// <summary>Removes the orphaned temporary files of <paramref name="target"/> in <paramref name="directory"/>; never throws.</summary>
    internal static void RemoveOrphans(string directory, string target) => RemoveOrphans(directory, target, DateTime.UtcNow);

    internal static void RemoveOrphans(string directory, string target, DateTime now)
    {
        try
        {
            string prefix = Prefix(target);
            var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true, RecurseSubdirectories = false };
            var candidates = new FileSystemEnumerable<(string Path, DateTime Modified)>(directory,
                (ref FileSystemEntry e) => (e.ToFullPath(), e.LastWriteTimeUtc.UtcDateTime), options)
            {
                // Regular files named for this target only; the listing is read once, and only matches become strings.
                ShouldIncludePredicate = (ref FileSystemEntry e) =>
                    !e.IsDirectory && (e.Attributes & FileAttributes.ReparsePoint) == 0 &&
                    e.FileName.StartsWith(prefix, StringComparison.Ordinal) && TryParseTail(e.FileName[prefix.Length..], out _, out _),
            };
            foreach (var (path, modified) in candidates.Take(MaxCandidates))
            {
                TimeSpan age = now - modified;
                if (age < FreshAge || !TryParseTail(Path.GetFileName(path.AsSpan())[prefix.Length..], out int pid, out ReadOnlySpan<char> host)) continue;
                bool writerGone = (host.SequenceEqual(HostTag) && !IsRunning(pid)) || age > AbandonedAge;
                if (writerGone) TryDeleteUnlocked(path);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Cleaning up is a courtesy: whatever goes wrong here (a folder that cannot be listed, a system call this
            // platform lacks) is no reason to fail the write. An orphan left now is removed by a later write.
        }
    }

    /// <summary>Deletes <paramref name="path"/> if an exclusive lock on it can be taken, while holding that lock.</summary>
    private static void TryDeleteUnlocked(string path)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                // Opening without sharing fails while the writer has it open; DeleteOnClose removes it as this handle closes.
                new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.DeleteOnClose).Dispose();
                return;
            }
            // FileShare.None takes flock(LOCK_EX | LOCK_NB), which fails while the writer holds its lock.
            using var locked = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1);
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // In use, gone already, or not ours to delete: leave it.
        }
    }

    /// <summary>Whether a process with id <paramref name="pid"/> runs on this machine (when unsure: yes).</summary>
    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (!OperatingSystem.IsWindows())
            return Libc.Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != Errno.ESRCH; // EPERM: it runs, as another user's
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return true;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the original error is the one to report, and a later write removes the orphan.
        }
    }

    // ---- the C library ----

    /// <summary>The <c>errno</c> values these calls can set (the same numbers on Linux and macOS unless split).</summary>
    private static class Errno
    {
        public const int EPERM = 1, ESRCH = 3, EEXIST = 17, EINVAL = 22;

        /// <summary>ENOSYS, ENOTSUP and EOPNOTSUPP, whose numbers differ between Linux and the BSDs (macOS).</summary>
        public static bool IsUnsupported(int errno) => OperatingSystem.IsLinux()
            ? errno is 38 or 95
            : errno is 78 or 45 or 102;
    }

    private static partial class Libc
    {
        public const int AtFdCwd = -100; // Linux's AT_FDCWD
        public const uint RenameNoReplace = 1;

        [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);

        [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Link(string existingPath, string newPath);

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static partial int Kill(int pid, int signal);
    }
}

/// <summary>The errors a kind of file reports when it is written: its target checked, then <see cref="AtomicFile"/> writing it.</summary>
/// <param name="Prefix">What starts every error id of this kind of file: "Model" gives ModelFileExists, ModelWriteFailed, ModelPathIsDirectory and ModelDirectoryNotFound.</param>
/// <param name="Noun">What the file is, in messages: "model file".</param>
internal sealed record FileErrors(string Prefix, string Noun)
{
    /// <summary>The error id when the target exists and may not be replaced (kind AlreadyExists).</summary>
    public string ExistsId => Prefix + "FileExists";

    /// <summary>The error id when the file could not be written (kind InvalidOperation).</summary>
    public string WriteFailedId => Prefix + "WriteFailed";

    /// <summary>The error id when the target is a folder (kind InvalidArgument).</summary>
    public string PathIsDirectoryId => Prefix + "PathIsDirectory";

    /// <summary>The error id when the target's folder does not exist (kind NotFound).</summary>
    public string DirectoryNotFoundId => Prefix + "DirectoryNotFound";

    /// <summary>
    /// Checks, before the work of encoding, that a file can be written to <paramref name="path"/>: it is not a folder,
    /// its folder exists, and (unless <paramref name="overwrite"/>) no file is there yet. Returns the full path. Only
    /// publishing guarantees that no file is replaced; this fails early and says what to do.
    /// </summary>
    /// <param name="path">The file to write (a relative path is taken from the current directory).</param>
    /// <param name="overwrite">Whether an existing file may be replaced.</param>
    /// <param name="exampleName">A file name to suggest inside a folder given as the target, such as "model.safetensors".</param>
    public string CheckTarget(string path, bool overwrite, string exampleName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw MlpException.Argument(PathIsDirectoryId, $"'{full}' is a folder; give the path of the {Noun} to write inside it, such as '{Path.Combine(full, exampleName)}'.", full);
        string? directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
            throw new MlpException(DirectoryNotFoundId, MlpErrorKind.NotFound,
                $"Cannot write the {Noun} '{full}': the folder '{directory}' does not exist. Create it first.", full);
        if (!overwrite && File.Exists(full)) throw Exists(full);
        return full;
    }

    /// <summary>The target exists; the message names the writers' own way to allow replacing it, their overwrite argument.</summary>
    public MlpException Exists(string path) =>
        new(ExistsId, MlpErrorKind.AlreadyExists, $"The file '{path}' already exists. Choose another path, or allow replacing it (overwrite: true).", path);

    public MlpException WriteFailed(string path, string reason, Exception? inner) =>
        new(WriteFailedId, MlpErrorKind.InvalidOperation, $"Could not write the {Noun} '{path}': {reason}. Nothing was changed.", path, inner);
}
