using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Inspection;

public class NetworkSummaryTests
{
    // A 3-2-2 network with parameters whose statistics are easy to work out by hand.
    private static Mlp Small(Precision precision = Precision.Double) => Mlp.FromParameters(
        Matrix<double>.Build.DenseOfArray(new double[,] { { 1, -2 }, { 3, 0 }, { -1, 5 } }),
        Vector<double>.Build.Dense(new double[] { 0.5, -0.5 }),
        Matrix<double>.Build.DenseOfArray(new double[,] { { 2, 2 }, { 2, 2 } }),
        Vector<double>.Build.Dense(new double[] { 0, 0 }),
        precision);

    [Fact]
    public void The_stages_carry_the_shapes_and_the_parameter_counts_of_the_network()
    {
        var net = Mlp.Create(64, 32, 10, seed: 1);
        NetworkSummary s = NetworkSummary.Create(net);
        Assert.Equal(new[] { "Input", "Affine", "ReLU", "Affine", "Softmax" }, s.Stages.Select(x => x.Name));
        Assert.Equal(new[] { 64, 32, 32, 10, 10 }, s.Stages.Select(x => x.Outputs));
        Assert.Equal(new long[] { 0, 64 * 32 + 32, 0, 32 * 10 + 10, 0 }, s.Stages.Select(x => x.ParameterCount));
        Assert.Equal("W1 64x32, b1 32", s.Stages[1].ParameterShapes);
        Assert.Equal("m x 10", s.Stages[4].OutputShape);
        Assert.Equal(net.ParameterCount, s.ParameterCount);
        Assert.Equal("64-32-10", s.Layers);
    }

    [Theory]
    [InlineData(Precision.Double)]
    [InlineData(Precision.Single)]
    public void Parameter_statistics_are_those_of_the_entries(Precision precision)
    {
        NetworkSummary s = NetworkSummary.Create(Small(precision));
        Assert.Equal(new[] { "W1", "b1", "W2", "b2" }, s.Parameters.Select(p => p.Name));

        ParameterStatistics w1 = s.Parameters[0];
        double[] v = { 1, 3, -1, -2, 0, 5 };
        double mean = v.Average();
        Assert.Equal((3, 2, 6), (w1.Rows, w1.Columns, w1.Count));
        Assert.Equal("3x2", w1.Shape);
        Assert.Equal(mean, w1.Mean, 12);
        Assert.Equal(Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / v.Length), w1.StandardDeviation, 12);
        Assert.Equal((-2.0, 5.0), (w1.Minimum, w1.Maximum));
        Assert.Equal(Math.Sqrt(40), w1.Norm, 12);

        ParameterStatistics b1 = s.Parameters[1];
        Assert.Equal(("2", 0.0, 0.5, -0.5, 0.5), (b1.Shape, b1.Mean, b1.StandardDeviation, b1.Minimum, b1.Maximum));
        Assert.Equal(Math.Sqrt(0.5), b1.Norm, 12);

