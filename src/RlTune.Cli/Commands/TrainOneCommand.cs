using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Learning;
using RlTune.Trials;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary><c>rltune train-one --config trial.json</c>: the built-in trainer of the trial protocol.</summary>
public sealed class TrainOneCommand : Command<TrainOneCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--config <FILE>")]
        [Description("Trial config JSON (MotrixLab train_one format plus run_dir and params).")]
        public string? Config { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Threads for the network (default 2).")]
        public int Threads { get; init; } = 2;

        [CommandOption("--env-threads <N>")]
        [Description("Threads for the env (default 2).")]
        public int EnvThreads { get; init; } = 2;

        [CommandOption("--eval-episodes <N>")]
        [Description("Episodes of the deterministic evaluation (default: rl_overrides.eval_episodes, else num_envs up to 256).")]
        public int? EvalEpisodes { get; init; }

        [CommandOption("--steps <N>")]
        [Description("Env steps to train, in place of the config's rl_overrides.max_env_steps.")]
        public long? Steps { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Config is null) throw new UserError("train-one needs --config FILE (a trial config JSON).");
        var trial = TrialConfig.Load(settings.Config);
        if (trial.Schedule.Count > 0) return ReplaySchedule(trial, settings, cancellationToken);
        var request = TrainingRequests.FromTrial(trial, trial.RunDir ?? TrainingRequests.DefaultRunDir("runs", trial.RunTag), settings.Threads, settings.EnvThreads, settings.EvalEpisodes);
        if (settings.Steps is { } steps)
        {
            if (trial.EvalOnly) throw new UserError($"--steps: {settings.Config} only evaluates (rl_overrides.eval_only), it trains no steps.");
            request = request with { Config = request.Config with { MaxEnvSteps = steps } };
            request.Config.Validate("--steps");
        }
        WritableDirectory.Ensure(request.RunDir, trial.RunDir is null ? "the run dir" : $"{trial.Source}: field 'run_dir'");
        Console.WriteLine($"PIPELINE_RUN_DIR={Path.GetFullPath(request.RunDir)}");
        if (trial.EvalOnly) return TrainingRequests.Finish(EvaluationRun.Run(request));
        return TrainingRequests.RunWithPlainProgress(request, cancellationToken);
    }

    /// <summary>
    /// Trains a schedule's intervals one after another in RUN_DIR/schedule/interval_K, each continuing the final
    /// checkpoint of the one before (resume: its counters, learning-rate schedule over the whole schedule, optimizer and
    /// env state carry on, as population-based training ran them) with that interval's reward weights and PPO settings;
    /// only the last is evaluated. Its metrics.json and final checkpoint are copied to RUN_DIR.
    /// </summary>
    private static int ReplaySchedule(TrialConfig trial, Settings settings, CancellationToken cancel)
    {
        if (settings.Steps is not null) throw new UserError($"--steps: {settings.Config} holds a schedule, whose intervals give the steps; leave --steps out.");
        if (trial.EvalOnly) throw new UserError($"{settings.Config}: field 'rl_overrides.eval_only' is true but the config holds a schedule to train; drop one of them.");
        var runDir = Path.GetFullPath(trial.RunDir ?? TrainingRequests.DefaultRunDir("runs", trial.RunTag));
        WritableDirectory.Ensure(runDir, trial.RunDir is null ? "the run dir" : $"{trial.Source}: field 'run_dir'");
        Console.WriteLine($"PIPELINE_RUN_DIR={runDir}");
        var checkpoint = trial.Checkpoint;
        var (total, trained) = (trial.Schedule.Sum(i => i.Steps), 0L);
        TrainingRequest? last = null;
        for (var k = 0; k < trial.Schedule.Count; k++)
        {
            var interval = trial.Schedule[k];
            var rl = new Dictionary<string, object>(trial.RlOverrides, StringComparer.Ordinal);
            foreach (var (name, value) in interval.RlOverrides) rl[name] = value;
            trained += interval.Steps;
            rl["max_env_steps"] = trained;
            rl["schedule_env_steps"] = total;
            var step = trial with
            {
                RewardScales = interval.RewardScales, RlOverrides = rl, Checkpoint = checkpoint, Resume = k > 0 || trial.Resume, Schedule = [], Source = $"{trial.Source}: schedule[{k}]",
            };
            var dir = Path.Combine(runDir, "schedule", $"interval_{k.ToString("00", CultureInfo.InvariantCulture)}");
            var request = TrainingRequests.FromTrial(step, dir, settings.Threads, settings.EnvThreads, settings.EvalEpisodes);
            if (k < trial.Schedule.Count - 1) request = request with { EvaluationEpisodes = 0 };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"interval {k + 1} of {trial.Schedule.Count}: to {trained} env steps{(k > 0 ? " continuing " + checkpoint : "")}"));
            var code = TrainingRequests.RunWithPlainProgress(request, cancel);
            if (code != 0) return code;
            checkpoint = Path.Combine(dir, "checkpoints", "final_agent.ckpt");
            last = request;
        }
        File.Copy(Path.Combine(last!.RunDir, TrainingRun.MetricsFile), Path.Combine(runDir, TrainingRun.MetricsFile), overwrite: true);
        Directory.CreateDirectory(Path.Combine(runDir, "checkpoints"));
        File.Copy(checkpoint!, Path.Combine(runDir, "checkpoints", "final_agent.ckpt"), overwrite: true);
        return 0;
    }
}

