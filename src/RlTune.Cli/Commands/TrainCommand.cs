using System.ComponentModel;
using System.Globalization;
using RlTune.Learning;
using RlTune.Trials;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary><c>rltune train --env NAME</c>: one manual training run with a live progress line.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--env <NAME>")]
        [Description("Environment to train on (see `rltune envs`).")]
        public string? Env { get; init; }

        [CommandOption("--config <FILE>")]
        [Description("Optional trial config JSON (reward_scales, rl_overrides, env_overrides, checkpoint). PPO settings: MotrixLab's defaults, then the env's recommended ones (`rltune envs` lists them), then rl_overrides, whose values win.")]
        public string? Config { get; init; }

        [CommandOption("--steps <N>")]
        [Description("Env steps to train (max_env_steps).")]
        public long? Steps { get; init; }

        [CommandOption("--seed <S>")]
        [Description("Training seed (rl_overrides seed; default 42). The evaluation after training uses its own seeds derived from it.")]
        public int? Seed { get; init; }

        [CommandOption("--num-envs <N>")]
        [Description("Environments stepped together (num_envs; default: the env's recommended value, else 2048).")]
        public int? NumEnvs { get; init; }

        [CommandOption("--output <DIR>")]
        [Description("The run dir: metrics.json, TensorBoard events and checkpoints are written into DIR itself (default runs/<run_tag>-<time>).")]
        public string? Output { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Threads of the network code (update and inference; default 2).")]
        public int Threads { get; init; } = 2;

        [CommandOption("--env-threads <N>")]
        [Description("Threads stepping the env (default 2); results do not depend on it.")]
        public int EnvThreads { get; init; } = 2;

        [CommandOption("--eval-episodes <N>")]
        [Description("Episodes of the deterministic evaluation written to metrics.json after training (default 256).")]
        public int? EvalEpisodes { get; init; }

        [CommandOption("--render")]
        [Description("After training, write one deterministic episode step by step to RUN_DIR/render/episode_trace.csv.")]
        public bool Render { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var trial = settings.Config != null ? TrialConfig.Load(settings.Config, settings.Env) : null;
        string env = settings.Env ?? trial?.EnvName ?? throw new UserError("train needs --env NAME (see `rltune envs`) or a --config naming env_name.");
        if (trial != null && settings.Env != null && trial.EnvName != settings.Env)
            throw new UserError($"{trial.Source}: env_name is '{trial.EnvName}' but --env says '{settings.Env}'.");
        if (trial is { EvalOnly: true })
            throw new UserError($"{trial.Source}: rl_overrides.eval_only is true, which `train` does not do; evaluate it with `rltune train-one --config {settings.Config}` or `rltune automl --mode eval`.");
        trial ??= new TrialConfig { EnvName = env, RunTag = $"train-{env}", Source = "command line" };
        string runDir = settings.Output ?? TrainingRequests.DefaultRunDir("runs", trial.RunTag);
        var request = TrainingRequests.FromTrial(trial, runDir, settings.Threads, settings.EnvThreads, settings.EvalEpisodes);
        var config = request.Config;
        if (settings.Steps is { } steps) config = config with { MaxEnvSteps = steps };
        if (settings.Seed is { } seed) config = config with { Seed = seed };
        if (settings.NumEnvs is { } numEnvs) config = config with { NumEnvs = numEnvs };
        config.Validate("command line");
        if (settings.EvalEpisodes is null) request = request with { EvaluationEpisodes = Math.Min(config.NumEnvs, 256) };
        request = request with { Config = config, EpisodeTracePath = settings.Render ? Path.Combine(runDir, "render", "episode_trace.csv") : null };

        WritableDirectory.Ensure(runDir, settings.Output is null ? "the run dir" : "--output");
        Console.WriteLine($"PIPELINE_RUN_DIR={Path.GetFullPath(runDir)}");
        bool live = !Console.IsOutputRedirected;
        TrainingOutcome outcome;
        using (var sink = new TensorBoardScalarSink(runDir))
            outcome = TrainingRun.Run(request, sink, p =>
            {
                if (!live) { Console.WriteLine(TrainingRun.ProgressLine(p)); return; }
                string success = p.SuccessRate is { } s ? s.ToString("P1", CultureInfo.InvariantCulture) : "n/a";
                string line = string.Create(CultureInfo.InvariantCulture,
                    $"\r{p.EnvSteps,12:N0} / {p.TotalEnvSteps:N0} steps  {p.StepsPerSecond,9:N0} steps/s  reward {p.EpisodeRewardMean,10:G5}  success {success,7}");
                Console.Write(line.PadRight(Math.Max(line.Length, 90)));
            }, cancellationToken);
        if (live) Console.WriteLine();
        if (settings.Render && outcome.Succeeded) Console.WriteLine($"episode trace: {request.EpisodeTracePath}");
        return TrainingRequests.Finish(outcome);
    }
}
