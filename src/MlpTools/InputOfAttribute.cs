using System.Collections;
using System.Globalization;
using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Commands;

/// <summary>
/// Marks a parameter that takes a <see cref="Dataset"/> or an <see cref="Mlp"/>, so that anything else given or piped
/// to it ends the command with one error that says what was given and what to do, instead of PowerShell's own
/// "cannot be bound" error once for every piped object (a table of 150 rows from Import-Csv gave 150 of them).
/// </summary>
/// <remarks>
/// The value is let through as null (the parameter also carries [AllowNull]) and remembered for this thread; the
/// cmdlet's base then throws <c>InputNotADataset</c> or <c>InputNotANetwork</c> before the cmdlet sees it.
/// </remarks>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class InputOfAttribute : ArgumentTransformationAttribute
{
    [ThreadStatic]
    private static (string Parameter, Type Expected, object Given)? t_rejected;

    /// <summary>Why a serialized network or dataset refused on this thread was refused (the engine loader's error), with <see cref="t_rejected"/>.</summary>
    [ThreadStatic]
    private static MlpException? t_refusal;

    public InputOfAttribute(Type expected, string parameter)
    {
        Expected = expected;
        Parameter = parameter;
    }

    public Type Expected { get; }

    public string Parameter { get; }

    /// <summary>Whether the cmdlet takes null itself (a piped network whose own dataset is used); otherwise null is refused.</summary>
    public bool NullAllowed { get; init; }

    /// <summary>
    /// Types another parameter set's pipeline parameter takes (Show-MlpHistory's epoch records): values of these types, or
    /// arrays of them, pass untouched, so PowerShell gives them to that parameter instead.
    /// </summary>
    public Type[] Alternatives { get; init; } = Type.EmptyTypes;

    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject p ? p.BaseObject : inputData;
        if (value is null || Expected.IsInstanceOfType(value)) return inputData;
        if (Array.Exists(Alternatives, t => t.IsInstanceOfType(value) || t.MakeArrayType().IsInstanceOfType(value))) return inputData;
        if (SerializedForm.For(Expected) is { } form && inputData is PSObject bag && form.IsDeserialized(bag))
        {
            // A network or dataset that came through serialization as a bag (MlpTools was imported after it arrived, or
            // its bytes were refused): rebuilt here, or refused with the engine loader's own error.
            try
            {
                return form.Rebuild(bag);
            }
            catch (MlpException ex)
            {
                t_rejected = (Parameter, Expected, bag);
                t_refusal = ex;
                return null;
            }
        }
        // Kept wrapped, so that a row's properties can be named.
        t_rejected = (Parameter, Expected, PSObject.AsPSObject(inputData));
        return null;
    }

    /// <summary>
    /// The error for the parameters of <paramref name="cmdlet"/> marked with this attribute: one given something of another
    /// type (see <see cref="TakeRejection"/>), or, unless <see cref="NullAllowed"/>, given null; else null.
    /// </summary>
    public static MlpException? Check(Type cmdlet, string command, IDictionary<string, object?> bound)
    {
        if (TakeRejection(command, bound) is { } rejected) return rejected;
        foreach (InputOfAttribute a in Marked(cmdlet))
        {
            if (!a.NullAllowed && bound.TryGetValue(a.Parameter, out object? value) && value is null)
                return new MlpException("ParameterIsNull", MlpErrorKind.InvalidArgument,
                    $"{command} -{a.Parameter} is null; give {(a.Expected == typeof(Mlp) ? "a network (from New-Mlp or Import-Mlp)" : "a dataset (from Import-Dataset or ConvertTo-Dataset)")}.", a.Parameter);
        }
        return null;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, InputOfAttribute[]> MarkedByType = new();

    private static InputOfAttribute[] Marked(Type cmdlet) => MarkedByType.GetOrAdd(cmdlet, t =>
        t.GetProperties().SelectMany(p => p.GetCustomAttributes(typeof(InputOfAttribute), inherit: true).Cast<InputOfAttribute>()).ToArray());

    /// <summary>
    /// The error for a value refused on this thread, when <paramref name="bound"/> shows it bound as null to the
    /// parameter it was refused for (a refusal left over from a command that never ran is dropped); else null.
    /// </summary>
    private static MlpException? TakeRejection(string command, IDictionary<string, object?> bound)
    {
        if (t_rejected is not { } r) return null;
        MlpException? refusal = t_refusal;
        t_rejected = null;
        t_refusal = null;
        if (!bound.TryGetValue(r.Parameter, out object? value) || value is not null) return null;
        if (refusal is not null) return refusal;
        return r.Expected == typeof(Mlp)
            ? new MlpException("InputNotANetwork", MlpErrorKind.InvalidArgument,
                $"{command} -{r.Parameter} takes a network (from New-Mlp or Import-Mlp), but it was given {Describe(r.Given)}.{Hint(r.Given, command)}", r.Given)
            : new MlpException("InputNotADataset", MlpErrorKind.InvalidArgument,
                $"{command} -{r.Parameter} takes a dataset (from Import-Dataset or ConvertTo-Dataset), but it was given {Describe(r.Given)}.{Hint(r.Given, command)}", r.Given);
    }

    private static string Describe(object given)
    {
        if (given is PSObject { BaseObject: not PSCustomObject } wrapped) given = wrapped.BaseObject;
        if (given is PSObject { BaseObject: PSCustomObject } row)
            return "a row of a table, such as Import-Csv writes (its properties: " + Properties(row) + ")";
        if (given is PSCustomObject) return "a row of a table, such as Import-Csv writes";
        if (given is string s) return "the text '" + (s.Length > 40 ? s[..37] + "..." : s) + "'";
        if (given is IEnumerable) return "a list of " + given.GetType().Name;
        return "a " + given.GetType().Name;
    }

    private static string Properties(PSObject row)
    {
        string[] names = row.Properties.Select(p => p.Name).ToArray();
        return string.Join(", ", names.Take(10)) + (names.Length > 10 ? Invariant.Format($", ... ({names.Length} in all)") : "");
    }

    private static string Hint(object given, string command)
    {
        if (given is PSObject { BaseObject: not PSCustomObject } wrapped) given = wrapped.BaseObject;
        bool rows = given is PSCustomObject || given is PSObject { BaseObject: PSCustomObject };
        if (!rows) return "";
        string label = given is PSObject row ? row.Properties.Select(p => p.Name).LastOrDefault() ?? "label" : "label";
        string rest = command switch
        {
            "New-Mlp" => " | New-Mlp -HiddenSize 16",
            "Invoke-Training" => " | New-Mlp -HiddenSize 16 | Invoke-Training",
            _ => " | " + command,
        };
        return $" Rows become one dataset with ConvertTo-Dataset: Import-Csv data.csv | ConvertTo-Dataset -LabelProperty {label}{rest}.";
    }
}
