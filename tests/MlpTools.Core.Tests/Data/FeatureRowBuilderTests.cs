using MlpTools.Core.Data;

namespace MlpTools.Core.Tests.Data;

public class FeatureRowBuilderTests
{
    private static readonly string[] Classes = { "a", "b" };

    private static KeyValuePair<string, object?>[] Obj(params (string Name, object? Value)[] properties) =>
        properties.Select(p => new KeyValuePair<string, object?>(p.Name, p.Value)).ToArray();

    [Fact]
    public void Objects_are_matched_to_the_features_by_name_in_any_order_and_case_with_extras_ignored()
    {
        using var culture = new CultureScope(CultureScope.CommaDecimal());
        var b = new FeatureRowBuilder(new[] { "x", "y" }, Classes);
        b.Add(Obj(("id", "p1"), ("y", "0.5"), ("x", 1)), 1);
        b.Add(Obj(("Y", 2.5f), ("X", true)), 2);
        b.Add(Obj(("x", 3m), ("y", (byte)4), ("more", null)), 3);
        Assert.Equal(3, b.Count);
        Dataset d = b.TakeBatch()!;
        Assert.Equal(new[] { "x", "y" }, d.FeatureNames);
        Assert.Equal(Classes, d.ClassNames);
        Assert.Equal(new[] { 0, 0, 0 }, d.Labels);
        Assert.Equal(new[] { new[] { 1.0, 0.5 }, new[] { 1.0, 2.5 }, new[] { 3.0, 4.0 } }, d.Features.ToRowArrays());
    }

    [Fact]
    public void Batches_are_handed_over_one_at_a_time()
    {
        var b = new FeatureRowBuilder(new[] { "x" }, Classes);
        Assert.Null(b.TakeBatch());
        b.Add(Obj(("x", 1)), 1);
        Assert.Equal(1, b.TakeBatch()!.Count);
        Assert.Equal(0, b.Count);
        b.Add(Obj(("x", 2)), 2);
        b.Add(Obj(("x", 3)), 3);
        Assert.Equal(new[] { 2.0, 3.0 }, b.TakeBatch()!.Features.Column(0).ToArray());
    }

    [Fact]
    public void A_missing_feature_is_named_and_a_refused_object_changes_nothing()
    {
        var b = new FeatureRowBuilder(new[] { "x", "y" }, Classes);
        b.Add(Obj(("x", 1), ("y", 2)), 1);
        var missing = Assert.Throws<MlpException>(() => b.Add(Obj(("x", 1), ("z", 2)), 2));
        Assert.Equal("ObjectFeaturePropertyNotFound", missing.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidData, missing.Kind);
        Assert.StartsWith("Object 2 has no property 'y', which the network needs as a feature. Its properties are: 'x', 'z'.", missing.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<MlpException>(() => b.Add(Obj(("x", 1), ("y", "n/a?")), 3));
        Assert.Equal("ObjectInvalidNumber", bad.ErrorId);
        Assert.Equal("ObjectMissingValue", Assert.Throws<MlpException>(() => b.Add(Obj(("x", null), ("y", 1)), 4)).ErrorId);
        Assert.Equal("ObjectNonFiniteValue", Assert.Throws<MlpException>(() => b.Add(Obj(("x", double.NaN), ("y", 1)), 5)).ErrorId);
        Assert.Equal(1, b.Count);
        b.Add(Obj(("y", 4), ("x", 3)), 6);
        Assert.Equal(new[] { new[] { 1.0, 2.0 }, new[] { 3.0, 4.0 } }, b.TakeBatch()!.Features.ToRowArrays());
    }

    [Fact]
    public void Many_features_are_found_by_lookup()
    {
        string[] names = Enumerable.Range(0, 50).Select(i => $"f{i}").ToArray();
        var b = new FeatureRowBuilder(names, Classes);
        b.Add(names.Reverse().Select((n, i) => new KeyValuePair<string, object?>(n.ToUpperInvariant(), 49 - i)).ToArray(), 1);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (double)i), b.TakeBatch()!.Features.Row(0).ToArray());
    }
}
