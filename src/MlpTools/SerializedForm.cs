using System.Management.Automation;
using MlpTools.Core;

namespace MlpTools;

/// <summary>
/// How one kind of MlpTools object survives PowerShell serialization (<c>Export-Clixml</c>/<c>Import-Clixml</c>,
/// <c>Start-Job</c>, <c>Invoke-Command</c>): type data (module/MlpTools.Types.ps1xml) serializes it as a few readable
/// sizes and one hidden property, <see cref="BytesProperty"/>, holding its engine byte form; on the receiving side the
/// <c>Deserialized.</c> property bag is converted back to a live object by a <see cref="SerializedFormConverter"/>,
/// through the engine's byte entry point, with every check it makes. No type names, no code.
/// </summary>
/// <remarks>
/// The receiving process must have MlpTools imported for the conversion to exist; without it the object arrives as a
/// property bag (its bytes still hold it, and importing MlpTools then binding it to a parameter of its type, or casting
/// it, converts it). A bag whose bytes were refused says why in its <see cref="ErrorProperty"/>, and every parameter of
/// its type refuses it with the engine's error.
/// </remarks>
internal sealed class SerializedForm
{
    /// <summary>The property a refused bag carries: why its bytes were refused.</summary>
    internal const string ErrorProperty = "DeserializationError";

    /// <summary>
    /// The property type data serializes beside the bytes: null, or why the object could not be made into bytes. A
    /// property whose getter throws is left out of the serialized object without a word, so the bytes' getter cannot
    /// say it; this one does, and a bag without bytes repeats it where it arrives.
    /// </summary>
    internal const string SerializationErrorProperty = "SerializationError";

    private readonly Func<PSObject, string> _bytesName;
    private readonly Func<byte[], string, object> _load;
    private readonly string _unserializable;

    /// <param name="type">The live type.</param>
    /// <param name="noun">What it is called in messages: "network".</param>
    /// <param name="bytesProperty">The hidden property holding its bytes.</param>
    /// <param name="bytesName">Names the bytes a bag carries, in messages, as the engine's loader takes a name.</param>
    /// <param name="load">The engine's byte entry point: the bytes and their name in; the live object out, or an <see cref="MlpException"/>.</param>
    /// <param name="truncatedId">The loader's error id for bytes cut short (a bag whose bytes are empty).</param>
    /// <param name="invalidId">The loader's error id for bytes that are not its form (a bag whose bytes are not bytes).</param>
    /// <param name="notSerializedId">The error id for a bag that arrived without bytes, as one that could not be serialized does.</param>
    /// <param name="unserializable">What cannot be serialized, for the message about a bag without bytes that does not say why.</param>
    /// <param name="withoutTypeDataId">
    /// The error id for a bag serialized where MlpTools' type data did not apply (neither its bytes nor its
    /// SerializationError were sent), as PowerShell's SSH remoting client serializes what it sends.
    /// </param>
    public SerializedForm(Type type, string noun, string bytesProperty, Func<PSObject, string> bytesName,
        Func<byte[], string, object> load, string truncatedId, string invalidId, string notSerializedId, string unserializable,
        string withoutTypeDataId)
    {
        NotSerializedId = notSerializedId;
        WithoutTypeDataId = withoutTypeDataId;
        _unserializable = unserializable;
        Type = type;
        Noun = noun;
        BytesProperty = bytesProperty;
        _bytesName = bytesName;
        _load = load;
        TruncatedId = truncatedId;
        InvalidId = invalidId;
        DeserializedTypeName = "Deserialized." + type.FullName;
    }

    /// <summary>The live type.</summary>
    public Type Type { get; }

    /// <summary>What it is called in messages.</summary>
    public string Noun { get; }

    /// <summary>The hidden property holding its bytes, in type data and in the serialized form.</summary>
    public string BytesProperty { get; }

    /// <summary>The first type name of its deserialized bag (a generic type's name goes on with its arguments).</summary>
    public string DeserializedTypeName { get; }

    private string TruncatedId { get; }

    private string InvalidId { get; }

    private string NotSerializedId { get; }

    private string WithoutTypeDataId { get; }

    /// <summary>The serialized form of the values a parameter of type <paramref name="type"/> takes, if it has one.</summary>
    public static SerializedForm? For(Type type) =>
        type == NetworkSerialization.Form.Type ? NetworkSerialization.Form
        : type == DatasetSerialization.Form.Type ? DatasetSerialization.Form
        : null;

    /// <summary>
    /// Whether <paramref name="value"/> is a deserialized object of this kind: a property bag named after its type, with
    /// its bytes or without them (one that could not be serialized, refused by <see cref="Rebuild"/> saying why).
    /// </summary>
    public bool IsDeserialized(PSObject? value) =>
        value is not null && !Type.IsInstanceOfType(value.BaseObject)
        && value.TypeNames.Any(n => n == DeserializedTypeName || n.StartsWith(DeserializedTypeName + "`", StringComparison.Ordinal));

