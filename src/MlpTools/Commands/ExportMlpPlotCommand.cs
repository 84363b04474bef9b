using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Plots;

namespace MlpTools.Commands;

/// <summary>
/// <c>$net | Export-MlpPlot -Kind History|Weights|Diagnostics -Path file.png</c>, or
/// <c>$net | Test-Mlp | Export-MlpPlot -Kind ConfusionMatrix -Path file.png</c>: draws a picture of a network (its
/// training history, its first layer's weights, its training diagnostics) or of a test's confusion matrix as a PNG file,
/// with <see cref="Pictures"/>. The file rules are Export-Mlp's: -WhatIf and -Confirm, no file replaced without -Force,
/// written atomically.
/// </summary>
[Cmdlet(VerbsData.Export, "MlpPlot", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
public sealed class ExportMlpPlotCommand : FileWriterCmdlet
{
    /// <summary>What to draw from: a network (History, Weights, Diagnostics) or Test-Mlp's evaluation (ConfusionMatrix).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public object InputObject { get; set; } = null!;

    /// <summary>Which picture to draw.</summary>
    [Parameter(Mandatory = true)]
    public PictureKind Kind { get; set; }

    /// <summary>The picture's width in pixels; by default the kind's own.</summary>
    [Parameter]
    [ValidateRange(Pictures.MinSize, Pictures.MaxSize)]
    public int? Width { get; set; }

    /// <summary>The picture's height in pixels; by default the kind's own.</summary>
    [Parameter]
    [ValidateRange(Pictures.MinSize, Pictures.MaxSize)]
    public int? Height { get; set; }

    /// <summary>-Kind Weights: the rows and columns of the images the inputs are, when the network does not know them.</summary>
    [Parameter]
    [ValidateCount(2, 2)]
    [ValidateRange(1, int.MaxValue)]
    public int[]? ImageShape { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        object input = InputObject is PSObject wrapped ? wrapped.BaseObject : InputObject;
        CheckInput(input);
        string full = TargetPath();
        string action = (File.Exists(full) ? "Replace with " : "Draw ") + Invariant.Format($"the {Kind} picture of {Describe(input)}");
        if (!ShouldProcess(full, action)) return;
        Pictures.CheckTarget(full, Force.IsPresent);
        var options = new PictureOptions { Width = Width, Height = Height };
        byte[] png = input switch
        {
            Mlp network when Kind == PictureKind.History => Pictures.History(PipelineState.TrainingOf(network), options),
            Mlp network when Kind == PictureKind.Diagnostics => Pictures.Diagnostics(PipelineState.TrainingOf(network), options),
            Mlp network => Pictures.Weights(network, ImageShape is { } s ? new ImageShape(s[0], s[1]) : null, options),
            Evaluation evaluation => Pictures.ConfusionMatrix(evaluation.ConfusionMatrix, options),
            _ => Pictures.ConfusionMatrix((ConfusionMatrix)input, options),
        };
        Pictures.Save(png, full, Force.IsPresent, CancellationToken);
        WriteVerbose(Invariant.Format($"Wrote the {Kind} picture of {Describe(input)} to '{full}' ({png.Length:N0} bytes)."));
    }

    /// <summary>Ends the command when the input is not what -Kind draws from, saying what to pipe instead.</summary>
    private void CheckInput(object? input)
    {
        bool network = input is Mlp, evaluation = input is Evaluation or ConfusionMatrix;
        if (ImageShape is not null && Kind != PictureKind.Weights)
            throw ArgumentError("PlotImageShapeNotUsed",
                $"-ImageShape is the shape of the tiles of -Kind Weights; -Kind {Kind} draws no images of the inputs. Leave it out.", ImageShape);
        if (Kind == PictureKind.ConfusionMatrix && !evaluation)
            throw ArgumentError("PlotNeedsEvaluation",
                $"-Kind ConfusionMatrix draws the result of a test, but it was given {Describe(input)}. Pipe Test-Mlp's result: $net | Test-Mlp -Dataset $test | Export-MlpPlot -Kind ConfusionMatrix -Path confusion.png",
                InputObject);
        if (Kind != PictureKind.ConfusionMatrix && !network)
            throw ArgumentError("PlotNeedsNetwork",
                $"-Kind {Kind} draws a network, but it was given {Describe(input)}. Pipe the network (from New-Mlp, Invoke-Training or Import-Mlp): $net | Export-MlpPlot -Kind {Kind} -Path {Kind.ToString().ToLowerInvariant()}.png" +
                (evaluation ? "; a test's result makes -Kind ConfusionMatrix." : "."),
                InputObject);
    }

    private static string Describe(object? input) => input switch
    {
        null => "$null",
        Mlp network => "the network " + network,
        Evaluation evaluation => Invariant.Format($"a test's result ({evaluation.Count} samples)"),
        ConfusionMatrix => "a confusion matrix",
        Dataset data => "the dataset " + data,
        string s => "the text '" + (s.Length > 40 ? s[..37] + "..." : s) + "'",
        _ => "a " + input.GetType().Name,
    };
}
