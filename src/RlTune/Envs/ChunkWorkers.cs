namespace RlTune.Envs;

/// <summary>
/// Persistent threads that each step one range of envs; the caller's thread runs chunk 0.
/// Hand-rolled (two barriers) so a step allocates nothing and wakes no thread pool.
/// </summary>
internal sealed class ChunkWorkers : IDisposable
{
    private readonly Action<int> _work;
    private readonly Barrier _start, _done;
    private readonly Thread[] _threads;
    private volatile bool _stopping;
    private Exception? _failure;

    public ChunkWorkers(int chunks, Action<int> work, string envName)
    {
        _work = work;
        _start = new Barrier(chunks);
        _done = new Barrier(chunks);
        _threads = new Thread[chunks - 1];
        for (int c = 1; c < chunks; c++)
        {
            int chunk = c;
            _threads[c - 1] = new Thread(() => Loop(chunk)) { IsBackground = true, Name = $"{envName} chunk {chunk}" };
            _threads[c - 1].Start();
        }
    }

    private void Loop(int chunk)
    {
        while (true)
        {
            _start.SignalAndWait();
            if (_stopping) return;
            try { _work(chunk); }
            catch (Exception e) { _failure = e; }
            _done.SignalAndWait();
        }
    }

    public void Run()
    {
        _start.SignalAndWait();
        try { _work(0); }
        finally { _done.SignalAndWait(); }
        if (_failure is { } e) { _failure = null; throw new InvalidOperationException("an env worker failed", e); }
    }

    public void Dispose()
    {
        _stopping = true;
        _start.SignalAndWait();
        foreach (var t in _threads) t.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
