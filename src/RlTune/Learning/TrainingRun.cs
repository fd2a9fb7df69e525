using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;

namespace RlTune.Learning;

/// <summary>Everything one training run needs (what <c>rltune train-one</c> and <c>rltune train</c> build from their inputs).</summary>
public sealed record TrainingRequest(string EnvName, PpoConfig Config, string RunDir)
{
    public IReadOnlyDictionary<string, double>? RewardScales { get; init; }
    public JsonObject? EnvOverrides { get; init; }
    /// <summary>Warm start from this checkpoint (weights, optimizer state, scaler statistics), or continue it with <see cref="Resume"/>.</summary>
    public string? Checkpoint { get; init; }
    /// <summary>
    /// <see cref="Checkpoint"/> is this run's own earlier state: continue it (env-step counter, schedules, random stream,
    /// the env's episodes) up to max_env_steps, so the steps it already trained are not trained again.
    /// </summary>
    public bool Resume { get; init; }
    /// <summary>Keep the state scaler's statistics as loaded (only meaningful with <see cref="Checkpoint"/>).</summary>
    public bool FreezePreprocessor { get; init; }
    public int Threads { get; init; } = 2;
    public int EnvThreads { get; init; } = 2;
    /// <summary>Episodes of the deterministic evaluation after training (0: none).</summary>
    public int EvaluationEpisodes { get; init; } = 256;
    /// <summary>When set, one deterministic episode is written here as CSV after training (<c>--render</c>).</summary>
    public string? EpisodeTracePath { get; init; }

    /// <summary>
    /// The PPO settings of a run: MotrixLab's defaults, then the env's recommended settings
    /// (<see cref="EnvRegistry.DefaultRlOverrides"/>), then the trial's rl_overrides, whose values win.
    /// </summary>
    public static PpoConfig ConfigFor(string envName, JsonObject? rlOverrides, string source) =>
        new PpoConfig().With(EnvRegistry.DefaultRlOverrides(envName), $"the recommended PPO settings of env '{envName}'").With(rlOverrides, source);
}

/// <summary>Progress of a run after each update, for live lines and the orchestrator.</summary>
public sealed record TrainingProgress(long EnvSteps, long TotalEnvSteps, double StepsPerSecond, double EpisodeRewardMean, double? SuccessRate, UpdateReport Report)
{
    /// <summary>Mean length of the training episodes that ended lately (NaN before any ended): the lazy-robot rule reads it.</summary>
    public double EpisodeLengthMean { get; init; } = double.NaN;
}

/// <summary>Where a run's scalars go (TensorBoard in the CLI; nothing in tests).</summary>
public interface IScalarSink
{
    void Write(long step, IReadOnlyList<KeyValuePair<string, double>> scalars);
    void Flush();
}

/// <summary>What a finished run measured; also written to metrics.json.</summary>
public sealed record TrainingOutcome(bool Succeeded, string? Failure, EvaluationResult? Evaluation, long EnvSteps, double Seconds, string MetricsPath)
{
    /// <summary>Wall seconds in env.Step, in policy inference during rollouts, and in PPO updates.</summary>
    public (double Env, double Inference, double Update) TimeSplit { get; init; }
}

/// <summary>
/// One training run: builds the env and the trainer (optionally warm-started), trains to
/// <c>max_env_steps</c> logging skrl's TensorBoard tags, saves interval/best/final checkpoints,
/// evaluates the final policy deterministically and writes metrics.json. A diverging run
/// (NaN) ends with a failure recorded in metrics.json, never a hang.
/// </summary>
public static class TrainingRun
{
    public const string MetricsFile = "metrics.json";

    /// <summary>The final evaluation runs from seed + this, so its episodes differ from training's and an evaluation-only run can repeat them.</summary>
    public const int EvaluationSeedOffset = 1_000_003;

