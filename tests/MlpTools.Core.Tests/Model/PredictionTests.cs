using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Core.Tests.Model;

public class PredictionTests
{
    private static readonly string[] Classes = { "0", "1", "2" };

    [Fact]
    public void Carries_the_predicted_class_its_probability_and_whether_it_was_right()
    {
        var p = new Prediction(4, new[] { "cat", "dog" }, new[] { 0.25, 0.75 }, 1, "dog");
        Assert.Equal(4, p.Index);
        Assert.Equal("dog", p.Predicted);
        Assert.Equal(1, p.PredictedLabel);
        Assert.Equal(0.75, p.Probability);
        Assert.Equal(1, p.ActualLabel);
        Assert.True(p.Correct);
        Assert.Equal(0.25, p.ProbabilityOf("cat"));
        Assert.Equal("UnknownClass", Assert.Throws<MlpException>(() => p.ProbabilityOf("cow")).ErrorId);
    }

    [Fact]
    public void Without_a_known_class_Correct_is_null_and_an_unknown_class_is_never_right()
    {
        Assert.Null(new Prediction(0, Classes, new[] { 0.2, 0.3, 0.5 }, 2).Correct);
        var other = new Prediction(0, Classes, new[] { 0.2, 0.3, 0.5 }, 2, "seven");
        Assert.Null(other.ActualLabel);
        Assert.False(other.Correct);
    }

    [Theory]
    [InlineData("2", 2)]
    [InlineData(" 2 ", 2)]
    [InlineData("2.0", 2)]
    [InlineData("02", 2)]
    [InlineData("2.5", null)]
    [InlineData("-1", null)]
    [InlineData("3", null)]
    public void Classes_are_matched_by_name_whole_numbers_written_any_way(string name, int? expected) =>
        Assert.Equal(expected, Prediction.ClassIndex(Classes, name));

    [Fact]
    public void Its_probabilities_are_Predicts_row()
    {
        var data = Dataset.FromMatrix(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(new[,] { { 0.5, -1.0 }, { 2.0, 0.25 } }), new[] { 0, 2 }, 3);
        Mlp net = Mlp.Create(2, 4, 3, Precision.Double, seed: 1);
        (double[,] p, int[] predicted) = net.Predict(data);
        var prediction = new Prediction(1, net.ClassNames, new[] { p[1, 0], p[1, 1], p[1, 2] }, predicted[1], data.ClassNames[2]);
        Assert.Equal(p[1, predicted[1]], prediction.Probability);
        Assert.Equal(predicted[1] == 2, prediction.Correct);
    }
}
