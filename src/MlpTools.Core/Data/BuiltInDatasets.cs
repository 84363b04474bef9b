using System.Globalization;
using System.IO.Compression;
using MathNet.Numerics.Distributions;

namespace MlpTools.Core.Data;

/// <summary>The datasets that ship inside MlpTools: no download, no files.</summary>
public static class BuiltInDatasets
{
    /// <summary>The credit the Digits data's authors ask for (CC BY 4.0).</summary>
    public const string DigitsAttribution =
        "Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. " +
        "UCI Machine Learning Repository. CC BY 4.0.";

    private static readonly string[] SpiralFeatureNames = { "x", "y" };

    /// <summary>The names <see cref="Load"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "Digits", "Spiral" };

    /// <summary>
    /// 1,797 handwritten digits, 8x8 pixels, 10 classes. Pixels (0..16 in the source) are scaled to [0,1].
    /// Features are named <c>pixel_r_c</c> (row r, column c of the image); its <see cref="Dataset.ImageShape"/> is 8x8.
    /// </summary>
    public static Dataset Digits()
    {
        using Stream? resource = typeof(BuiltInDatasets).Assembly.GetManifestResourceStream("MlpTools.Core.Data.digits.csv.gz");
        if (resource is null)
            throw new MlpException("BuiltInDataMissing", MlpErrorKind.NotFound, "The built-in Digits data is missing from MlpTools.Core.dll; rebuild the module.");
        using var gz = new GZipStream(resource, CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        const int d = 64;
        var rows = new List<float>(1797 * d);
        var labels = new List<int>(1797);
        string? line;
        int lineNo = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            string[] parts = line.Split(',');
            if (parts.Length != d + 1)
                throw MlpException.InvalidData("BuiltInDataCorrupt", $"Built-in Digits line {lineNo} has {parts.Length} fields, expected {d + 1}.");
            for (int j = 0; j < d; j++)
                rows.Add(float.Parse(parts[j], NumberStyles.Float, CultureInfo.InvariantCulture) / 16f);
            labels.Add((int)double.Parse(parts[d], NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        var featureNames = new string[d];
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 8; c++) featureNames[r * 8 + c] = Invariant.Format($"pixel_{r}_{c}");
        return Dataset.FromRows(rows.ToArray(), labels.Count, d, labels.ToArray(), Dataset.DefaultClassNames(10), featureNames,
            "Digits", "Built-in: Optical Recognition of Handwritten Digits (UCI), test set, 8x8, pixels scaled to [0,1]", DigitsAttribution,
            imageShape: new ImageShape(8, 8));
    }

    /// <summary>
    /// The two-dimensional spiral of <paramref name="classCount"/> interleaved arms: arm k has radii evenly
    /// spaced over [0,1] and angles evenly spaced over [4k, 4(k+1)] plus Gaussian noise (deviation 0.2).
    /// Not linearly separable: a linear classifier gets about half of it right, a two-layer net nearly all.
    /// </summary>
    public static Dataset Spiral(int classCount = 3, int samplesPerClass = 100, int? seed = null)
    {
        MlpException.RequirePositive(classCount, "ClassCount", "InvalidClassCount");
        MlpException.RequirePositive(samplesPerClass, "SamplesPerClass", "InvalidSamplesPerClass");
        if ((long)classCount * samplesPerClass > 10_000_000)
            throw MlpException.Argument("SpiralTooLarge", $"A spiral of {classCount} x {samplesPerClass} samples is larger than 10,000,000; ask for fewer.");
        var random = Rng.Create(seed);
        int n = classCount * samplesPerClass;
        var rows = new double[n * 2];
        var labels = new int[n];
        for (int k = 0; k < classCount; k++)
        {
            for (int i = 0; i < samplesPerClass; i++)
            {
                double t01 = samplesPerClass == 1 ? 0.0 : (double)i / (samplesPerClass - 1);
                double r = t01;
                double angle = 4.0 * k + 4.0 * t01 + 0.2 * Normal.Sample(random, 0.0, 1.0);
                int row = k * samplesPerClass + i;
                rows[2 * row] = r * Math.Sin(angle);
                rows[2 * row + 1] = r * Math.Cos(angle);
                labels[row] = k;
            }
        }
        string source = Invariant.Format($"Built-in: spiral, {classCount} classes x {samplesPerClass} samples, seed {(seed.HasValue ? seed.Value.ToString(CultureInfo.InvariantCulture) : "random")}");
        return Dataset.FromRows(rows, n, 2, labels, Dataset.DefaultClassNames(classCount), SpiralFeatureNames, "Spiral", source);
    }

    /// <summary>Loads a built-in by name (case-insensitive).</summary>
    public static Dataset Load(string name, int classCount = 3, int samplesPerClass = 100, int? seed = null) =>
        name.ToUpperInvariant() switch
        {
            "DIGITS" => Digits(),
            "SPIRAL" => Spiral(classCount, samplesPerClass, seed),
            _ => throw new MlpException("UnknownDataset", MlpErrorKind.NotFound,
                $"There is no built-in dataset named '{name}'. The built-ins are: {string.Join(", ", Names)}.", name),
        };
}
