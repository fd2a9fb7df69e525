using System.Diagnostics;
using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Bench;

/// <summary>Large square SGEMM throughput on 1 and 2 threads, to set against ../shared/bench/gemm_peak.py (beside the repository).</summary>
internal static unsafe class GemmBench
{
    public const string Help = "[--n 2048] [--reps 10]: square sgemm GFLOP/s on 1 and 2 threads (also per CPU-second)";

    public static int Run(string[] args)
    {
        var a = new BenchArgs(args);
        int n = a.Int("n", 2048), reps = a.Int("reps", 10);
        var rng = new Rng(2);
        var x = new AlignedBuffer(n * n); rng.FillGaussian(x.Span);
        var y = new AlignedBuffer(n * n); rng.FillGaussian(y.Span);
        var z = new AlignedBuffer(n * n);
        foreach (int threads in new[] { 1, 2 })
        {
            using var pool = new WorkerPool(threads);
            var job = new Job(n, x, y, z, Enumerable.Range(0, threads).Select(_ => new GemmScratch()).ToArray());
            for (int i = 0; i < 2; i++) pool.Run(job);
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) pool.Run(job);
            double seconds = clock.Elapsed.TotalSeconds;
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            double flop = 2.0 * n * n * n * reps;
            Console.WriteLine($"threads={threads} sgemm {n}^3: {flop / seconds / 1e9:F1} GFLOP/s kernel={Gemm.Isa} ({flop / cpu / 1e9:F1} per CPU-second, {cpu / seconds:F2} cores)");
        }
        return 0;
    }

    private sealed class Job(int n, AlignedBuffer a, AlignedBuffer b, AlignedBuffer c, GemmScratch[] scratch) : IParallelJob
    {
        public void Execute(int part, int parts)
        {
            var (start, end) = WorkerPool.Split(n, part, parts);
            Gemm.Multiply(end - start, n, n, a.Pointer + (long)start * n, n, false, b.Pointer, n, false, c.Pointer + (long)start * n, n, false, scratch[part]);
        }
    }
}
