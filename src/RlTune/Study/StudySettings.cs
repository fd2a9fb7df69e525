using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Search;

namespace RlTune.Study;

/// <summary>What <c>rltune automl</c> does with the study.</summary>
public enum StudyMode
{
    /// <summary>The search only.</summary>
    HpSearch,
    /// <summary>The search, then full training of the best configuration, its evaluation and checkpoint export.</summary>
    Stage,
    /// <summary>The curriculum: every stage searched and trained, warm-starting from the previous stage's best checkpoint.</summary>
    Full,
    /// <summary>Evaluate a checkpoint or configuration over several seeds.</summary>
    Eval,
    /// <summary>Population-based training (<see cref="PbtSettings"/>).</summary>
    Pbt,
}

/// <summary>What to do when a configuration fails the reward-budget audit.</summary>
public enum AuditPolicy
{
    Warn,
    Skip,
    Off,
}

/// <summary>One curriculum stage of <see cref="StudyMode.Full"/>.</summary>
public sealed record CurriculumStage(string Name, JsonObject EnvOverrides, double SuccessThreshold);

/// <summary>
/// How a message names a setting: the flag the user typed when a flag set it, else
/// "FILE: key" for a setting from a study YAML (or "settings: key" for settings built in code).
/// </summary>
public sealed class SettingNames(string where)
{
    private readonly Dictionary<string, string> _flags = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="flag"/> set the setting <paramref name="key"/>.</summary>
    public void SetByFlag(string key, string flag) => _flags[key] = flag;

    public string this[string key] => _flags.TryGetValue(key, out var flag) ? flag : $"{where}: {key}";

    /// <summary>The flag that set the setting, or its bare key (for a second setting in the same sentence).</summary>
    public string Short(string key) => _flags.TryGetValue(key, out var flag) ? flag : key;

    public bool ByFlag(string key) => _flags.ContainsKey(key);
}

