using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace RlTune.Learning;

/// <summary>One part of a job split across the pool's threads.</summary>
public interface IParallelJob
{
    void Execute(int part, int parts);
}

/// <summary>
/// A small persistent thread pool: the caller runs part 0, each worker one more part. Workers spin
/// briefly between jobs (PPO issues thousands of short jobs back to back) and then block, so an
/// idle pool does not steal the env's cores. Parallel.For's per-call overhead is too high here.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 microseconds

    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private IParallelJob? _job;
    private int _generation;
    private int _pending;
    private bool _disposed;
    private Exception? _error;

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "a pool needs at least one thread");
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int part = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(part)) { IsBackground = true, Name = $"rltune-worker-{part}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>Runs every part of <paramref name="job"/> and returns when all are done.</summary>
    public void Run(IParallelJob job)
    {
        if (_workers.Length == 0) { job.Execute(0, 1); return; }
        _job = job;
        Volatile.Write(ref _pending, _workers.Length);
        lock (_gate)
        {
            _generation++;
            Monitor.PulseAll(_gate);
        }
        Exception? own = null;
        try { job.Execute(0, Threads); }
        catch (Exception e) { own = e; }
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _job = null;
        var error = own ?? Interlocked.Exchange(ref _error, null);
        if (error != null) ExceptionDispatchInfo.Capture(error).Throw();
    }

    private void WorkerLoop(int part)
    {
        int seen = 0;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen && !Volatile.Read(ref _disposed))
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks) { Thread.SpinWait(8); continue; }
                lock (_gate)
                {
                    while (_generation == seen && !_disposed) Monitor.Wait(_gate);
                }
            }
            if (Volatile.Read(ref _disposed)) return;
            seen = Volatile.Read(ref _generation);
            try { _job!.Execute(part, Threads); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            Interlocked.Decrement(ref _pending);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var w in _workers) w.Join();
    }

    /// <summary>The half-open range of <paramref name="count"/> items that part <paramref name="part"/> of <paramref name="parts"/> owns.</summary>
    public static (int Start, int End) Split(int count, int part, int parts)
    {
        long start = (long)count * part / parts, end = (long)count * (part + 1) / parts;
        return ((int)start, (int)end);
    }
}