    /// <summary>
    /// Type data's hidden <c>SerializationError</c>: null when <paramref name="check"/> (the engine's check that an
    /// object can be made into bytes) passes, else its message.
    /// </summary>
    public static string? ErrorOf(Action check)
    {
        try
        {
            check();
            return null;
        }
        catch (MlpException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Rebuilds the object <paramref name="value"/> carries. Throws <see cref="MlpException"/> (the engine loader's error
    /// ids) when its bytes are not a valid one, and <c>DependencyVersionConflict</c> in a session where MlpTools cannot
    /// run (<see cref="SharedDependencies"/>), rather than a FileLoadException from within.
    /// </summary>
    public object Rebuild(PSObject value)
    {
        if (SharedDependencies.Refusal() is { } refusal)
            throw new MlpException(SharedDependencies.ConflictErrorId, MlpErrorKind.InvalidOperation, refusal.Exception.Message);
        string name = _bytesName(value);
        if (value.Properties[BytesProperty] is null) throw NotSerialized(value, name);
        object? bytes = value.Properties[BytesProperty].Value;
        if (bytes is PSObject wrapped) bytes = wrapped.BaseObject;
        byte[] data = bytes switch
        {
            byte[] b => b,
            string s => FromBase64(s, name),
            null => throw MlpException.InvalidData(TruncatedId,
                $"{Subject(name)} is empty: the serialized object's {BytesProperty} holds nothing. It is damaged; serialize the {Noun} again.", name),
            _ => throw MlpException.InvalidData(InvalidId,
                $"{Subject(name)} is not bytes but {bytes.GetType().Name}. It is damaged; serialize the {Noun} again.", name),
        };
        return _load(data, name);
    }

    /// <summary>
    /// <see cref="Rebuild"/>, marking <paramref name="value"/> when its bytes are refused: PowerShell's deserializer keeps
    /// a bag it could not convert, so the bag says why (its <c>DeserializationError</c>), and converting it again
    /// (binding it to a parameter) repeats the engine's error.
    /// </summary>
    public object RebuildOrMark(PSObject value)
    {
        try
        {
            return Rebuild(value);
        }
        catch (MlpException ex)
        {
            if (value.Properties[ErrorProperty] is null)
                value.Properties.Add(new PSNoteProperty(ErrorProperty, ex.Message));
            throw new PSInvalidCastException(ex.Message, ex);
        }
    }

    /// <summary>The error for a bag without bytes: why its object could not be serialized, as it says, or what may have happened.</summary>
    private MlpException NotSerialized(PSObject value, string name)
    {
        if (value.Properties[SerializationErrorProperty] is null)
        {
            // Type data sends the bytes, or else why there are none; with neither, it did not apply where this was
            // serialized. PowerShell's SSH remoting client gives its sessions PowerShell's own type data only
            // (TypeTable.LoadDefaultTypeFiles), so what it sends arrives so.
            string variable = Type == typeof(Core.Model.Mlp) ? "$net" : "$data";
            return MlpException.InvalidData(WithoutTypeDataId,
                $"{Subject(name)} has no {BytesProperty}, so it carries no {Noun}: it was serialized where MlpTools' type data did not apply. "
                + "PowerShell's SSH remoting (New-PSSession or Invoke-Command with -HostName) serializes what it sends that way. "
                + $"Send it as CliXml text instead, -ArgumentList ([System.Management.Automation.PSSerializer]::Serialize({variable})), "
                + "and turn the text back there, with MlpTools imported: [System.Management.Automation.PSSerializer]::Deserialize($text).",
                name);
        }
        string reason = value.Properties[SerializationErrorProperty]?.Value is string s && s.Length > 0
            ? s
            : $"It does not say why: {_unserializable}, or its {BytesProperty} was lost on the way. Check the {Noun} where it came from, and send it again.";
        return MlpException.InvalidData(NotSerializedId,
            $"{Subject(name)} has no {BytesProperty}: the {Noun} could not be serialized where it came from. {reason}", name);
    }

    private byte[] FromBase64(string text, string name)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw MlpException.InvalidData(InvalidId,
                $"{Subject(name)} is not base64 text, so it holds no bytes. It is damaged; serialize the {Noun} again.", name);
        }
    }

    /// <summary>"the serialized network" as the start of a sentence.</summary>
    private static string Subject(string name) => char.ToUpperInvariant(name[0]) + name[1..];
}

/// <summary>
/// Converts a deserialized MlpTools object (a <c>Deserialized.</c> property bag) back to a live one: type data names a
/// subclass the TypeConverter of the live type, and the live type the TargetTypeForDeserialization of the deserialized one.
/// </summary>
public abstract class SerializedFormConverter : PSTypeConverter
{
    private readonly SerializedForm _form;

    private protected SerializedFormConverter(SerializedForm form) => _form = form;

    /// <inheritdoc/>
    public override bool CanConvertFrom(object sourceValue, Type destinationType) =>
        sourceValue is PSObject pso && CanConvertFrom(pso, destinationType);

    /// <inheritdoc/>
    public override bool CanConvertFrom(PSObject sourceValue, Type destinationType) =>
        destinationType is not null
        && (destinationType.IsAssignableFrom(_form.Type) || _form.Type.IsAssignableFrom(destinationType))
        && _form.IsDeserialized(sourceValue);

    /// <inheritdoc/>
    public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        sourceValue is PSObject pso ? ConvertFrom(pso, destinationType, formatProvider, ignoreCase)
            : throw new PSInvalidCastException($"Cannot convert {sourceValue?.GetType().Name ?? "null"} to a {_form.Noun}.");

    /// <inheritdoc/>
    public override object ConvertFrom(PSObject sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
    {
        object live = _form.RebuildOrMark(sourceValue);
        if (destinationType is not null && !destinationType.IsInstanceOfType(live))
            throw new PSInvalidCastException($"The serialized {_form.Noun} is {live}, not a {destinationType.Name}.");
        return live;
    }

    /// <inheritdoc/>
    public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

    /// <inheritdoc/>
    public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        throw new PSInvalidCastException($"A {_form.Noun} converts from its serialized form only.");
}