/// <summary>
/// Every setting of an automl study: from the study YAML (<c>--config</c>), overridden by flags.
/// Names follow the YAML keys (snake_case there).
/// </summary>
public sealed record StudySettings
{
    public StudyMode Mode { get; init; } = StudyMode.HpSearch;
    public string? StudyName { get; init; }
    public string Output { get; init; } = "runs";
    public string? Storage { get; init; }
    public string Env { get; init; } = "vbot-nav-lite";
    /// <summary>A search-space YAML file; exclusive with <see cref="Preset"/>.</summary>
    public string? Space { get; init; }
    public string? Preset { get; init; }
    /// <summary>The space when neither <see cref="Space"/> nor <see cref="Preset"/> is given: the env's own preset, else full_unified.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string DefaultPreset => EnvDefaults?.Preset ?? "full_unified";
    private Envs.Builtin.EnvStudyDefaults? EnvDefaults => Envs.Builtin.EnvRegistry.StudyDefaults(Env);
    public string SearchMethod { get; init; } = "bayesian";
    public int HpTrials { get; init; } = 16;
    /// <summary>Trials sampled at random before the bayesian or tpe model is used (null: the sampler's default).</summary>
    public int? WarmupTrials { get; init; }
    /// <summary>
    /// The warm-up in use: the setting, else a third of the trials within [3, 10], so a short study
    /// still leaves most of its trials to the model (16 trials: 5; 30 or more: 10, the samplers' own default).
    /// </summary>
    public int EffectiveWarmupTrials => WarmupTrials ?? Math.Clamp(HpTrials / 3, 3, 10);
    /// <summary>Points per float axis of the grid sampler.</summary>
    public int GridPoints { get; init; } = 5;
    /// <summary>Env steps per trial: the setting, else the env's own default, else 200,000.</summary>
    public long StepsPerTrial { get => _stepsPerTrial ?? EnvDefaults?.StepsPerTrial ?? 200_000; init => _stepsPerTrial = value; }
    private readonly long? _stepsPerTrial;
    public int SeedsPerTrial { get; init; } = 1;
    public SeedRanking RankBy { get; init; } = SeedRanking.Mean;
    /// <summary>Whether promising configurations earn further seeds before one is crowned (<see cref="Intensification"/>).</summary>
    public IntensifyMode Intensify { get; init; } = IntensifyMode.Auto;
    /// <summary>Most seeds intensification gives one configuration.</summary>
    public int MaxSeedsPerConfig { get; init; } = 5;
    /// <summary>
    /// Share of the study's trials, at its end, in which intensification races; the trials before it all try new
    /// configurations (racing the first, mostly random, ones costs the search more than it tells). 1: race from the start.
    /// </summary>
    public double IntensifyShare { get; init; } = 1.0 / 3;
    /// <summary>Trials (extra seeds included) run before racing starts: all but the last <see cref="IntensifyShare"/> of <see cref="HpTrials"/>.</summary>
    public int RaceFromTrial => HpTrials - (int)Math.Ceiling(IntensifyShare * HpTrials - 1e-9);
    /// <summary>Seeds a configuration is judged on by its own mean, each missing one counted at the mean of all configurations (null: 3 when intensifying, else seeds_per_trial).</summary>
    public int? MinSeedsForBest { get; init; }
    /// <summary>Intensification in use: on, or auto with one seed per trial.</summary>
    public bool IntensifyActive => Intensify == IntensifyMode.On || (Intensify == IntensifyMode.Auto && SeedsPerTrial == 1);
    public int EffectiveMinSeedsForBest => MinSeedsForBest ?? (IntensifyActive ? Math.Min(Math.Max(3, SeedsPerTrial), MaxSeedsPerConfig) : SeedsPerTrial);
    /// <summary>Trials run at once; null: one per device slot (<see cref="Devices"/> x <see cref="TrialsPerDevice"/>), else 1.</summary>
    public int? Parallel { get; init; }
    /// <summary>The devices trials run on (CUDA_VISIBLE_DEVICES values); each parallel slot owns one.</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];
    /// <summary>Trials that share one device at once (small trainers).</summary>
    public int TrialsPerDevice { get; init; } = 1;
    /// <summary>The trials run at once: <see cref="Parallel"/>, else devices x trials per device, else 1.</summary>
    public int EffectiveParallel => Parallel ?? (Devices.Count > 0 ? Devices.Count * TrialsPerDevice : 1);
    /// <summary>Threads each trainer may use (parallel x threads is kept within the cores unless set explicitly).</summary>
    public int? ThreadsPerTrial { get; init; }
    public int Seed { get; init; }
    public double? BudgetHours { get; init; }
    public IReadOnlyList<string> SeedConfigs { get; init; } = [];
    public string? Checkpoint { get; init; }
    public bool FreezePreprocessor { get; init; }
    public JsonObject EnvOverrides { get; init; } = [];
    /// <summary>Trainer command template; null = the built-in <c>rltune train-one --config {config}</c>.</summary>
    public string? TrainerCommand { get; init; }
    /// <summary>Score inputs read from other TensorBoard tags or metrics.json keys (<c>--metric-map</c>, YAML <c>metrics:</c>).</summary>
    public IReadOnlyList<Trials.MetricMapping> MetricMap { get; init; } = [];
    /// <summary>A metric name, or null for the navigation1 score.</summary>
    public string? ObjectiveMetric { get; init; }
    public ObjectiveDirection? Direction { get; init; }
    public NavigationScoreWeights ScoreWeights { get; init; } = new();
    public int? NumEnvs { get; init; }
    /// <summary>Env steps of the final training (stage, full): the setting, else the env's own default, else 2,000,000.</summary>
    public long FullTrainSteps { get => _fullTrainSteps ?? EnvDefaults?.FullTrainSteps ?? 2_000_000; init => _fullTrainSteps = value; }
    private readonly long? _fullTrainSteps;
    public IReadOnlyList<CurriculumStage> Stages { get; init; } = DefaultStages;
    /// <summary>Search-and-train rounds a curriculum stage gets to reach its threshold.</summary>
    public int StageAttempts { get; init; } = 2;
    public int EvalEpisodes { get; init; } = 50;
    public AuditPolicy Audit { get; init; } = AuditPolicy.Warn;
    /// <summary>Episode length the audit multiplies per-step bonuses by (null: the env's episode limit).</summary>
    public int? AuditEpisodeLength { get; init; }
    /// <summary>Stops running trials early by their intermediate values (none: every trial runs to the end).</summary>
    public PrunerKind Pruner { get; init; } = PrunerKind.None;
    /// <summary>The PROGRESS-line metric the pruner watches (null: success for the navigation1 score, else the objective's metric).</summary>
    public string? PruningMetric { get; init; }
    /// <summary>Completed trials needed before any trial is pruned.</summary>
    public int PrunerWarmupTrials { get; init; } = 5;
    /// <summary>Env steps a trial runs before it may be pruned.</summary>
    public long PrunerWarmupSteps { get; init; }
    /// <summary>ASHA/Hyperband: rung n+1 trains this many times the env steps of rung n.</summary>
    public int ReductionFactor { get; init; } = 3;
    /// <summary>ASHA/Hyperband: env steps of the first rung (null: the trial budget / factor², so three rungs).</summary>
    public long? MinRungSteps { get; init; }
    /// <summary>ASHA/Hyperband: below this many env steps a trial whose success is still rising is not stopped.</summary>
    public long MinSteps { get; init; }
    public LazyRobotPolicy LazyRobot { get; init; } = LazyRobotPolicy.Flag;
    /// <summary>The external trainer continues a checkpoint given as <c>checkpoint</c> with <c>resume: true</c> (the built-in one always does).</summary>
    public bool TrainerResumes { get; init; }
    /// <summary>Stop when the first this-many trials all fail the same way and none completes (0: never).</summary>
    public int FailFastTrials { get; init; } = 3;
    public double TimeoutStartupSeconds { get; init; } = 120;
    public double TimeoutMinStepsPerSecond { get; init; } = 250;
    /// <summary>Seconds between a running trial's progress lines (at least every 10 s by default).</summary>
    public double ProgressIntervalSeconds { get; init; } = 10;
    public bool Resume { get; init; }
    /// <summary>The population of <see cref="StudyMode.Pbt"/>.</summary>
    public PbtSettings Pbt { get; init; } = new();

