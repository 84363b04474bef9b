using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;

namespace MlpTools.Commands;

/// <summary>
/// <c>Import-Mlp -Path model.safetensors</c>: the network saved in a model file, with its names, history, optimizer
/// state and preprocessing, bit for bit. A wildcard -Path loads every file it matches; so do piped files
/// (<c>Get-ChildItem *.safetensors | Import-Mlp</c>).
/// </summary>
/// <remarks>
/// Missing and damaged files follow the rule of every command that reads files (<see cref="MlpCmdlet.ReadFile"/>, the same
/// as Import-Dataset's): a path that names no file (ModelNotFound), or a file that is not a valid model (the engine's
/// id), is a terminating error when it is the only file given, since nothing can be done without it; among several
/// (several paths, a wildcard that matches several files, paths or files piped in) it is a non-terminating error and
/// the other files still load. A data file given in a model's place (ModelFileWrongKind: CSV, gzip, IDX) is pointed to
/// Import-Dataset (<see cref="ErrorHints"/>).
/// </remarks>
[Cmdlet(VerbsData.Import, "Mlp", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Mlp<float>), typeof(Mlp<double>))]
public sealed class ImportMlpCommand : MlpCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>The model files; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = PathSet)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The model files, taken exactly as written.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819", Justification = "A PowerShell parameter takes an array.")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        string[] paths = literal ? LiteralPath : Path;
        bool severalPaths = MyInvocation.ExpectingInput || paths.Length > 1;
        foreach (string path in paths)
        {
            IReadOnlyList<string> files = Array.Empty<string>();
            ReadFile(severalPaths, () => files = ProviderPaths.ResolveExisting(this, path, literal, "ModelNotFound"));
            foreach (string file in files)
            {
                Mlp? network = null;
                ReadFile(severalPaths || files.Count > 1, () => network = Load(file));
                if (network is not null) WriteObject(network);
            }
        }
    }

    /// <summary>The network in <paramref name="file"/>, carrying the training state saved with it (see <see cref="PipelineState"/>).</summary>
    private static Mlp Load(string file)
    {
        SavedModel saved = ModelFile.Load(file);
        PipelineState.SetTraining(saved.Network, saved.Training);
        return saved.Network;
    }
}
