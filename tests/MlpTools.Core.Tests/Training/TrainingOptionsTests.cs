using System.Collections;
using System.Reflection;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Persistence;
using MlpTools.Core.Training;
using Xunit;

namespace MlpTools.Core.Tests.Training;

/// <summary>The settings of a run, described once: defaults, ranges, the optimizers each applies to, and building them by name.</summary>
public class TrainingOptionsTests
{
    [Fact]
    public void Options_come_from_a_table_of_settings_in_one_line_with_values_converted()
    {
        var o = TrainingOptions.FromSettings(new Hashtable
        {
            ["optimizer"] = "adam", ["LearningRate"] = "0.01", ["Epochs"] = 3L, ["Beta1"] = 0.5f, ["Seed"] = 7.0, ["ClassWeight"] = "Balanced",
        });
        Assert.Equal(OptimizerKind.Adam, o.Optimizer);
        Assert.Equal(0.01, o.LearningRate);
        Assert.Equal(3, o.Epochs);
        Assert.Equal(0.5, o.Beta1);
        Assert.Equal(7, o.Seed);
        Assert.True(o.ClassWeights!.IsBalanced);
        Assert.Equal(new[] { "Epochs", "Optimizer", "LearningRate", "Beta1", "ClassWeight", "Seed" }, o.Given);
        // Settings not given keep their defaults, which the table states.
        Assert.Equal(TrainingOptions.FindSetting("Beta2")!.Default, o.Beta2);
        Assert.Equal(32, new TrainingOptions().BatchSize);
    }

