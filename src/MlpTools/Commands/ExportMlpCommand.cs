using System.Management.Automation;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;

namespace MlpTools.Commands;

/// <summary>
/// <c>Export-Mlp -Network $net -Path model.safetensors [-Force]</c>, or <c>$net | Export-Mlp model.safetensors</c>: saves a
/// network (weights, names, preprocessing) and its training state (history, optimizer state; see <see cref="PipelineState"/>)
/// with <see cref="ModelFile.Save(Mlp, Core.Training.TrainingState, string, bool, CancellationToken)"/>,
/// which writes a temporary file and publishes it under the target's name only when it is complete; without -Force that
/// step fails atomically when the file exists, even one another process created meanwhile.
/// </summary>
[Cmdlet(VerbsData.Export, "Mlp", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
public sealed class ExportMlpCommand : FileWriterCmdlet
{
    /// <summary>The network to save.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    [InputOf(typeof(Mlp), nameof(Network))]
    public Mlp Network { get; set; } = null!;

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        string full = TargetPath();
        string action = File.Exists(full) ? $"Replace with {Network}" : $"Export {Network}";
        if (!ShouldProcess(full, action)) return;
        ModelFile.Save(Network, PipelineState.TrainingOf(Network), full, Force.IsPresent, CancellationToken);
    }
}
