using System.Numerics.Tensors;

namespace RlTune.Learning;

/// <summary>Where a mini-batch's rows come from: rollout memory, indexed by sample (row-major per field).</summary>
public readonly unsafe struct SampleSource(float* states, float* actions, float* logProbs, float* advantages, float* returns, float* values)
{
    public readonly float* States = states, Actions = actions, LogProbs = logProbs, Advantages = advantages, Returns = returns, Values = values;
}

/// <summary>
/// One PPO optimisation step on one mini-batch: rows are split across the worker pool, each thread
/// gathers its rows, runs forward, loss and backward into its own gradient vector; then the
/// gradients are summed, their global norm clipped and Adam applied, each thread owning a slice
/// of the parameters.
/// </summary>
public sealed unsafe class MiniBatchUpdater : IParallelJob
{
    private readonly ActorCritic _model;
    private readonly PpoConfig _config;
    private readonly WorkerPool _pool;
    private readonly ActorCriticWorkspace[] _workspaces;
    private readonly Adam _adam;
    private readonly PpoLossSums[] _sums;
    private readonly double[] _squares;
    private readonly GradientStep _gradientStep;
    private readonly ActorCriticPacks _packs;
    private SampleSource _source;
    private int* _indices;
    private int _count;

    public MiniBatchUpdater(ActorCritic model, PpoConfig config, WorkerPool pool, ActorCriticWorkspace[] workspaces, Adam adam)
    {
        _model = model; _config = config; _pool = pool; _workspaces = workspaces; _adam = adam;
        _sums = new PpoLossSums[workspaces.Length];
        _squares = new double[workspaces.Length];
        _gradientStep = new GradientStep(this);
        _packs = new ActorCriticPacks(model);
    }

    /// <summary>
    /// Takes one optimiser step on the samples <paramref name="indices"/> of <paramref name="source"/>.
    /// Throws <see cref="TrainingDivergedException"/> when the loss or gradient is not finite (parameters unchanged).
    /// </summary>
    public PpoLossSums Step(in SampleSource source, ReadOnlySpan<int> indices, float learningRate)
    {
        fixed (int* idx = indices)
        {
            _source = source; _indices = idx; _count = indices.Length;
            _packs.Refresh(_pool);
            _pool.Run(this);
            _indices = null;
        }
        var total = new PpoLossSums();
        foreach (var s in _sums) total.Add(s);
        _gradientStep.Adam = false;
        _pool.Run(_gradientStep);
        double norm = Math.Sqrt(_squares.Sum());
        if (!double.IsFinite(norm) || !double.IsFinite(total.PolicyLoss) || !double.IsFinite(total.ValueError))
            throw new TrainingDivergedException("a non-finite loss or gradient appeared; try a lower learning_rate or smaller reward scales");
        _adam.BeginStep();
        _gradientStep.Adam = true;
        _gradientStep.Scale = Adam.ClipScale(norm, _config.GradNormClip);
        _gradientStep.LearningRate = learningRate;
        _pool.Run(_gradientStep);
        return total;
    }

    /// <summary>Rows taken through forward, loss and backward at a time (gradients add up), so activations stay in L2.</summary>
    internal const int ChunkRows = 256;

    public void Execute(int part, int parts)
    {
        var ws = _workspaces[part];
        int obs = _model.Observations, act = _model.Actions;
        new Span<float>(ws.Gradients.Pointer, _model.ParameterCount).Clear();
        var sums = new PpoLossSums();
        var (start, end) = WorkerPool.Split(_count, part, parts);
        int chunk = Math.Min(ws.MaxRows, ChunkRows);
        for (int s = start; s < end; s += chunk)
        {
            int rows = Math.Min(chunk, end - s);
            float* scalars = ws.BatchScalars.Pointer;
            for (int i = 0; i < rows; i++)
            {
                long k = _indices[s + i];
                new ReadOnlySpan<float>(_source.States + k * obs, obs).CopyTo(new Span<float>(ws.Inputs.Pointer + i * obs, obs));
                new ReadOnlySpan<float>(_source.Actions + k * act, act).CopyTo(new Span<float>(ws.BatchActions.Pointer + i * act, act));
                scalars[i] = _source.LogProbs[k];
                scalars[rows + i] = _source.Advantages[k];
                scalars[2 * rows + i] = _source.Returns[k];
                scalars[3 * rows + i] = _source.Values[k];
            }
            LossAndGradient(_model, _config, ws, rows, _count, ref sums, _packs);
        }
        if (part == 0)
            PpoLoss.Entropy(_model.LogStd, _config.EntropyLossScale, new Span<float>(ws.Gradients.Pointer + _model.LogStdOffset, act));
        _sums[part] = sums;
    }