    [Theory]
    [InlineData("Epochs", 1.5, "InvalidEpochs")]
    [InlineData("Epochs", "many", "InvalidEpochs")]
    [InlineData("Optimizer", "Newton", "InvalidOptimizer")]
    [InlineData("Optimizer", "1", "InvalidOptimizer")]
    [InlineData("Momentum", 1.0, "InvalidMomentum")]
    [InlineData("Nesterov", "maybe", "InvalidNesterov")]
    [InlineData("Learning", 0.1, "UnknownTrainingSetting")]
    public void A_value_a_setting_does_not_accept_is_refused_by_name(string name, object value, string errorId)
    {
        var e = Assert.Throws<MlpException>(() => TrainingOptions.FromSettings(new Hashtable { [name] = value }));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(MlpErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Every_setting_is_a_property_with_its_default_and_the_optimizers_it_applies_to()
    {
        var o = new TrainingOptions();
        foreach (TrainingSetting s in TrainingOptions.Settings)
        {
            PropertyInfo? p = typeof(TrainingOptions).GetProperty(s.Name) ?? typeof(TrainingOptions).GetProperty(s.Name + "s");
            Assert.NotNull(p);
            Assert.Equal(s.Default, p!.GetValue(o));
            Assert.NotEmpty(s.AppliesTo);
        }
        // Each optimizer's own settings apply to it and are kept with its state.
        foreach (var (kind, rule) in Optimizer.Rules)
            Assert.All(rule.Settings, n => Assert.Contains(kind, TrainingOptions.FindSetting(n)!.AppliesTo));
    }

    [Theory]
    [InlineData("Momentum", 0.5, OptimizerKind.Adam)]
    [InlineData("Rho", 0.5, OptimizerKind.Sgd)]
    [InlineData("Beta2", 0.5, OptimizerKind.RmsProp)]
    [InlineData("BatchSize", 16, OptimizerKind.Lbfgs)]
    [InlineData("LearningRate", 0.1, OptimizerKind.Lbfgs)]
    public void A_setting_given_with_an_optimizer_it_does_not_apply_to_is_refused(string name, object value, OptimizerKind optimizer)
    {
        var o = new TrainingOptions { Optimizer = optimizer };
        o.Set(name, value);
        var e = Assert.Throws<MlpException>(o.Validate);
        Assert.Equal("ParameterNotApplicable", e.ErrorId);
        Assert.StartsWith($"{name} applies to ", e.Message, StringComparison.Ordinal);
        Assert.Contains(name, e.Settings);
        // Not given, the same setting is no problem: its default is not the user's choice.
        Assert.Null(Record.Exception(new TrainingOptions { Optimizer = optimizer }.Validate));
    }

    [Fact]
    public void A_clone_is_independent()
    {
        var o = new TrainingOptions { Epochs = 3, ClassWeights = ClassWeights.InClassOrder(new[] { 1.0, 2.0 }) };
        var copy = o.Clone();
        copy.Epochs = 9;
        Assert.Equal(3, o.Epochs);
        Assert.Equal(o.Given, copy.Given);
    }

    [Fact]
    public void Class_weights_are_parsed_and_resolved_against_the_classes_in_one_place()
    {
        string[] classes = { "setosa", "versicolor", "3" };
        Assert.Equal(new[] { 1.0, 2.0, 1.0 }, ClassWeights.Parse(new Hashtable { ["Versicolor"] = 2 }).Resolve(classes));
        Assert.Equal(new[] { 1.0, 1.0, 4.0 }, ClassWeights.Parse(new Hashtable { [3.0] = "4" }).Resolve(classes));
        Assert.Equal(new[] { 0.5, 1.0, 2.0 }, ClassWeights.Parse(new object[] { 0.5, 1, "2" }).Resolve(classes));
        Assert.Equal("ClassWeightUnknownClass", Assert.Throws<MlpException>(() => ClassWeights.Parse(new Hashtable { ["cat"] = 1 }).Resolve(classes)).ErrorId);
        Assert.Equal("ClassWeightCountMismatch", Assert.Throws<MlpException>(() => ClassWeights.Parse(new[] { 1.0, 2.0 }).Resolve(classes)).ErrorId);
        Assert.Equal("InvalidClassWeight", Assert.Throws<MlpException>(() => ClassWeights.Parse(new[] { 1.0, -2.0, 1.0 }).Resolve(classes)).ErrorId);
        Assert.Equal("InvalidClassWeight", Assert.Throws<MlpException>(() => ClassWeights.Parse("Equal")).ErrorId);
        Assert.Equal("InvalidClassWeight", Assert.Throws<MlpException>(() => ClassWeights.Parse(new Hashtable { ["setosa"] = "heavy" })).ErrorId);
        Assert.Equal("ClassWeightNeedsData", Assert.Throws<MlpException>(() => ClassWeights.Balanced.Resolve(classes)).ErrorId);
        var data = Dataset.FromMatrix(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(4, 1), new[] { 0, 0, 0, 1 }, 3);
        Assert.Equal(new[] { 4.0 / 9, 4.0 / 3, 0.0 }, ClassWeights.Balanced.Resolve(classes, data));
        // The gradient takes the same weights through the same checks.
        var net = Mlp.Create(1, 2, 3, Precision.Double, seed: 1);
        Assert.Equal("ClassWeightCountMismatch", Assert.Throws<MlpException>(() => net.ComputeGradient(data, 0, false, new[] { 1.0 })).ErrorId);
    }

    [Fact]
    public void The_network_holds_no_training_state_and_the_trainer_returns_it()
    {
        string[] training = { "History", "BestEpoch", "BestRecord", "StopReason", "Dataset", "Optimizer" };
        foreach (Type t in new[] { typeof(Mlp), typeof(Mlp<float>) })
            Assert.All(training, n => Assert.Null(t.GetProperty(n, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)));

        var net = Mlp.Create(2, 4, 3, seed: 1);
        TrainingState state = Trainer.Train(net, BuiltInDatasets.Spiral(3, 10, seed: 1), new TrainingOptions { Epochs = 2, Seed = 1 });
        Assert.Equal(2, state.History.Count);
        Assert.Equal(OptimizerKind.Sgd, state.Optimizer);
        TrainingState copy = state.Clone();
        Assert.Equal(state.History, copy.History);
        Assert.NotSame(state.OptimizerState, copy.OptimizerState);

        // A state from another network's training is not carried into this one's optimizer, nor saved with it.
        var other = Mlp.Create(2, 5, 3, seed: 1);
        using var folder = new Persistence.TempFolder();
        Assert.Equal("TrainingStateMismatch",
            Assert.Throws<MlpException>(() => ModelFile.Save(other, state, folder.File("m.safetensors"), overwrite: false)).ErrorId);
        Trainer.Train(other, BuiltInDatasets.Spiral(3, 10, seed: 1), new TrainingOptions { Epochs = 1, Seed = 1 }, state: state);
        Assert.Equal(3, state.History.Count);
    }
}
