using System.Globalization;

namespace MlpTools.Core;

/// <summary>
/// Text for people, written the same on every machine: numbers in the invariant culture. The one place MlpTools formats
/// the numbers its messages, descriptions and files show.
/// </summary>
public static class Invariant
{
    /// <summary>An interpolated string with its numbers in the invariant culture.</summary>
    public static string Format(FormattableString text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A number as a message shows a setting or a weight: the shortest general form ("0.05", "1E-08").</summary>
    public static string Number(double value) => value.ToString("G", CultureInfo.InvariantCulture);

    /// <summary>"1 sample" / "2 samples" / "1,000 samples".</summary>
    public static string Plural(long count, string noun) =>
        Format($"{count:N0} {noun}{(count == 1 ? "" : "s")}");

    /// <summary>
    /// Reads a whole number of 0 or more written as numeric text ("3", "3.0", "03", "3e0"), as a double so that a number
    /// of any size is one; false for anything else. The rule by which labels written as numbers are class numbers.
    /// </summary>
    public static bool TryParseWholeNumber(string text, out double value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = double.NaN;
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return false;
        if (!IsWholeNumber(v)) return false;
        value = v;
        return true;
    }

    /// <summary>Whether <paramref name="value"/> is a finite whole number of 0 or more.</summary>
    public static bool IsWholeNumber(double value) => double.IsFinite(value) && value >= 0 && value == Math.Floor(value);
}