    /// <summary>MotrixLab's curriculum for the built-in env: spawn ring 2-5 m, 5-8 m, 8-11 m.</summary>
    public static readonly IReadOnlyList<CurriculumStage> DefaultStages =
    [
        new("ring_2_5", new JsonObject { ["spawn_ring"] = new JsonArray(2.0, 5.0) }, 0.8),
        new("ring_5_8", new JsonObject { ["spawn_ring"] = new JsonArray(5.0, 8.0) }, 0.8),
        new("ring_8_11", new JsonObject { ["spawn_ring"] = new JsonArray(8.0, 11.0) }, 0.8),
    ];

    public Objective BuildObjective() =>
        ObjectiveMetric is null or "navigation1"
            ? Direction == ObjectiveDirection.Minimize
                ? throw new UserError("direction: the navigation1 score is maximised; give an objective metric to minimise.")
                : new NavigationScore(ScoreWeights)
            : new MetricObjective(ObjectiveMetric, Direction ?? ObjectiveDirection.Maximize);

    /// <summary>
    /// The pruner's settings, null for none. The metric's direction is the objective's when it is the
    /// objective's own metric; any other PROGRESS metric (success, reward, ...) is higher-is-better.
    /// </summary>
    public PrunerSettings? BuildPrunerSettings()
    {
        if (Pruner == PrunerKind.None) return null;
        var objective = BuildObjective();
        var metric = PruningMetric ?? (objective is MetricObjective m ? m.Metric : "success");
        var direction = objective is MetricObjective mo && mo.Metric == metric ? mo.Direction : ObjectiveDirection.Maximize;
        return new PrunerSettings(Pruner, metric, direction, PrunerWarmupTrials, PrunerWarmupSteps);
    }

