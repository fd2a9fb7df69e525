namespace RlTune.Learning;

/// <summary>
/// Runs the model on many rows at once across the worker pool: observations are normalised by the
/// state scaler, then the policy mean and/or the value are written per row. Used for rollouts,
/// time-limit bootstrapping, evaluation and the inference benchmark.
/// </summary>
public sealed unsafe class ModelRunner : IParallelJob
{
    private readonly ActorCritic _model;
    private readonly ActorCriticWorkspace[] _workspaces;
    private readonly WorkerPool _pool;
    private readonly ActorCriticPacks _packs;
    private RunningStandardScaler? _scaler;
    private float* _observations, _means, _values;
    private int _rows, _nextChunk;

    public ModelRunner(ActorCritic model, ActorCriticWorkspace[] workspaces, WorkerPool pool)
    {
        _model = model; _workspaces = workspaces; _pool = pool;
        _packs = new ActorCriticPacks(model);
    }

    /// <summary>
    /// For rows of raw <paramref name="observations"/> [rows x obs]: policy means [rows x act] (when
    /// <paramref name="means"/> is not null) and values [rows] (when <paramref name="values"/> is not null),
    /// values as the network outputs them (in the value scaler's units).
    /// </summary>
    public void Run(float* observations, int rows, RunningStandardScaler? scaler, float* means, float* values)
    {
        _observations = observations; _rows = rows; _scaler = scaler; _means = means; _values = values; _nextChunk = 0;
        if (rows > 0) _packs.Refresh(_pool); // parameters change between calls (updates, checkpoint loads)
        _pool.Run(this);
    }

    /// <summary>Rows run through both networks at a time, so each layer's activations stay in L2.</summary>
    internal const int ChunkRows = 256;

    public void Execute(int part, int parts)
    {
        var ws = _workspaces[part];
        int obs = _model.Observations, act = _model.Actions;
        float* p = _model.Parameters.Pointer;
        // threads take chunks as they come free, so a thread descheduled on a shared machine holds up one chunk, not half the rows
        int chunk = Math.Max(1, Math.Min(Math.Min(ws.MaxRows, ChunkRows), (_rows + parts - 1) / parts));
        int next;
        while ((next = Interlocked.Increment(ref _nextChunk) - 1) * (long)chunk < _rows)
        {
            int s = next * chunk, rows = Math.Min(chunk, _rows - s);
            var raw = new ReadOnlySpan<float>(_observations + (long)s * obs, rows * obs);
            var input = new Span<float>(ws.Inputs.Pointer, rows * obs);
            if (_scaler != null) _scaler.Normalize(raw, input); else raw.CopyTo(input);
            if (_means != null)
            {
                float* mu = _model.Policy.Forward(p, ws.Inputs.Pointer, rows, ws.Policy, ws.Scratch, _packs.Policy);
                new ReadOnlySpan<float>(mu, rows * act).CopyTo(new Span<float>(_means + (long)s * act, rows * act));
            }
            if (_values != null)
            {
                float* v = _model.Value.Forward(p, ws.Inputs.Pointer, rows, ws.Value, ws.Scratch, _packs.Value);
                new ReadOnlySpan<float>(v, rows).CopyTo(new Span<float>(_values + s, rows));
            }
        }
    }
}
