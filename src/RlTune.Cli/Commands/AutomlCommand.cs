using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Analysis;
using RlTune.Cli.Display;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

public sealed class AutomlCommand : AsyncCommand<AutomlCommand.Settings>
{
    public sealed class Settings : StudyRunOptions
    {
        [CommandOption("--config <FILE>"), Description("Study YAML holding the same settings (flags override it), plus sections without a flag, e.g. timeout: {startup_seconds: 120, min_steps_per_second: 250}: a trial may run startup_seconds + steps / min_steps_per_second before it is stopped as hung.")]
        public string? Config { get; init; }
        [CommandOption("--mode <MODE>"), Description("hp-search, stage, full, eval or pbt (population-based training: --population, --generations; each interval is --steps env steps).")]
        public string? Mode { get; init; }
        [CommandOption("--budget-hours <H>"), Description("Wall-clock budget; nothing starts that cannot finish, hard stop at the limit.")]
        public double? BudgetHours { get; init; }
        [CommandOption("--hp-trials <N>"), Description("Trials of the search, each one training run (extra seeds of intensification included; per stage in full mode).")]
        public int? HpTrials { get; init; }
        [CommandOption("--search-method <METHOD>"), Description("grid, random, bayesian (GP-EI, the default) or tpe.")]
        public string? SearchMethod { get; init; }
        [CommandOption("--warmup-trials <N>"), Description("Random trials before the Bayesian or TPE model is used (default: a third of --hp-trials, within 3..10).")]
        public int? WarmupTrials { get; init; }
        [CommandOption("--space <FILE>"), Description("Search-space YAML.")]
        public string? Space { get; init; }
        [CommandOption("--preset <NAME>"), Description("A built-in search space (see presets/; default: the env's own, nav_lite_rewards for vbot-nav-lite, vbot_nav_rewards for vbot-nav, else full_unified).")]
        public string? Preset { get; init; }
        [CommandOption("--env <NAME>"), Description("Environment name (default vbot-nav-lite).")]
        public string? Env { get; init; }
        [CommandOption("--steps <N>"), Description("Env steps per trial (default: the env's own, 10,000,000 for vbot-nav-lite, else 200,000).")]
        public long? Steps { get; init; }
        [CommandOption("--full-train-steps <N>"), Description("Env steps of the full training of the best configuration (stage, full; default: the env's own, 10,000,000 for vbot-nav-lite, else 2,000,000).")]
        public long? FullTrainSteps { get; init; }
        [CommandOption("--num-envs <N>"), Description("Parallel envs per trial (rl_overrides.num_envs).")]
        public int? NumEnvs { get; init; }
        [CommandOption("--seeds-per-trial <K>"), Description("Seeds each configuration is trained with (mean and std).")]
        public int? SeedsPerTrial { get; init; }
        [CommandOption("--rank-by <HOW>"), Description("mean or mean-std.")]
        public string? RankBy { get; init; }
        [CommandOption("--intensify <WHEN>"), Description("auto (default: on with one seed per trial, until repeats show the objective ignores the seed), on or off: run a promising configuration on further seeds, racing the incumbent, before it is crowned.")]
        public string? Intensify { get; init; }
        [CommandOption("--max-seeds-per-config <N>"), Description("Most seeds intensification gives one configuration (default 5).")]
        public int? MaxSeedsPerConfig { get; init; }
        [CommandOption("--intensify-share <F>"), Description("Share of the trials, at the study's end, in which intensification races (default 0.333; 1: from the first trial).")]
        public double? IntensifyShare { get; init; }
        [CommandOption("--min-seeds-for-best <N>"), Description("Seeds a configuration is judged on by its own mean; each missing one counts at the mean of all configurations (default 3 when intensifying, else --seeds-per-trial).")]
        public int? MinSeedsForBest { get; init; }
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
        [CommandOption("--trainer-command <TEMPLATE>"), Description("External trainer with {config}, {run_dir}, {trial}, {seed}, {device}.")]
        public string? TrainerCommand { get; init; }
        [CommandOption("--metric-map <METRIC=SOURCE>"), Description("Read a score input from another TensorBoard tag or metrics.json key, optionally signed or scaled: 'termination_rate=metrics / fall_rate (mean)', 'termination_rate=-0.01*Reward Instant / termination (mean)'. Repeatable.")]
        public string[]? MetricMap { get; init; }
        [CommandOption("--objective <METRIC>"), Description("Metric to optimise (default: the navigation1 score), read from the trial's RUN_DIR/metrics.json (flat name -> number), else from its TensorBoard scalars (skrl's tags, the mean of the last fifth of the entries), or as --metric-map says.")]
        public string? Objective { get; init; }
        [CommandOption("--direction <DIR>"), Description("minimize or maximize (with --objective).")]
        public string? Direction { get; init; }
        [CommandOption("--audit <POLICY>"), Description("Reward-budget audit: warn, skip or off.")]
        public string? Audit { get; init; }
        [CommandOption("--pruner <PRUNER>"), Description("none (default); median: stop a trial whose intermediate value is worse than the completed trials' median at the same step; asha or hyperband: successive halving over env steps, promoted trials continuing from their rung checkpoint.")]
        public string? Pruner { get; init; }
        [CommandOption("--pruning-metric <NAME>"), Description("PROGRESS-line metric the pruner watches (default: success for navigation1, else the objective's metric).")]
        public string? PruningMetric { get; init; }
        [CommandOption("--pruner-warmup-trials <N>"), Description("Completed trials before any trial is pruned (default 5).")]
        public int? PrunerWarmupTrials { get; init; }
        [CommandOption("--pruner-warmup-steps <N>"), Description("Env steps a trial runs before it may be pruned (default 0).")]
        public long? PrunerWarmupSteps { get; init; }
        [CommandOption("--reduction-factor <N>"), Description("asha/hyperband: each rung trains N times the steps of the one before and keeps the best 1/N (default 3).")]
        public int? ReductionFactor { get; init; }
        [CommandOption("--min-rung-steps <N>"), Description("asha/hyperband: env steps of the first rung (default: --steps / factor², e.g. 1M -> 3M -> 9M).")]
        public long? MinRungSteps { get; init; }
        [CommandOption("--min-steps <N>"), Description("asha/hyperband: a trial whose success is still rising is not stopped before N env steps (default 0).")]
        public long? MinSteps { get; init; }
        [CommandOption("--lazy-robot <POLICY>"), Description("asha/hyperband: a trial whose reward rises while success stays flat and episodes sit at the limit is flagged (default), pruned, or left alone: flag, prune or off.")]
        public string? LazyRobot { get; init; }
        [CommandOption("--trainer-resumes"), Description("The external trainer continues a trial config's checkpoint when it has resume: true (asha/hyperband then continue promoted trials instead of restarting them).")]
        public bool TrainerResumes { get; init; }
        [CommandOption("--population <N>"), Description("pbt: members trained side by side (default 8).")]
        public int? Population { get; init; }
        [CommandOption("--generations <N>"), Description("pbt: intervals of --steps env steps each member is trained (default 4); after each, the bottom quarter copies the top.")]
        public int? Generations { get; init; }
        [CommandOption("--pbt-quantile <F>"), Description("pbt: share of the population that copies the top after each interval (default 0.25, at most 0.5).")]
        public double? PbtQuantile { get; init; }
        [CommandOption("--fail-fast <N>"), Description("Stop when the first N trials all fail the same way and none completes (default 3; 0: never).")]
        public int? FailFast { get; init; }
        [CommandOption("--eval-episodes <N>"), Description("Episodes of the evaluation (eval mode).")]
        public int? EvalEpisodes { get; init; }
        [CommandOption("--resume"), Description("Continue the study: completed trials are kept, interrupted ones run again.")]
        public bool Resume { get; init; }
        [CommandArgument(0, "[FILES]"), Description("More --seed-configs files.")]
        public string[] Extra { get; init; } = [];
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings flags, CancellationToken cancellationToken)
    {
        var studySettings = Resolve(flags);
        var (staleAfter, requeue) = flags.StaleHandling();
        ReportingObserver? reporting = null;
        AutomlPipeline Pipeline(IStudyObserver display) => new(studySettings, reporting = new ReportingObserver(display)) { StaleAfter = staleAfter, RequeueStale = requeue };
        using var stop = new StopSignal(cancellationToken);
        AutomlResult result;
        var live = !flags.Json && StudyDisplay.IsInteractive;
        if (live)
        {
            var display = new LiveStudyDisplay();
            result = await display.RunAsync(obs => Pipeline(obs).RunAsync(stop.Token));
        }
        else
        {
            var display = new PlainStudyDisplay(flags.Json ? Console.Error : Console.Out, studySettings.ProgressIntervalSeconds);
            result = await Pipeline(display).RunAsync(stop.Token);
        }
        Print(result, reporting?.HtmlReport, flags.Json);
        return ExitCode(result, stop.Requested);
    }

