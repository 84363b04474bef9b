using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace MlpTools.Commands;

/// <summary>
/// A pipeline object as the engine's builders take it: its properties in order, each with its value unwrapped from
/// any PSObject. A hashtable (or ordered dictionary) gives its keys and values; any other object its readable
/// properties (an Import-Csv row: its columns, values as strings).
/// </summary>
internal static class ObjectProperties
{
    public static List<KeyValuePair<string, object?>> Read(PSObject item)
    {
        if (NumericInput.Unwrap(item) is IDictionary table)
        {
            var entries = new List<KeyValuePair<string, object?>>(table.Count);
            foreach (DictionaryEntry entry in table)
                entries.Add(new(Convert.ToString(NumericInput.Unwrap(entry.Key), CultureInfo.InvariantCulture) ?? "", Value(entry.Value)));
            return entries;
        }
        var properties = new List<KeyValuePair<string, object?>>();
        foreach (PSPropertyInfo property in item.Properties)
        {
            if (property.IsGettable) properties.Add(new(property.Name, ValueOf(property)));
        }
        return properties;
    }

    /// <summary>
    /// The properties <paramref name="names"/> of an object (any case), in that order, looked up by name: for an object
    /// with many properties (an Import-Csv row of an image has hundreds) this is several times faster than
    /// <see cref="Read"/>, which lists them all. Null for a dictionary, or when a name is missing or unreadable: the
    /// caller then takes <see cref="Read"/>, whose list its error message shows.
    /// </summary>
    public static List<KeyValuePair<string, object?>>? ReadNamed(PSObject item, IReadOnlyList<string> names)
    {
        if (NumericInput.Unwrap(item) is IDictionary) return null;
        PSMemberInfoCollection<PSPropertyInfo> properties = item.Properties;
        var found = new List<KeyValuePair<string, object?>>(names.Count);
        foreach (string name in names)
        {
            PSPropertyInfo? property = properties[name];
            if (property is null || !property.IsGettable) return null;
            found.Add(new(property.Name, ValueOf(property)));
        }
        return found;
    }

    /// <summary>The value of the property <paramref name="name"/> (any case), or false when the object has none.</summary>
    public static bool TryGet(PSObject item, string name, out object? value)
    {
        if (NumericInput.Unwrap(item) is IDictionary table)
        {
            foreach (DictionaryEntry entry in table)
            {
                if (string.Equals(Convert.ToString(NumericInput.Unwrap(entry.Key), CultureInfo.InvariantCulture), name, StringComparison.OrdinalIgnoreCase))
                {
                    value = Value(entry.Value);
                    return true;
                }
            }
            value = null;
            return false;
        }
        PSPropertyInfo? property = item.Properties[name];
        if (property is null || !property.IsGettable)
        {
            value = null;
            return false;
        }
        value = ValueOf(property);
        return true;
    }

    /// <summary>A readable property's value, unwrapped; null from a getter that throws (it has no value to give).</summary>
    private static object? ValueOf(PSPropertyInfo property)
    {
        try
        {
            return Value(property.Value);
        }
        catch (GetValueException)
        {
            return null;
        }
    }

    private static object? Value(object? value)
    {
        value = NumericInput.Unwrap(value);
        return value is DBNull ? null : value;
    }
}
