using System.Diagnostics;
using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Bench;

/// <summary>
/// One dense layer's forward (x W + b, ELU) and input-gradient pass on one thread, fused kernels against
/// the packed GEMM plus separate element-wise passes, for the PPO networks' layer shapes.
/// </summary>
internal static unsafe class LayerKernelBench
{
    public const string Help = "[--rows 256] [--reps 2000]: GFLOP/s per CPU-second of each PPO layer shape, fused vs packed GEMM + passes (one thread)";

    public static int Run(string[] args)
    {
        var a = new BenchArgs(args);
        int rows = a.Int("rows", 256), reps = a.Int("reps", 2000);
        int[][] shapes = [[19, 128], [128, 64], [19, 256], [256, 128], [54, 256], [256, 128], [128, 64], [54, 512], [512, 256], [256, 128]];
        var rng = new Rng(5);
        var scratch = new GemmScratch();
        // the first pass only warms up (tiered JIT), the second prints
        for (int pass = 0; pass < 2; pass++)
        foreach (var s in shapes)
        {
            int inputs = s[0], outputs = s[1];
            var below = new Linear(7, inputs, Activation.Elu, 0);
            var layer = new Linear(inputs, outputs, Activation.Elu, below.ParameterCount);
            var p = new AlignedBuffer(below.ParameterCount + layer.ParameterCount); rng.FillGaussian(p.Span);
            var g = new AlignedBuffer(p.Length);
            var x = new AlignedBuffer(rows * inputs); rng.FillGaussian(x.Span);
            var y = new AlignedBuffer(rows * outputs);
            var dx = new AlignedBuffer(rows * inputs);
            var line = $"rows={rows} {inputs,3}->{outputs,-3}";
            foreach (bool fused in new[] { false, true })
            {
                Linear.UseFusedKernels = fused;
                double forward = Time(reps, () => layer.Forward(p.Pointer, x.Pointer, rows, y.Pointer, scratch));
                double backward = Time(reps, () => layer.Backward(p.Pointer, x.Pointer, y.Pointer, rows, g.Pointer, dx.Pointer, below, scratch));
                double flop = 2.0 * rows * inputs * outputs;
                line += $"  {(fused ? "fused" : "packed")}: forward {flop / forward / 1e9,5:F1} backward {2 * flop / backward / 1e9,5:F1} GFLOP/s";
            }
            var linear = new Linear(inputs, outputs, Activation.Identity, below.ParameterCount);
            double linearForward = Time(reps, () => linear.Forward(p.Pointer, x.Pointer, rows, y.Pointer, scratch));
            if (pass == 1) Console.WriteLine(line + $"  (fused without ELU: forward {2.0 * rows * inputs * outputs / linearForward / 1e9,5:F1})");
        }
        Linear.UseFusedKernels = true;
        return 0;
    }

    private static double Time(int reps, Action run)
    {
        for (int i = 0; i < Math.Max(3, reps / 10); i++) run();
        // CPU seconds, not wall seconds: on a shared machine a single thread is often descheduled
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        for (int i = 0; i < reps; i++) run();
        process.Refresh();
        return (process.TotalProcessorTime - cpu0).TotalSeconds / reps;
    }
}
