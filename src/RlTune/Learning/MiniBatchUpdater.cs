using System.Numerics.Tensors;

namespace RlTune.Learning;

/// <summary>Where a mini-batch's rows come from: rollout memory, indexed by sample (row-major per field).</summary>
public readonly unsafe struct SampleSource(float* states, float* actions, float* logProbs, float* advantages, float* returns, float* values)
{
    public readonly float* States = states, Actions = actions, LogProbs = logProbs, Advantages = advantages, Returns = returns, Values = values;
}

/// <summary>
/// One PPO optimisation step on one mini-batch. The rows are cut into up to 8 chunks (the same for
/// any thread count); the pool's threads take chunks as they come free, gather the chunk's rows and
/// run forward, loss and backward into the chunk's own gradient vector. A thread descheduled on a
/// shared machine so holds up one chunk, not half the batch, and since the chunks' gradients are
/// summed in chunk order the result does not depend on which thread took which chunk. Then the
/// global norm is clipped and Adam applied, each thread owning a slice of the parameters.
/// </summary>
public sealed unsafe class MiniBatchUpdater : IParallelJob
{
    private readonly ActorCritic _model;
    private readonly PpoConfig _config;
    private readonly WorkerPool _pool;
    private readonly ActorCriticWorkspace[] _workspaces;
    private readonly Adam _adam;
    private readonly double[] _squares;
    private readonly GradientStep _gradientStep;
    private readonly ActorCriticPacks _packs;
    private SampleSource _source;
    private int* _indices;
    private int _count;
    private float _entropyLossScale;
    private const int MaxChunks = 8; // bounds the chunks' gradient vectors (memory) for very large mini-batches
    private readonly List<AlignedBuffer> _chunkGradients = [];
    private readonly PpoLossSums[] _chunkSums = new PpoLossSums[MaxChunks];
    private int _chunks, _chunkSize, _nextChunk;

    public MiniBatchUpdater(ActorCritic model, PpoConfig config, WorkerPool pool, ActorCriticWorkspace[] workspaces, Adam adam)
    {
        _model = model; _config = config; _pool = pool; _workspaces = workspaces; _adam = adam;
        _squares = new double[(model.ParameterCount + GradientStep.Block - 1) / GradientStep.Block];
        _gradientStep = new GradientStep(this);
        _packs = new ActorCriticPacks(model);
    }

    /// <summary>
    /// Takes one optimiser step on the samples <paramref name="indices"/> of <paramref name="source"/>.
    /// Throws <see cref="TrainingDivergedException"/> when the loss or gradient is not finite (parameters unchanged).
    /// </summary>
    public PpoLossSums Step(in SampleSource source, ReadOnlySpan<int> indices, float learningRate, float entropyLossScale)
    {
        fixed (int* idx = indices)
        {
            _source = source; _indices = idx; _count = indices.Length; _entropyLossScale = entropyLossScale;
            _chunks = Math.Clamp((_count + ChunkRows - 1) / ChunkRows, 1, MaxChunks);
            _chunkSize = (_count + _chunks - 1) / _chunks;
            while (_chunkGradients.Count < _chunks) _chunkGradients.Add(new AlignedBuffer(_model.ParameterCount));
            _nextChunk = 0;
            _packs.Refresh(_pool);
            _pool.Run(this);
            _indices = null;
        }
        var total = new PpoLossSums();
        for (int c = 0; c < _chunks; c++) total.Add(_chunkSums[c]);
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
        int obs = _model.Observations, act = _model.Actions, block = Math.Min(ws.MaxRows, ChunkRows);
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunks)
        {
            float* gradients = _chunkGradients[chunk].Pointer;
            new Span<float>(gradients, _model.ParameterCount).Clear();
            var sums = new PpoLossSums();
            int start = chunk * _chunkSize, end = Math.Min(_count, start + _chunkSize);
            for (int s = start; s < end; s += block)
            {
                int rows = Math.Min(block, end - s);
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
                LossAndGradient(_model, _config, ws, rows, _count, ref sums, _packs, gradients);
            }
            if (chunk == 0)
                PpoLoss.Entropy(_model.LogStd, _entropyLossScale, new Span<float>(gradients + _model.LogStdOffset, act));
            _chunkSums[chunk] = sums;
        }
    }

    /// <summary>
    /// Forward, PPO loss and backward for rows already gathered into the workspace (inputs, actions,
    /// and the scalar blocks: old log-prob, advantage, return, old value); gradients are added into
    /// <paramref name="gradients"/> (default: the workspace's gradient vector). The entropy term is not included (it is per batch, not per row).
    /// </summary>
    internal static void LossAndGradient(ActorCritic model, PpoConfig config, ActorCriticWorkspace ws, int rows, int batchSize, ref PpoLossSums sums,
        ActorCriticPacks? packs = null, float* gradients = null)
    {
        int act = model.Actions;
        float* p = model.Parameters.Pointer, g = gradients != null ? gradients : ws.Gradients.Pointer;
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

    /// <summary>Phase two: sum the chunks' gradients (and their squares), or apply Adam, on each thread's blocks of parameters.</summary>
    private sealed class GradientStep(MiniBatchUpdater owner) : IParallelJob
    {
        /// <summary>Parameters per block: the squares are summed per fixed block, so the norm is the same for any thread count.</summary>
        public const int Block = 4096;

        public bool Adam;
        public float Scale, LearningRate;

        public void Execute(int part, int parts)
        {
            var chunks = owner._chunkGradients;
            int n = owner._model.ParameterCount;
            var (first, last) = WorkerPool.Split(owner._squares.Length, part, parts);
            for (int block = first; block < last; block++)
            {
                int start = block * Block, end = Math.Min(n, start + Block);
                if (Adam)
                {
                    owner._adam.Update(owner._model.Parameters.Pointer, chunks[0].Pointer, Scale, LearningRate, start, end);
                    continue;
                }
                var total = new Span<float>(chunks[0].Pointer + start, end - start);
                for (int c = 1; c < owner._chunks; c++)
                    TensorPrimitives.Add(total, new ReadOnlySpan<float>(chunks[c].Pointer + start, end - start), total);
                owner._squares[block] = TensorPrimitives.SumOfSquares(total);
            }
        }
    }
}
