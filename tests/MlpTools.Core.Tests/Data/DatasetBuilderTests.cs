using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

public class DatasetBuilderTests
{
    private static KeyValuePair<string, object?>[] Obj(params (string Name, object? Value)[] properties) =>
        properties.Select(p => new KeyValuePair<string, object?>(p.Name, p.Value)).ToArray();

    [Fact]
    public void Import_csv_style_strings_give_the_same_dataset_as_the_csv_reader()
    {
        using var culture = new CultureScope(CultureScope.CommaDecimal());
        using var dir = new TempFolder();
        string text = "sepal_length,sepal_width,Species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n4.9,3.0,setosa\n";
        var fromCsv = CsvDatasetReader.Read(dir.Write("iris.csv", text), new CsvOptions { LabelColumn = "Species" });

        var b = new DatasetBuilder("Species", name: "iris", source: "pipeline");
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            string[] f = line.Split(',');
            b.Add(Obj(("sepal_length", f[0]), ("sepal_width", f[1]), ("Species", f[2])));
        }
        var fromObjects = b.Build();

        Assert.Equal(fromCsv.FeatureNames, fromObjects.FeatureNames);
        Assert.Equal(fromCsv.ClassNames, fromObjects.ClassNames);
        Assert.Equal(fromCsv.Labels, fromObjects.Labels);
        Assert.Equal(fromCsv.Features.ToRowArrays(), fromObjects.Features.ToRowArrays());
        Assert.Equal("iris", fromObjects.Name);
        Assert.Equal("pipeline", fromObjects.Source);
        Assert.Equal(Precision.Double, fromObjects.StoragePrecision);
    }

    [Fact]
    public void Values_of_every_numeric_type_booleans_and_numeric_labels_are_taken()
    {
        var b = new DatasetBuilder("y");
        b.Add(Obj(("i", 1), ("l", 2L), ("d", 0.5), ("f", 1.5f), ("m", 2.25m), ("by", (byte)7), ("bo", true), ("s", " 1e3 "), ("y", 2)));
        b.Add(Obj(("i", -1), ("l", -2L), ("d", -0.5), ("f", -1.5f), ("m", -2.25m), ("by", (byte)0), ("bo", false), ("s", "-4"), ("y", 0.0)));
        var d = b.Build();
        Assert.Equal(new[] { "i", "l", "d", "f", "m", "by", "bo", "s" }, d.FeatureNames);
        Assert.Equal(new[] { 1.0, 2, 0.5, 1.5, 2.25, 7, 1, 1000 }, d.Features.Row(0).ToArray());
        Assert.Equal(new[] { -1.0, -2, -0.5, -1.5, -2.25, 0, 0, -4 }, d.Features.Row(1).ToArray());
        Assert.Equal(new[] { 2, 0 }, d.Labels); // whole-number labels: class k is label k
        Assert.Equal(3, d.ClassCount);
    }

    [Fact]
    public void Later_objects_are_matched_by_name_in_any_order_and_case_with_extras_ignored()
    {
        var b = new DatasetBuilder("label", new[] { "b", "a" });
        b.Add(Obj(("a", 1), ("b", 2), ("label", "x")));
        b.Add(Obj(("LABEL", "y"), ("extra", "ignored"), ("B", 4), ("A", 3)));
        var d = b.Build();
        Assert.Equal(new[] { "b", "a" }, d.FeatureNames);
        Assert.Equal(new[] { 2.0, 1.0 }, d.Features.Row(0).ToArray());
        Assert.Equal(new[] { 4.0, 3.0 }, d.Features.Row(1).ToArray());
        Assert.Equal(new[] { "x", "y" }, d.ClassNames);
    }

    [Fact]
    public void A_refused_object_changes_nothing_so_the_caller_can_go_on()
    {
        var b = new DatasetBuilder("y");
        b.Add(Obj(("a", 1), ("y", "p")));
        Assert.Equal("ObjectInvalidNumber", Assert.Throws<MlpException>(() => b.Add(Obj(("a", "one"), ("y", "q")))).ErrorId);
        Assert.Equal("ObjectMissingLabel", Assert.Throws<MlpException>(() => b.Add(Obj(("a", 2), ("y", "")))).ErrorId);
        Assert.Equal(1, b.Count);
        b.Add(Obj(("a", 3), ("y", "r")));
        var d = b.Build();
        Assert.Equal(2, d.Count);
        Assert.Equal(new[] { "p", "r" }, d.ClassNames); // "q" never made it in
        Assert.Throws<InvalidOperationException>(() => b.Build());
    }

    [Theory]
    [InlineData("ObjectMissingValue", null)]
    [InlineData("ObjectMissingValue", "  ")]
    [InlineData("ObjectMissingValue", "NA")]
    [InlineData("ObjectNonFiniteValue", double.NaN)]
    [InlineData("ObjectNonFiniteValue", double.PositiveInfinity)]
    [InlineData("ObjectNonFiniteValue", "Infinity")]
    [InlineData("ObjectInvalidNumber", "1,5")]
    [InlineData("ObjectUnsupportedValue", 'c')]
    public void Bad_values_are_refused_with_their_ids(string errorId, object? value)
    {
        var b = new DatasetBuilder("y");
        b.Add(Obj(("a", 1), ("y", 0)));
        var e = Assert.Throws<MlpException>(() => b.Add(Obj(("a", value), ("y", 1))));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidData, e.Kind);
        Assert.Contains("Object 2, property 'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_properties_and_empty_input_are_refused_with_their_ids()
    {
        Assert.Equal("ObjectLabelPropertyNotFound", Assert.Throws<MlpException>(() => new DatasetBuilder("y").Add(Obj(("a", 1)))).ErrorId);
        Assert.Equal("ObjectFeaturePropertyNotFound", Assert.Throws<MlpException>(() => new DatasetBuilder("y", new[] { "c" }).Add(Obj(("a", 1), ("y", 0)))).ErrorId);
        Assert.Equal("ObjectNoFeatures", Assert.Throws<MlpException>(() => new DatasetBuilder("y").Add(Obj(("y", 0)))).ErrorId);
        Assert.Equal("ObjectNoRows", Assert.Throws<MlpException>(() => new DatasetBuilder("y").Build()).ErrorId);
        Assert.Equal("ObjectLabelAmongFeatures", Assert.Throws<MlpException>(() => new DatasetBuilder("y", new[] { "a", "Y" })).ErrorId);
        Assert.Equal("ObjectDuplicateFeature", Assert.Throws<MlpException>(() => new DatasetBuilder("y", new[] { "a", "A" })).ErrorId);

        var b = new DatasetBuilder("y");
        b.Add(Obj(("a", 1), ("b", 2), ("y", 0)));
        var e = Assert.Throws<MlpException>(() => b.Add(Obj(("a", 1), ("y", 0))));
        Assert.Equal("ObjectPropertyMissing", e.ErrorId);
        Assert.Contains("'b'", e.Message, StringComparison.Ordinal);
        Assert.Equal("ObjectPropertyMissing", Assert.Throws<MlpException>(() => b.Add(Obj(("a", 1), ("b", 2)))).ErrorId);
    }

    [Fact]
    public void Too_many_classes_are_refused()
    {
        var b = new DatasetBuilder("y");
        b.Add(Obj(("a", 1), ("y", 0)));
        b.Add(Obj(("a", 1), ("y", 1_000_000)));
        Assert.Equal("ObjectTooManyClasses", Assert.Throws<MlpException>(() => b.Build()).ErrorId);
    }

    [Fact]
    public void No_rows_after_every_object_was_refused_says_how_many_and_why()
    {
        Assert.Contains("No objects were given", Assert.Throws<MlpException>(() => new DatasetBuilder("y").Build()).Message, StringComparison.Ordinal);

        var b = new DatasetBuilder("y");
        Assert.Throws<MlpException>(() => b.Add(Obj(("a", "abc"), ("y", 0))));
        Assert.Throws<MlpException>(() => b.Add(Obj(("a", 1))));
        var e = Assert.Throws<MlpException>(() => b.Build());
        Assert.Equal("ObjectNoRows", e.ErrorId);
        Assert.Contains("All 2 objects given were rejected", e.Message, StringComparison.Ordinal);
        Assert.Contains("Object 1, property 'a': 'abc' is not a number", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("No objects were given", e.Message, StringComparison.Ordinal);

        var one = new DatasetBuilder("y");
        Assert.Throws<MlpException>(() => one.Add(Obj(("a", double.NaN), ("y", 0))));
        Assert.Contains("The one object given was rejected", Assert.Throws<MlpException>(() => one.Build()).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2147483647)]          // int.MaxValue
    [InlineData(3_000_000_000L)]      // beyond int
    [InlineData(9007199254740993L)]   // 2^53 + 1
    [InlineData(9007199254740993.0)]  // 2^53 + 1 as a double (it rounds to 2^53)
    [InlineData(1e300)]
    public void Whole_number_labels_at_any_size_follow_the_class_number_rule(object big)
    {
        // Every label is a whole number of 0 or more, so label k is class k: too many classes, whatever the size.
        var b = new DatasetBuilder("y");
        b.Add(Obj(("a", 1), ("y", 0)));
        b.Add(Obj(("a", 2), ("y", big)));
        var e = Assert.Throws<MlpException>(() => b.Build());
        Assert.Equal("ObjectTooManyClasses", e.ErrorId);
        Assert.Contains(DatasetBuilder.LabelText(big)!, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, new[] { "-1", "0" })]
    [InlineData(0.5, new[] { "0", "0.5" })]
    public void Labels_that_are_not_whole_numbers_of_0_or_more_name_classes(object odd, string[] classNames)
    {
        var b = new DatasetBuilder("y");
        b.Add(Obj(("a", 1), ("y", 0)));
        b.Add(Obj(("a", 2), ("y", odd)));
        Assert.Equal(classNames, b.Build().ClassNames);
    }
}
