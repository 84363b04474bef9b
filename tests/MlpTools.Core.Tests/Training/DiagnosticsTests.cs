using MathNet.Numerics.LinearAlgebra;
using MlpTools.Core.Data;
using MlpTools.Core.Inspection;
using MlpTools.Core.Model;
using MlpTools.Core.Training;

namespace MlpTools.Core.Tests.Training;

/// <summary>
/// Each epoch's <see cref="TrainingDiagnostics"/>: recorded by every optimizer, free of any effect on training, and
/// equal to what a direct computation from the weights, gradients and pre-activations gives.
/// </summary>
public class DiagnosticsTests
{
    private static Matrix<double> M(int rows, int cols, Random random, double scale) =>
        Matrix<double>.Build.Dense(rows, cols, (_, _) => scale * (random.NextDouble() * 2 - 1));

    private static MathNet.Numerics.LinearAlgebra.Vector<double> V(params double[] values) => MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(values);

    /// <summary>The network's four parameters, in double.</summary>
    private static (Matrix<double> W1, MathNet.Numerics.LinearAlgebra.Vector<double> b1, Matrix<double> W2, MathNet.Numerics.LinearAlgebra.Vector<double> b2) Parameters(Mlp net)
    {
        Mlp<double> d = net.ToDouble();
        return (d.W1.Clone(), d.b1.Clone(), d.W2.Clone(), d.b2.Clone());
    }

    private static double[] Norms(Mlp net)
    {
        var p = Parameters(net);
        return new[] { p.W1.FrobeniusNorm(), p.b1.L2Norm(), p.W2.FrobeniusNorm(), p.b2.L2Norm() };
    }

    private static double[] Distances(Mlp a, Mlp b)
    {
        var p = Parameters(a);
        var q = Parameters(b);
        return new[] { (p.W1 - q.W1).FrobeniusNorm(), (p.b1 - q.b1).L2Norm(), (p.W2 - q.W2).FrobeniusNorm(), (p.b2 - q.b2).L2Norm() };
    }

    private static double[] GradientNorms(Mlp net, Dataset data, double lambda)
    {
        var g = (GradientReport<double>)net.ToDouble().ComputeGradient(data, lambda, trace: false);
        return new[] { g.dW1.FrobeniusNorm(), g.db1.L2Norm(), g.dW2.FrobeniusNorm(), g.db2.L2Norm() };
    }

    private static ParameterDiagnostics[] Each(TrainingDiagnostics d) => new[] { d.W1, d.b1, d.W2, d.b2 };

    private static void Close(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R}");

