using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using MlpTools.Core.Data;

namespace MlpTools.Commands;

/// <summary>
/// <c>Import-Dataset -Name Digits</c>, <c>Import-Dataset -Name Spiral [-ClassCount K] [-SamplesPerClass N] [-Seed s]</c>:
/// a built-in dataset. (A Path set for files comes later.)
/// </summary>
[Cmdlet(VerbsData.Import, "Dataset", DefaultParameterSetName = BuiltInSet)]
[OutputType(typeof(Dataset))]
public sealed class ImportDatasetCommand : MlpCmdlet
{
    private const string BuiltInSet = "BuiltIn";

    /// <summary>The built-in dataset: Digits or Spiral.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = BuiltInSet)]
    [ArgumentCompleter(typeof(BuiltInDatasetCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Spiral only: the number of arms (classes).</summary>
    [Parameter(ParameterSetName = BuiltInSet)]
    public int ClassCount { get; set; } = 3;

    /// <summary>Spiral only: the number of points on each arm.</summary>
    [Parameter(ParameterSetName = BuiltInSet)]
    public int SamplesPerClass { get; set; } = 100;

    /// <summary>Spiral only: the seed for the noise; without it every call draws a new spiral.</summary>
    [Parameter(ParameterSetName = BuiltInSet)]
    public int? Seed { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecordCore()
    {
        if (string.Equals(Name, "Digits", StringComparison.OrdinalIgnoreCase))
        {
            string[] spiralOnly = new[] { nameof(ClassCount), nameof(SamplesPerClass), nameof(Seed) }
                .Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
            if (spiralOnly.Length > 0)
                throw ArgumentError("ParameterNotApplicable",
                    $"-{string.Join(", -", spiralOnly)} {(spiralOnly.Length == 1 ? "applies" : "apply")} to the Spiral dataset only; Digits is fixed. Remove {(spiralOnly.Length == 1 ? "it" : "them")}, or use -Name Spiral.", Name);
        }
        WriteObject(BuiltInDatasets.Load(Name, ClassCount, SamplesPerClass, Seed));
    }
}

/// <summary>Tab completion for <c>Import-Dataset -Name</c>: the built-in dataset names.</summary>
public sealed class BuiltInDatasetCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        BuiltInDatasets.Names
            .Where(n => n.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
}
