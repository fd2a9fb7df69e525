using System.Diagnostics;
using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;

namespace RlTune.Learning;

/// <summary>
/// An evaluation-only run (<c>rl_overrides.eval_only</c>): loads a checkpoint's weights and state
/// scaler, trains nothing, and evaluates the mean action deterministically over
/// <see cref="TrainingRequest.EvaluationEpisodes"/> episodes on the request's env settings.
/// Env count and seed follow the training run's own final evaluation, so evaluating a run's
/// final checkpoint with the run's seed and num_envs repeats that evaluation exactly.
/// </summary>
public static class EvaluationRun
{
    public static TrainingOutcome Run(TrainingRequest request)
    {
        if (request.Checkpoint is null) throw new ArgumentException("an evaluation-only run needs a checkpoint", nameof(request));
        if (request.EvaluationEpisodes < 1) throw new UserError($"an evaluation-only run needs at least one episode, not {request.EvaluationEpisodes}.");
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(request.RunDir);
        string metricsPath = Path.Combine(request.RunDir, TrainingRun.MetricsFile);
        var checkpoint = Checkpoint.Load(request.Checkpoint);
        var model = checkpoint.Model;
        int envs = Math.Min(request.EvaluationEpisodes, request.Config.NumEnvs);
        using var env = EnvRegistry.Create(request.EnvName, new EnvOptions(envs, request.RewardScales, request.EnvOverrides, request.EnvThreads));
        if (env.ObsDim != model.Observations || env.ActDim != model.Actions)
            throw new UserError($"checkpoint '{request.Checkpoint}' takes {model.Observations} observations and gives {model.Actions} actions; env '{env.Name}' has {env.ObsDim} and {env.ActDim}.");
        using var pool = new WorkerPool(request.Threads);
        int rows = Math.Min((envs + request.Threads - 1) / request.Threads, 4096);
        var workspaces = Enumerable.Range(0, request.Threads).Select(_ => new ActorCriticWorkspace(model, rows)).ToArray();
        var runner = new ModelRunner(model, workspaces, pool);
        // the scaler is used as the checkpoint's training used it, and never updated here
        var scaler = checkpoint.Config.StatePreprocessor ? checkpoint.StateScaler : null;
        var evaluation = PolicyEvaluation.Evaluate(model, scaler, runner, env, request.EvaluationEpisodes, request.Config.Seed + TrainingRun.EvaluationSeedOffset);
        if (!double.IsFinite(evaluation.RewardMean))
        {
            const string error = "evaluation diverged: the episode reward is not finite";
            TrainingRun.WriteMetrics(metricsPath, new JsonObject { ["status"] = "failed", ["error"] = error });
            return new TrainingOutcome(false, error, null, 0, clock.Elapsed.TotalSeconds, metricsPath);
        }
        var metrics = new JsonObject { ["status"] = "ok" };
        TrainingRun.AddEvaluation(metrics, evaluation);
        metrics["checkpoint_env_steps"] = checkpoint.Header["env_steps"]?.GetValue<long>() ?? 0;
        metrics["eval_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3);
        TrainingRun.WriteMetrics(metricsPath, metrics);
        return new TrainingOutcome(true, null, evaluation, 0, clock.Elapsed.TotalSeconds, metricsPath);
    }
}
