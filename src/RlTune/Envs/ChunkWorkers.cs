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

/// <summary>The arguments of one <see cref="IVecEnv.Step"/>, pinned while the ranges are stepped.</summary>
internal readonly unsafe struct StepBuffers(float* actions, float* rewards, bool* terminated, bool* truncated)
{
    public readonly float* Actions = actions, Rewards = rewards;
    public readonly bool* Terminated = terminated, Truncated = truncated;
}

/// <summary>
/// An env batch split into contiguous ranges, one per thread, each with its own episode tally:
/// <see cref="Step"/> checks and pins the step's arguments and runs every range (the caller's thread
/// runs the first). Range boundaries fall on multiples of <c>granularity</c> slots (an env that
/// steps eight lanes per vector needs whole vectors).
/// </summary>
internal sealed unsafe class ChunkedSteps : IDisposable
{
    public delegate void RangeStep(int begin, int end, in StepBuffers buffers, EpisodeTally tally);

    private readonly int _envs, _actDim;
    private readonly IReadOnlyList<string> _termNames;
    private readonly RangeStep _step;
    private readonly int[] _start;
    private readonly EpisodeTally[] _tallies;
    private readonly ChunkWorkers? _workers;
    private StepBuffers _current;

    public ChunkedSteps(int envs, int actDim, int slots, int granularity, int threads, IReadOnlyList<string> termNames, string envName, RangeStep step)
    {
        _envs = envs;
        _actDim = actDim;
        _termNames = termNames;
        _step = step;
        int blocks = slots / granularity;
        int chunks = Math.Clamp(threads, 1, blocks);
        _start = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) _start[c] = (int)((long)blocks * c / chunks) * granularity;
        _tallies = new EpisodeTally[chunks];
        for (int c = 0; c < chunks; c++) _tallies[c] = new EpisodeTally(termNames);
        if (chunks > 1) _workers = new ChunkWorkers(chunks, RunChunk, envName);
    }

    public void Step(ReadOnlySpan<float> actions, Span<float> rewards, Span<bool> terminated, Span<bool> truncated)
    {
        if (actions.Length < _envs * _actDim || rewards.Length < _envs || terminated.Length < _envs || truncated.Length < _envs)
            throw new ArgumentException($"Step needs {_envs * _actDim} actions and {_envs} rewards and flags.");
        fixed (float* pa = actions)
        fixed (float* pr = rewards)
        fixed (bool* pt = terminated)
        fixed (bool* pu = truncated)
        {
            _current = new StepBuffers(pa, pr, pt, pu);
            if (_workers is null) RunChunk(0);
            else _workers.Run();
        }
    }

    private void RunChunk(int chunk) => _step(_start[chunk], _start[chunk + 1], in _current, _tallies[chunk]);

    /// <summary>The episodes every range recorded since the last call, merged.</summary>
    public EpisodeReport Drain()
    {
        var total = new EpisodeTally(_termNames);
        foreach (var t in _tallies) { total.Add(t); t.Clear(); }
        return total.ToReport();
    }

    public void ClearTallies()
    {
        foreach (var t in _tallies) t.Clear();
    }

    public void Dispose() => _workers?.Dispose();
}
