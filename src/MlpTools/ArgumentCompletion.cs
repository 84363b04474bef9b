using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace MlpTools.Commands;

/// <summary>
/// What the module's tab completers (<see cref="IArgumentCompleter"/>s) share: which candidates match what was typed,
/// how a candidate is written so that it binds as the text it is, and how the values already typed on the command
/// line (the "fake bound parameters" PowerShell hands a completer) are read.
/// </summary>
internal static class ArgumentCompletion
{
    /// <summary>
    /// The candidates that start with <paramref name="wordToComplete"/> (ignoring case, and a quote the user opened),
    /// in the order given, each written as <see cref="Quote"/> does and shown as itself.
    /// </summary>
    public static IEnumerable<CompletionResult> Matching(string wordToComplete, IEnumerable<(string Value, string ToolTip)> candidates)
    {
        string typed = wordToComplete.Trim('\'', '"');
        foreach ((string value, string toolTip) in candidates)
        {
            if (value.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(Quote(value), value, CompletionResultType.ParameterValue, toolTip);
        }
    }

    /// <summary>
    /// <paramref name="value"/> as it must be typed to reach a parameter as that very string: as it is when PowerShell
    /// reads it back as one bare word of the same text, otherwise in single quotes (a space, a quote, a comma, '$', a
    /// '#' or a number such as 2020, which would bind as an index).
    /// </summary>
    public static string Quote(string value)
    {
        Ast ast = Parser.ParseInput("x " + value, out _, out ParseError[] errors);
        bool bare = errors.Length == 0
            && ast.Find(a => a is CommandAst, searchNestedScriptBlocks: false) is CommandAst { CommandElements.Count: 2 } command
            && command.CommandElements[1] is StringConstantExpressionAst { StringConstantType: StringConstantType.BareWord } word
            && word.Value == value;
        return bare ? value : "'" + CodeGeneration.EscapeSingleQuotedStringContent(value) + "'";
    }

    /// <summary>The value typed for <paramref name="parameter"/>, converted to <typeparamref name="T"/>; default when it is absent or does not convert.</summary>
    public static T? Bound<T>(IDictionary fakeBoundParameters, string parameter)
    {
        if (!fakeBoundParameters.Contains(parameter)) return default;
        return LanguagePrimitives.TryConvertTo(fakeBoundParameters[parameter], out T result) ? result : default;
    }

    /// <summary>True when the switch <paramref name="parameter"/> was typed, and not as <c>-Switch:$false</c>.</summary>
    public static bool BoundSwitch(IDictionary fakeBoundParameters, string parameter) =>
        fakeBoundParameters.Contains(parameter) && (fakeBoundParameters[parameter] is null || LanguagePrimitives.IsTrue(fakeBoundParameters[parameter]));
}
