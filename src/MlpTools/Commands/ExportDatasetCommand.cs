using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Data;

namespace MlpTools.Commands;

/// <summary>
/// <c>$data | Export-Dataset data.csv [-Force] [-Delimiter d] [-IncludeSourceRow]</c>: writes a dataset as CSV or TSV
/// with <see cref="CsvDatasetWriter"/>. <c>... | Split-Dataset 0.25 | Export-Dataset ./parts</c>: a folder takes every
/// piped dataset as a file of its own, named after the dataset (Digits-train.csv, Digits-test.csv).
/// </summary>
/// <remarks>
/// The file rules are Export-Mlp's: -WhatIf and -Confirm, no file replaced without -Force (atomically, even one another
/// process creates meanwhile), a temporary file published only when complete.
/// </remarks>
[Cmdlet(VerbsData.Export, "Dataset", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
public sealed class ExportDatasetCommand : FileWriterCmdlet
{
    /// <summary>The dataset to write; several may be piped into a folder.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    [InputOf(typeof(Dataset), nameof(Dataset))]
    public Dataset Dataset { get; set; } = null!;

    /// <summary>The field delimiter; by default a tab for .tsv and .tab files, a comma otherwise.</summary>
    [Parameter]
    public char? Delimiter { get; set; }

    /// <summary>Write each row's place in the dataset it was split from as a first column, source_row.</summary>
    [Parameter]
    public SwitchParameter IncludeSourceRow { get; set; }

    /// <summary>The files written so far by this command, so two piped datasets never go to one file.</summary>
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        string target = TargetPath();
        string file = Directory.Exists(target) ? System.IO.Path.Combine(target, FileNameFor(Dataset)) : target;
        if (!_written.Add(file))
            throw new MlpException("DatasetPathReused", MlpErrorKind.InvalidArgument,
                $"Another dataset piped to this command was already written to '{file}'. To write several datasets, give a folder: each is written to a file named after it.", file);
        string action = File.Exists(file) ? $"Replace with dataset '{Dataset.Name}' ({Dataset.Count} samples)" : $"Export dataset '{Dataset.Name}' ({Dataset.Count} samples)";
        if (!ShouldProcess(file, action)) return;
        CsvDatasetWriter.Save(Dataset, file, Force.IsPresent,
            new CsvWriteOptions { Delimiter = Delimiter, IncludeSourceRows = IncludeSourceRow.IsPresent }, CancellationToken);
        WriteVerbose($"Wrote {Dataset.Count} samples of '{Dataset.Name}' to '{file}'.");
    }

    /// <summary>The dataset's name as a file name: "Digits (test)" becomes Digits-test.csv.</summary>
    internal static string FileNameFor(Dataset data)
    {
        var chars = data.Name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray();
        string stem = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return (stem.Length > 0 ? stem : "dataset") + ".csv";
    }
}
