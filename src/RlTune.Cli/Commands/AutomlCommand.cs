using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Cli.Display;
using RlTune.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

public sealed class AutomlCommand : AsyncCommand<AutomlCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--config <FILE>"), Description("Study YAML holding the same settings (flags override it).")]
        public string? Config { get; init; }
        [CommandOption("--mode <MODE>"), Description("hp-search, stage, full or eval.")]
        public string? Mode { get; init; }
        [CommandOption("--budget-hours <H>"), Description("Wall-clock budget; nothing starts that cannot finish, hard stop at the limit.")]
        public double? BudgetHours { get; init; }
        [CommandOption("--hp-trials <N>"), Description("Trials of the search (per stage in full mode).")]
        public int? HpTrials { get; init; }
        [CommandOption("--search-method <METHOD>"), Description("grid, random or bayesian.")]
        public string? SearchMethod { get; init; }
        [CommandOption("--warmup-trials <N>"), Description("Random trials before the Bayesian model is used.")]
        public int? WarmupTrials { get; init; }
        [CommandOption("--space <FILE>"), Description("Search-space YAML.")]
        public string? Space { get; init; }
        [CommandOption("--preset <NAME>"), Description("A built-in search space (see presets/).")]
        public string? Preset { get; init; }
        [CommandOption("--env <NAME>"), Description("Environment name (default vbot-nav-lite).")]
        public string? Env { get; init; }
        [CommandOption("--steps <N>"), Description("Env steps per trial.")]
        public long? Steps { get; init; }
        [CommandOption("--full-train-steps <N>"), Description("Env steps of the full training of the best configuration (stage, full).")]
        public long? FullTrainSteps { get; init; }
        [CommandOption("--num-envs <N>"), Description("Parallel envs per trial (rl_overrides.num_envs).")]
        public int? NumEnvs { get; init; }
        [CommandOption("--seeds-per-trial <K>"), Description("Seeds each configuration is trained with (mean and std).")]
        public int? SeedsPerTrial { get; init; }
        [CommandOption("--rank-by <HOW>"), Description("mean or mean-std.")]
        public string? RankBy { get; init; }
        [CommandOption("--parallel <P>"), Description("Trials run at once as child processes.")]
        public int? Parallel { get; init; }
        [CommandOption("--threads-per-trial <T>"), Description("Threads each trainer may use (default: cores / parallel).")]
        public int? ThreadsPerTrial { get; init; }
        [CommandOption("--seed <S>"), Description("Study seed (sampler and the first training seed).")]
        public int? Seed { get; init; }
        [CommandOption("--seed-configs <FILE>"), Description("Configurations to run first (JSON or YAML); repeat the flag or list the files after it.")]
        public string[]? SeedConfigs { get; init; }
        [CommandOption("--checkpoint <PATH>"), Description("Warm start every trial from this checkpoint (eval: the checkpoint to evaluate).")]
        public string? Checkpoint { get; init; }
        [CommandOption("--freeze-preprocessor"), Description("Keep the checkpoint's observation scaler fixed.")]
        public bool FreezePreprocessor { get; init; }
        [CommandOption("--env-overrides <JSON>"), Description("JSON object of env settings, e.g. '{\"spawn_ring\": [[2, 5]]}'.")]
        public string? EnvOverrides { get; init; }
        [CommandOption("--trainer-command <TEMPLATE>"), Description("External trainer with {config}, {run_dir}, {trial}, {seed}.")]
        public string? TrainerCommand { get; init; }
        [CommandOption("--objective <METRIC>"), Description("Metric to optimise (default: the navigation1 score).")]
        public string? Objective { get; init; }
        [CommandOption("--direction <DIR>"), Description("minimize or maximize (with --objective).")]
        public string? Direction { get; init; }
        [CommandOption("--audit <POLICY>"), Description("Reward-budget audit: warn, skip or off.")]
        public string? Audit { get; init; }
        [CommandOption("--pruner <PRUNER>"), Description("none (default) or median: stop a trial whose intermediate value is worse than the completed trials' median at the same step.")]
        public string? Pruner { get; init; }
        [CommandOption("--pruning-metric <NAME>"), Description("PROGRESS-line metric the pruner watches (default: success for navigation1, else the objective's metric).")]
        public string? PruningMetric { get; init; }
        [CommandOption("--pruner-warmup-trials <N>"), Description("Completed trials before any trial is pruned (default 5).")]
        public int? PrunerWarmupTrials { get; init; }
        [CommandOption("--pruner-warmup-steps <N>"), Description("Env steps a trial runs before it may be pruned (default 0).")]
        public long? PrunerWarmupSteps { get; init; }
        [CommandOption("--eval-episodes <N>"), Description("Episodes of the evaluation (eval mode).")]
        public int? EvalEpisodes { get; init; }
        [CommandOption("--output <DIR>"), Description("Run root: store, trial run dirs, reports (default runs/).")]
        public string? Output { get; init; }
        [CommandOption("--storage <URL>"), Description("sqlite:///path.db or postgresql://... (default: SQLite under --output).")]
        public string? Storage { get; init; }
        [CommandOption("--study <NAME>"), Description("Study name (default: a new name; with --resume the latest study).")]
        public string? Study { get; init; }
        [CommandOption("--resume"), Description("Continue the study: completed trials are kept, interrupted ones run again.")]
        public bool Resume { get; init; }
        [CommandOption("--json"), Description("Print the result as JSON.")]
        public bool Json { get; init; }
        [CommandArgument(0, "[FILES]"), Description("More --seed-configs files.")]
        public string[] Extra { get; init; } = [];
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings flags, CancellationToken cancellationToken)
    {
        var studySettings = Resolve(flags);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            cts.Cancel();
        });
        try
        {
            AutomlResult result;
            var live = !flags.Json && StudyDisplay.IsInteractive;
            if (live)
            {
                var display = new LiveStudyDisplay();
                result = await display.RunAsync(obs => new AutomlPipeline(studySettings, obs).RunAsync(cts.Token));
            }
            else
            {
                var observer = flags.Json ? (IStudyObserver)new PlainStudyDisplay(Console.Error, studySettings.ProgressIntervalSeconds) : new PlainStudyDisplay(Console.Out, studySettings.ProgressIntervalSeconds);
                result = await new AutomlPipeline(studySettings, observer).RunAsync(cts.Token);
            }
            Print(result, flags.Json);
            return cts.IsCancellationRequested ? 130 : 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static void Print(AutomlResult r, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                study = r.Study, stop_reason = r.StopReason, study_dir = r.StudyDir, report = r.ReportFile,
                best_summary = r.BestSummary, best_score = r.BestScore,
            }));
            return;
        }
        Console.WriteLine($"study {r.Study} stopped: {r.StopReason}");
        if (r.BestScore is { } s) Console.WriteLine($"best score {s.ToString("G5", CultureInfo.InvariantCulture)}: {r.BestSummary}");
        Console.WriteLine($"results: {r.StudyDir}");
        Console.WriteLine($"report:  {r.ReportFile}");
    }

    /// <summary>Study YAML (or, on --resume, the settings the study was run with), overridden by the flags given.</summary>
    internal static StudySettings Resolve(Settings f)
    {
        StudySettings s;
        if (f.Config is not null) s = StudySettingsLoader.Load(f.Config);
        else if (f.Resume && AutomlPipeline.LoadStoredSettings(f.Output ?? "runs", f.Storage, f.Study) is { } stored) s = stored;
        else s = new StudySettings();

        if (f.Extra.Length > 0 && f.SeedConfigs is null)
            throw new UserError($"unexpected argument '{f.Extra[0]}'; automl takes only options (files may follow --seed-configs).");
        if (f.Mode is not null) s = s with { Mode = StudySettings.ParseMode(f.Mode) ?? throw new UserError($"--mode: '{f.Mode}' is not a mode; expected hp-search, stage, full or eval.") };
        if (f.BudgetHours is { } b) s = s with { BudgetHours = b };
        if (f.HpTrials is { } n) s = s with { HpTrials = n };
        if (f.SearchMethod is not null) s = s with { SearchMethod = f.SearchMethod };
        if (f.WarmupTrials is { } w) s = s with { WarmupTrials = w };
        if (f.Space is not null) s = s with { Space = Path.GetFullPath(f.Space), Preset = null };
        if (f.Preset is not null) s = s with { Preset = f.Preset, Space = f.Space is null ? null : s.Space };
        if (f.Env is not null) s = s with { Env = f.Env };
        if (f.Steps is { } st) s = s with { StepsPerTrial = st };
        if (f.FullTrainSteps is { } ft) s = s with { FullTrainSteps = ft };
        if (f.NumEnvs is { } ne) s = s with { NumEnvs = ne };
        if (f.SeedsPerTrial is { } k) s = s with { SeedsPerTrial = k };
        if (f.RankBy is not null) s = s with { RankBy = StudySettingsLoader.ParseRankBy(f.RankBy) ?? throw new UserError($"--rank-by: '{f.RankBy}' is not known; expected mean or mean-std.") };
        if (f.Parallel is { } p) s = s with { Parallel = p };
        if (f.ThreadsPerTrial is { } t) s = s with { ThreadsPerTrial = t };
        if (f.Seed is { } seed) s = s with { Seed = seed };
        if (f.SeedConfigs is not null) s = s with { SeedConfigs = f.SeedConfigs.Concat(f.Extra).Select(Path.GetFullPath).ToList() };
        if (f.Checkpoint is not null) s = s with { Checkpoint = Path.GetFullPath(f.Checkpoint) };
        if (f.FreezePreprocessor) s = s with { FreezePreprocessor = true };
        if (f.EnvOverrides is not null) s = s with { EnvOverrides = ParseEnvOverrides(f.EnvOverrides) };
        if (f.TrainerCommand is not null) s = s with { TrainerCommand = f.TrainerCommand };
        if (f.Objective is not null) s = s with { ObjectiveMetric = f.Objective };
        if (f.Direction is not null) s = s with { Direction = DirectionNames.Parse(f.Direction, "--direction") };
        if (f.Audit is not null) s = s with { Audit = StudySettingsLoader.ParseAudit(f.Audit) ?? throw new UserError($"--audit: '{f.Audit}' is not a policy; expected warn, skip or off.") };
        if (f.Pruner is not null) s = s with { Pruner = StudySettings.ParsePruner(f.Pruner) ?? throw new UserError($"--pruner: '{f.Pruner}' is not a pruner; expected none or median.") };
        if (f.PruningMetric is not null) s = s with { PruningMetric = f.PruningMetric };
        if (f.PrunerWarmupTrials is { } pwt) s = s with { PrunerWarmupTrials = pwt };
        if (f.PrunerWarmupSteps is { } pws) s = s with { PrunerWarmupSteps = pws };
        if (f.EvalEpisodes is { } e) s = s with { EvalEpisodes = e };
        if (f.Output is not null) s = s with { Output = f.Output };
        if (f.Storage is not null) s = s with { Storage = f.Storage };
        if (f.Study is not null) s = s with { StudyName = f.Study };
        s = s with { Resume = f.Resume };
        return s.Validated(f.Config ?? "flags");
    }

    private static JsonObject ParseEnvOverrides(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new UserError($"--env-overrides: expected a JSON object such as '{{\"spawn_ring\": [2, 5]}}', got {text}.");
        }
        catch (JsonException e)
        {
            throw new UserError($"--env-overrides: not valid JSON ({e.Message.Split('.')[0]}); expected an object such as '{{\"spawn_ring\": [2, 5]}}'.");
        }
    }
}
