namespace MlpTools.Core.Persistence;

/// <summary>Whether text can be written as UTF-8: the one check the model file and a dataset's bytes make of names.</summary>
internal static class UnicodeText
{
    /// <summary>
    /// The position of the first unpaired surrogate in <paramref name="text"/> (a half of a UTF-16 pair, which UTF-8
    /// cannot encode), or -1 when the text is valid Unicode.
    /// </summary>
    public static int UnpairedSurrogateAt(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return i;
        }
        return -1;
    }
}
