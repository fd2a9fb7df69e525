using System.Diagnostics;
using RlTune.Envs;
using RlTune.Learning;

namespace RlTune.Bench;

/// <summary>
/// Peak memory of one PPO trial: the trainer at full-body shapes (obs 54, act 12, the seed's
/// networks) with 2048 envs x 48 rollouts, on a stand-in env of the same shapes (random linear
/// dynamics, so the env itself costs almost nothing). Prints the process's peak resident set.
/// </summary>
internal static class PpoMemoryBench
{
    public const string Help = "[--obs 54] [--act 12] [--envs 2048] [--rollouts 48] [--iterations 2]: peak RSS of a trial";

    public static int Run(string[] args)
    {
        var a = new BenchArgs(args);
        int obs = a.Int("obs", 54), act = a.Int("act", 12), envs = a.Int("envs", 2048), rollouts = a.Int("rollouts", 48);
        int iterations = a.Int("iterations", 2);
        var config = new PpoConfig { NumEnvs = envs, Rollouts = rollouts, MaxEnvSteps = (long)envs * rollouts * iterations, Seed = 1 };
        using var env = new ShapeEnv(envs, obs, act);
        var clock = Stopwatch.StartNew();
        using (var trainer = new PpoTrainer(config, env, a.Int("threads", 2)))
            while (!trainer.Done) trainer.Iterate();
        long peak = PeakResidentBytes();
        Console.WriteLine($"peak_rss_mib={peak / (1024.0 * 1024):F0} envs={envs} rollouts={rollouts} obs={obs} act={act} seconds={clock.Elapsed.TotalSeconds:F1}");
        return 0;
    }

    private static long PeakResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Environment.WorkingSet;
    }

    /// <summary>Observations drift with the actions; episodes are truncated every 100 steps.</summary>
    private sealed class ShapeEnv(int envs, int obs, int act) : IVecEnv
    {
        private readonly float[] _obs = new float[envs * obs];
        private readonly float[] _final = new float[envs * obs];
        private readonly int[] _t = new int[envs];
        private int _ended;
        public string Name => "shape-only";
        public int NumEnvs => envs;
        public int ObsDim => obs;
        public int ActDim => act;
        public int MaxEpisodeSteps => 100;
        public IReadOnlyList<RewardTermInfo> RewardTerms => [];
        public ReadOnlySpan<float> Observations => _obs;
        public ReadOnlySpan<float> FinalObservations => _final;
        public void Reset(int seed) { Array.Clear(_obs); Array.Clear(_t); }

        public void Step(ReadOnlySpan<float> actions, Span<float> rewards, Span<bool> terminated, Span<bool> truncated)
        {
            for (int e = 0; e < envs; e++)
            {
                for (int i = 0; i < obs; i++) _obs[e * obs + i] = 0.9f * _obs[e * obs + i] + 0.1f * Math.Clamp(actions[e * act + i % act], -1, 1);
                rewards[e] = -Math.Abs(_obs[e * obs]);
                terminated[e] = false;
                truncated[e] = ++_t[e] >= 100;
                if (truncated[e]) { _obs.AsSpan(e * obs, obs).CopyTo(_final.AsSpan(e * obs, obs)); _obs.AsSpan(e * obs, obs).Clear(); _t[e] = 0; _ended++; }
            }
        }

        public EpisodeReport DrainEpisodes()
        {
            var r = new EpisodeReport(_ended, 0, 0, 100, new Dictionary<string, double>(), new Dictionary<string, double>());
            _ended = 0;
            return r;
        }

        public void Dispose() { }
    }
}
