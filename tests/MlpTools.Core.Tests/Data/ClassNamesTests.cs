using MlpTools.Core.Data;
using MlpTools.Core.Model;
using Xunit;

namespace MlpTools.Core.Tests.Data;

/// <summary>The one rule by which a class name given by a user or by data finds a class.</summary>
public class ClassNamesTests
{
    [Fact]
    public void Class_names_are_matched_one_way_everywhere()
    {
        string[] names = { "cat", "Dog", "3", "dog" };
        Assert.Equal(0, ClassNames.IndexOf(names, "cat"));
        Assert.Equal(0, ClassNames.IndexOf(names, " cat "));
        Assert.Equal(0, ClassNames.IndexOf(names, "CAT"));   // one class matches ignoring case
        Assert.Equal(1, ClassNames.IndexOf(names, "Dog"));   // exact first
        Assert.Equal(-1, ClassNames.IndexOf(names, "DOG"));  // two classes match ignoring case: neither
        Assert.Equal(2, ClassNames.IndexOf(names, "3.0"));   // a whole number written another way
        Assert.Equal(2, ClassNames.IndexOf(names, "03"));
        Assert.Equal(-1, ClassNames.IndexOf(names, "3.5"));
        Assert.True(ClassNames.AreNumbered(ClassNames.Numbered(3)));
        Assert.False(ClassNames.AreNumbered(names));
        Assert.Equal(2, Prediction.ClassIndex(names, "3.0"));
    }
}
