using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

/// <summary>The three-way split (train, validation, test) of <see cref="DatasetSplitter"/>.</summary>
public class DatasetSplitterTests
{
    /// <summary>100 samples in classes of 50, 30 and 20; feature 0 is the row's index, so rows can be traced.</summary>
    private static Dataset Uneven()
    {
        int n = 100;
        var y = Enumerable.Range(0, n).Select(i => i < 50 ? 0 : i < 80 ? 1 : 2).ToArray();
        // Interleave the classes so original order is not class order.
        y = y.Select((_, i) => y[(i * 37) % n]).ToArray();
        var rows = Enumerable.Range(0, n).SelectMany(i => new[] { (double)i, i * 0.5 }).ToArray();
        return Dataset.FromRows(rows, n, 2, y, new[] { "a", "b", "c" }, name: "uneven");
    }

    private static int[] Ids(Dataset d) => Enumerable.Range(0, d.Count).Select(i => (int)d.Features[i, 0]).ToArray();

    [Fact]
    public void Stratified_three_way_counts_are_exact_overall_and_per_class()
    {
        var s = DatasetSplitter.Split(Uneven(), testFraction: 0.2, validationFraction: 0.1, stratify: true, seed: 42);
        Assert.NotNull(s.Validation);
        Assert.Equal(20, s.Test.Count);
        Assert.Equal(10, s.Validation!.Count);
        Assert.Equal(70, s.Train.Count);
        // Test takes 20% of each class (10, 6, 4); validation 10 of the remaining 40, 24, 16 (5, 3, 2).
        Assert.Equal(new[] { 10, 6, 4 }, s.Test.ClassCounts());
        Assert.Equal(new[] { 5, 3, 2 }, s.Validation.ClassCounts());
        Assert.Equal(new[] { 35, 21, 14 }, s.Train.ClassCounts());
        Assert.Equal("uneven (validation)", s.Validation.Name);
    }

    [Fact]
    public void Stratified_proportions_stay_within_one_sample_when_they_do_not_divide_evenly()
    {
        var d = Uneven();
        var s = DatasetSplitter.Split(d, testFraction: 0.15, validationFraction: 0.15, stratify: true, seed: 1);
        Assert.Equal(15, s.Test.Count);
        Assert.Equal(15, s.Validation!.Count);
        Assert.Equal(70, s.Train.Count);
        int[] all = d.ClassCounts();
        for (int k = 0; k < 3; k++)
        {
            Assert.InRange(s.Test.ClassCounts()[k], Math.Floor(all[k] * 0.15), Math.Ceiling(all[k] * 0.15));
            Assert.InRange(s.Validation.ClassCounts()[k], Math.Floor(all[k] * 0.15) - 1, Math.Ceiling(all[k] * 0.15) + 1);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_parts_partition_the_rows_and_keep_their_original_order(bool stratify)
    {
        var s = DatasetSplitter.Split(Uneven(), 0.25, 0.2, stratify, seed: 7);
        int[] train = Ids(s.Train), val = Ids(s.Validation!), test = Ids(s.Test);
        Assert.Equal(Enumerable.Range(0, 100), train.Concat(val).Concat(test).Order());
        foreach (int[] part in new[] { train, val, test }) Assert.Equal(part.Order(), part);
        Assert.Equal(25, test.Length);
        Assert.Equal(20, val.Length);
        // Labels travel with their rows.
        var original = Uneven().Labels;
        Assert.Equal(val.Select(i => original[i]), s.Validation!.Labels);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_same_seed_gives_the_same_split_and_another_seed_another(bool stratify)
    {
        var a = DatasetSplitter.Split(Uneven(), 0.2, 0.1, stratify, seed: 11);
        var b = DatasetSplitter.Split(Uneven(), 0.2, 0.1, stratify, seed: 11);
        var c = DatasetSplitter.Split(Uneven(), 0.2, 0.1, stratify, seed: 12);
        Assert.Equal(Ids(a.Train), Ids(b.Train));
        Assert.Equal(Ids(a.Validation!), Ids(b.Validation!));
        Assert.Equal(Ids(a.Test), Ids(b.Test));
        Assert.NotEqual(Ids(a.Test).Concat(Ids(a.Validation!)), Ids(c.Test).Concat(Ids(c.Validation!)));
    }

    [Fact]
    public void No_validation_share_means_no_validation_part()
    {
        var s = DatasetSplitter.Split(Uneven(), 0.3, seed: 1);
        Assert.Null(s.Validation);
        Assert.Equal(30, s.Test.Count);
        Assert.Equal(70, s.Train.Count);
    }

    [Fact]
    public void Impossible_fractions_are_refused_with_their_ids()
    {
        var d = Uneven();
        Assert.Equal("InvalidFraction", Assert.Throws<MlpException>(() => DatasetSplitter.Split(d, 0.6, 0.4)).ErrorId);
        Assert.Equal("InvalidFraction", Assert.Throws<MlpException>(() => DatasetSplitter.Split(d, 0.2, -0.1)).ErrorId);
        Assert.Equal("InvalidFraction", Assert.Throws<MlpException>(() => DatasetSplitter.Split(d, 0.2, double.NaN)).ErrorId);
        Assert.Equal("SplitTooSmall", Assert.Throws<MlpException>(() => DatasetSplitter.Split(d, 0.2, 0.001)).ErrorId);
    }
}
