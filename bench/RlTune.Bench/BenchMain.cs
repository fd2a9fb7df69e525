namespace RlTune.Bench;

/// <summary>Dispatches `rltune-bench NAME [options]` to the benchmark of that name.</summary>
public static class BenchMain
{
    private static readonly Dictionary<string, (string Help, Func<string[], int> Run)> Benches = new(StringComparer.Ordinal)
    {
        ["ppo-update"] = (PpoUpdateBench.Help, PpoUpdateBench.Run),
        ["gemm"] = (GemmBench.Help, GemmBench.Run),
        ["layer-kernels"] = (LayerKernelBench.Help, LayerKernelBench.Run),
        ["importance"] = (ImportanceBench.Help, ImportanceBench.Run),
        ["ppo-memory"] = (PpoMemoryBench.Help, PpoMemoryBench.Run),
        ["sampler-quality"] = (SamplerQuality.SamplerQualityBench.Help, SamplerQuality.SamplerQualityBench.Run),
        ["sampler-replay"] = (SamplerQuality.SamplerReplayBench.Help, SamplerQuality.SamplerReplayBench.Run),
        ["learning-curve"] = (LearningCurveBench.Help, LearningCurveBench.Run),
        ["env-speed"] = ("env steps per second of a built-in env alone (--env --envs --threads --seconds --env-overrides)", EnvSpeedBench.Run),
        ["worker-faults"] = ("automl + 3 rltune workers on a grid study over PostgreSQL; one worker SIGKILLed, the server restarted (--faults off: overhead only)", WorkerFaultsBench.Run),
        ["store-claims"] = ("trials claimed per second by concurrent claimer processes on SQLite and PostgreSQL (--claimers --trials --pg --peer; the Optuna peer needs scripts/install-bench-deps)", StoreClaimsBench.Run),
        ["nav-lite-scripted"] = ("vbot-nav-lite driven by a hand-written controller, to calibrate the body model", NavLiteScriptedBench.Run),
    };

    public static int Run(string[] args)
    {
        if (args.Length == 0 || !Benches.TryGetValue(args[0], out var bench))
        {
            Console.Error.WriteLine("usage: rltune-bench NAME [options]; benchmarks:");
            foreach (var (name, b) in Benches.OrderBy(kv => kv.Key)) Console.Error.WriteLine($"  {name,-14} {b.Help}");
            return 1;
        }
        try
        {
            return bench.Run(args[1..]);
        }
        catch (UserError e)
        {
            // a user's mistake (an unknown reward name, a missing file) is one sentence, as in the CLI
            Console.Error.WriteLine($"rltune-bench {args[0]}: {e.Message}");
            return 1;
        }
    }
}
