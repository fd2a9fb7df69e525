using RlTune.Envs;
using RlTune.Learning;

namespace RlTune.Tests.Learning;

public sealed class PolicyEvaluationTests
{
    /// <summary>
    /// Env e's episodes last <c>lengths[e]</c> steps whatever the actions; metric "first" is 1 for
    /// an env's first episode and 0 for its later ones, so a mean above 0 of anything but first
    /// episodes shows up as a value below 1.
    /// </summary>
    private sealed class FixedLengthEnv(int[] lengths) : IVecEnv
    {
        private readonly float[] _obs = new float[lengths.Length * 2];
        private readonly int[] _t = new int[lengths.Length], _episode = new int[lengths.Length], _ended = new int[lengths.Length];
        private int _endedCount;
        public string Name => "fixed-length";
        public int NumEnvs => lengths.Length;
        public int ObsDim => 2;
        public int ActDim => 1;
        public int MaxEpisodeSteps => 100;
        public IReadOnlyList<RewardTermInfo> RewardTerms => [];
        public ReadOnlySpan<float> Observations => _obs;
        public ReadOnlySpan<float> FinalObservations => _obs;
        public IReadOnlyList<string> EpisodeMetricNames { get; } = ["first", "episode_length"];

        public void Reset(int seed) { Array.Clear(_t); Array.Clear(_episode); }

        public void Step(ReadOnlySpan<float> actions, Span<float> rewards, Span<bool> terminated, Span<bool> truncated)
        {
            for (int e = 0; e < NumEnvs; e++)
            {
                rewards[e] = 1;
                truncated[e] = false;
                terminated[e] = ++_t[e] >= lengths[e];
                if (!terminated[e]) continue;
                _ended[e] = _episode[e]++;
                _t[e] = 0;
                _endedCount++;
            }
        }

        public void FinalEpisodeMetrics(int env, Span<double> values)
        {
            values[0] = _ended[env] == 0 ? 1 : 0;
            values[1] = lengths[env];
        }

        public EpisodeReport DrainEpisodes()
        {
            var report = new EpisodeReport(_endedCount, 0, 0, 0, new Dictionary<string, double>(), new Dictionary<string, double>());
            _endedCount = 0;
            return report;
        }

        public void Dispose() { }
    }

    [Fact]
    public void MetricsCountEachEnvsFirstEpisodeOnly()
    {
        // env 0 ends every 5 steps, so its second episode ends on step 10 together with env 1's first
        using var env = new FixedLengthEnv([5, 10, 7]);
        var config = PpoTrainerTests.PointMassConfig(1) with { NumEnvs = 3, Rollouts = 4, MiniBatches = 1 };
        using var trainer = new PpoTrainer(config, env);
        var result = trainer.Evaluate(env, episodes: 3, seed: 0);

        Assert.Equal(3, result.Episodes);
        Assert.Equal(1.0, result.Metrics["first"], 12);
        Assert.Equal((5 + 10 + 7) / 3.0, result.Metrics["episode_length"], 12);
        Assert.Equal((5 + 10 + 7) / 3.0, result.LengthMean, 12);
        Assert.Equal(1.0, result.TerminationRate, 12);
    }
}
