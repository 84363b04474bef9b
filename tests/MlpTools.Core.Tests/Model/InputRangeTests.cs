using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Model;

/// <summary>
/// Values a dataset holds (in double) that the network cannot hold in its precision are refused where the data meets
/// the network, naming the row, the feature and the value; values it can hold (subnormals, -0) are taken.
/// </summary>
public class InputRangeTests
{
    /// <summary>Two features, "small" and "big"; row 2 (counting from 1) holds <paramref name="value"/> in "big".</summary>
    private static Dataset Data(double value) => Dataset.FromRows(
        new[] { 0.5, 1.0, -0.25, value, 0.75, -1.0 }, 3, 2, new[] { 0, 1, 0 }, new[] { "a", "b" }, new[] { "small", "big" }, "edge");

    /// <summary>A 2-1-2 network whose weights are tiny enough that inputs near float32's limit give finite scores.</summary>
    private static Mlp Tiny(Precision precision) => Mlp.FromParameters(
        Matrix<double>.Build.DenseOfArray(new[,] { { 1e-38 }, { 1e-38 } }), Vector<double>.Build.Dense(1),
        Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, -1.0 } }), Vector<double>.Build.Dense(2), precision, new[] { "a", "b" }, new[] { "small", "big" });

    private static MlpException Refused(Action run)
    {
        var e = Assert.Throws<MlpException>(run);
        Assert.Equal("FeatureValueOutOfRange", e.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidData, e.Kind);
        return e;
    }

    public static TheoryData<string> EntryPoints => new() { "Evaluate", "Predict", "ComputeGradient", "GradientCheck", "Train", "EnsureCompatible" };

    private static void Use(string entry, Mlp net, Dataset data)
    {
        switch (entry)
        {
            case "Evaluate": net.Evaluate(data); break;
            case "Predict": net.Predict(data); break;
            case "ComputeGradient": net.ComputeGradient(data, 0.0, trace: true); break;
            case "GradientCheck": GradientChecker.Check(net, data, 0.0); break;
            case "EnsureCompatible": net.EnsureCompatible(data); break;
            default: Trainer.Train(net, data, new TrainingOptions { Epochs = 1, Seed = 1, LearningRate = 1e-3 }); break;
        }
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void A_value_beyond_float32_is_refused_by_a_single_network_naming_row_feature_and_value(string entry)
    {
        var e = Refused(() => Use(entry, Tiny(Precision.Single), Data(3.5e38)));
        Assert.Contains("Row 2 (counting from 1) of 'edge'", e.Message, StringComparison.Ordinal);
        Assert.Contains("feature 'big'", e.Message, StringComparison.Ordinal);
        Assert.Contains("3.5E+38", e.Message, StringComparison.Ordinal);
        Assert.Contains("or use Double precision", e.Message, StringComparison.Ordinal);
        Assert.Equal(3.5e38, Assert.IsType<InputValueProblem>(e.Target).Value);

        var huge = Refused(() => Use(entry, Tiny(Precision.Single), Data(1e300)));
        Assert.Contains("1E+300", huge.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void A_double_network_takes_the_same_values(string entry)
    {
        Use(entry, Tiny(Precision.Double), Data(3.5e38));
        Use(entry, Tiny(Precision.Double), Data(1e300));
    }

    [Theory]
    [InlineData(3.4028234e38)]    // float.MaxValue, as written in decimal
    [InlineData(-3.4028234e38)]
    [InlineData(3.4028235e38)]    // rounds to float.MaxValue, not to infinity
    [InlineData(1e-45)]           // float32's smallest subnormal (1.4e-45)
    [InlineData(1e-40)]           // a float32 subnormal
    [InlineData(4.9e-324)]        // float64's smallest subnormal: 0 in float32, a representable approximation
    [InlineData(-0.0)]
    public void Values_a_float32_holds_are_taken_and_the_network_sees_them_rounded_to_float32(double value)
    {
        var net = Tiny(Precision.Single);
        var data = Data(value);
        net.EnsureCompatible(data);
        Assert.True(double.IsFinite(net.Evaluate(data).Loss));
        var trace = (GradientReport<float>)net.ComputeGradient(data, 0.0, trace: true);
        Assert.Equal((float)value, trace.X![1, 1]);
        Assert.Equal(double.IsNegative(value), float.IsNegative(trace.X[1, 1]));
    }

    [Fact]
    public void Nan_and_infinity_in_a_dataset_are_refused_by_both_precisions()
    {
        foreach (Precision precision in new[] { Precision.Single, Precision.Double })
        {
            foreach (double value in new[] { double.NaN, double.PositiveInfinity })
            {
                var e = Assert.Throws<MlpException>(() => Tiny(precision).Evaluate(Data(value)));
                Assert.Equal("FeatureValueNotFinite", e.ErrorId);
                Assert.Contains("Row 2 (counting from 1) of 'edge', feature 'big'", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void The_scaled_value_is_what_is_checked()
    {
        // Raw 1e30 and -1e30 in float32 range; Standardize maps them to about +-1.2, which fits.
        var wide = Dataset.FromRows(new[] { 1e30, 0.0, -1e30, 1.0, 0.0, 0.0 }, 3, 2, new[] { 0, 1, 0 }, new[] { "a", "b" }, new[] { "x", "y" }, "wide");
        var net = Mlp.Create(2, 4, 2, Precision.Single, seed: 1);
        Trainer.Train(net, wide, new TrainingOptions { Epochs = 2, Scaling = ScalingKind.Standardize, Seed = 1 });
        Assert.True(double.IsFinite(net.Evaluate(wide).Loss));

        // A raw value float32 holds whose scaled value it does not: scale 1e-10 turns 1e30 into 1e40.
        var narrow = Tiny(Precision.Single);
        narrow.Preprocessor = new Preprocessor(ScalingKind.Standardize, new[] { 0.0, 0.0 }, new[] { 1.0, 1e-10 });
        var e = Refused(() => narrow.Evaluate(Data(1e30)));
        Assert.Contains("Row 2 (counting from 1) of 'edge', feature 'big'", e.Message, StringComparison.Ordinal);
        Assert.Contains("1E+30", e.Message, StringComparison.Ordinal);
        Assert.Contains("1E+40", e.Message, StringComparison.Ordinal);
        Assert.Contains("scaling", e.Message, StringComparison.Ordinal);
        Assert.Equal(1e40, Assert.IsType<InputValueProblem>(e.Target).ScaledValue!.Value, 1e26);

        // The same in double precision fits.
        var dbl = Tiny(Precision.Double);
        dbl.Preprocessor = narrow.Preprocessor;
        dbl.Evaluate(Data(1e30));
    }

    [Fact]
    public void Training_with_scaling_names_a_raw_value_the_network_cannot_hold_before_fitting()
    {
        var net = Mlp.Create(2, 4, 2, Precision.Single, seed: 1);
        var state = new TrainingState();
        var e = Refused(() => Trainer.Train(net, Data(1e300), new TrainingOptions { Epochs = 1, Scaling = ScalingKind.Standardize, Seed = 1 }, state: state));
        Assert.Contains("Row 2 (counting from 1) of 'edge', feature 'big'", e.Message, StringComparison.Ordinal);
        Assert.Null(net.Preprocessor); // nothing fitted to data the network refused
        Assert.Empty(state.History);
    }

    [Fact]
    public void Validation_data_is_checked_when_training_starts()
    {
        var net = Mlp.Create(2, 4, 2, Precision.Single, seed: 1);
        var state = new TrainingState();
        var e = Refused(() => Trainer.Train(net, Data(1.0), new TrainingOptions { Epochs = 1, Seed = 1 }, validation: Data(3.5e38), state: state));
        Assert.Contains("Row 2 (counting from 1) of 'edge'", e.Message, StringComparison.Ordinal);
        Assert.Empty(state.History);
    }

    [Fact]
    public void Finite_inputs_whose_scores_overflow_get_a_clear_error_from_evaluation_and_prediction()
    {
        // 3.4e38 fits in float32, but weights of 1 and 2 make the scores 6.8e38, which does not.
        Mlp Loud(Precision precision) => Mlp.FromParameters(
            Matrix<double>.Build.DenseOfArray(new[,] { { 1.0 }, { 1.0 } }), Vector<double>.Build.Dense(1),
            Matrix<double>.Build.DenseOfArray(new[,] { { 2.0, -2.0 } }), Vector<double>.Build.Dense(2), precision, new[] { "a", "b" }, new[] { "small", "big" });
        var net = Loud(Precision.Single);
        foreach (Action run in new Action[] { () => net.Evaluate(Data(3.4e38)), () => net.Predict(Data(3.4e38)), () => net.ComputeGradient(Data(3.4e38), 0, false) })
        {
            var e = Assert.Throws<MlpException>(run);
            Assert.Equal("NetworkOverflow", e.ErrorId);
            Assert.Contains("Row 2 (counting from 1) of 'edge'", e.Message, StringComparison.Ordinal);
            Assert.Contains("'big'", e.Message, StringComparison.Ordinal);
            Assert.Contains("Scaling set to Standardize", e.Message, StringComparison.Ordinal);
        }
        // A double network computes them.
        var dbl = Loud(Precision.Double);
        Assert.True(double.IsFinite(dbl.Evaluate(Data(3.4e38)).Loss));
        Assert.Equal(0, dbl.Predict(Data(3.4e38)).Predicted[1]);
    }

    [Fact]
    public void Parameters_a_single_network_cannot_hold_are_refused()
    {
        var e = Assert.Throws<MlpException>(() => Mlp.FromParameters(
            Matrix<double>.Build.DenseOfArray(new[,] { { 1.0 }, { 1e300 } }), Vector<double>.Build.Dense(1),
            Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, -1.0 } }), Vector<double>.Build.Dense(2), Precision.Single));
        Assert.Equal("NonFiniteParameter", e.ErrorId);
        Assert.Contains("W1[1,0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("1E+300", e.Message, StringComparison.Ordinal);
        Mlp.FromParameters(
            Matrix<double>.Build.DenseOfArray(new[,] { { 1.0 }, { 1e300 } }), Vector<double>.Build.Dense(1),
            Matrix<double>.Build.DenseOfArray(new[,] { { 1.0, -1.0 } }), Vector<double>.Build.Dense(2), Precision.Double);
    }

    [Fact]
    public void A_regularization_whose_gradient_term_a_single_network_cannot_hold_is_refused_up_front()
    {
        var data = Data(1.0);
        var single = Tiny(Precision.Single);
        var e = Assert.Throws<MlpException>(() => single.ComputeGradient(data, 1e300, trace: false));
        Assert.Equal("InvalidRegularization", e.ErrorId);
        Assert.Contains("1E+300", e.Message, StringComparison.Ordinal);
        Assert.Contains("Single", e.Message, StringComparison.Ordinal);

        var net = Mlp.Create(2, 4, 2, Precision.Single, seed: 1);
        var state = new TrainingState();
        var t = Assert.Throws<MlpException>(() => Trainer.Train(net, data, new TrainingOptions { Epochs = 1, Regularization = 1e300, Seed = 1 }, state: state));
        Assert.Equal("InvalidRegularization", t.ErrorId);
        Assert.Contains("Regularization (lambda) 1E+300", t.Message, StringComparison.Ordinal);
        Assert.Equal(new RegularizationProblem(1e300, 3, Precision.Single), t.Target);
        Assert.Empty(state.History);

        // A double network holds lambda / m; its gradient is finite.
        var report = Tiny(Precision.Double).ComputeGradient(data, 1e300, trace: false);
        Assert.True(double.IsFinite(report.Loss));
    }
}
