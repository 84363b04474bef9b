using System.Management.Automation;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;

namespace MlpTools;

/// <summary>
/// How a network survives PowerShell serialization (<see cref="SerializedForm"/>): type data serializes it as its sizes
/// and one hidden property, <c>ModelBytes</c>, the bytes of its model file with its training state; the
/// <c>Deserialized.MlpTools.Core.Model.Mlp</c> bag is converted back by <see cref="NetworkTypeConverter"/>, through
/// <see cref="ModelFile.Load(byte[], string)"/>: every check of loading a model file.
/// </summary>
public static class NetworkSerialization
{
    /// <summary>What the bytes are called in error messages.</summary>
    internal const string BytesName = "the serialized network";

    /// <summary>A network's serialized form.</summary>
    internal static SerializedForm Form { get; } = new(typeof(Mlp), "network", "ModelBytes", _ => BytesName, Load,
        truncatedId: "ModelFileTruncated", invalidId: "ModelHeaderInvalid", notSerializedId: "ModelNotSerialized",
        unserializable: "a network whose weights hold NaN or infinity cannot be", withoutTypeDataId: "NetworkSerializedWithoutModel");

    /// <summary>Type data's hidden <c>ModelBytes</c> property: the network's model file, with its training state.</summary>
    public static byte[] GetModelBytes(PSObject instance)
    {
        Mlp network = instance?.BaseObject as Mlp ?? throw new ArgumentException("Not a network.", nameof(instance));
        return ModelFile.ToBytes(network, PipelineState.TrainingOf(network));
    }

    /// <summary>
    /// Type data's hidden <c>SerializationError</c>: null, or why the network has no <c>ModelBytes</c> (a model file cannot
    /// hold it: weights that are NaN or infinite, a name that is not Unicode text), for the side that receives it.
    /// </summary>
    public static string? GetSerializationError(PSObject instance)
    {
        Mlp network = instance?.BaseObject as Mlp ?? throw new ArgumentException("Not a network.", nameof(instance));
        return SerializedForm.ErrorOf(() => ModelFile.CheckSavable(network, PipelineState.TrainingOf(network), BytesName));
    }

    /// <summary>The network a model file's bytes hold, with its training state restored beside it.</summary>
    private static Mlp Load(byte[] bytes, string name)
    {
        SavedModel saved = ModelFile.Load(bytes, name);
        PipelineState.SetTraining(saved.Network, saved.Training);
        return saved.Network;
    }
}

/// <summary>
/// Converts a deserialized network (<c>Deserialized.MlpTools.Core.Model.Mlp</c>) back to a live <see cref="Mlp"/>:
/// type data names it the TypeConverter of <c>MlpTools.Core.Model.Mlp</c>, and that type the
/// TargetTypeForDeserialization of the deserialized one.
/// </summary>
public sealed class NetworkTypeConverter : SerializedFormConverter
{
    /// <summary>The converter type data names.</summary>
    public NetworkTypeConverter()
        : base(NetworkSerialization.Form)
    {
    }
}
