using System.Globalization;
using System.Text.RegularExpressions;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Commands;

/// <summary>
/// The PowerShell hints for the engine's errors and warnings, by error id: the one place where an engine message,
/// which names the engine's own settings (Double precision, Scaling set to Standardize, overwrite: true) because a .NET
/// caller has no cmdlets, gets a sentence naming the cmdlet and parameter to use. The hint may depend on the error's
/// target (a Single network is pointed to -Precision Double, a Double one is not). Every engine error a cmdlet reports
/// comes through <see cref="MlpCmdlet.ToErrorRecord(MlpException, object?)"/>, and Invoke-Training's warnings through
/// <see cref="WithHint(TrainingWarning)"/>.
/// </summary>
internal static class ErrorHints
{
    private const string DoubleNetwork = "New-Mlp -Precision Double makes a Double network";

    private static readonly Dictionary<string, Func<object?, string?>> ById = new(StringComparer.Ordinal)
    {
        // Files.
        ["ModelFileExists"] = _ => "Export-Mlp -Force replaces it.",
        ["DatasetFileExists"] = _ => "Export-Dataset -Force replaces it.",
        ["PlotFileExists"] = _ => "Export-MlpPlot -Force replaces it.",
        ["OnnxFileExists"] = _ => "Export-MlpOnnx -Force replaces it.",
        ["OnnxParameterOutOfRange"] = _ => "Export-MlpOnnx -Precision Double writes it.",
        ["PlotNoHistory"] = _ => "Invoke-Training trains it.",
        ["ModelNotFound"] = _ => "Export-Mlp writes model files.",
        ["ModelFileWrongKind"] = target => target is string path && Sniff(path) is FileKind.Text or FileKind.Gzip or FileKind.Idx
            ? $"Data files (CSV, TSV and IDX, gzip-compressed or not) are read by Import-Dataset: Import-Dataset -Path '{path.Replace("'", "''", StringComparison.Ordinal)}'."
            : null,
        ["DataFileWrongKind"] = target => target is string path && Sniff(path) is FileKind.Safetensors
            ? "A model file, as Export-Mlp writes one, is loaded with Import-Mlp."
            : null,
        ["CsvTooFewColumns"] = _ => "Import-Dataset takes the delimiter as -Delimiter.",
        ["NoSourceRows"] = _ => "Split-Dataset's parts have them; for another dataset, leave out -IncludeSourceRow.",

        // Data meeting a network.
        ["FeatureCountMismatch"] = target => target is Dataset data ? Invariant.Format($"New-Mlp -InputSize {data.FeatureCount} makes such a network.") : null,
        ["NonFiniteParameter"] = target => target is double value && double.IsFinite(value) ? DoubleNetwork + "." : null,
        ["FeatureValueOutOfRange"] = target => target is InputValueProblem { Precision: Precision.Single } ? DoubleNetwork + "." : null,
        ["NetworkOverflow"] = target => target is InputValueProblem problem
            ? Sentence(problem.ScaledValue is null ? "Invoke-Training -Scaling Standardize scales the features" : null,
                problem.Precision == Precision.Single ? DoubleNetwork : null)
            : null,

        // Training.
        ["InvalidRegularization"] = target => target is RegularizationProblem problem
            ? Invariant.Format($"-Regularization {problem.Regularization:R} is too large for a {problem.Precision} network: give a much smaller one.")
            : null,
        ["MonitorNeedsValidation"] = _ => "Invoke-Training takes it as -ValidationDataset or -ValidationFraction.",
        ["TrainingDiverged"] = target => target is TrainingTrouble trouble ? ForTrouble(trouble) : null,
        ["HistoryEmpty"] = target => target is Mlp ? "Invoke-Training trains it; its -StreamHistory emits the records as they happen." : null,
    };

    /// <summary>The PowerShell hint for an engine error, or null when its message needs none.</summary>
    internal static string? For(string errorId, object? target) =>
        ById.TryGetValue(errorId, out Func<object?, string?>? hint) ? hint(target) : null;

    /// <summary>
    /// The error as a PowerShell user reads it: the engine's message followed by its hint, in an error of the same id,
    /// kind and target whose inner exception is the engine's; the engine's error itself when it needs no hint.
    /// </summary>
    internal static MlpException WithHint(MlpException ex)
    {
        string message = InPowerShellTerms(ex);
        if (For(ex.ErrorId, ex.Target) is { } hint) message += " " + hint;
        return ReferenceEquals(message, ex.Message) ? ex : new MlpException(ex.ErrorId, ex.Kind, message, ex.Target, ex) { Settings = ex.Settings };
    }

    /// <summary>
    /// The engine's message with the settings it names (<see cref="MlpException.Settings"/>, which are the cmdlets'
    /// parameter names) written as parameters: "Momentum applies to Sgd only" reads "-Momentum applies to Sgd only".
    /// </summary>
    private static string InPowerShellTerms(MlpException ex) => AsParameters(ex.Message, ex.Settings);

    /// <summary>The text with each of <paramref name="settings"/> it names as a whole word written as a parameter ("-Momentum").</summary>
    internal static string AsParameters(string text, IEnumerable<string> settings)
    {
        foreach (string setting in settings)
            text = Regex.Replace(text, @"(?<![\w-])" + Regex.Escape(setting) + @"(?!\w)", "-" + setting);
        return text;
    }

    /// <summary>A training warning as a PowerShell user reads it: its message followed by the hint for its likely cause.</summary>
    internal static string WithHint(TrainingWarning warning) =>
        ForTrouble(warning.Trouble) is { } hint ? warning.Message + " " + hint : warning.Message;

    /// <summary>What to type for the likely cause of a diverged or troubled run (none for inputs outside the scaling: they are to be checked).</summary>
    private static string? ForTrouble(TrainingTrouble trouble) => trouble.Cause switch
    {
        TroubleCause.LearningRate => Invariant.Format($"Try a smaller -LearningRate (it was {trouble.LearningRate})."),
        TroubleCause.Regularization => Invariant.Format($"Invoke-Training takes it as -Regularization (it was {trouble.Regularization})."),
        TroubleCause.UnscaledInputs => "Invoke-Training -Scaling Standardize does that.",
        _ => null,
    };

    /// <summary>The clauses given, joined into one sentence; null when there are none.</summary>
    private static string? Sentence(params string?[] clauses)
    {
        string[] given = clauses.OfType<string>().ToArray();
        return given.Length == 0 ? null : string.Join("; ", given) + ".";
    }

    /// <summary>What the first bytes of a file show it to be; Unknown when it cannot be read (or is no file: piped text).</summary>
    private static FileKind Sniff(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return FileSniffer.Detect(FileSniffer.ReadStart(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return FileKind.Unknown;
        }
    }
}