/// <summary>Shared by train-one and train: config to request, and the plain progress output.</summary>
internal static class TrainingRequests
{
    public static TrainingRequest FromTrial(TrialConfig trial, string runDir, int threads, int envThreads, int? evalEpisodes)
    {
        var rl = trial.ToJsonObject()["rl_overrides"]?.DeepClone() as JsonObject;
        foreach (var key in TrialConfig.EvaluationKeys) rl?.Remove(key);
        // an evaluation-only run keeps the checkpoint's settings (num_envs, seed, scaler use) unless the config overrides them;
        // a training run starts from the env's recommended PPO settings
        var config = trial.EvalOnly ? Checkpoint.Load(trial.Checkpoint!).Config.With(rl, trial.Source) : TrainingRequest.ConfigFor(trial.EnvName, rl, trial.Source);
        return new TrainingRequest(trial.EnvName, config, runDir)
        {
            RewardScales = trial.RewardScales,
            EnvOverrides = trial.EnvOverrides,
            Checkpoint = trial.Checkpoint,
            Resume = trial.Resume,
            FreezePreprocessor = trial.FreezePreprocessor,
            Threads = Positive(threads, "--threads"),
            EnvThreads = Positive(envThreads, "--env-threads"),
            EvaluationEpisodes = evalEpisodes is { } n ? Positive(n, "--eval-episodes") : trial.EvalEpisodes ?? Math.Min(config.NumEnvs, 256),
        };
    }

    public static int Positive(int value, string option) =>
        value >= 1 ? value : throw new UserError($"{option} must be at least 1, not {value}.");

    /// <summary>runs/TAG-TIME-XXXXXX: the random tail keeps two runs started in the same second apart.</summary>
    public static string DefaultRunDir(string root, string tag) =>
        Path.Combine(root, $"{tag}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}");

    /// <summary>Runs with one PROGRESS line per update on stdout; exit 0, or 3 when training diverged.</summary>
    public static int RunWithPlainProgress(TrainingRequest request, CancellationToken cancel)
    {
        TrainingOutcome outcome;
        using (var sink = new TensorBoardScalarSink(request.RunDir))
            outcome = TrainingRun.Run(request, sink, p => Console.WriteLine(TrainingRun.ProgressLine(p)), cancel);
        return Finish(outcome);
    }

    public static int Finish(TrainingOutcome outcome)
    {
        if (!outcome.Succeeded)
        {
            Console.Error.WriteLine($"rltune: training failed: {outcome.Failure} (recorded in {outcome.MetricsPath})");
            return 3;
        }
        var e = outcome.Evaluation;
        if (e != null)
        {
            string success = e.Metrics.TryGetValue("success", out var s) ? s.ToString("P1", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"evaluation: {e.Episodes} episodes, reward {e.RewardMean:G5} ± {e.RewardStd:G3}, success {success}, terminated {e.TerminationRate:P1}, length {e.LengthMean:F0}"));
        }
        if (outcome.EnvSteps == 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"evaluated in {outcome.Seconds:F1} s; metrics in {outcome.MetricsPath}"));
            return 0;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {outcome.EnvSteps} env steps in {outcome.Seconds:F1} s ({outcome.EnvSteps / Math.Max(1e-9, outcome.Seconds):F0} steps/s: env {outcome.TimeSplit.Env:F1} s, inference {outcome.TimeSplit.Inference:F1} s, update {outcome.TimeSplit.Update:F1} s); metrics in {outcome.MetricsPath}"));
        return 0;
    }
}
