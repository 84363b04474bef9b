using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;

namespace MlpTools.Commands;

/// <summary>
/// <c>$net | Export-MlpOnnx model.onnx [-Precision Single] [-Force]</c>: writes a network as an ONNX model with
/// <see cref="OnnxExport"/>, for ONNX Runtime and other tools to run: the scaling, both layers and the softmax, with
/// the class and feature names in its metadata. The file rules are Export-Mlp's: -WhatIf and -Confirm, no file replaced
/// without -Force, written atomically.
/// </summary>
/// <remarks>
/// A cmdlet of its own rather than a format of Export-Mlp: Export-Mlp and Import-Mlp are a pair (what one writes, the
/// other reads back, training state and all), while an ONNX file is for other programs to run and MlpTools does not
/// read it; and -Precision means something here only.
/// </remarks>
[Cmdlet(VerbsData.Export, "MlpOnnx", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
public sealed class ExportMlpOnnxCommand : FileWriterCmdlet
{
    /// <summary>The network to write.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    [InputOf(typeof(Mlp), nameof(Network))]
    public Mlp Network { get; set; } = null!;

    /// <summary>The element type of the graph: Single (float) or Double; by default the network's own precision.</summary>
    [Parameter]
    public Precision? Precision { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        string full = TargetPath();
        Core.Precision precision = Precision ?? Network.Precision;
        string action = (File.Exists(full) ? "Replace with " : "Export ") + $"{Network} as ONNX ({precision})";
        if (!ShouldProcess(full, action)) return;
        OnnxExport.Save(Network, full, Force.IsPresent, precision, CancellationToken);
        WriteVerbose($"Wrote {Network} to '{full}' as an ONNX model ({precision}, opset {OnnxExport.Opset}): input '{OnnxExport.InputName}' [N, {Network.InputSize}], outputs '{OnnxExport.ProbabilitiesName}' [N, {Network.ClassCount}] and '{OnnxExport.LabelName}' [N].");
    }
}