    public static TrainingOutcome Run(TrainingRequest request, IScalarSink? scalars = null, Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var config = request.Config;
        Directory.CreateDirectory(request.RunDir);
        string checkpoints = Path.Combine(request.RunDir, "checkpoints");
        string metricsPath = Path.Combine(request.RunDir, MetricsFile);
        var clock = Stopwatch.StartNew();
        Checkpoint? warm = request.Checkpoint != null ? Learning.Checkpoint.Load(request.Checkpoint) : null;
        using var env = EnvRegistry.Create(request.EnvName, new EnvOptions(config.NumEnvs, request.RewardScales, request.EnvOverrides, request.EnvThreads));
        using var trainer = new PpoTrainer(config, env, request.Threads, warm?.Model);
        bool? envContinued = null;
        if (warm != null)
        {
            if (request.Resume) envContinued = warm.Continue(trainer, env, request.Checkpoint!);
            else warm.Restore(trainer);
            trainer.FreezeStatePreprocessor = request.FreezePreprocessor;
        }
        long startSteps = trainer.EnvSteps;
        long interval = config.CheckpointInterval > 0 ? config.CheckpointInterval : Math.Max(1, config.MaxEnvSteps / 5);
        long nextCheckpoint = (startSteps / interval + 1) * interval;
        double bestReward = double.NegativeInfinity, lastReward = double.NaN, lastLength = double.NaN;
        double? lastSuccess = null;
        double envSeconds = 0, inferenceSeconds = 0, updateSeconds = 0;
        try
        {
            while (!trainer.Done)
            {
                cancel.ThrowIfCancellationRequested();
                var report = trainer.Iterate();
                var ep = report.Episodes;
                envSeconds += report.EnvSeconds; inferenceSeconds += report.RolloutSeconds - report.EnvSeconds; updateSeconds += report.UpdateSeconds;
                if (ep.Episodes > 0)
                {
                    lastReward = ep.ReturnMean;
                    lastLength = ep.LengthMean;
                    if (ep.MetricMeans.TryGetValue("success", out var s)) lastSuccess = s;
                }
                scalars?.Write(report.EnvSteps, Scalars(report));
                progress?.Invoke(new TrainingProgress(report.EnvSteps, trainer.TotalUpdates * (long)config.Rollouts * config.NumEnvs,
                    (report.EnvSteps - startSteps) / Math.Max(1e-9, clock.Elapsed.TotalSeconds), lastReward, lastSuccess, report) { EpisodeLengthMean = lastLength });
                if (ep.Episodes > 0 && ep.ReturnMean > bestReward)
                {
                    bestReward = ep.ReturnMean;
                    Learning.Checkpoint.Save(Path.Combine(checkpoints, "best_agent.ckpt"), trainer, request.EnvName, request.EnvOverrides);
                }
                if (report.EnvSteps >= nextCheckpoint)
                {
                    Learning.Checkpoint.Save(Path.Combine(checkpoints, $"agent_{report.EnvSteps}.ckpt"), trainer, request.EnvName, request.EnvOverrides);
                    while (nextCheckpoint <= report.EnvSteps) nextCheckpoint += interval;
                }
            }
            Learning.Checkpoint.Save(Path.Combine(checkpoints, "final_agent.ckpt"), trainer, request.EnvName, request.EnvOverrides);
            scalars?.Flush();
            EvaluationResult? evaluation = null;
            if (request.EvaluationEpisodes > 0)
            {
                // a separate env sized to the episodes wanted: stepping all training envs for a few first episodes would waste time
                using var evalEnv = EnvRegistry.Create(request.EnvName, new EnvOptions(Math.Min(request.EvaluationEpisodes, config.NumEnvs),
                    request.RewardScales, request.EnvOverrides, request.EnvThreads));
                evaluation = trainer.Evaluate(evalEnv, request.EvaluationEpisodes, config.Seed + EvaluationSeedOffset);
            }
            if (evaluation != null && !double.IsFinite(evaluation.RewardMean))
                throw new TrainingDivergedException("the evaluation's episode reward is not finite");
            if (request.EpisodeTracePath != null) EpisodeTrace.Write(request.EpisodeTracePath, trainer, env, config.Seed + 7);
            var metrics = Metrics(evaluation, trainer, trainer.EnvSteps - startSteps, clock.Elapsed.TotalSeconds, lastReward, request.Threads);
            if (envContinued is { } exact)
            {
                // what the study reports about a continued trial: from where, and whether the env's episodes carried on or restarted
                metrics["train_resumed_from_env_steps"] = startSteps;
                metrics["train_env_continued"] = exact;
            }
            WriteMetrics(metricsPath, metrics);
            return new TrainingOutcome(true, null, evaluation, trainer.EnvSteps, clock.Elapsed.TotalSeconds, metricsPath)
            {
                TimeSplit = (envSeconds, inferenceSeconds, updateSeconds),
            };
        }
        catch (TrainingDivergedException e)
        {
            scalars?.Flush();
            var failed = new JsonObject
            {
                ["status"] = "failed",
                ["error"] = $"training diverged: {e.Message}",
                ["train_env_steps"] = trainer.EnvSteps,
                ["train_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            };
            WriteMetrics(metricsPath, failed);
            return new TrainingOutcome(false, e.Message, null, trainer.EnvSteps, clock.Elapsed.TotalSeconds, metricsPath);
        }
    }

    /// <summary>The scalars of one update under skrl's TensorBoard tag names.</summary>
    public static List<KeyValuePair<string, double>> Scalars(UpdateReport r)
    {
        var list = new List<KeyValuePair<string, double>>
        {
            new("Reward / Instantaneous reward (mean)", r.InstantRewardMean),
            new("Loss / Policy loss", r.PolicyLoss),
            new("Loss / Value loss", r.ValueLoss),
            new("Loss / Entropy loss", r.EntropyLoss),
            new("Policy / Standard deviation", r.PolicyStd),
            new("Learning / Learning rate", r.LearningRate),
        };
        var ep = r.Episodes;
        if (ep.Episodes > 0)
        {
            list.Add(new("Reward / Total reward (mean)", ep.ReturnMean));
            list.Add(new("Episode / Total timesteps (mean)", ep.LengthMean));
            foreach (var (name, value) in ep.MetricMeans) list.Add(new($"metrics / {name} (mean)", value));
            foreach (var (name, value) in ep.TermMeans) list.Add(new($"Reward Instant / {name} (mean)", value));
        }
        return list;
    }

    private static JsonObject Metrics(EvaluationResult? evaluation, PpoTrainer trainer, long stepsThisRun, double seconds, double lastTrainReward, int threads)
    {
        var m = new JsonObject { ["status"] = "ok" };
        if (evaluation != null) AddEvaluation(m, evaluation);
        if (double.IsFinite(lastTrainReward)) m["train_episode_reward_mean"] = lastTrainReward;
        m["train_env_steps"] = trainer.EnvSteps;
        m["train_seconds"] = Math.Round(seconds, 3);
        m["train_steps_per_s"] = Math.Round(stepsThisRun / Math.Max(1e-9, seconds), 1);
        // the network's thread count changes the order of its sums and so the run: a retrain needs the same --threads
        m["train_threads"] = threads;
        return m;
    }

    /// <summary>The metrics a training run on <paramref name="env"/> writes to metrics.json (what an objective may name).</summary>
    public static IReadOnlyList<string> MetricNames(IVecEnv env)
    {
        var names = new List<string> { "episode_reward_mean", "episode_reward_std" };
        if (env.EpisodeMetricNames.Contains("success")) names.Add("success_rate");
        names.AddRange(["termination_rate", "episode_length_mean", "evaluation_episodes"]);
        names.AddRange(env.EpisodeMetricNames.Where(n => !names.Contains(n)));
        names.AddRange(["train_episode_reward_mean", "train_env_steps", "train_seconds", "train_steps_per_s", "train_threads"]);
        return names;
    }

    /// <summary>The evaluation's entries of metrics.json (shared by training runs and evaluation-only runs).</summary>
    public static void AddEvaluation(JsonObject m, EvaluationResult evaluation)
    {
        m["episode_reward_mean"] = evaluation.RewardMean;
        m["episode_reward_std"] = evaluation.RewardStd;
        if (evaluation.Metrics.TryGetValue("success", out var success)) m["success_rate"] = success;
        // an env that ends successes as terminal reports its own failure-only termination metric
        m["termination_rate"] = evaluation.Metrics.TryGetValue("termination", out var failed) ? failed : evaluation.TerminationRate;
        m["episode_length_mean"] = evaluation.LengthMean;
        m["evaluation_episodes"] = evaluation.Episodes;
        foreach (var (name, value) in evaluation.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (!m.ContainsKey(name)) m[name] = value;
    }

    /// <summary>Writes metrics.json atomically (write then rename).</summary>
    public static void WriteMetrics(string path, JsonObject metrics)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The orchestrator's line: <c>PROGRESS step=N of=M reward=R success=S length=L steps_per_s=X</c> (success "nan" when the env reports none).</summary>
    public static string ProgressLine(TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"PROGRESS step={p.EnvSteps} of={p.TotalEnvSteps} reward={p.EpisodeRewardMean:G6} success={(p.SuccessRate is { } s ? s.ToString("G4", CultureInfo.InvariantCulture) : "nan")} length={p.EpisodeLengthMean:G5} steps_per_s={p.StepsPerSecond:F0}");
}
