using System.Management.Automation;
using MlpTools.Core;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;

namespace MlpTools;

/// <summary>
/// How a network survives PowerShell serialization (<c>Export-Clixml</c>/<c>Import-Clixml</c>, <c>Start-Job</c>,
/// <c>Invoke-Command</c>): type data (module/MlpTools.Types.ps1xml) serializes a network as one property,
/// <c>ModelBytes</c>, the bytes of its model file with its training state; on the receiving side the
/// <c>Deserialized.MlpTools.Core.Model.Mlp</c> property bag is converted back to a live network by
/// <see cref="NetworkTypeConverter"/>, through <see cref="ModelFile.Load(byte[], string)"/>: every check of loading a
/// model file, no type names, no code.
/// </summary>
/// <remarks>
/// <para>
/// The receiving process must have MlpTools imported for the conversion to exist; without it the network arrives as
/// a property bag (its <c>ModelBytes</c> still holds the model, and importing MlpTools then binding it to any
/// network parameter, or <c>[MlpTools.Core.Model.Mlp]$bag</c>, converts it).
/// </para>
/// <para>
/// Both ends must apply MlpTools' type data, which PowerShell's SSH remoting client does not: New-PSSession and
/// Invoke-Command with -HostName give their sessions PowerShell's own type data only (TypeTable.LoadDefaultTypeFiles),
/// where jobs and the other transports use the caller's. So over SSH a network the caller sends is serialized as a
/// plain object, without its bytes (the remote side refuses it with <c>NetworkSerializedWithoutModel</c>, which says
/// to send CliXml text from <c>[System.Management.Automation.PSSerializer]::Serialize</c> instead), and a network the
/// remote side returns arrives with its bytes but as a bag, which network parameters and a cast convert.
/// </para>
/// </remarks>
public static class NetworkSerialization
{
    /// <summary>What the bytes are called in error messages.</summary>
    internal const string BytesName = "the serialized network";

    /// <summary>The property holding the model file's bytes, in type data and in the serialized form.</summary>
    internal const string BytesProperty = "ModelBytes";

    /// <summary>Type data's hidden <c>ModelBytes</c> property: the network's model file, with its training state.</summary>
    public static byte[] GetModelBytes(PSObject instance)
    {
        Mlp network = instance?.BaseObject as Mlp ?? throw new ArgumentException("Not a network.", nameof(instance));
        return ModelFile.ToBytes(network, PipelineState.TrainingOf(network));
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a deserialized network: a property bag named after <see cref="Mlp"/>, which
    /// carries <c>ModelBytes</c> unless it was serialized without MlpTools' type data (<see cref="Rebuild"/> says so).
    /// </summary>
    internal static bool IsDeserializedNetwork(PSObject? value) =>
        value is not null && value.BaseObject is not Mlp
        && value.TypeNames.Any(n => n.StartsWith("Deserialized.MlpTools.Core.Model.Mlp", StringComparison.Ordinal));

    /// <summary>
    /// Rebuilds the network <paramref name="value"/> carries, with its training state restored beside it.
    /// Throws <see cref="MlpException"/> (the model file's error ids) when the bytes are not a valid model.
    /// </summary>
    internal static Mlp Rebuild(PSObject value)
    {
        object? bytes = value.Properties[BytesProperty]?.Value;
        if (bytes is PSObject wrapped) bytes = wrapped.BaseObject;
        byte[] data = bytes switch
        {
            byte[] b => b,
            string s => FromBase64(s),
            null => throw MlpException.InvalidData("NetworkSerializedWithoutModel",
                $"The serialized network has no {BytesProperty}, so it carries no weights: it was serialized where MlpTools' type data did not apply. "
                + "PowerShell's SSH remoting (New-PSSession or Invoke-Command with -HostName) serializes what it sends that way. "
                + "Send the network as CliXml text instead, -ArgumentList ([System.Management.Automation.PSSerializer]::Serialize($net)), "
                + "and turn the text back into the network there, with MlpTools imported: [System.Management.Automation.PSSerializer]::Deserialize($text).",
                BytesName),
            _ => throw MlpException.InvalidData("ModelHeaderInvalid",
                $"The model file '{BytesName}' is not bytes but {bytes.GetType().Name}. It is damaged; serialize the network again.", BytesName),
        };
        SavedModel saved = ModelFile.Load(data, BytesName);
        PipelineState.SetTraining(saved.Network, saved.Training);
        return saved.Network;
    }

    /// <summary>The property a refused network's bag carries: why its bytes were refused.</summary>
    internal const string ErrorProperty = "DeserializationError";

    /// <summary>
    /// <see cref="Rebuild"/>, marking <paramref name="value"/> when its bytes are refused: PowerShell's deserializer
    /// keeps a bag it could not convert, so the bag says why (its <c>DeserializationError</c>), and
    /// converting it again (binding it to a network parameter) repeats the model file's error.
    /// </summary>
    internal static Mlp RebuildOrMark(PSObject value)
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

    private static byte[] FromBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw MlpException.InvalidData("ModelHeaderInvalid",
                $"The model file '{BytesName}' is not base64 text, so it holds no model bytes. It is damaged; serialize the network again.", BytesName);
        }
    }
}

/// <summary>
/// Converts a deserialized network (<c>Deserialized.MlpTools.Core.Model.Mlp</c>) back to a live
/// <see cref="Mlp"/>: type data names it the TypeConverter of <c>MlpTools.Core.Model.Mlp</c>, and that type the
/// TargetTypeForDeserialization of the deserialized one.
/// </summary>
public sealed class NetworkTypeConverter : PSTypeConverter
{
    /// <inheritdoc/>
    public override bool CanConvertFrom(object sourceValue, Type destinationType) =>
        sourceValue is PSObject pso && CanConvertFrom(pso, destinationType);

    /// <inheritdoc/>
    public override bool CanConvertFrom(PSObject sourceValue, Type destinationType) =>
        destinationType is not null
        && (destinationType.IsAssignableFrom(typeof(Mlp)) || typeof(Mlp).IsAssignableFrom(destinationType))
        && NetworkSerialization.IsDeserializedNetwork(sourceValue);

    /// <inheritdoc/>
    public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        sourceValue is PSObject pso ? ConvertFrom(pso, destinationType, formatProvider, ignoreCase)
            : throw new PSInvalidCastException($"Cannot convert {sourceValue?.GetType().Name ?? "null"} to a network.");

    /// <inheritdoc/>
    public override object ConvertFrom(PSObject sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase)
    {
        Mlp network = NetworkSerialization.RebuildOrMark(sourceValue);
        if (destinationType is not null && !destinationType.IsInstanceOfType(network))
            throw new PSInvalidCastException($"The serialized network is {network}, not a {destinationType.Name}.");
        return network;
    }

    /// <inheritdoc/>
    public override bool CanConvertTo(object sourceValue, Type destinationType) => false;

    /// <inheritdoc/>
    public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        throw new PSInvalidCastException("A network converts from its serialized form only.");
}
