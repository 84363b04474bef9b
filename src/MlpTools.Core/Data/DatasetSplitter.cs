using System.Globalization;

namespace MlpTools.Core.Data;

/// <summary>The parts of a split; <see cref="Validation"/> is null when no validation share was asked for.</summary>
public sealed record DatasetSplit(Dataset Train, Dataset? Validation, Dataset Test);

/// <summary>Splits a dataset into training, (optional) validation and test parts, at random or stratified by class.</summary>
public static class DatasetSplitter
{
    /// <summary>
    /// Splits <paramref name="data"/>. The test part gets round(n * testFraction) samples and the validation part
    /// round(n * validationFraction); the rest is for training. Stratified, each class is divided in the same
    /// proportions (to within one sample, with the totals still exact). Each part keeps the original row order.
    /// </summary>
    public static DatasetSplit Split(Dataset data, double testFraction, double validationFraction = 0, bool stratify = false, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFraction(testFraction, "TestFraction", allowZero: false);
        CheckFraction(validationFraction, "ValidationFraction", allowZero: true);
        if (testFraction + validationFraction >= 1)
            throw MlpException.Argument("InvalidFraction", Invariant.Format($"TestFraction ({testFraction}) and ValidationFraction ({validationFraction}) add up to {testFraction + validationFraction}; together they must be below 1 to leave training data."));
        int n = data.Count;
        int testCount = (int)Math.Round(n * testFraction, MidpointRounding.AwayFromZero);
        int valCount = (int)Math.Round(n * validationFraction, MidpointRounding.AwayFromZero);
        if (testCount == 0 || (validationFraction > 0 && valCount == 0) || n - testCount - valCount <= 0)
            throw MlpException.InvalidData("SplitTooSmall", Invariant.Format($"'{data.Name}' has {n} samples: too few to give {testFraction} of them to test{(validationFraction > 0 ? $" and {validationFraction} to validation" : "")} and keep some for training."), n);

        var random = Rng.Create(seed);
        var part = new int[n]; // 0 train, 1 validation, 2 test
        if (stratify)
        {
            int[] labels = data.Labels;
            var byClass = Enumerable.Range(0, data.ClassCount).Select(_ => new List<int>()).ToArray();
            for (int i = 0; i < n; i++) byClass[labels[i]].Add(i);
            int[] testPerClass = Allocate(byClass.Select(c => c.Count).ToArray(), testCount);
            var remaining = byClass.Select((c, k) => c.Count - testPerClass[k]).ToArray();
            int[] valPerClass = Allocate(remaining, valCount);
            for (int k = 0; k < byClass.Length; k++)
            {
                int[] rows = byClass[k].ToArray();
                Rng.Shuffle(random, rows);
                for (int r = 0; r < testPerClass[k]; r++) part[rows[r]] = 2;
                for (int r = testPerClass[k]; r < testPerClass[k] + valPerClass[k]; r++) part[rows[r]] = 1;
            }
        }
        else
        {
            int[] rows = Enumerable.Range(0, n).ToArray();
            Rng.Shuffle(random, rows);
            for (int r = 0; r < testCount; r++) part[rows[r]] = 2;
            for (int r = testCount; r < testCount + valCount; r++) part[rows[r]] = 1;
        }

        Dataset Take(int which, string suffix) =>
            data.Subset(Enumerable.Range(0, n).Where(i => part[i] == which).ToArray(), data.Name + suffix);
        return new DatasetSplit(Take(0, " (train)"), valCount > 0 ? Take(1, " (validation)") : null, Take(2, " (test)"));
    }

    /// <summary>Divides <paramref name="total"/> among groups in proportion to their sizes, by largest remainder.</summary>
    private static int[] Allocate(int[] sizes, int total)
    {
        int sum = sizes.Sum();
        var result = new int[sizes.Length];
        if (sum == 0 || total == 0) return result;
        var remainders = new double[sizes.Length];
        int given = 0;
        for (int k = 0; k < sizes.Length; k++)
        {
            double exact = (double)sizes[k] * total / sum;
            result[k] = Math.Min((int)Math.Floor(exact), sizes[k]);
            remainders[k] = exact - result[k];
            given += result[k];
        }
        // Hand out what is left, largest remainder first (ties to the lower class index).
        foreach (int k in Enumerable.Range(0, sizes.Length).OrderByDescending(k => remainders[k]).ThenBy(k => k))
        {
            if (given >= total) break;
            if (result[k] < sizes[k]) { result[k]++; given++; }
        }
        return result;
    }

    private static void CheckFraction(double f, string name, bool allowZero)
    {
        if (!double.IsFinite(f) || f < 0 || f >= 1 || (!allowZero && f == 0))
            throw MlpException.Argument("InvalidFraction", Invariant.Format($"{name} must be {(allowZero ? "at least 0" : "above 0")} and below 1, but it is {f}."), f);
    }
}
