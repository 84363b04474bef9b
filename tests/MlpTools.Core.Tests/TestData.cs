using System.Globalization;
using System.Text.Json;
using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Core.Tests;

/// <summary>One case of tests/reference/backprop_cases.json: inputs and PyTorch's float64 answers.</summary>
public sealed record ReferenceCase(string Name, int M, int D, int H, int C, double Lambda,
    double[,] X, int[] Y, double[,] W1, double[] B1, double[,] W2, double[] B2,
    double[,] Hpre, double[,] A, double[,] Z, double[,] P, double DataLoss, double RegLoss, double Loss,
    double[,] DW1, double[] DB1, double[,] DW2, double[] DB2)
{
    public override string ToString() => Name;

    public Mlp Network(Precision precision) => Mlp.FromParameters(
        Matrix<double>.Build.DenseOfArray(W1), Vector<double>.Build.DenseOfArray(B1),
        Matrix<double>.Build.DenseOfArray(W2), Vector<double>.Build.DenseOfArray(B2), precision);

    public Dataset Data() => Dataset.FromMatrix(Matrix<double>.Build.DenseOfArray(X), Y, C);
}

internal static class TestData
{
    private static readonly Lazy<IReadOnlyList<ReferenceCase>> Cases = new(Load);

    public static IReadOnlyList<ReferenceCase> ReferenceCases => Cases.Value;

    public static IEnumerable<object[]> CaseNames => ReferenceCases.Select(c => new object[] { c.Name });

    public static ReferenceCase Case(string name) => ReferenceCases.Single(c => c.Name == name);

    private static List<ReferenceCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "reference", "backprop_cases.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var list = new List<ReferenceCase>();
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            list.Add(new ReferenceCase(
                e.GetProperty("name").GetString()!, e.GetProperty("m").GetInt32(), e.GetProperty("d").GetInt32(),
                e.GetProperty("h").GetInt32(), e.GetProperty("c").GetInt32(), e.GetProperty("lam").GetDouble(),
                M2(e, "X"), e.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
                M2(e, "W1"), V(e, "b1"), M2(e, "W2"), V(e, "b2"),
                M2(e, "Hpre"), M2(e, "A"), M2(e, "Z"), M2(e, "P"),
                e.GetProperty("dataLoss").GetDouble(), e.GetProperty("regLoss").GetDouble(), e.GetProperty("loss").GetDouble(),
                M2(e, "dW1"), V(e, "db1"), M2(e, "dW2"), V(e, "db2")));
        }
        return list;
    }

    private static double[] V(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static double[,] M2(JsonElement e, string name)
    {
        var rows = e.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var result = new double[rows.Length, rows.Length == 0 ? 0 : rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) result[i, j] = rows[i][j];
        return result;
    }

    /// <summary>
    /// Asserts |actual - expected| &lt;= tol * max(|expected|, 1e-3) entry by entry (relative, with a small
    /// absolute floor for entries near zero), naming the entry that fails.
    /// </summary>
    public static void Close(double[,] expected, Matrix<double> actual, double tol, string what)
    {
        Assert.Equal(expected.GetLength(0), actual.RowCount);
        Assert.Equal(expected.GetLength(1), actual.ColumnCount);
        for (int i = 0; i < actual.RowCount; i++)
            for (int j = 0; j < actual.ColumnCount; j++)
                Close(expected[i, j], actual[i, j], tol, string.Create(CultureInfo.InvariantCulture, $"{what}[{i},{j}]"));
    }

    public static void Close(double[] expected, Vector<double> actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < actual.Count; i++) Close(expected[i], actual[i], tol, string.Create(CultureInfo.InvariantCulture, $"{what}[{i}]"));
    }

    public static void Close(double expected, double actual, double tol, string what)
    {
        double err = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-3);
        Assert.True(err <= tol, string.Create(CultureInfo.InvariantCulture, $"{what}: expected {expected:R}, got {actual:R} (relative error {err:E2} > {tol:E0})"));
    }
}
