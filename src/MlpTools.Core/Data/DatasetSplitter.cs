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

    /// <summary>
    /// Holds out <paramref name="fraction"/> of <paramref name="data"/> as validation data: the stratified split of
    /// <see cref="Split"/> (its test part is the validation part, named "(validation)"), as Invoke-Training's and a sweep's
    /// ValidationFraction make it.
    /// </summary>
    /// <exception cref="MlpException"><c>InvalidValidationFraction</c>, or <c>SplitTooSmall</c> when a part would be empty.</exception>
    public static (Dataset Train, Dataset Validation) HoldOutValidation(Dataset data, double fraction, int? seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(fraction > 0 && fraction < 1))
            throw new MlpException("InvalidValidationFraction", MlpErrorKind.InvalidArgument,
                Invariant.Format($"ValidationFraction must be above 0 and below 1, but it is {fraction}."), fraction);
        DatasetSplit split;
        try
        {
            split = Split(data, testFraction: fraction, stratify: true, seed: seed);
        }
        catch (MlpException ex) when (ex.ErrorId == "SplitTooSmall")
        {
            throw new MlpException("SplitTooSmall", ex.Kind, Invariant.Format($"'{data.Name}' has {Invariant.Plural(data.Count, "sample")}: too few to hold out {fraction} of them for validation and train on the rest. Use a larger ValidationFraction, or give ValidationDataset."), data.Count, ex)
                { Settings = new[] { "ValidationFraction", "ValidationDataset" } };
        }
        return (split.Train, split.Test.Renamed(data.Name + " (validation)"));
    }

    /// <summary>
    /// <paramref name="k"/> stratified folds for cross-validation: each class's samples, shuffled with
    /// <paramref name="seed"/>, are dealt to the folds in turn (the count carrying on from class to class), so every fold
    /// holds each class in proportion, to within one sample, and the fold sizes differ by at most one. Fold f's pair is
    /// (every other fold, fold f); each part keeps the original row order.
    /// </summary>
    public static IReadOnlyList<(Dataset Train, Dataset Validation)> Folds(Dataset data, int k, int? seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (k < 2)
            throw MlpException.Argument("InvalidFoldCount", Invariant.Format($"Folds must be at least 2 (each fold is scored by a network trained on the others), but it is {k}."), k);
        if (k > data.Count)
            throw MlpException.InvalidData("SplitTooSmall", Invariant.Format($"'{data.Name}' has {Invariant.Plural(data.Count, "sample")}: too few for {k} folds. Use at most {data.Count} folds."), data.Count);
        var random = Rng.Create(seed);
        int[] labels = data.Labels;
        var byClass = Enumerable.Range(0, data.ClassCount).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < labels.Length; i++) byClass[labels[i]].Add(i);
        var fold = new int[data.Count];
        int dealt = 0;
        foreach (List<int> members in byClass)
        {
            int[] rows = members.ToArray();
            Rng.Shuffle(random, rows);
            foreach (int row in rows) fold[row] = dealt++ % k;
        }
        var parts = new (Dataset, Dataset)[k];
        for (int f = 0; f < k; f++)
        {
            int current = f;
            int[] train = Enumerable.Range(0, data.Count).Where(i => fold[i] != current).ToArray();
            int[] held = Enumerable.Range(0, data.Count).Where(i => fold[i] == current).ToArray();
            parts[f] = (data.Subset(train, Invariant.Format($"{data.Name} (fold {f + 1} of {k}, train)")),
                        data.Subset(held, Invariant.Format($"{data.Name} (fold {f + 1} of {k}, validation)")));
        }
        return parts;
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
