using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using MathNet.Numerics.Optimization;
using MlpTools.Core.Data;
using MlpTools.Core.Model;
using MlpTools.Core.Numerics;

namespace MlpTools.Core.Training;

/// <summary>Where a training run is, reported after every mini-batch.</summary>
public readonly record struct TrainingProgress(int Epoch, int LastEpoch, int Batch, int Batches, double Loss, TimeSpan Elapsed);

/// <summary>Optional hooks into a training run; every one is called on the caller's thread.</summary>
public sealed class TrainingCallbacks
{
    /// <summary>After every mini-batch.</summary>
    public Action<TrainingProgress>? Progress { get; init; }

    /// <summary>After every epoch, with its record (already in the training state's history).</summary>
    public Action<EpochRecord>? EpochEnded { get; init; }

    /// <summary>
    /// When the monitored figure improves: the network then holds its best weights so far, and the state says so (its
    /// stop reason reads as a checkpoint's), so the two can be saved as a checkpoint.
    /// </summary>
    public Action<Mlp, TrainingState>? Improved { get; init; }

    /// <summary>
    /// At the end of a run that went wrong without diverging: no epoch improved on the starting weights, or the training
    /// loss rose by orders of magnitude. Its message says what happened and what to try; the stop reason says it too.
    /// </summary>
    public Action<TrainingWarning>? Warning { get; init; }
}

