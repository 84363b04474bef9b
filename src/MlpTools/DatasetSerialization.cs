using System.Management.Automation;
using MlpTools.Core.Data;
using MlpTools.Core.Persistence;

namespace MlpTools;

/// <summary>
/// How a dataset survives PowerShell serialization (<see cref="SerializedForm"/>): type data serializes it as its name
/// and sizes and one hidden property, <c>DatasetBytes</c>, the bytes <see cref="DatasetBytes.ToBytes"/> makes of it; the
/// <c>Deserialized.MlpTools.Core.Data.Dataset</c> bag is converted back by <see cref="DatasetTypeConverter"/>, through
/// <see cref="DatasetBytes.Load(byte[], string)"/>, with every check it makes.
/// </summary>
public static class DatasetSerialization
{
    /// <summary>A dataset's serialized form.</summary>
    internal static SerializedForm Form { get; } = new(typeof(Dataset), "dataset", "DatasetBytes", BytesName, DatasetBytes.Load,
        truncatedId: "DatasetBytesTruncated", invalidId: "DatasetHeaderInvalid", notSerializedId: "DatasetNotSerialized",
        unserializable: "a dataset with a name that is not Unicode text, or too large for one block of bytes, cannot be", withoutTypeDataId: "DatasetSerializedWithoutBytes");

    /// <summary>Type data's hidden <c>DatasetBytes</c> property: everything the dataset holds, bit for bit.</summary>
    public static byte[] GetDatasetBytes(PSObject instance)
    {
        Dataset dataset = instance?.BaseObject as Dataset ?? throw new ArgumentException("Not a dataset.", nameof(instance));
        return DatasetBytes.ToBytes(dataset);
    }

    /// <summary>
    /// Type data's hidden <c>SerializationError</c>: null, or why the dataset has no <c>DatasetBytes</c> (a name that is
    /// not Unicode text, more bytes than one array holds), for the side that receives it.
    /// </summary>
    public static string? GetSerializationError(PSObject instance)
    {
        Dataset dataset = instance?.BaseObject as Dataset ?? throw new ArgumentException("Not a dataset.", nameof(instance));
        return SerializedForm.ErrorOf(() => DatasetBytes.CheckSerializable(dataset));
    }

    /// <summary>What the bytes a bag carries are called in messages: "the serialized dataset 'Digits'", by the name it carries beside them.</summary>
    private static string BytesName(PSObject bag) =>
        bag.Properties["Name"]?.Value is string name && name.Length > 0 ? $"the serialized dataset '{name}'" : "the serialized dataset";
}

/// <summary>
/// Converts a deserialized dataset (<c>Deserialized.MlpTools.Core.Data.Dataset</c>) back to a live <see cref="Dataset"/>:
/// type data names it the TypeConverter of <c>MlpTools.Core.Data.Dataset</c>, and that type the
/// TargetTypeForDeserialization of the deserialized one.
/// </summary>
public sealed class DatasetTypeConverter : SerializedFormConverter
{
    /// <summary>The converter type data names.</summary>
    public DatasetTypeConverter()
        : base(DatasetSerialization.Form)
    {
    }
}