    /// <summary>
    /// ASHA/Hyperband's settings, null for another pruner. Rungs judge on the objective's score, except that a
    /// reward objective becomes success_rate when reward weights are searched (rewards under different weights
    /// do not compare); <paramref name="note"/> hears that.
    /// </summary>
    public RungSettings? BuildRungSettings(bool searchesRewardWeights, Action<string>? note = null)
    {
        if (Pruner is not (PrunerKind.Asha or PrunerKind.Hyperband)) return null;
        var objective = BuildObjective();
        string? judge = PruningMetric;
        if (judge is not null && IsReward(judge) && searchesRewardWeights)
            throw new UserError($"pruner.metric (--pruning-metric): '{judge}' is a training reward and the space searches reward weights, whose rewards are not comparable; judge rungs on success_rate or leave it unset (the objective's score).");
        if (judge is null && objective is MetricObjective m && searchesRewardWeights && IsReward(m.Metric))
        {
            judge = "success_rate";
            note?.Invoke($"pruner: rungs judge on success_rate, not {m.Metric}: rewards under different searched reward weights are not comparable");
        }
        var direction = judge is null ? objective.Direction : objective is MetricObjective mo && mo.Metric == judge ? mo.Direction : ObjectiveDirection.Maximize;
        var first = MinRungSteps ?? Math.Max(1, StepsPerTrial / ((long)ReductionFactor * ReductionFactor));
        return new RungSettings(Pruner, ReductionFactor, RungSettings.LadderOf(first, StepsPerTrial, ReductionFactor), direction)
        {
            JudgeMetric = judge, MinSteps = MinSteps, LazyRobot = LazyRobot, TrainerResumes = TrainerCommand is null || TrainerResumes,
            BuiltInTrainer = TrainerCommand is null,
        };
    }

    /// <summary>A metric that is the training reward alone (episode_reward_mean, train_episode_reward_mean, reward).</summary>
    public static bool IsReward(string metric) => metric.Contains("reward", StringComparison.OrdinalIgnoreCase);

    public static LazyRobotPolicy? ParseLazyRobot(string text) => text switch
    {
        "off" => LazyRobotPolicy.Off,
        "flag" => LazyRobotPolicy.Flag,
        "prune" => LazyRobotPolicy.Prune,
        _ => null,
    };

