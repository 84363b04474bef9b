using System.Management.Automation;

namespace MlpTools.Commands;

/// <summary>
/// What every MlpTools cmdlet that writes a file shares: -Path (wildcards that must match one item) or -LiteralPath,
/// -Force to replace a file, and -WhatIf/-Confirm (each such cmdlet declares SupportsShouldProcess). The writing itself
/// is the engine's atomic publish, which never replaces a file without -Force.
/// </summary>
public abstract class FileWriterCmdlet : MlpCmdlet
{
    private protected const string PathSet = "Path";
    private protected const string LiteralPathSet = "LiteralPath";

    /// <summary>Where to write; wildcards must match one existing item.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    public string Path { get; set; } = "";

    /// <summary>Where to write, taken exactly as written.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    public string LiteralPath { get; set; } = "";

    /// <summary>Replace a file that exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The full file-system path that -Path or -LiteralPath names (it need not exist yet).</summary>
    private protected string TargetPath()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        return ProviderPaths.ResolveNew(this, literal ? LiteralPath : Path, literal);
    }
}
