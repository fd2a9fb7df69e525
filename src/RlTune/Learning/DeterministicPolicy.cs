namespace RlTune.Learning;

/// <summary>A checkpoint's policy acting by its mean action on a fixed number of rows (`rltune play`, the report's paths).</summary>
public sealed unsafe class DeterministicPolicy : IDisposable
{
    private readonly WorkerPool _pool = new(1);
    private readonly ModelRunner _runner;
    private readonly RunningStandardScaler? _scaler;
    private readonly AlignedBuffer _means;
    private readonly int _rows;

    public DeterministicPolicy(Checkpoint checkpoint, int rows)
    {
        var model = checkpoint.Model;
        _rows = rows;
        _runner = new ModelRunner(model, [new ActorCriticWorkspace(model, rows)], _pool);
        _scaler = checkpoint.Config.StatePreprocessor ? checkpoint.StateScaler : null;
        _means = new AlignedBuffer(rows * model.Actions);
    }

    /// <summary>Actions [rows x act] for observations [rows x obs].</summary>
    public void Act(ReadOnlySpan<float> observations, Span<float> actions)
    {
        fixed (float* o = observations)
            _runner.Run(o, _rows, _scaler, _means.Pointer, null);
        _means.Span.CopyTo(actions);
    }

    public void Dispose() => _pool.Dispose();
}