    private static float[] Bits(Mlp net)
    {
        var p = Parameters(net);
        return p.W1.ToColumnMajorArray().Concat(p.b1.ToArray()).Concat(p.W2.ToColumnMajorArray()).Concat(p.b2.ToArray()).Select(x => (float)x).ToArray();
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, Precision.Single)]
    [InlineData(OptimizerKind.Sgd, Precision.Double)]
    [InlineData(OptimizerKind.Adam, Precision.Single)]
    [InlineData(OptimizerKind.RmsProp, Precision.Double)]
    [InlineData(OptimizerKind.Lbfgs, Precision.Single)]
    public void Every_epoch_records_diagnostics_and_recording_them_changes_no_bit_of_training(OptimizerKind optimizer, Precision precision)
    {
        var digits = BuiltInDatasets.Digits().Subset(Enumerable.Range(0, 300).ToArray());
        var on = Mlp.Create(64, 16, 10, precision, seed: 3);
        var off = Mlp.Create(64, 16, 10, precision, seed: 3);
        var options = new TrainingOptions { Epochs = 3, Seed = 5, Optimizer = optimizer };
        TrainingState withThem = Trainer.Train(on, digits, options);
        var without = options.Clone();
        without.RecordDiagnostics = false;
        TrainingState withoutThem = Trainer.Train(off, digits, without);

        Assert.Equal(Bits(off), Bits(on));
        Assert.Equal(withoutThem.History.Select(r => r.Loss), withThem.History.Select(r => r.Loss));
        Assert.Equal(withoutThem.History.Select(r => r.GradientNormW1), withThem.History.Select(r => r.GradientNormW1));
        Assert.All(withoutThem.History, r => Assert.Null(r.Diagnostics));
        Assert.Equal(3, withThem.History.Count);
        foreach (EpochRecord r in withThem.History)
        {
            TrainingDiagnostics d = r.Diagnostics!;
            Assert.NotNull(d);
            // The epoch record's gradient norms are the diagnostics' own.
            Assert.Equal(r.GradientNormW1, d.W1.GradientNorm);
            Assert.Equal(r.GradientNormW2, d.W2.GradientNorm);
            Assert.All(Each(d), p => Assert.True(p.GradientNorm > 0, p.ToString()));
            // Biases start at zero; an L-BFGS evaluation that no step led to holds them still.
            Assert.All(new[] { d.W1, d.W2 }, p => Assert.True(p.WeightNorm > 0, p.ToString()));
            Assert.InRange(d.DeadUnitShare, 0, 1);
            Assert.InRange(d.ZeroActivationShare, 0, 1);
            bool stepped = optimizer != OptimizerKind.Lbfgs || r.Epoch > 1;
            Assert.All(new[] { d.W1, d.W2 }, p => Assert.True(stepped ? p.UpdateNorm > 0 && p.UpdateRatio > 0 : double.IsNaN(p.UpdateNorm) && double.IsNaN(p.UpdateRatio), p.ToString()));
        }
    }

    [Fact]
    public void Dead_share_is_1_when_every_hidden_bias_is_very_negative()
    {
        var random = new Random(1);
        var digits = BuiltInDatasets.Digits();
        // Digits' features are 0..16: with W1 within +-0.01 over 64 features, Hpre = X W1 + b1 stays below -1000 + 11.
        var net = Mlp.FromParameters(M(64, 20, random, 0.01), V(Enumerable.Repeat(-1000.0, 20).ToArray()), M(20, 10, random, 0.1), V(new double[10]),
            Precision.Single);
        TrainingState state = Trainer.Train(net, digits, new TrainingOptions { Epochs = 2, Seed = 1 });
        foreach (EpochRecord r in state.History)
        {
            Assert.Equal(1.0, r.Diagnostics!.DeadUnitShare);
            Assert.Equal(1.0, r.Diagnostics.ZeroActivationShare);
            // No gradient passes a dead ReLU: b1's gradient is exactly zero, and it never moves.
            Assert.Equal(0.0, r.Diagnostics.b1.GradientNorm);
            Assert.Equal(0.0, r.Diagnostics.b1.UpdateNorm);
        }
    }

    [Fact]
    public void Dead_share_is_near_0_after_healthy_training_on_Digits()
    {
        // Standardized inputs. (Digits' raw pixels are all >= 0, so a few units start dead, and the default learning rate
        // on raw pixels kills about one in ten in the second epoch: 7 of these 64, which the direct count confirms.)
        var net = Mlp.Create(64, 64, 10, Precision.Single, seed: 1);
        TrainingState state = Trainer.Train(net, BuiltInDatasets.Digits(), new TrainingOptions { Epochs = 10, Seed = 1, Scaling = ScalingKind.Standardize });
        TrainingDiagnostics last = state.History[^1].Diagnostics!;
        Assert.True(state.History[^1].Accuracy > 0.95, $"accuracy {state.History[^1].Accuracy}");
        Assert.True(last.DeadUnitShare <= 0.02, $"dead share {last.DeadUnitShare}");
        // Many zeros are normal for ReLUs, but not all of them.
        Assert.InRange(last.ZeroActivationShare, 0.05, 0.95);
        // The rule of thumb: updates near 1e-3 of the weights for a well-chosen learning rate (within a factor of 10).
        Assert.InRange(last.W1.UpdateRatio, 1e-4, 1e-2);
    }

    [Fact]
    public void Zero_share_and_dead_units_match_a_direct_count_of_the_preactivations()
    {
        var random = new Random(4);
        var data = BuiltInDatasets.Spiral(3, 10, seed: 2);
        // 8 hidden units, two of them dead (b1 = -100 against inputs within +-1).
        double[] b1 = Enumerable.Range(0, 8).Select(j => j < 2 ? -100.0 : 0.1 * (random.NextDouble() - 0.5)).ToArray();
        var net = Mlp.FromParameters(M(2, 8, random, 1), V(b1), M(8, 3, random, 1), V(0, 0, 0));
        Mlp start = net.Clone();
        // One batch of all 30 samples: the epoch's one forward pass is at the starting weights.
        TrainingState state = Trainer.Train(net, data, new TrainingOptions { Epochs = 1, BatchSize = 64, Seed = 1 });

        var trace = (GradientReport<double>)start.ComputeGradient(data, 0, trace: true);
        Matrix<double> hpre = trace.Hpre!;
        int zeros = hpre.Enumerate().Count(v => !(v > 0));
        int dead = Enumerable.Range(0, hpre.ColumnCount).Count(j => hpre.Column(j).All(v => !(v > 0)));
        Assert.Equal(2, dead);
        Assert.True(zeros > 2 * 30, $"{zeros} zeros");
        TrainingDiagnostics d = state.History[0].Diagnostics!;
        Assert.Equal((double)zeros / (30 * 8), d.ZeroActivationShare);
        Assert.Equal(dead / 8.0, d.DeadUnitShare);
    }

    [Fact]
    public void Update_ratio_of_plain_SGD_is_the_learning_rate_times_the_gradient_over_the_weight_by_hand()
    {
        // One sample x = 1 of class 0; one hidden unit. W1 = [1], b1 = [0], W2 = [1 -1], b2 = [0 0], lambda = 0:
        //   Hpre = 1, A = 1, Z = [1 -1], P = [p q] with q = 1 / (1 + e^2) and p = 1 - q,
        //   dZ = P - Y = [-q q], dW2 = A^T dZ = [-q q], db2 = [-q q],
        //   dA = dZ W2^T = -2q, dH = -2q (Hpre > 0), dW1 = x dH = -2q, db1 = -2q.
        // Plain SGD steps w -= lr g, so ||update|| = lr ||g|| and the ratio is lr ||g|| / ||w||:
        //   W1: lr 2q / 1; W2: lr q sqrt(2) / sqrt(2) = lr q; b1 and b2 start at zero, so their ratio is NaN.
        double lr = 0.1, q = 1 / (1 + Math.Exp(2));
        var net = Mlp.FromParameters(Matrix<double>.Build.DenseOfArray(new double[,] { { 1 } }), V(0),
            Matrix<double>.Build.DenseOfArray(new double[,] { { 1, -1 } }), V(0, 0));
        var data = Dataset.FromMatrix(Matrix<double>.Build.DenseOfArray(new double[,] { { 1 } }), new[] { 0 }, 2);
        TrainingState state = Trainer.Train(net, data, new TrainingOptions
        {
            Epochs = 1, BatchSize = 1, Momentum = 0, LearningRate = lr, Regularization = 0, Seed = 1,
        });
        TrainingDiagnostics d = state.History[0].Diagnostics!;
        const double Tight = 1e-14;
        Close(2 * q, d.W1.GradientNorm, Tight, "W1 gradient");
        Close(lr * 2 * q, d.W1.UpdateNorm, Tight, "W1 update");
        Close(lr * 2 * q / 1, d.W1.UpdateRatio, Tight, "W1 ratio");
        Close(1 + lr * 2 * q, d.W1.WeightNorm, Tight, "W1 after the step");
        Close(q * Math.Sqrt(2), d.W2.GradientNorm, Tight, "W2 gradient");
        Close(lr * q * Math.Sqrt(2), d.W2.UpdateNorm, Tight, "W2 update");
        Close(lr * q, d.W2.UpdateRatio, Tight, "W2 ratio");
        Close(2 * q, d.b1.GradientNorm, Tight, "b1 gradient");
        Close(lr * 2 * q, d.b1.UpdateNorm, Tight, "b1 update");
        Close(lr * 2 * q, d.b1.WeightNorm, Tight, "b1 after the step");
        Assert.True(double.IsNaN(d.b1.UpdateRatio));
        Assert.True(double.IsNaN(d.b2.UpdateRatio));
        Assert.Equal(0.0, d.DeadUnitShare);
        Assert.Equal(0.0, d.ZeroActivationShare);
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.RmsProp)]
    [InlineData(OptimizerKind.Lbfgs)]
    public void Update_and_gradient_norms_match_a_direct_computation_from_the_weights_of_each_epoch(OptimizerKind optimizer)
    {
        // Full batches, so each epoch is one step (for L-BFGS: one evaluation, its update the move from the one before).
        var data = BuiltInDatasets.Spiral(3, 20, seed: 1);
        var net = Mlp.Create(2, 12, 3, Precision.Double, seed: 6);
        var weights = new List<Mlp> { net.Clone() };
        var options = new TrainingOptions { Epochs = 4, Seed = 2, Optimizer = optimizer, Regularization = 0.01 };
        if (optimizer != OptimizerKind.Lbfgs) options.BatchSize = 100;
        if (optimizer == OptimizerKind.Sgd) options.LearningRate = 0.5;
        TrainingState state = Trainer.Train(net, data, options, callbacks: new TrainingCallbacks { EpochEnded = _ => weights.Add(net.Clone()) });

        Assert.True(state.History.Count >= 3);
        for (int e = 0; e < state.History.Count; e++)
        {
            ParameterDiagnostics[] d = Each(state.History[e].Diagnostics!);
            // A step's gradient is taken before it; an L-BFGS evaluation's at its own point, where the epoch ends.
            double[] gradient = GradientNorms(weights[optimizer == OptimizerKind.Lbfgs ? e + 1 : e], data, 0.01), norm = Norms(weights[e + 1]);
            double[] before = Norms(weights[e]), move = Distances(weights[e + 1], weights[e]);
            for (int k = 0; k < 4; k++)
            {
                string what = Invariant.Format($"epoch {e + 1}, {ParameterSet<double>.Names[k]}");
                Close(gradient[k], d[k].GradientNorm, 1e-12, what + " gradient");
                Close(norm[k], d[k].WeightNorm, 1e-12, what + " weight");
                if (optimizer == OptimizerKind.Lbfgs && e == 0)
                {
                    // No step led to the first evaluation.
                    Assert.True(double.IsNaN(d[k].UpdateNorm) && double.IsNaN(d[k].UpdateRatio), what);
                    continue;
                }
                Close(move[k], d[k].UpdateNorm, 1e-12, what + " update");
                if (before[k] > 0) Close(move[k] / before[k], d[k].UpdateRatio, 1e-12, what + " ratio");
                else Assert.True(double.IsNaN(d[k].UpdateRatio), what + " ratio of a zero weight");
            }
        }
    }

    [Fact]
    public void Diagnostics_are_means_over_the_epochs_steps()
    {
        // Two batches an epoch: the recorded gradient and update norms are the means of the two steps' own.
        var data = BuiltInDatasets.Spiral(2, 10, seed: 3);
        var net = Mlp.Create(2, 6, 2, Precision.Double, seed: 2);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 10, Seed = 4, Momentum = 0, LearningRate = 0.2, Regularization = 0 };
        var snapshots = new List<Mlp> { net.Clone() };
        TrainingState state = Trainer.Train(net, data, options,
            callbacks: new TrainingCallbacks { Progress = _ => snapshots.Add(net.Clone()) });
        Assert.Equal(3, snapshots.Count);
        TrainingDiagnostics d = state.History[0].Diagnostics!;
        double[] first = Distances(snapshots[1], snapshots[0]), second = Distances(snapshots[2], snapshots[1]);
        double[] before0 = Norms(snapshots[0]), before1 = Norms(snapshots[1]);
        Close((first[0] + second[0]) / 2, d.W1.UpdateNorm, 1e-12, "W1 update");
        Close((first[2] / before0[2] + second[2] / before1[2]) / 2, d.W2.UpdateRatio, 1e-12, "W2 ratio");
        // Plain SGD, no regularization: each step's ||update|| is lr ||g||, so the mean gradient norm is the mean update / lr.
        Close((first[2] + second[2]) / 2 / 0.2, d.W2.GradientNorm, 1e-12, "W2 gradient");
    }
}
