using RlTune.TensorBoard;

namespace RlTune.Learning;

/// <summary>Writes a run's scalars to a TensorBoard event file in the run dir.</summary>
public sealed class TensorBoardScalarSink(string logDir) : IScalarSink, IDisposable
{
    private readonly EventFileWriter _writer = new(logDir);

    public void Write(long step, IReadOnlyList<KeyValuePair<string, double>> scalars) =>
        _writer.AddScalars(step, scalars.Select(kv => new ScalarValue(kv.Key, kv.Value)));

    public void Flush() => _writer.Flush();

    public void Dispose() => _writer.Dispose();
}
