using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

public class OptimizerTests
{
    private static ParameterSet<double> Filled(double value)
    {
        var p = new ParameterSet<double>(2, 2, 2);
        for (int k = 0; k < 4; k++) Array.Fill(p[k], value);
        return p;
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.RmsProp)]
    public void A_step_gives_the_next_penalty_s_weight_squares_with_the_bits_of_a_pass_of_their_own(OptimizerKind kind)
    {
        // What the training loop passes to the next batch's Forward: W1's and W2's squares after the step.
        var random = new Random(4);
        var w = new ParameterSet<float>(300, 37, 10);
        var g = new ParameterSet<float>(300, 37, 10);
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < w[k].Length; i++) (w[k][i], g[k][i]) = ((float)random.NextDouble() - 0.5f, (float)random.NextDouble() - 0.5f);
        var optimizer = Optimizer<float>.For(new TrainingOptions { Optimizer = kind, Momentum = 0.9 }, w, null);
        var squares = new MlpTools.Core.Numerics.ArraySquares[4];
        optimizer.Step(w, g, 0.01, squares: squares);
        Assert.Equal(BitConverter.DoubleToInt64Bits(FusedBackprop.WeightSquares(w)), BitConverter.DoubleToInt64Bits(FusedBackprop.WeightSquares(squares)));
        Assert.NotEqual(FusedBackprop.WeightSquares(w), squares[0].Weights + squares[1].Weights + squares[2].Weights);
    }

    [Fact]
    public void Adam_first_step_moves_each_weight_by_the_learning_rate_against_the_gradient_sign()
    {
        // With bias correction, after one step m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
        var w = Filled(1.0);
        var g = Filled(0.0);
        g.W1[0] = 3.0; g.W1[1] = -0.002; g.b2[1] = 1e-3;
        var adam = Optimizer<double>.For(new TrainingOptions { Optimizer = OptimizerKind.Adam }, w, null);
        adam.Step(w, g, 0.01);
        Assert.Equal(1.0 - 0.01 * 3.0 / (3.0 + 1e-8), w.W1[0], 15);
        Assert.Equal(1.0 + 0.01 * 0.002 / (0.002 + 1e-8), w.W1[1], 15);
        Assert.Equal(1.0 - 0.01 * 1e-3 / (1e-3 + 1e-8), w.b2[1], 15);
        Assert.Equal(1.0, w.W2[0]);
        Assert.Equal(1, adam.StepCount);
    }

    [Fact]
    public void Adam_second_step_matches_the_textbook_formula()
    {
        var w = Filled(0.5);
        var adam = Optimizer<double>.For(new TrainingOptions { Optimizer = OptimizerKind.Adam }, w, null);
        double g1 = 0.2, g2 = -0.1, lr = 0.05;
        var g = Filled(g1);
        adam.Step(w, g, lr);
        g = Filled(g2);
        adam.Step(w, g, lr);
        double m1 = 0.1 * g1, v1 = 0.001 * g1 * g1;
        double w1 = 0.5 - lr * (m1 / 0.1) / (Math.Sqrt(v1 / 0.001) + 1e-8);
        double m2 = 0.9 * m1 + 0.1 * g2, v2 = 0.999 * v1 + 0.001 * g2 * g2;
        double expected = w1 - lr * (m2 / (1 - 0.81)) / (Math.Sqrt(v2 / (1 - 0.999 * 0.999)) + 1e-8);
        Assert.Equal(expected, w.W2[3], 14);
    }

    [Fact]
    public void Nesterov_and_classical_momentum_follow_their_formulas()
    {
        foreach (bool nesterov in new[] { false, true })
        {
            var w = Filled(1.0);
            var sgd = Optimizer<double>.For(new TrainingOptions { Momentum = 0.9, Nesterov = nesterov }, w, null);
            sgd.Step(w, Filled(1.0), 0.1);
            sgd.Step(w, Filled(1.0), 0.1);
            // v1 = -0.1, v2 = -0.19. Classical: w = 1 + v1 + v2. Nesterov: w += -mu v_prev + (1 + mu) v.
            double expected = nesterov ? 1 + (1.9 * -0.1) + (-0.9 * -0.1 + 1.9 * -0.19) : 1 - 0.1 - 0.19;
            Assert.Equal(expected, w.b1[0], 14);
        }
    }

    [Fact]
    public void RmsProp_step_matches_its_formula()
    {
        var w = Filled(0.0);
        var rms = Optimizer<double>.For(new TrainingOptions { Optimizer = OptimizerKind.RmsProp }, w, null);
        rms.Step(w, Filled(2.0), 0.01);
        Assert.Equal(-0.01 * 2.0 / (Math.Sqrt(0.1 * 4.0) + 1e-8), w.W1[3], 15);
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.RmsProp)]
    [InlineData(OptimizerKind.Lbfgs)]
    public void Every_optimizer_learns_the_spiral(OptimizerKind kind)
    {
        var spiral = BuiltInDatasets.Spiral(3, 100, seed: 1);
        var net = Mlp.Create(2, 100, 3, kind == OptimizerKind.Lbfgs ? Precision.Double : Precision.Single, seed: 2);
        var o = new TrainingOptions { Optimizer = kind, Epochs = kind == OptimizerKind.Lbfgs ? 400 : 300, Regularization = 1e-3, Seed = 3 };
        // L-BFGS takes the whole set at once: a batch size or learning rate given with it is refused.
        if (kind != OptimizerKind.Lbfgs) o.BatchSize = 30;
        if (kind != OptimizerKind.Sgd && kind != OptimizerKind.Lbfgs) o.LearningRate = 0.01;
        TrainingState state = Trainer.Train(net, spiral, o);
        Assert.True(net.Evaluate(spiral).Accuracy >= 0.95, $"{kind}: {net.Evaluate(spiral).Accuracy} ({state.StopReason})");
    }

    [Fact]
    public void Class_weights_enter_the_loss_and_their_gradient_checks()
    {
        var c = TestData.Case("regularized");
        var net = c.Network(Precision.Double);
        double[] weights = { 0.5, 2.0, 1.25 };
        var plain = net.ComputeGradient(c.Data(), c.Lambda, false);
        var weighted = net.ComputeGradient(c.Data(), c.Lambda, false, weights);
        Assert.NotEqual(plain.DataLoss, weighted.DataLoss);
        // The weighted loss is the weighted mean of the per-sample losses (from PyTorch's P).
        double expected = 0;
        for (int i = 0; i < c.M; i++) expected -= weights[c.Y[i]] * Math.Log(c.P[i, c.Y[i]]);
        TestData.Close(expected / c.M, weighted.DataLoss, 1e-12, "weighted DataLoss");
        var results = GradientChecker.Check(net, c.Data(), c.Lambda, classWeights: weights);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Parameter}: {r.MaxRelativeError:E2}"));
        // And the unweighted gradient fails against the weighted loss: the check really sees the weights.
        var wrong = GradientChecker.Check(net, c.Data(), c.Lambda, classWeights: weights,
            analytic: new Dictionary<string, double[,]> { ["W2"] = ((GradientReport<double>)plain).dW2.ToArray() });
        Assert.False(wrong.Single(r => r.Parameter == "W2").Passed);
    }

    [Fact]
    public void Balanced_weights_follow_n_over_C_n_k()
    {
        var d = Dataset.FromMatrix(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(4, 1), new[] { 0, 0, 0, 1 }, 3);
        Assert.Equal(new[] { 4.0 / (3 * 3), 4.0 / 3, 0.0 }, Trainer.BalancedClassWeights(d, 3));
    }

    [Fact]
    public void Early_stopping_ends_the_run_and_leaves_the_best_weights()
    {
        var split = DatasetSplitter.Split(BuiltInDatasets.Digits(), 0.3, stratify: true, seed: 1);
        var net = (Mlp<float>)Mlp.Create(64, 32, 10, seed: 1);
        // A learning rate that overfits and wanders, and a monitor with patience 2.
        var o = new TrainingOptions { Epochs = 200, LearningRate = 0.5, Momentum = 0.9, Regularization = 0, Patience = 2, Seed = 1 };
        float[]? bestWeights = null;
        TrainingState state = Trainer.Train(net, split.Train, o, split.Test,
            new TrainingCallbacks { Improved = (n, _) => bestWeights = ((Mlp<float>)n).W1.ToColumnMajorArray() });
        Assert.StartsWith("Stopped early", state.StopReason, StringComparison.Ordinal);
        Assert.True(state.History.Count < 200);
        int best = state.BestEpoch!.Value;
        Assert.Equal(state.History.Min(h => h.ValidationLoss), state.History.Single(h => h.Epoch == best).ValidationLoss);
        Assert.Equal(best + 2, state.History[^1].Epoch);
        Assert.Equal(bestWeights, net.W1.ToColumnMajorArray());
        var eval = net.Evaluate(split.Test);
        Assert.Equal(state.History.Single(h => h.Epoch == best).ValidationLoss!.Value, eval.Loss, 12);
    }

    [Fact]
    public void Learning_rate_decays_and_reduces_on_plateau()
    {
        var spiral = BuiltInDatasets.Spiral(3, 20, seed: 1);
        var net = Mlp.Create(2, 10, 3, seed: 2);
        TrainingState state = Trainer.Train(net, spiral, new TrainingOptions { Epochs = 4, LearningRate = 0.1, LearningRateDecay = 0.5, Seed = 1 });
        Assert.Equal(new[] { 0.1, 0.05, 0.025, 0.0125 }, state.History.Select(h => h.LearningRate));

        var flat = Mlp.Create(2, 10, 3, seed: 2);
        // MinDelta so large no epoch counts as an improvement on the start: the rate halves every 2 epochs.
        TrainingState flatState = Trainer.Train(flat, spiral, new TrainingOptions { Epochs = 6, LearningRate = 0.1, PlateauPatience = 2, MinDelta = 1e9, Seed = 1 });
        Assert.Equal(new[] { 0.1, 0.1, 0.05, 0.05, 0.025, 0.025 }, flatState.History.Select(h => h.LearningRate));
        Assert.Equal(0, flatState.BestEpoch);
    }

    [Fact]
    public void A_run_that_only_makes_things_worse_gives_back_the_weights_it_started_from()
    {
        var split = DatasetSplitter.Split(BuiltInDatasets.Digits(), 0.3, stratify: true, seed: 1);
        var net = (Mlp<double>)Mlp.Create(64, 32, 10, Precision.Double, seed: 1);
        TrainingState state = Trainer.Train(net, split.Train, new TrainingOptions { Epochs = 10, Seed = 1 }, split.Test);
        double[] trained = net.W1.ToColumnMajorArray();
        double before = net.Evaluate(split.Test).Loss;
        // A far too large step: every epoch is worse than the start, but the loss stays finite (Adam's steps are bounded).
        Trainer.Train(net, split.Train, new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 1e3, Epochs = 3, Seed = 2 }, split.Test, state: state);
        Assert.Equal(10, state.BestEpoch);
        Assert.Equal(trained, net.W1.ToColumnMajorArray());
        Assert.Equal(before, net.Evaluate(split.Test).Loss);
        Assert.Equal(13, state.History.Count);
    }

    [Fact]
    public void Lbfgs_records_no_learning_rate()
    {
        var net = Mlp.Create(2, 8, 3, Precision.Double, seed: 1);
        TrainingState state = Trainer.Train(net, BuiltInDatasets.Spiral(3, 20, seed: 1), new TrainingOptions { Optimizer = OptimizerKind.Lbfgs, Epochs = 5 });
        Assert.All(state.History, h => Assert.True(double.IsNaN(h.LearningRate)));
    }

    [Fact]
    public void Monitoring_validation_without_validation_data_is_refused()
    {
        var net = Mlp.Create(2, 4, 3, seed: 1);
        var ex = Assert.Throws<MlpException>(() => Trainer.Train(net, BuiltInDatasets.Spiral(3, 5, 1), new TrainingOptions { Monitor = MonitorKind.ValidationAccuracy }));
        Assert.Equal("MonitorNeedsValidation", ex.ErrorId);
    }

    [Fact]
    public void Continued_training_keeps_the_optimizer_state()
    {
        var spiral = BuiltInDatasets.Spiral(3, 30, seed: 1);
        var once = (Mlp<double>)Mlp.Create(2, 8, 3, Precision.Double, seed: 2);
        var twice = (Mlp<double>)Mlp.Create(2, 8, 3, Precision.Double, seed: 2);
        var o = new TrainingOptions { Optimizer = OptimizerKind.Adam, Epochs = 4, BatchSize = 90, Regularization = 0, Seed = 5 };
        Trainer.Train(once, spiral, o);
        // With one batch per epoch, the shuffle does not change the batch: 2 + 2 epochs equal 4 in one run.
        var half = o.Clone();
        half.Epochs = 2;
        TrainingState state = Trainer.Train(twice, spiral, half);
        Trainer.Train(twice, spiral, half, state: state);
        Assert.Equal(4, state.OptimizerState!.StepCount);
        // Best-by-training-loss is the last epoch here (loss falls every epoch), so the weights are the final ones.
        Assert.Equal(once.W1.ToColumnMajorArray(), twice.W1.ToColumnMajorArray());
    }
}