    /// <summary>130 when interrupted; 1 when nothing completed (a study of failures is no success); else 0.</summary>
    public static int ExitCode(AutomlResult r, bool interrupted) => interrupted ? 130 : r.Counts.Complete == 0 ? 1 : 0;

    private static void Print(AutomlResult r, string? htmlReport, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                study = r.Study, stop_reason = r.StopReason, study_dir = r.StudyDir, report = r.ReportFile, html_report = htmlReport,
                best_summary = r.BestSummary, best_score = r.BestScore, complete = r.Counts.Complete, failed = r.Counts.Failed, pruned = r.Counts.Pruned,
            }));
            return;
        }
        Console.WriteLine($"study {r.Study} stopped: {r.StopReason}");
        if (r.BestScore is { } s) Console.WriteLine($"best score {s.ToString("G5", CultureInfo.InvariantCulture)}: {r.BestSummary}");
        Console.WriteLine($"results: {r.StudyDir}");
        Console.WriteLine($"report:  {r.ReportFile}");
        if (htmlReport is { } html) Console.WriteLine($"open in a browser: {html}");
        Console.WriteLine(r.Counts);
    }

    /// <summary>
    /// Study YAML (or, on --resume, the settings the study was run with), overridden by the flags
    /// given; a bad value is named as the user wrote it (the flag, or FILE: key).
    /// </summary>
    public static StudySettings Resolve(Settings f)
    {
        StudySettings s;
        string where;
        if (f.Config is not null) (s, where) = (StudySettingsLoader.Load(f.Config), f.Config);
        else if (f.Resume && AutomlPipeline.LoadStoredSettings(f.OutputDir, f.Storage, f.Study) is { } stored) (s, where) = (stored, $"the stored settings of study {stored.StudyName}");
        else (s, where) = (new StudySettings(), "settings");
        var names = new SettingNames(where);
        bool Given(object? value, string key, string flag)
        {
            if (value is null or false) return false;
            names.SetByFlag(key, flag);
            return true;
        }

        if (f.Extra.Length > 0 && f.SeedConfigs is null)
            throw new UserError($"unexpected argument '{f.Extra[0]}'; automl takes only options (files may follow --seed-configs).");
        if (Given(f.Mode, "mode", "--mode")) s = s with { Mode = StudySettings.ParseMode(f.Mode!) ?? throw new UserError($"--mode: '{f.Mode}' is not a mode; expected hp-search, stage, full, eval or pbt.") };
        if (Given(f.BudgetHours, "budget_hours", "--budget-hours")) s = s with { BudgetHours = f.BudgetHours };
        if (Given(f.HpTrials, "hp_trials", "--hp-trials")) s = s with { HpTrials = f.HpTrials!.Value };
        if (Given(f.SearchMethod, "search_method", "--search-method")) s = s with { SearchMethod = f.SearchMethod! };
        if (Given(f.WarmupTrials, "warmup_trials", "--warmup-trials")) s = s with { WarmupTrials = f.WarmupTrials };
        if (Given(f.Space, "space", "--space")) s = s with { Space = Path.GetFullPath(f.Space!), Preset = null };
        if (Given(f.Preset, "preset", "--preset"))
        {
            try
            {
                _ = RlTune.Search.Presets.Resolve(f.Preset!);
            }
            catch (UserError e)
            {
                throw new UserError($"--preset: {e.Message}");
            }
            s = s with { Preset = f.Preset, Space = f.Space is null ? null : s.Space };
        }
        if (Given(f.Env, "env", "--env")) s = s with { Env = f.Env! };
        if (Given(f.Steps, "steps_per_trial", "--steps")) s = s with { StepsPerTrial = f.Steps!.Value };
        if (Given(f.FullTrainSteps, "full_train_steps", "--full-train-steps")) s = s with { FullTrainSteps = f.FullTrainSteps!.Value };
        if (Given(f.NumEnvs, "num_envs", "--num-envs")) s = s with { NumEnvs = f.NumEnvs };
        if (Given(f.SeedsPerTrial, "seeds_per_trial", "--seeds-per-trial")) s = s with { SeedsPerTrial = f.SeedsPerTrial!.Value };
        if (Given(f.RankBy, "rank_by", "--rank-by")) s = s with { RankBy = StudySettingsLoader.ParseRankBy(f.RankBy!) ?? throw new UserError($"--rank-by: '{f.RankBy}' is not known; expected mean or mean-std.") };
        if (Given(f.Intensify, "intensify", "--intensify")) s = s with { Intensify = StudySettings.ParseIntensify(f.Intensify!) ?? throw new UserError($"--intensify: '{f.Intensify}' is not known; expected auto, on or off.") };
        if (Given(f.MaxSeedsPerConfig, "max_seeds_per_config", "--max-seeds-per-config")) s = s with { MaxSeedsPerConfig = f.MaxSeedsPerConfig!.Value };
        if (Given(f.IntensifyShare, "intensify_share", "--intensify-share")) s = s with { IntensifyShare = f.IntensifyShare!.Value };
        if (Given(f.MinSeedsForBest, "min_seeds_for_best", "--min-seeds-for-best")) s = s with { MinSeedsForBest = f.MinSeedsForBest };
        if (Given(f.Parallel, "parallel", "--parallel")) s = s with { Parallel = f.Parallel!.Value };
        if (Given(f.Devices, "devices", "--devices")) s = s with { Devices = StudySettings.ParseDevices(f.Devices!.Split(','), "--devices") };
        if (Given(f.TrialsPerDevice, "trials_per_device", "--trials-per-device")) s = s with { TrialsPerDevice = f.TrialsPerDevice!.Value };
        if (Given(f.ThreadsPerTrial, "threads_per_trial", "--threads-per-trial")) s = s with { ThreadsPerTrial = f.ThreadsPerTrial };
        if (Given(f.Seed, "seed", "--seed")) s = s with { Seed = f.Seed!.Value };
        if (Given(f.SeedConfigs, "seed_configs", "--seed-configs")) s = s with { SeedConfigs = f.SeedConfigs!.Concat(f.Extra).Select(Path.GetFullPath).ToList() };
        if (Given(f.Checkpoint, "checkpoint", "--checkpoint")) s = s with { Checkpoint = Path.GetFullPath(f.Checkpoint!) };
        if (Given(f.FreezePreprocessor, "freeze_preprocessor", "--freeze-preprocessor")) s = s with { FreezePreprocessor = true };
        if (Given(f.EnvOverrides, "env_overrides", "--env-overrides")) s = s with { EnvOverrides = ParseEnvOverrides(f.EnvOverrides!) };
        if (Given(f.TrainerCommand, "trainer_command", "--trainer-command")) s = s with { TrainerCommand = f.TrainerCommand };
        if (Given(f.MetricMap, "metrics", MetricMapping.Flag))
        {
            var given = f.MetricMap!.Select(m => MetricMapping.Parse(m, MetricMapping.Flag)).ToList();
            s = s with { MetricMap = s.MetricMap.Where(m => given.All(g => g.Metric != m.Metric)).Concat(given).ToList() };
        }
        if (Given(f.Objective, "objective", "--objective")) s = s with { ObjectiveMetric = f.Objective };
        if (Given(f.Direction, "direction", "--direction")) s = s with { Direction = DirectionNames.Parse(f.Direction!, "--direction") };
        if (Given(f.Audit, "audit", "--audit")) s = s with { Audit = StudySettingsLoader.ParseAudit(f.Audit!) ?? throw new UserError($"--audit: '{f.Audit}' is not a policy; expected warn, skip or off.") };
        if (Given(f.Pruner, "pruner", "--pruner")) s = s with { Pruner = StudySettings.ParsePruner(f.Pruner!) ?? throw new UserError($"--pruner: '{f.Pruner}' is not a pruner; expected none, median, asha or hyperband.") };
        if (Given(f.ReductionFactor, "pruner.reduction_factor", "--reduction-factor")) s = s with { ReductionFactor = f.ReductionFactor!.Value };
        if (Given(f.MinRungSteps, "pruner.min_rung_steps", "--min-rung-steps")) s = s with { MinRungSteps = f.MinRungSteps };
        if (Given(f.MinSteps, "pruner.min_steps", "--min-steps")) s = s with { MinSteps = f.MinSteps!.Value };
        if (Given(f.LazyRobot, "pruner.lazy_robot", "--lazy-robot")) s = s with { LazyRobot = StudySettings.ParseLazyRobot(f.LazyRobot!) ?? throw new UserError($"--lazy-robot: '{f.LazyRobot}' is not a policy; expected flag, prune or off.") };
        if (Given(f.TrainerResumes, "trainer_resumes", "--trainer-resumes")) s = s with { TrainerResumes = true };
        if (Given(f.PruningMetric, "pruner.metric", "--pruning-metric")) s = s with { PruningMetric = f.PruningMetric };
        if (Given(f.PrunerWarmupTrials, "pruner.warmup_trials", "--pruner-warmup-trials")) s = s with { PrunerWarmupTrials = f.PrunerWarmupTrials!.Value };
        if (Given(f.PrunerWarmupSteps, "pruner.warmup_steps", "--pruner-warmup-steps")) s = s with { PrunerWarmupSteps = f.PrunerWarmupSteps!.Value };
        if (Given(f.Population, "pbt.population", "--population")) s = s with { Pbt = s.Pbt with { Population = f.Population!.Value } };
        if (Given(f.Generations, "pbt.generations", "--generations")) s = s with { Pbt = s.Pbt with { Generations = f.Generations!.Value } };
        if (Given(f.PbtQuantile, "pbt.quantile", "--pbt-quantile")) s = s with { Pbt = s.Pbt with { Quantile = f.PbtQuantile!.Value } };
        if (Given(f.FailFast, "fail_fast", "--fail-fast")) s = s with { FailFastTrials = f.FailFast!.Value };
        if (Given(f.EvalEpisodes, "eval_episodes", "--eval-episodes")) s = s with { EvalEpisodes = f.EvalEpisodes!.Value };
        if (Given(f.Output, "output", "--output")) s = s with { Output = f.Output! };
        if (Given(f.Storage, "storage", "--storage")) s = s with { Storage = f.Storage };
        if (Given(f.Study, "study", "--study")) s = s with { StudyName = f.Study };
        s = s with { Resume = f.Resume };
        return s.Validated(names);
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