/// <summary>
/// The training loop: mini-batches reshuffled each epoch, an optimizer step per batch, the network updated in
/// place. It watches one figure (the monitor) and, however training ends (epochs done, early stop, Ctrl+C,
/// divergence), leaves the network holding the weights of the best epoch by that figure.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="network"/> in place. Each epoch appends one <see cref="EpochRecord"/> to the training
    /// state's history, and the state's stop reason says what ended the run; the state is updated in place and returned.
    /// A diverged run throws <c>TrainingDiverged</c> after restoring the best weights (a caller that passed the state
    /// then still has the run's epochs in it).
    /// </summary>
    /// <param name="network">The network, trained in place.</param>
    /// <param name="train">The training data.</param>
    /// <param name="options">The settings of the run.</param>
    /// <param name="validation">Data measured after every epoch, if any.</param>
    /// <param name="callbacks">Progress, epoch, improvement and warning hooks.</param>
    /// <param name="state">
    /// What earlier runs of this network produced (its history is continued, and its optimizer state when the optimizer
    /// is the same); null starts a new state.
    /// </param>
    /// <param name="cancellationToken">Ends the run between mini-batches, keeping the best weights.</param>
    public static TrainingState Train(Mlp network, Dataset train, TrainingOptions options, Dataset? validation = null,
        TrainingCallbacks? callbacks = null, TrainingState? state = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // The cores are divided among the trainings running now (a lone one gets them all): see KernelThreads.
        using KernelThreads.Share cores = KernelThreads.Join();
        // Scaling is fitted once and then belongs to the network; a different kind cannot be applied later.
        if (options.Scaling is { } wanted && network.Preprocessor is { } fitted && fitted.Kind != wanted)
            throw new MlpException("ScalingAlreadyFitted", MlpErrorKind.InvalidArgument,
                $"{network} already scales its inputs ({fitted.Kind}, fitted when it was first trained), and that scaling stays with it. Leave out Scaling, or train a new network with Scaling {wanted}.",
                wanted) { Settings = new[] { nameof(TrainingOptions.Scaling) } };
        state ??= new TrainingState();
        // A network that knows its classes only by number takes the training data's class names.
        if (ClassNames.AreNumbered(network.ClassNames) && train.ClassCount == network.ClassCount)
            network.ClassNames = train.ClassNames;
        network.LabelName ??= train.LabelName;
        train = network.Accept(train, checkValues: false);
        network.ImageShape ??= train.ImageShape;
        if (validation is not null) validation = network.Accept(validation, checkValues: false);
        if (train.Count == 0) throw MlpException.InvalidData("EmptyDataset", $"The training dataset '{train.Name}' has no samples.");
        double[]? classWeights = options.ClassWeights?.Resolve(network.ClassNames, train);
        var monitor = ResolveMonitor(options.Monitor, validation);

        // The data meets the network here, once per run (the batches are then gathered without checks): every value,
        // as the network takes it, must be finite in its precision. Scaling is fitted once, on the training data only,
        // and then travels with the network; a raw value the network cannot hold is named before any fitting.
        Preprocessor? scaling = network.Preprocessor;
        if (scaling is null && options.Scaling is { } kind)
        {
            network.CheckValues(train, null);
            scaling = Preprocessor.Fit(train, kind);
        }
        InputExtreme largest = network.CheckValues(train, scaling);
        if (validation is not null) network.CheckValues(validation, scaling);
        network.CheckRegularization(options.Regularization, SmallestBatch(train.Count, options));
        network.Preprocessor = scaling;

        callbacks ??= new TrainingCallbacks();
        switch (network)
        {
            case Mlp<float> single:
                new Run<float>(single, state, train, options, classWeights, validation, monitor, largest, callbacks, cancellationToken).Execute();
                break;
            case Mlp<double> dbl:
                new Run<double>(dbl, state, train, options, classWeights, validation, monitor, largest, callbacks, cancellationToken).Execute();
                break;
            default:
                throw new ArgumentException($"Unsupported network type {network.GetType()}.", nameof(network));
        }
        return state;
    }

    /// <summary>The fewest samples a batch of the run has (the last mini-batch of an epoch may be short; L-BFGS takes all n).</summary>
    private static int SmallestBatch(int n, TrainingOptions o)
    {
        if (o.Optimizer == OptimizerKind.Lbfgs || o.BatchSize >= n) return n;
        int rest = n % o.BatchSize;
        return rest == 0 ? o.BatchSize : rest;
    }

    /// <summary>Per-class weights n / (C n_k) (scikit-learn's "balanced"); a class with no samples gets 0.</summary>
    public static double[] BalancedClassWeights(Dataset data, int classCount)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ClassWeights.BalancedWeights(data, classCount);
    }

    private static MonitorKind ResolveMonitor(MonitorKind requested, Dataset? validation)
    {
        bool hasValidation = validation is not null && validation.Count > 0;
        if (requested == MonitorKind.Auto) return hasValidation ? MonitorKind.ValidationLoss : MonitorKind.Loss;
        if (!hasValidation && requested != MonitorKind.Loss)
            throw MlpException.Argument("MonitorNeedsValidation",
                $"Monitor {requested} needs validation data; pass a validation dataset, or monitor Loss.", requested);
        return requested;
    }

    /// <summary>One training run's state.</summary>
    private sealed class Run<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Mlp<T> _net;
        private readonly TrainingState _state;
        private readonly Dataset _train;
        private readonly Dataset? _validation;
        private readonly TrainingOptions _o;
        private readonly MonitorKind _monitor;
        private readonly InputExtreme _largestInput;
        private readonly TrainingCallbacks _callbacks;
        private readonly CancellationToken _ct;
        private readonly ParameterSet<T> _w;
        private readonly ParameterSet<T> _best;
        private readonly T[]? _classWeights;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly int _firstEpoch;

        /// <summary>The epoch whose weights the network holds as the run starts: its best of an earlier run, or 0.</summary>
        private readonly int _startingEpoch;
        private double? _bestScore; // larger is better: accuracy, or minus a loss; null until the start's is known
        private StartingLoss? _start; // the training loss at the starting weights, when the monitor is the training loss
        private int _sinceBest, _sincePlateau;
        private double _learningRate;

        public Run(Mlp<T> net, TrainingState state, Dataset train, TrainingOptions o, double[]? classWeights, Dataset? validation,
            MonitorKind monitor, InputExtreme largestInput, TrainingCallbacks callbacks, CancellationToken ct)
        {
            _net = net;
            _state = state;
            _train = train;
            _validation = validation is { Count: > 0 } ? validation : null;
            _o = o;
            _monitor = monitor;
            _largestInput = largestInput;
            _callbacks = callbacks;
            _ct = ct;
            _w = net.Parameters;
            // The run's own copy, given back when it ends (see Spares).
            _best = ParameterSet<T>.Scratch(_w.D, _w.H, _w.C);
            _best.CopyFrom(_w);
            _classWeights = classWeights?.Select(T.CreateTruncating).ToArray();
            _learningRate = o.EffectiveLearningRate;
            _firstEpoch = state.History.Count + 1;
            // A network trained before holds its best epoch's weights, not its last epoch's.
            _startingEpoch = state.BestEpoch ?? _firstEpoch - 1;
            state.BestEpoch = null;
        }

        private int LastEpoch => _firstEpoch + _o.Epochs - 1;

        public void Execute()
        {
            // The weights training starts from are the first candidate for "best": a run that only makes things
            // worse (or is stopped before its first epoch ends) gives them back. Their validation figure is measured
            // now; their training loss when the first epoch's is known, and only as far as comparing the two needs.
            _state.BestEpoch = _startingEpoch;
            if (_monitor is MonitorKind.ValidationLoss or MonitorKind.ValidationAccuracy)
            {
                Evaluation v = _net.Score(_validation!, checkScores: false);
                _bestScore = _monitor == MonitorKind.ValidationAccuracy ? v.Accuracy : -v.Loss;
            }
            else
            {
                int n = _train.Count, batchSize = _o.Optimizer == OptimizerKind.Lbfgs ? n : Math.Min(_o.BatchSize, n);
                _start = new StartingLoss(this, batchSize);
                // L-BFGS's first evaluation is at the starting weights, so nothing can settle its comparison early: it is
                // measured now, before the run loads its whole-data batch, as the tests' MeasureStartInFull asks too.
                if (_o.MeasureStartInFull || _o.Optimizer == OptimizerKind.Lbfgs) _bestScore = _start.Score(settled: _ => false);
            }
            try
            {
                string reason = _o.Optimizer == OptimizerKind.Lbfgs ? RunLbfgs() : RunMiniBatches();
                if (Trouble() is { } trouble)
                {
                    reason += "; " + trouble.Short;
                    _callbacks.Warning?.Invoke(trouble.Warning);
                }
                _state.StopReason = reason;
            }
            catch (Exception e) when (e is not MlpException { ErrorId: "TrainingDiverged" })
            {
                // A run ended by an exception (a checkpoint that cannot be written, a stopped pipeline) says so,
                // rather than keeping a checkpoint's "still running" or the previous run's reason.
                _state.StopReason = "Stopped: " + e.Message;
                throw;
            }
            finally
            {
                // Whatever ended the run, keep the best weights by the monitor.
                _w.CopyFrom(_best);
                ParameterSet<T>.GiveBack(_best);
                _state.StartSamplesMeasured = _start?.Measured ?? 0;
                _state.StartLoss = _start?.Known ?? double.NaN;
            }
        }

        /// <summary>
        /// The training loss at the weights a run starts from, as an epoch measures it (batches of the run's size,
        /// regularization and class weights included), summed batch by batch in the data's order. Every batch's loss
        /// is at least 0, so the sum of the batches measured so far, over n, is a lower bound of the whole: when it
        /// already shows that the first epoch improved on the start (the usual case: its loss is far below the start's),
        /// the rest is not measured, and a run pays a fraction of a forward pass for its starting score instead of a
        /// whole one. Nothing else needs the exact figure then: the lowest loss from the first epoch on is an epoch's
        /// (<see cref="Trouble"/>). Measured to the end, the sum is taken in the same order as in one go: the same bits.
        /// </summary>
        private sealed class StartingLoss
        {
            private readonly Run<T> _run;
            private readonly int _batchSize;
            private double _sum;
            private int _next; // the first sample not yet measured

            public StartingLoss(Run<T> run, int batchSize)
            {
                _run = run;
                _batchSize = batchSize;
            }

            /// <summary>The samples measured so far.</summary>
            public int Measured => _next;

            /// <summary>Whether the loss is known exactly: every sample measured, or the sum no longer finite (as the whole would not be).</summary>
            public bool Complete => _next >= _run._train.Count || !double.IsFinite(_sum);

            /// <summary>The starting loss when <see cref="Complete"/>; before, a lower bound of it.</summary>
            public double Loss => _sum / _run._train.Count;

            /// <summary>
            /// Measures further batches until <paramref name="settled"/> holds for the lower bound (<see cref="Loss"/>) or
            /// the loss is complete, and returns the starting weights' score (minus the loss; minus infinity for a start
            /// that is not finite, which can only be improved on) or, when settled early, minus the lower bound, a
            /// score at least the start's.
            /// </summary>
            public double Score(Func<double, bool> settled)
            {
                if (!Complete && !settled(Loss))
                {
                    Run<T> r = _run;
                    // The run's best weights are the starting weights until an epoch improves on them, and the first
                    // epoch's comparison, the last that measures them, comes before that.
                    if (r._state.BestEpoch != r._startingEpoch) throw new InvalidOperationException("The starting weights were replaced before their loss was measured.");
                    ParameterSet<T> start = r._best;
                    // Measured in one call (once settled or complete it is never measured again): its buffers live as long.
                    // The weights stay as they are, so the L2 penalty's sum of squares is measured once, not per batch.
                    // The scores are computed for several of the run's batches at once (see BatchesPerBlock), each
                    // batch's loss then as a batch of its own: the same bits, and the same batches measured.
                    int perBlock = BatchesPerBlock(_batchSize, r._net.HiddenSize);
                    BatchBuffers<T> buffers = BatchBuffers<T>.Take(perBlock * _batchSize, r._net.InputSize, r._net.HiddenSize, r._net.ClassCount);
                    double? squares = r._o.Regularization == 0 ? null : FusedBackprop.WeightSquares(start);
                    int measured = _next;
                    r._net.ForEachBatch(r._train, buffers, withLabels: true, _next, (b, first, rows) =>
                    {
                        FusedBackprop.ForwardScores(start, b, rows);
                        for (int at = 0; at < rows; at += _batchSize)
                        {
                            int m = Math.Min(_batchSize, rows - at);
                            _sum += FusedBackprop.Loss(start, b, at, m, r._o.Regularization, withGradientSeed: false, r._classWeights, squares).Total * m;
                            measured = first + at + m;
                            if (!double.IsFinite(_sum) || settled(Loss)) return false;
                        }
                        return true;
                    });
                    _next = measured;
                    BatchBuffers<T>.GiveBack(buffers);
                }
                return Complete && !double.IsFinite(Loss) ? double.NegativeInfinity : -Loss;
            }

            /// <summary>
            /// How many of the run's batches of <paramref name="batchSize"/> a block of the measuring computes the scores of
            /// at once: as many as make up to 1,024 rows, and up to 2^20 hidden activations (so 256 rows at 4,096 hidden
            /// units), at least one. A product of more rows runs nearer the peak: 13,200 rows of 784-100-10 scores took
            /// 0.81x the time in blocks of 1,000 rows as in blocks of 200 (2 cores of a Zen 5, paired).
            /// </summary>
            internal static int BatchesPerBlock(int batchSize, int hiddenSize) =>
                Math.Max(1, Math.Min(1024, (1 << 20) / Math.Max(1, hiddenSize)) / batchSize);

            /// <summary>The starting loss if it is known exactly, else NaN.</summary>
            public double Known => Complete ? Loss : double.NaN;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private string RunMiniBatches()
        {
            int n = _train.Count, batchSize = Math.Min(_o.BatchSize, n), batches = (n + batchSize - 1) / batchSize;
            // Kept for the next run when this one ends (see Spares).
            BatchBuffers<T> buffers = BatchBuffers<T>.Take(batchSize, _net.InputSize, _net.HiddenSize, _net.ClassCount, backward: true);
            ParameterSet<T> gradients = ParameterSet<T>.Scratch(_w.D, _w.H, _w.C);
            var order = Enumerable.Range(0, n).ToArray();
            var random = Rng.Create(_o.Seed);
            // State carried from an earlier run continues only when it is this network's: same precision and shape.
            Optimizer<T>? carried = _state.OptimizerState is Optimizer<T> o && o.Fits(_w) ? o : null;
            Optimizer<T> optimizer = Optimizer<T>.For(_o, _w, carried);
            _state.OptimizerState = optimizer;

            var diagnostics = new DiagnosticsRecorder<T>(_w.H);
            var squares = new ArraySquares[4];
            // The mini-batches' kernels use all the run's threads, or one while that is faster (see ThreadChoice);
            // the passes between epochs use all of them.
            int outer = KernelThreads.OwnLimit;
            var threads = new ThreadChoice(KernelThreads.Threads, ThreadChoice.WindowTicks);
            // The runtime's background recompiling waits while the batches keep the cores busy (see RuntimeCompilerYield).
            long yielded = 0;
            RuntimeCompilerYield.ApplyEvery(ref yielded);
            try
            {
                for (int epoch = _firstEpoch; epoch <= LastEpoch; epoch++)
                {
                    long epochStart = Stopwatch.GetTimestamp();
                    Rng.Shuffle(random, order);
                    diagnostics.BeginEpoch(_o.RecordDiagnostics);
                    double lossSum = 0;
                    int correct = 0;
                    // ||W1||^2 + ||W2||^2 for the next batch's penalty, from the step before it (the same bits as a pass of
                    // its own; none yet at an epoch's start).
                    double? weightSquares = null;
                    for (int batch = 0; batch < batches; batch++)
                    {
                        if (_ct.IsCancellationRequested)
                            return Invariant.Format($"Interrupted in epoch {epoch}, batch {batch + 1} of {batches}");
                        int start = batch * batchSize, m = Math.Min(batchSize, n - start);
                        ReadOnlySpan<int> rows = order.AsSpan(start, m);
                        KernelThreads.Limit(threads.Threads);
                        long batchStart = Stopwatch.GetTimestamp();
                        _net.Gather(_train, rows, buffers, withLabels: true);

                        BatchLoss loss = FusedBackprop.Forward(_w, buffers, m, _o.Regularization, withGradientSeed: true, _classWeights, weightSquares);
                        if (!double.IsFinite(loss.Total)) throw Diverged(epoch, batch + 1, batches, loss.Total);
                        lossSum += loss.Total * m;
                        correct += FusedBackprop.CountCorrect(buffers, m, _w.C);
                        diagnostics.Activations(buffers.Hpre, m);
                        FusedBackprop.Backward(_w, buffers, m, _o.Regularization, gradients);
                        // The step also sums the squares of the gradients (their norms) and of the new weights (the next
                        // batch's penalty) as it passes over them.
                        optimizer.Step(_w, gradients, _learningRate, diagnostics.StepSizes, squares);
                        diagnostics.Gradients(squares);
                        diagnostics.StepMeasured();
                        weightSquares = FusedBackprop.WeightSquares(squares);
                        _callbacks.Progress?.Invoke(new TrainingProgress(epoch, LastEpoch, batch + 1, batches, loss.Total, _clock.Elapsed));
                        threads.Record(Stopwatch.GetTimestamp() - batchStart);
                        RuntimeCompilerYield.ApplyEvery(ref yielded);
                    }
                    KernelThreads.Limit(outer);
                    if (!_w.AllFinite()) throw Diverged(epoch, batches, batches, double.NaN);
                    string? stop = EndEpoch(epoch, lossSum / n, (double)correct / n, diagnostics.GradientNorm(0), diagnostics.GradientNorm(2), epochStart,
                        diagnostics.Finish(_w));
                    if (stop is not null) return stop;
                }
            }
            finally
            {
                KernelThreads.Limit(outer);
                BatchBuffers<T>.GiveBack(buffers);
                ParameterSet<T>.GiveBack(gradients);
            }
            return "Completed " + Invariant.Plural(_o.Epochs, "epoch");
        }

        /// <summary>
        /// Full-batch L-BFGS (MathNet.Numerics' LimitedMemoryBfgsMinimizer) on the whole training set. Each evaluation of
        /// the loss and its gradient is one pass over the data and is recorded as one epoch; Epochs caps the passes.
        /// </summary>
        private string RunLbfgs()
        {
            int n = _train.Count;
            Mlp<T> net = _net;
            BatchBuffers<T> buffers = net.LoadBatch(_train);
            var gradients = new ParameterSet<T>(_w.D, _w.H, _w.C);
            var diagnostics = new DiagnosticsRecorder<T>(_w.H);
            // The point evaluated last: each evaluation's update is its move from there (the first has none).
            ParameterSet<T> previous = _w.Clone();
            int epoch = _firstEpoch - 1;
            string? stop = null;
            long yielded = 0; // see RuntimeCompilerYield

            (double, MathNet.Numerics.LinearAlgebra.Vector<double>) Evaluate(MathNet.Numerics.LinearAlgebra.Vector<double> point)
            {
                if (stop is not null) throw new StopLbfgs();
                if (_ct.IsCancellationRequested)
                {
                    stop = Invariant.Format($"Interrupted in epoch {epoch + 1}");
                    throw new StopLbfgs();
                }
                RuntimeCompilerYield.ApplyEvery(ref yielded);
                long start = Stopwatch.GetTimestamp();
                Unflatten(point, _w);
                diagnostics.BeginEpoch(_o.RecordDiagnostics);
                if (epoch >= _firstEpoch) diagnostics.Moved(previous, _w);
                previous.CopyFrom(_w);
                epoch++;
                BatchLoss loss = FusedBackprop.Forward(_w, buffers, n, _o.Regularization, withGradientSeed: true, _classWeights);
                if (!double.IsFinite(loss.Total)) throw Diverged(epoch, 1, 1, loss.Total);
                int correct = FusedBackprop.CountCorrect(buffers, n, _w.C);
                diagnostics.Activations(buffers.Hpre, n);
                FusedBackprop.Backward(_w, buffers, n, _o.Regularization, gradients);
                diagnostics.Gradients(gradients);
                var result = (loss.Total, Flatten(gradients));
                _callbacks.Progress?.Invoke(new TrainingProgress(epoch, LastEpoch, 1, 1, loss.Total, _clock.Elapsed));
                stop = EndEpoch(epoch, loss.Total, (double)correct / n, diagnostics.GradientNorm(0), diagnostics.GradientNorm(2), start,
                    diagnostics.Finish(_w));
                if (stop is null && epoch >= LastEpoch) stop = "Completed " + Invariant.Plural(_o.Epochs, "epoch");
                return result;
            }

            var minimizer = new LimitedMemoryBfgsMinimizer(1e-5, 1e-10, 1e-10, 10, int.MaxValue);
            try
            {
                var found = minimizer.FindMinimum(ObjectiveFunction.Gradient(Evaluate), Flatten(_w));
                return stop ?? $"Converged after {Invariant.Plural(found.Iterations, "iteration")} ({found.ReasonForExit})";
            }
            catch (StopLbfgs)
            {
                return stop!;
            }
            catch (Exception ex) when (ex is not MlpException && stop is null)
            {
                // The line search gave up (no further progress is possible): keep the best weights found.
                return $"Stopped after {Invariant.Plural(epoch - _firstEpoch + 1, "evaluation")}: {ex.Message}";
            }
        }

        private sealed class StopLbfgs : Exception
        {
        }

        private static MathNet.Numerics.LinearAlgebra.Vector<double> Flatten(ParameterSet<T> p)
        {
            var v = new double[p.Count];
            int at = 0;
            for (int k = 0; k < 4; k++)
                foreach (T value in p[k]) v[at++] = double.CreateTruncating(value);
            return MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(v);
        }

        private static void Unflatten(MathNet.Numerics.LinearAlgebra.Vector<double> v, ParameterSet<T> p)
        {
            int at = 0;
            for (int k = 0; k < 4; k++)
            {
                T[] target = p[k];
                for (int i = 0; i < target.Length; i++) target[i] = T.CreateTruncating(v[at++]);
            }
        }

        /// <summary>Records the epoch, tracks the best weights and applies schedules; returns a stop reason to end training.</summary>
        private string? EndEpoch(int epoch, double loss, double accuracy, double normW1, double normW2, long started,
            TrainingDiagnostics? diagnostics)
        {
            double? valLoss = null, valAcc = null;
            if (_validation is not null)
            {
                Evaluation v = _net.Score(_validation, checkScores: false);
                valLoss = v.Loss;
                valAcc = v.Accuracy;
            }
            double rate = _o.Optimizer == OptimizerKind.Lbfgs ? double.NaN : _learningRate;
            var record = new EpochRecord(epoch, loss, accuracy, valLoss, valAcc, rate, normW1, normW2,
                Stopwatch.GetElapsedTime(started).TotalSeconds) { Diagnostics = diagnostics };
            _state.Add(record);

            // Higher is better for accuracy; lower for the losses. Compare as "score = larger is better".
            double score = _monitor switch
            {
                MonitorKind.ValidationAccuracy => valAcc!.Value,
                MonitorKind.ValidationLoss => -valLoss!.Value,
                _ => -loss,
            };
            // The first epoch meets the starting weights' training loss, measured until the comparison below is settled:
            // a lower bound L of the start's loss settles it when score > -L + MinDelta, and -L + MinDelta is then a
            // bound as good as the start's own (>= it) for this one comparison.
            double best = _bestScore ?? _start!.Score(settled: lowerBound => score > -lowerBound + _o.MinDelta);

            bool improved = score > best + _o.MinDelta || (double.IsNegativeInfinity(best) && double.IsFinite(score));
            // Not improved, the start's loss was measured to the end: best is its exact score.
            _bestScore = improved ? score : best;
            if (improved)
            {
                _best.CopyFrom(_w);
                _state.BestEpoch = epoch;
                _sinceBest = 0;
                _sincePlateau = 0;
            }
            else
            {
                _sinceBest++;
                _sincePlateau++;
            }
            _callbacks.EpochEnded?.Invoke(record);
            if (improved && _callbacks.Improved is { } onImproved)
            {
                // What the callback saves (a checkpoint) says what it is; the run's own stop reason replaces this at its end.
                _state.StopReason = Invariant.Format($"Checkpoint of epoch {epoch}: training was still running");
                onImproved(_net, _state);
            }

            if (_o.Patience is { } patience && _sinceBest >= patience)
                return Invariant.Format($"Stopped early after epoch {epoch}: {_monitor} did not improve for {Invariant.Plural(patience, "epoch")} (best epoch {_state.BestEpoch})");
            if (_o.PlateauPatience is { } plateau && _sincePlateau >= plateau)
            {
                _learningRate = Math.Max(_learningRate * _o.PlateauFactor, _o.MinLearningRate);
                _sincePlateau = 0;
            }
            _learningRate = Math.Max(_learningRate * _o.LearningRateDecay, Math.Min(_o.MinLearningRate, _learningRate));
            return null;
        }

        private MlpException Diverged(int epoch, int batch, int batches, double loss)
        {
            // Execute restores the best weights (those training started from, when no epoch improved on them).
            string where = Invariant.Format($"epoch {epoch}, batch {batch} of {batches}");
            _state.StopReason = "Diverged in " + where;
            string kept = _state.BestEpoch == _startingEpoch ? "the weights it started from" : Invariant.Format($"its best weights (epoch {_state.BestEpoch})");
            (string advice, TrainingTrouble cause) = Cause();
            return new MlpException("TrainingDiverged", MlpErrorKind.InvalidOperation, Invariant.Format($"Training diverged in {where}: the loss became {(double.IsNaN(loss) ? "NaN" : loss.ToString(CultureInfo.InvariantCulture))}. The network keeps {kept}. {advice}"),
                cause);
        }

        /// <summary>A training loss this many times the lowest before it (and above ln C) has blown up.</summary>
        private const double LossBlowUp = 100;

        /// <summary>
        /// What went wrong in a run that ended without diverging, if anything: no epoch improved on the weights it
        /// started from (so it keeps them, and learned nothing), or the training loss rose to <see cref="LossBlowUp"/>
        /// times the lowest before it (the loss at the starting weights counting, when it was measured), and above ln C,
        /// without becoming NaN. A short form for the stop reason, and a warning that says what to try (<see cref="Cause"/>).
        /// </summary>
        private (string Short, TrainingWarning Warning)? Trouble()
        {
            List<EpochRecord> run = _state.History.Skip(_firstEpoch - 1).ToList();
            if (run.Count == 0) return null;
            bool kept = _state.BestEpoch == _startingEpoch;
            // The starting loss is known in part only when the first epoch's loss was below it: the lowest loss from then
            // on is an epoch's, and the start's exact value could not change what follows.
            double startLoss = _start?.Known ?? double.NaN;
            // A rise is measured from the lowest loss before it (the starting loss first, when it was measured), so a
            // first epoch that starts high and falls is no rise.
            double lowest = double.IsFinite(startLoss) ? startLoss : double.PositiveInfinity;
            EpochRecord? worst = null;
            double reference = 0;
            foreach (EpochRecord r in run)
            {
                // Only a loss worse than guessing every class alike (ln C) counts: near zero, losses wander by factors.
                if (double.IsFinite(lowest) && lowest > 0 && r.Loss >= LossBlowUp * lowest && r.Loss >= Math.Log(_net.ClassCount)
                    && (worst is null || r.Loss / lowest > worst.Loss / reference))
                {
                    worst = r;
                    reference = lowest;
                }
                lowest = Math.Min(lowest, r.Loss);
            }
            bool rose = worst is not null;
            if (!kept && !rose) return null;
            string from = reference == startLoss ? "its starting value" : "its lowest before then";
            string risen = rose ? Invariant.Format($"the training loss rose from {reference:G4} ({from}) to {worst!.Loss:G4} in epoch {worst.Epoch}") : "";
            string by = _o.MinDelta > 0 ? Invariant.Format($" by more than MinDelta {_o.MinDelta}") : "";
            string none = Invariant.Format($"no epoch of the {run.Count} improved on the weights training started from{by}, so the network keeps those: it learned nothing in this run");
            string what = kept && rose ? none + ", and " + risen : kept ? none : risen + ", without becoming NaN: training was unstable";
            string brief = kept ? "no epoch improved on the starting weights, which were kept" : Invariant.Format($"the loss rose to {worst!.Loss:G4}");
            (string advice, TrainingTrouble cause) = Cause();
            return (brief, new TrainingWarning(char.ToUpperInvariant(what[0]) + what[1..] + ". " + advice, cause));
        }

        /// <summary>Inputs at least this large (in magnitude, after scaling) are named as the likely cause of divergence.</summary>
        private const double LargeInput = 100;

        /// <summary>
        /// What most likely made the run diverge, and what to do, in this order: a regularization that dominates (SGD steps
        /// by learning rate x (lambda/m) W: with lambda/m of 1 or more, the L2 term outweighs the data's gradient, and a
        /// factor learning rate x lambda/m of 1 or more takes each weight past zero every step); inputs out of range (the
        /// largest |feature| the network takes is 100 or more); otherwise the learning rate.
        /// </summary>
        private (string Advice, TrainingTrouble Cause) Cause()
        {
            int m = _o.Optimizer == OptimizerKind.Lbfgs ? _train.Count : Math.Min(_o.BatchSize, _train.Count);
            double lambda = _o.Regularization, shrink = _learningRate * lambda / m;
            TrainingTrouble Blame(TroubleCause cause) => new(cause, _learningRate, lambda);
            // lambda/m >= 1 tells a large lambda from a large learning rate: the L2 term of the gradient is then at
            // least the weights themselves, more than a data gradient usually is.
            if (_o.Optimizer == OptimizerKind.Sgd && lambda / m >= 1 && shrink >= 1)
                return (Invariant.Format($"The regularization dominates: with Regularization (lambda) {lambda} and {Invariant.Plural(m, "sample")} a batch, each step's weight decay is learning rate x lambda/m = {shrink:G3} times the weights, so the steps overshoot zero and grow. Use a much smaller Regularization (useful values are usually 1e-5 to 1)."),
                    Blame(TroubleCause.Regularization));
            if (_largestInput.Magnitude >= LargeInput)
            {
                string scaled = _net.Preprocessor is null ? "" : " after scaling";
                string at = Invariant.Format($"the largest |feature| the network takes{scaled} is {_largestInput.Magnitude:G4} ('{_train.FeatureNames[_largestInput.Feature]}', row {_largestInput.Row + 1} (counting from 1) of '{_train.Name}')");
                return _net.Preprocessor is null
                    ? ($"The inputs are out of range: {at}. Scale the features: train a new network with Scaling set to Standardize.", Blame(TroubleCause.UnscaledInputs))
                    : ($"The inputs are out of range: {at}, far outside the data the network's scaling was fitted to. Check those samples, or leave them out.", Blame(TroubleCause.InputsOutsideScaling));
            }
            return (Invariant.Format($"The LearningRate ({_learningRate}) is most likely too large."), Blame(TroubleCause.LearningRate));
        }
    }
}