    /// <summary>"0,1,2,3" to its devices; each one sentence naming <paramref name="where"/> when it is not a list of distinct device names.</summary>
    public static IReadOnlyList<string> ParseDevices(IEnumerable<string> items, string where)
    {
        var devices = items.Select(d => d.Trim()).ToList();
        if (devices.Count == 0 || devices.Any(d => d.Length == 0 || d.Any(c => char.IsWhiteSpace(c) || c == ',')))
            throw new UserError($"{where}: '{string.Join(",", devices)}' is not a list of devices; expected CUDA device ids such as 0,1,2,3.");
        if (devices.GroupBy(d => d).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UserError($"{where}: device {twice.Key} is listed twice; list each device once (--trials-per-device shares one).");
        return devices;
    }

    public static PrunerKind? ParsePruner(string text) => text switch
    {
        "none" => PrunerKind.None,
        "median" => PrunerKind.Median,
        "asha" => PrunerKind.Asha,
        "hyperband" => PrunerKind.Hyperband,
        _ => null,
    };

    public static string ModeText(StudyMode m) => m switch
    {
        StudyMode.HpSearch => "hp-search",
        StudyMode.Stage => "stage",
        StudyMode.Full => "full",
        StudyMode.Pbt => "pbt",
        _ => "eval",
    };

    public static IntensifyMode? ParseIntensify(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => IntensifyMode.Auto,
        "on" or "true" or "yes" => IntensifyMode.On,
        "off" or "false" or "no" => IntensifyMode.Off,
        _ => null,
    };

    public static StudyMode? ParseMode(string text) => text switch
    {
        "hp-search" => StudyMode.HpSearch,
        "stage" => StudyMode.Stage,
        "full" => StudyMode.Full,
        "eval" => StudyMode.Eval,
        "pbt" => StudyMode.Pbt,
        _ => null,
    };

    /// <summary>Checks the combination; each problem is one sentence naming the setting as <paramref name="where"/> (a file, or "settings") plus its key.</summary>
    public StudySettings Validated(string where) => Validated(new SettingNames(where));

    /// <summary>Checks the combination; each problem is one sentence naming the setting as the user wrote it (the flag, or file: key).</summary>
    public StudySettings Validated(SettingNames names)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new UserError($"{names[key]}: {problem}");
        }
        Require(Samplers.IsKnown(SearchMethod), "search_method", $"'{SearchMethod}' is not known; expected {Samplers.NamesText}.");
        Require(HpTrials >= 1, "hp_trials", $"expected at least 1 trial, got {HpTrials}.");
        Require(StepsPerTrial >= 1, "steps_per_trial", $"expected a positive number of env steps, got {StepsPerTrial}.");
        Require(SeedsPerTrial >= 1, "seeds_per_trial", $"expected at least 1, got {SeedsPerTrial}.");
        Require(MaxSeedsPerConfig >= SeedsPerTrial, "max_seeds_per_config", $"expected at least seeds_per_trial ({SeedsPerTrial}), got {MaxSeedsPerConfig}.");
        Require(IntensifyShare is > 0 and <= 1, "intensify_share", string.Create(CultureInfo.InvariantCulture, $"expected a share of the trials above 0 and at most 1, got {IntensifyShare}."));
        Require(MinSeedsForBest is null or >= 1, "min_seeds_for_best", $"expected at least 1, got {MinSeedsForBest}.");
        Require(Parallel is null or >= 1, "parallel", $"expected at least 1, got {Parallel}.");
        Require(TrialsPerDevice >= 1, "trials_per_device", $"expected at least 1, got {TrialsPerDevice}.");
        Require(TrialsPerDevice == 1 || Devices.Count > 0, "trials_per_device", $"shares devices, but no devices are given; add them, e.g. {(names.ByFlag("trials_per_device") ? "--devices 0,1" : "devices: [0, 1]")}.");
        Require(Devices.Count == 0 || Parallel is null || Parallel <= Devices.Count * TrialsPerDevice, "parallel",
            $"{Parallel} trials at once need more than the {Devices.Count} devices x {TrialsPerDevice} trials per device; give {Devices.Count * TrialsPerDevice} or fewer, or more devices.");
        Require(ThreadsPerTrial is null or >= 1, "threads_per_trial", $"expected at least 1, got {ThreadsPerTrial}.");
        Require(Seed >= 0, "seed", $"expected a non-negative integer, got {Seed}.");
        Require(BudgetHours is null || (BudgetHours > 0 && double.IsFinite(BudgetHours.Value)), "budget_hours", $"expected a positive number of hours, got {BudgetHours}.");
        Require(WarmupTrials is null or >= 0, "warmup_trials", $"expected 0 or more, got {WarmupTrials}.");
        Require(GridPoints >= 2, "grid_points", $"expected at least 2, got {GridPoints}.");
        Require(FullTrainSteps >= 1, "full_train_steps", $"expected a positive number of env steps, got {FullTrainSteps}.");
        Require(NumEnvs is null or >= 1, "num_envs", $"expected at least 1, got {NumEnvs}.");
        Require(EvalEpisodes >= 1, "eval_episodes", $"expected at least 1, got {EvalEpisodes}.");
        Require(StageAttempts >= 1, "stage_attempts", $"expected at least 1, got {StageAttempts}.");
        Require(Stages.Count >= 1, "stages", "expected at least one stage.");
        Require(PrunerWarmupTrials >= 0, "pruner.warmup_trials", $"expected 0 or more, got {PrunerWarmupTrials}.");
        Require(PrunerWarmupSteps >= 0, "pruner.warmup_steps", $"expected 0 or more env steps, got {PrunerWarmupSteps}.");
        Require(PruningMetric is null || PruningMetric.Length > 0 && !PruningMetric.Any(char.IsWhiteSpace), "pruner.metric",
            $"'{PruningMetric}' is not one word; expected a NAME of the trainer's PROGRESS lines (NAME=value).");
        Require(ReductionFactor >= 2, "pruner.reduction_factor", $"expected 2 or more, got {ReductionFactor}.");
        Require(MinRungSteps is null || MinRungSteps >= 1 && MinRungSteps < StepsPerTrial, "pruner.min_rung_steps",
            $"expected a number of env steps from 1 to below the trial budget {StepsPerTrial}, got {MinRungSteps}.");
        Require(MinSteps >= 0, "pruner.min_steps", $"expected 0 or more env steps, got {MinSteps}.");
        Require(FailFastTrials >= 0, "fail_fast", $"expected 0 (never) or a number of trials, got {FailFastTrials}.");
        Require(TimeoutStartupSeconds > 0, "timeout.startup_seconds", $"expected a positive number of seconds, got {TimeoutStartupSeconds}.");
        Require(TimeoutMinStepsPerSecond > 0, "timeout.min_steps_per_second", $"expected a positive rate, got {TimeoutMinStepsPerSecond}.");
        if (Mode == StudyMode.Pbt)
        {
            Pbt.Validate(names);
            Require(Pruner == PrunerKind.None, "pruner", "pbt stops no trial early: after each interval its bottom members copy the top; leave the pruner out.");
        }
        Require(Space is null || Preset is null, "space", $"{names.Short("preset")} is given too; give a search space file or a preset, not both.");
        Require(StudyName is null || StudyName.Length > 0 && StudyName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'), "study",
            $"'{StudyName}' may use only letters, digits, '_', '-' and '.' (it names a folder).");
        if (Checkpoint is not null) Require(File.Exists(Checkpoint) || Directory.Exists(Checkpoint), "checkpoint", $"'{Checkpoint}' does not exist.");
        foreach (var f in SeedConfigs) Require(File.Exists(f), "seed_configs", $"file '{f}' does not exist.");
        if (TrainerCommand is not null) new Trials.TrainerCommand(TrainerCommand).Validate(names["trainer_command"]);
        else if (ObjectiveMetric is { } metric && metric != "navigation1" && Envs.Builtin.EnvRegistry.Names.Contains(Env) && MetricMap.All(m => m.Metric != metric))
        {
            using var env = Envs.Builtin.EnvRegistry.Create(Env, new Envs.EnvOptions(1));
            var written = Learning.TrainingRun.MetricNames(env);
            Require(written.Contains(metric), "objective", $"the built-in trainer writes no metric '{metric}' for {Env}; it writes {string.Join(", ", written)}.");
        }
        if (TrainerCommand is not null && new Trials.TrainerCommand(TrainerCommand).UsesDevice && Devices.Count == 0)
            throw new UserError($"{names["trainer_command"]}: the trainer command uses {{device}}, but no devices are given; add them, e.g. {(names.ByFlag("trainer_command") ? "--devices 0,1" : "devices: [0, 1]")}.");
        if (MetricMap.GroupBy(m => m.Metric).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UserError($"{names["metrics"]}: {twice.Key} is mapped {twice.Count()} times; map each metric once.");
        if (Direction == ObjectiveDirection.Minimize && ObjectiveMetric is null or "navigation1")
            throw new UserError($"{names["direction"]}: the navigation1 score is maximised; minimise a metric instead with {(names.ByFlag("direction") ? "--objective METRIC" : "objective: METRIC")}.");
        return this;
    }
}
