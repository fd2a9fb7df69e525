using RlTune.Envs;

namespace RlTune.Learning;

/// <summary>
/// A deterministic evaluation: means over the first episode of each evaluated env. The env's own
/// metrics are read per env as each first episode ends, so an env's later episodes never count.
/// </summary>
public sealed record EvaluationResult(int Episodes, double RewardMean, double RewardStd, double LengthMean,
    double TerminationRate, IReadOnlyDictionary<string, double> Metrics);

public static unsafe class PolicyEvaluation
{
    /// <summary>
    /// Runs the policy's mean action (no noise) from <c>env.Reset(seed)</c> until
    /// <paramref name="episodes"/> first episodes have ended (in rounds of env.NumEnvs).
    /// </summary>
    public static EvaluationResult Evaluate(ActorCritic model, RunningStandardScaler? stateScaler, ModelRunner runner, IVecEnv env, int episodes, int seed)
    {
        if (env.ObsDim != model.Observations || env.ActDim != model.Actions)
            throw new ArgumentException("evaluation env does not match the model");
        int n = env.NumEnvs;
        var actions = new AlignedBuffer(n * env.ActDim);
        var rewards = new float[n];
        var terminated = new bool[n];
        var truncated = new bool[n];
        var returns = new double[n];
        var lengths = new int[n];
        var finished = new bool[n];
        var episodeReturns = new List<double>();
        double lengthSum = 0, terminations = 0;
        var metricNames = env.EpisodeMetricNames;
        var metricSums = new double[metricNames.Count];
        var episodeMetrics = new double[metricNames.Count];
        for (int round = 0; episodeReturns.Count < episodes; round++)
        {
            int wanted = Math.Min(n, episodes - episodeReturns.Count), done = 0;
            env.Reset(seed + round);
            env.DrainEpisodes();
            Array.Clear(returns); Array.Clear(lengths); Array.Clear(finished);
            int limit = 2 * env.MaxEpisodeSteps + 10;
            for (int step = 0; step < limit && done < wanted; step++)
            {
                fixed (float* o = env.Observations)
                    runner.Run(o, n, stateScaler, actions.Pointer, null);
                env.Step(actions.Span, rewards, terminated, truncated);
                for (int e = 0; e < wanted; e++)
                {
                    if (finished[e]) continue;
                    returns[e] += rewards[e];
                    lengths[e]++;
                    if (!terminated[e] && !truncated[e]) continue;
                    finished[e] = true; done++;
                    episodeReturns.Add(returns[e]);
                    lengthSum += lengths[e];
                    if (terminated[e]) terminations++;
                    env.FinalEpisodeMetrics(e, episodeMetrics);
                    for (int k = 0; k < metricSums.Length; k++) metricSums[k] += episodeMetrics[k];
                }
                env.DrainEpisodes(); // the training tallies are not wanted here
            }
            if (done < wanted) throw new InvalidOperationException($"evaluation: {wanted - done} episodes did not end within {limit} steps");
        }
        int count = episodeReturns.Count;
        double meanReturn = episodeReturns.Average();
        double std = Math.Sqrt(episodeReturns.Sum(r => (r - meanReturn) * (r - meanReturn)) / count);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int k = 0; k < metricNames.Count; k++) metrics[metricNames[k]] = metricSums[k] / count;
        return new EvaluationResult(count, meanReturn, std, lengthSum / count, terminations / count, metrics);
    }
}