        ParameterStatistics w2 = s.Parameters[2];
        Assert.Equal((2.0, 0.0, 4.0), (w2.Mean, w2.StandardDeviation, w2.Norm));
        Assert.Equal((0.0, 0.0, 0.0), (s.Parameters[3].Mean, s.Parameters[3].StandardDeviation, s.Parameters[3].Norm));
    }

    [Fact]
    public void A_new_network_shows_no_training()
    {
        NetworkSummary s = NetworkSummary.Create(Small());
        Assert.Equal(0, s.Epochs);
        Assert.Null(s.BestEpoch);
        Assert.Null(s.BestRecord);
        Assert.Null(s.Optimizer);
        Assert.Empty(s.OptimizerSettings);
        Assert.Null(s.LearningRate);
        Assert.Null(s.Preprocessor);
    }

    [Fact]
    public void The_text_of_a_small_network_is_laid_out_as_expected()
    {
        string expected = string.Join(Environment.NewLine,
            "Mlp 3-2-2, Double precision, 14 parameters, not trained",
            "",
            "Stage    Computes          Output  Parameters    Count",
            "Input    X                 m x 3                     0",
            "Affine   Hpre = X W1 + b1  m x 2   W1 3x2, b1 2      8",
            "ReLU     A = max(0, Hpre)  m x 2                     0",
            "Affine   Z = A W2 + b2     m x 2   W2 2x2, b2 2      6",
            "Softmax  P = softmax(Z)    m x 2                     0",
            "Total                                               14",
            "",
            "Name  Shape    Mean  StdDev      Min     Max    Norm",
            "W1    3x2    1.0000  2.3805  -2.0000  5.0000  6.3246",
            "b1    2           0  0.5000  -0.5000  0.5000  0.7071",
            "W2    2x2    2.0000       0   2.0000  2.0000  4.0000",
            "b2    2           0       0        0       0       0",
            "",
            "Preprocessing  none: the network takes the data as it is",
            "Training       none: a new network");
        Assert.Equal(expected, NetworkSummary.Create(Small()).ToString());
    }

    [Fact]
    public void A_trained_network_shows_its_training_optimizer_settings_and_best_record_within_79_columns()
    {
        var digits = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 300).ToArray());
        var split = DatasetSplitter.Split(digits, 0.2, stratify: true, seed: 1);
        var net = Mlp.Create(64, 16, 10, seed: 1);
        var options = new TrainingOptions { Epochs = 4, Seed = 1, Momentum = 0.9, Nesterov = true, LearningRate = 0.05, Scaling = ScalingKind.Standardize };
        TrainingState state = Trainer.Train(net, split.Train, options, validation: split.Test);

        NetworkSummary s = NetworkSummary.Create(net, state);
        Assert.Equal(4, s.Epochs);
        Assert.Equal(state.BestEpoch, s.BestEpoch);
        Assert.Same(state.BestRecord, s.BestRecord);
        Assert.Equal(state.StopReason, s.StopReason);
        Assert.Equal(OptimizerKind.Sgd, s.Optimizer);
        Assert.Equal(new[] { "Momentum", "Nesterov" }, s.OptimizerSettings.Select(p => p.Key));
        Assert.Equal(new object[] { 0.9, true }, s.OptimizerSettings.Select(p => p.Value));
        Assert.Equal(0.05, s.LearningRate);
        Assert.Equal(ScalingKind.Standardize, s.Preprocessor!.Kind);

        IReadOnlyList<string> lines = s.Lines();
        Assert.All(lines, l => Assert.True(l.Length <= NetworkSummary.TextWidth, $"{l.Length}: {l}"));
        Assert.Contains("Preprocessing  Standardize: x' = (x - mean) / deviation, 64 features", lines);
        Assert.Contains("Optimizer      Sgd: Momentum 0.9, Nesterov on; learning rate 0.05 (last epoch)", lines);
        Assert.Contains(lines, l => l.StartsWith("Training       4 epochs, best epoch ", StringComparison.Ordinal) && l.EndsWith("Completed 4 epochs", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith(FormattableString.Invariant($"Best record    epoch {s.BestEpoch}: loss "), StringComparison.Ordinal));
    }

    [Fact]
    public void The_training_state_gives_the_optimizer_settings_by_name_and_none_before_training()
    {
        Assert.Empty(new TrainingState().OptimizerSettings);
        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 1);
        var net = Mlp.Create(2, 10, 3, seed: 2);
        TrainingState state = Trainer.Train(net, spiral, new TrainingOptions { Epochs = 2, Seed = 3, Optimizer = OptimizerKind.Adam, Beta1 = 0.8 });
        Assert.Equal(new[] { "Beta1", "Beta2", "Epsilon" }, state.OptimizerSettings.Select(p => p.Key));
        Assert.Equal(0.8, state.OptimizerSettings[0].Value);
        Assert.Equal(new TrainingOptions().Beta2, state.OptimizerSettings[1].Value);
    }

    [Fact]
    public void After_lbfgs_the_summary_names_lbfgs_and_no_learning_rate()
    {
        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 1);
        var net = Mlp.Create(2, 10, 3, Precision.Double, seed: 2);
        TrainingState state = Trainer.Train(net, spiral, new TrainingOptions { Epochs = 3, Seed = 3 });
        Trainer.Train(net, spiral, new TrainingOptions { Epochs = 3, Optimizer = OptimizerKind.Lbfgs }, state: state);
        NetworkSummary s = NetworkSummary.Create(net, state);
        Assert.Equal(OptimizerKind.Lbfgs, s.Optimizer);
        Assert.Empty(s.OptimizerSettings);
        Assert.Null(s.LearningRate);
        Assert.Contains("Optimizer      Lbfgs", s.Lines());
    }

    [Fact]
    public void Long_text_wraps_under_its_value()
    {
        var lines = TextLayout.Labeled("Training", "one two three four five six", 8, 24).ToArray();
        Assert.Equal(new[] { "Training  one two three", "          four five six" }, lines);
        Assert.Equal(new[] { "abcde", "fghij", "k" }, TextLayout.Wrap("abcdefghijk", 5));
        Assert.Equal(new[] { "" }, TextLayout.Wrap("", 5));
    }
}
