using System.Diagnostics;
using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Bench;

/// <summary>
/// The same work as ../shared/bench/torch_ppo_update.py (beside the repository): PPO mini-batch updates (policy and
/// value forward, clipped surrogate, clipped value loss, entropy, backward, grad-norm clip, Adam)
/// on random data, then batched policy+value inference over all envs. Prints one line.
/// </summary>
internal static unsafe class PpoUpdateBench
{
    public const string Help = "--obs 54 --act 12 --policy 256,128,64 --value 512,256,128 --batch 1536 --envs 2048 --threads 2 [--iters 200]";

    public static int Run(string[] args)
    {
        var a = new BenchArgs(args);
        int obs = a.Int("obs", 54), act = a.Int("act", 12), batch = a.Int("batch", 1536), envs = a.Int("envs", 2048);
        int threads = a.Int("threads", 2), iters = a.Int("iters", 200);
        var config = new PpoConfig
        {
            PolicyHiddenLayerSizes = a.Sizes("policy", "256,128,64"), ValueHiddenLayerSizes = a.Sizes("value", "512,256,128"),
            RatioClip = 0.2, ValueClip = 0.2, ClipPredictedValues = true, ValueLossScale = 2.0, EntropyLossScale = 0.005,
            GradNormClip = 1.0, LearningRate = 3e-4,
        };
        var model = new ActorCritic(obs, act, config.PolicyHiddenLayerSizes, config.ValueHiddenLayerSizes);
        model.Initialise(0);
        using var pool = new WorkerPool(threads);
        int rowsPerThread = (Math.Max(batch, envs) + threads - 1) / threads;
        var workspaces = Enumerable.Range(0, threads).Select(_ => new ActorCriticWorkspace(model, rowsPerThread)).ToArray();
        var updater = new MiniBatchUpdater(model, config, pool, workspaces, new Adam(model.ParameterCount));

        var rng = new Rng(1);
        AlignedBuffer Randn(int n) { var b = new AlignedBuffer(n); rng.FillGaussian(b.Span); return b; }
        var states = Randn(batch * obs);
        var actions = Randn(batch * act);
        var logProbs = Randn(batch);
        var advantages = Randn(batch);
        var returns = Randn(batch);
        var values = Randn(batch);
        var source = new SampleSource(states.Pointer, actions.Pointer, logProbs.Pointer, advantages.Pointer, returns.Pointer, values.Pointer);
        var indices = Enumerable.Range(0, batch).ToArray();

        for (int i = 0; i < 20; i++) updater.Step(source, indices, 3e-4f, (float)config.EntropyLossScale);
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iters; i++) updater.Step(source, indices, 3e-4f, (float)config.EntropyLossScale);
        double updateSeconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double updateCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;

        var runner = new ModelRunner(model, workspaces, pool);
        var x = Randn(envs * obs);
        var means = new AlignedBuffer(envs * act);
        var v = new AlignedBuffer(envs);
        for (int i = 0; i < 20; i++) runner.Run(x.Pointer, envs, null, means.Pointer, v.Pointer);
        process.Refresh();
        cpu0 = process.TotalProcessorTime;
        clock.Restart();
        for (int i = 0; i < iters; i++) runner.Run(x.Pointer, envs, null, means.Pointer, v.Pointer);
        double inferenceSeconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double inferenceCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;

        double updateRate = (double)batch * iters / updateSeconds, inferenceRate = (double)envs * iters / inferenceSeconds;
        // multiply-adds: forward once, backward twice (weights, inputs; the first layer has no input gradient)
        long forward = model.Policy.MultiplyAddsPerRow + model.Value.MultiplyAddsPerRow;
        long firstLayers = (long)obs * (config.PolicyHiddenLayerSizes[0] + config.ValueHiddenLayerSizes[0]);
        double updateFlops = 2.0 * (3 * forward - firstLayers) * updateRate, inferenceFlops = 2.0 * forward * inferenceRate;
        // per CPU-second figures show kernel efficiency when the shared machine gives us less than our cores
        Console.Error.WriteLine($"kernel={Gemm.Isa} threads={threads} update {updateFlops / 1e9:F1} GFLOP/s ({updateFlops * updateSeconds / updateCpu / 1e9:F1} per CPU-second, {updateCpu / updateSeconds:F2} cores), " +
            $"inference {inferenceFlops / 1e9:F1} GFLOP/s ({inferenceFlops * inferenceSeconds / inferenceCpu / 1e9:F1} per CPU-second, {inferenceCpu / inferenceSeconds:F2} cores)");
        Console.WriteLine($"update_samples_per_s={updateRate:F0} inference_env_steps_per_s={inferenceRate:F0}");
        return 0;
    }
}
