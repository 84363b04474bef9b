using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using MlpTools.Core.Data;
using MlpTools.Core.Model;

namespace MlpTools.Core.Training;

/// <summary>Where a training run is, reported after every mini-batch.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, TimeSpan Elapsed);

/// <summary>
/// The training loop: mini-batch SGD with momentum, reshuffled each epoch, updating the network in place.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="network"/> in place and appends one <see cref="EpochRecord"/> per epoch to its history.
    /// </summary>
    /// <param name="network">The network; its weights and optimizer state carry over from any earlier run.</param>
    /// <param name="train">The training data.</param>
    /// <param name="options">Settings; validated first.</param>
    /// <param name="validation">Optional data measured after each epoch.</param>
    /// <param name="progress">Called after every mini-batch, on the caller's thread.</param>
    /// <param name="epochEnded">Called after every epoch with its record, on the caller's thread.</param>
    /// <param name="cancellationToken">Checked before every mini-batch; when set, training stops and keeps what it has.</param>
    public static void Train(Mlp network, Dataset train, TrainingOptions options, Dataset? validation = null,
        Action<TrainingProgress>? progress = null, Action<EpochRecord>? epochEnded = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        network.EnsureCompatible(train);
        if (validation is not null) network.EnsureCompatible(validation);
        if (train.Count == 0) throw MlpException.InvalidData("EmptyDataset", $"The training dataset '{train.Name}' has no samples.");
        switch (network)
        {
            case Mlp<float> single:
                Run(single, train, options, validation, progress, epochEnded, cancellationToken);
                break;
            case Mlp<double> dbl:
                Run(dbl, train, options, validation, progress, epochEnded, cancellationToken);
                break;
            default:
                throw new ArgumentException($"Unsupported network type {network.GetType()}.", nameof(network));
        }
    }

    private static void Run<T>(Mlp<T> net, Dataset train, TrainingOptions o, Dataset? validation,
        Action<TrainingProgress>? progress, Action<EpochRecord>? epochEnded, CancellationToken ct)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = train.Count, batchSize = Math.Min(o.BatchSize, n), batches = (n + batchSize - 1) / batchSize;
        ParameterSet<T> w = net.Parameters;
        var buffers = new BatchBuffers<T>(batchSize, net.InputSize, net.HiddenSize, net.ClassCount);
        var gradients = new ParameterSet<T>(w.D, w.H, w.C);
        var lastGood = w.Clone();
        var order = Enumerable.Range(0, n).ToArray();
        var random = Rng.Create(o.Seed);
        if (net.Optimizer is SgdOptimizer<T> sgd) sgd.Momentum = o.Momentum;
        else net.Optimizer = new SgdOptimizer<T>(w, o.Momentum);
        Optimizer<T> optimizer = net.Optimizer;

        var clock = Stopwatch.StartNew();
        int firstEpoch = net.HistoryList.Count + 1;
        net.Dataset = train;
        for (int e = 0; e < o.Epochs; e++)
        {
            int epoch = firstEpoch + e;
            long epochStart = Stopwatch.GetTimestamp();
            lastGood.CopyFrom(w);
            Rng.Shuffle(random, order);
            double lossSum = 0;
            int correct = 0;
            for (int batch = 0; batch < batches; batch++)
            {
                if (ct.IsCancellationRequested)
                {
                    net.StopReason = string.Create(CultureInfo.InvariantCulture, $"Interrupted in epoch {epoch}, batch {batch + 1} of {batches}");
                    return;
                }
                int start = batch * batchSize, m = Math.Min(batchSize, n - start);
                ReadOnlySpan<int> rows = order.AsSpan(start, m);
                train.GatherRows<T>(rows, buffers.X);
                train.GatherLabels(rows, buffers.Labels);

                BatchLoss loss = Backprop.Forward(w, buffers, m, o.Regularization, withGradientSeed: true);
                if (!double.IsFinite(loss.Total))
                {
                    w.CopyFrom(lastGood);
                    net.StopReason = string.Create(CultureInfo.InvariantCulture, $"Diverged in epoch {epoch}, batch {batch + 1}");
                    throw new MlpException("TrainingDiverged", MlpErrorKind.InvalidOperation, string.Create(CultureInfo.InvariantCulture,
                        $"Training diverged in epoch {epoch}, batch {batch + 1} of {batches}: the loss became {loss.Total}. The network keeps its weights from the start of epoch {epoch}. Try a smaller -LearningRate (it was {o.LearningRate})."),
                        o.LearningRate);
                }
                lossSum += loss.Total * m;
                for (int r = 0; r < m; r++)
                    if (Mlp<T>.ArgMax(buffers.P.AsSpan(r * w.C, w.C)) == buffers.Labels[r]) correct++;

                Backprop.Backward(w, buffers, m, o.Regularization, gradients);
                optimizer.Step(w, gradients, o.LearningRate);
                progress?.Invoke(new TrainingProgress(epoch, firstEpoch + o.Epochs - 1, batch + 1, batches, loss.Total, clock.Elapsed));
            }
            if (!w.AllFinite())
            {
                w.CopyFrom(lastGood);
                net.StopReason = string.Create(CultureInfo.InvariantCulture, $"Diverged in epoch {epoch}");
                throw new MlpException("TrainingDiverged", MlpErrorKind.InvalidOperation, string.Create(CultureInfo.InvariantCulture,
                    $"Training diverged in epoch {epoch}: a weight became NaN or infinite. The network keeps its weights from the start of epoch {epoch}. Try a smaller -LearningRate (it was {o.LearningRate})."),
                    o.LearningRate);
            }

            double? valLoss = null, valAcc = null;
            if (validation is not null && validation.Count > 0)
            {
                Evaluation v = net.Evaluate(validation);
                valLoss = v.Loss;
                valAcc = v.Accuracy;
            }
            var record = new EpochRecord(epoch, lossSum / n, (double)correct / n, valLoss, valAcc, o.LearningRate,
                Stopwatch.GetElapsedTime(epochStart).TotalSeconds);
            net.HistoryList.Add(record);
            epochEnded?.Invoke(record);
        }
        net.StopReason = string.Create(CultureInfo.InvariantCulture, $"Completed {o.Epochs} epochs");
    }
}