    /// <summary>
    /// Forward, PPO loss and backward for rows already gathered into the workspace (inputs, actions,
    /// and the scalar blocks: old log-prob, advantage, return, old value); gradients are added into
    /// the workspace's gradient vector. The entropy term is not included (it is per batch, not per row).
    /// </summary>
    internal static void LossAndGradient(ActorCritic model, PpoConfig config, ActorCriticWorkspace ws, int rows, int batchSize, ref PpoLossSums sums,
        ActorCriticPacks? packs = null)
    {
        int act = model.Actions;
        float* p = model.Parameters.Pointer, g = ws.Gradients.Pointer;
        var oldLogProb = new ReadOnlySpan<float>(ws.BatchScalars.Pointer, rows);
        var advantages = new ReadOnlySpan<float>(ws.BatchScalars.Pointer + rows, rows);
        var returns = new ReadOnlySpan<float>(ws.BatchScalars.Pointer + 2 * rows, rows);
        var oldValues = new ReadOnlySpan<float>(ws.BatchScalars.Pointer + 3 * rows, rows);
        var actions = new ReadOnlySpan<float>(ws.BatchActions.Pointer, rows * act);

        float* mean = model.Policy.Forward(p, ws.Inputs.Pointer, rows, ws.Policy, ws.Scratch, packs?.Policy);
        PpoLoss.Policy(new ReadOnlySpan<float>(mean, rows * act), model.LogStd, actions, oldLogProb, advantages,
            config.RatioClip, batchSize, new Span<float>(ws.MeanGradient.Pointer, rows * act),
            new Span<float>(g + model.LogStdOffset, act), ref sums);
        model.Policy.Backward(p, ws.Inputs.Pointer, rows, ws.Policy, ws.MeanGradient.Pointer, g, ws.Scratch, packs?.Policy);

        float* value = model.Value.Forward(p, ws.Inputs.Pointer, rows, ws.Value, ws.Scratch, packs?.Value);
        PpoLoss.Value(new ReadOnlySpan<float>(value, rows), oldValues, returns, config.ClipPredictedValues,
            config.ValueClip, config.ValueLossScale, batchSize, new Span<float>(ws.ValueGradient.Pointer, rows), ref sums);
        model.Value.Backward(p, ws.Inputs.Pointer, rows, ws.Value, ws.ValueGradient.Pointer, g, ws.Scratch, packs?.Value);
    }

    /// <summary>Phase two: sum the threads' gradients (and their squares), or apply Adam, on each thread's parameter slice.</summary>
    private sealed class GradientStep(MiniBatchUpdater owner) : IParallelJob
    {
        public bool Adam;
        public float Scale, LearningRate;

        public void Execute(int part, int parts)
        {
            var ws = owner._workspaces;
            int n = owner._model.ParameterCount;
            var (start, end) = WorkerPool.Split(n / 16, part, parts);
            start *= 16; end = part == parts - 1 ? n : end * 16; // 16-float slices keep the vector loops aligned
            if (Adam)
            {
                owner._adam.Update(owner._model.Parameters.Pointer, ws[0].Gradients.Pointer, Scale, LearningRate, start, end);
                return;
            }
            var total = new Span<float>(ws[0].Gradients.Pointer + start, end - start);
            for (int w = 1; w < ws.Length; w++)
                TensorPrimitives.Add(total, new ReadOnlySpan<float>(ws[w].Gradients.Pointer + start, end - start), total);
            owner._squares[part] = TensorPrimitives.SumOfSquares(total);
        }
    }
}
