using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Search;
using RlTune.Yaml;
using YamlDotNet.RepresentationModel;

namespace RlTune.Study;

/// <summary>
/// Reads a study YAML (<c>rltune automl --config study.yaml</c>) into <see cref="StudySettings"/>.
/// File paths inside it (space, seed_configs, checkpoint) are relative to the YAML file; every
/// mistake is one sentence naming the file, the line and the field.
/// </summary>
public static class StudySettingsLoader
{
    public static readonly IReadOnlyList<string> Keys =
    [
        "study", "mode", "output", "storage", "env", "space", "preset", "search_method", "hp_trials", "warmup_trials", "grid_points",
        "steps_per_trial", "seeds_per_trial", "rank_by", "intensify", "max_seeds_per_config", "intensify_share", "min_seeds_for_best", "parallel", "threads_per_trial", "seed", "budget_hours", "seed_configs",
        "checkpoint", "freeze_preprocessor", "env_overrides", "trainer_command", "trainer_resumes", "objective", "direction", "score_weights", "num_envs",
        "full_train_steps", "stages", "stage_attempts", "eval_episodes", "audit", "audit_episode_length", "pruner", "timeout", "logging",
        "metrics", "fail_fast", "devices", "trials_per_device", "pbt",
    ];

    public static StudySettings Load(string path)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: the study config file does not exist.");
        return Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    public static StudySettings Parse(string yaml, string source, string baseDir)
    {
        var r = new Reader(source, baseDir);
        var root = r.Yaml.LoadMapping(yaml, "expected a mapping of study settings (study, mode, hp_trials, ...)");
        if (root is null) return new StudySettings();
        var s = new StudySettings();
        foreach (var (keyNode, value) in root.Children)
        {
            var key = YamlReader.Key(keyNode);
            s = key switch
            {
                "study" => s with { StudyName = r.String(value, key) },
                "mode" => s with { Mode = StudySettings.ParseMode(r.String(value, key)) ?? throw r.Error(value, key, "expected hp-search, stage, full, eval or pbt") },
                "output" => s with { Output = r.String(value, key) },
                "storage" => s with { Storage = r.String(value, key) },
                "env" => s with { Env = r.String(value, key) },
                "space" => s with { Space = r.PathValue(value, key) },
                "preset" => s with { Preset = r.String(value, key) },
                "search_method" => s with { SearchMethod = r.String(value, key) },
                "hp_trials" => s with { HpTrials = r.Int(value, key, 1) },
                "warmup_trials" => s with { WarmupTrials = r.Int(value, key, 0) },
                "grid_points" => s with { GridPoints = r.Int(value, key, 2) },
                "steps_per_trial" => s with { StepsPerTrial = r.Long(value, key, 1) },
                "seeds_per_trial" => s with { SeedsPerTrial = r.Int(value, key, 1) },
                "rank_by" => s with { RankBy = ParseRankBy(r.String(value, key)) ?? throw r.Error(value, key, "expected mean or mean-std") },
                "intensify" => s with { Intensify = StudySettings.ParseIntensify(r.String(value, key)) ?? throw r.Error(value, key, "expected auto, true or false") },
                "max_seeds_per_config" => s with { MaxSeedsPerConfig = r.Int(value, key, 1) },
                "intensify_share" => s with { IntensifyShare = r.Double(value, key) },
                "min_seeds_for_best" => s with { MinSeedsForBest = r.Int(value, key, 1) },
                "parallel" => s with { Parallel = r.Int(value, key, 1) },
                "threads_per_trial" => s with { ThreadsPerTrial = r.Int(value, key, 1) },
                "seed" => s with { Seed = r.Int(value, key, 0) },
                "budget_hours" => s with { BudgetHours = r.Double(value, key, positive: true) },
                "seed_configs" => s with { SeedConfigs = r.List(value, key).Select(n => r.PathValue(n, key)).ToList() },
                "checkpoint" => s with { Checkpoint = r.PathValue(value, key) },
                "freeze_preprocessor" => s with { FreezePreprocessor = r.Bool(value, key) },
                "env_overrides" => s with { EnvOverrides = r.Object(value, key) },
                "trainer_command" => s with { TrainerCommand = r.String(value, key) },
                "trainer_resumes" => s with { TrainerResumes = r.Bool(value, key) },
                "objective" => ReadObjective(s, value, r),
                "direction" => s with { Direction = ParseDirection(r, value, key) },
                "score_weights" => s with { ScoreWeights = ReadWeights(value, r) },
                "num_envs" => s with { NumEnvs = r.Int(value, key, 1) },
                "full_train_steps" => s with { FullTrainSteps = r.Long(value, key, 1) },
                "stages" => s with { Stages = ReadStages(value, r) },
                "stage_attempts" => s with { StageAttempts = r.Int(value, key, 1) },
                "eval_episodes" => s with { EvalEpisodes = r.Int(value, key, 1) },
                "audit" => s with { Audit = ParseAudit(r.String(value, key)) ?? throw r.Error(value, key, "expected warn, skip or off") },
                "audit_episode_length" => s with { AuditEpisodeLength = r.Int(value, key, 1) },
                "pruner" => ReadPruner(s, value, r),
                "timeout" => ReadTimeout(s, value, r),
                "logging" => ReadLogging(s, value, r),
                "metrics" => s with { MetricMap = ReadMetricMap(value, r) },
                "fail_fast" => s with { FailFastTrials = r.Int(value, key, 0) },
                "devices" => s with { Devices = ReadDevices(value, r) },
                "trials_per_device" => s with { TrialsPerDevice = r.Int(value, key, 1) },
                "pbt" => s with { Pbt = ReadPbt(s.Pbt, value, r) },
                _ => throw r.Error(keyNode, key, $"unknown setting; expected one of {string.Join(", ", Keys)}"),
            };
        }
        return s;
    }

    public static SeedRanking? ParseRankBy(string text) => text switch
    {
        "mean" => SeedRanking.Mean,
        "mean-std" or "mean_minus_std" => SeedRanking.MeanMinusStd,
        _ => null,
    };

    public static AuditPolicy? ParseAudit(string text) => text switch
    {
        "warn" => AuditPolicy.Warn,
        "skip" => AuditPolicy.Skip,
        "off" => AuditPolicy.Off,
        _ => null,
    };

    private static ObjectiveDirection ParseDirection(Reader r, YamlNode value, string key) => r.String(value, key) switch
    {
        "maximize" => ObjectiveDirection.Maximize,
        "minimize" => ObjectiveDirection.Minimize,
        _ => throw r.Error(value, key, "expected maximize or minimize"),
    };

    private static StudySettings ReadObjective(StudySettings s, YamlNode value, Reader r)
    {
        if (value is YamlScalarNode) return s with { ObjectiveMetric = r.String(value, "objective") };
        foreach (var (k, v) in r.Map(value, "objective"))
        {
            s = k switch
            {
                "metric" => s with { ObjectiveMetric = r.String(v, "objective.metric") },
                "direction" => s with { Direction = ParseDirection(r, v, "objective.direction") },
                "rank_by" => s with { RankBy = ParseRankBy(r.String(v, "objective.rank_by")) ?? throw r.Error(v, "objective.rank_by", "expected mean or mean-std") },
                "weights" => s with { ScoreWeights = ReadWeights(v, r) },
                _ => throw r.Error(v, "objective." + k, "unknown setting; expected metric, direction, rank_by or weights"),
            };
        }
        return s;
    }

    private static NavigationScoreWeights ReadWeights(YamlNode value, Reader r)
    {
        var w = new NavigationScoreWeights();
        foreach (var (k, v) in r.Map(value, "score_weights"))
        {
            var f = "score_weights." + k;
            w = k switch
            {
                "success" => w with { Success = r.Double(v, f) },
                "survival" or "termination" => w with { Survival = r.Double(v, f) },
                "reward" => w with { Reward = r.Double(v, f) },
                "brevity" or "length" => w with { Brevity = r.Double(v, f) },
                "reward_scale" => w with { RewardScale = r.Double(v, f, positive: true) },
                "length_scale" => w with { LengthScale = r.Double(v, f, positive: true) },
                _ => throw r.Error(v, f, "unknown weight; expected success, survival, reward, brevity, reward_scale or length_scale"),
            };
        }
        return w;
    }

    private static List<CurriculumStage> ReadStages(YamlNode value, Reader r)
    {
        var stages = new List<CurriculumStage>();
        foreach (var item in r.List(value, "stages"))
        {
            var n = stages.Count + 1;
            string? name = null;
            JsonObject overrides = [];
            var threshold = 0.8;
            foreach (var (k, v) in r.Map(item, $"stages[{n}]"))
            {
                switch (k)
                {
                    case "name": name = r.String(v, $"stages[{n}].name"); break;
                    case "env_overrides": overrides = r.Object(v, $"stages[{n}].env_overrides"); break;
                    case "success_threshold":
                        threshold = r.Double(v, $"stages[{n}].success_threshold");
                        if (threshold is < 0 or > 1) throw r.Error(v, $"stages[{n}].success_threshold", "expected a success rate from 0 to 1");
                        break;
                    default: throw r.Error(v, $"stages[{n}].{k}", "unknown setting; expected name, env_overrides or success_threshold");
                }
            }
            stages.Add(new CurriculumStage(name ?? $"stage{n}", overrides, threshold));
        }
        return stages;
    }

    /// <summary><c>pruner: median</c>, or a mapping with kind, metric, warmup_trials, warmup_steps and ASHA/Hyperband's reduction_factor, min_rung_steps, min_steps and lazy_robot.</summary>
    private static StudySettings ReadPruner(StudySettings s, YamlNode value, Reader r)
    {
        PrunerKind Kind(YamlNode v, string field) => StudySettings.ParsePruner(r.String(v, field)) ?? throw r.Error(v, field, "expected none, median, asha or hyperband");
        if (value is YamlScalarNode) return s with { Pruner = Kind(value, "pruner") };
        foreach (var (k, v) in r.Map(value, "pruner"))
            s = k switch
            {
                "kind" => s with { Pruner = Kind(v, "pruner.kind") },
                "metric" => s with { PruningMetric = r.String(v, "pruner.metric") },
                "warmup_trials" => s with { PrunerWarmupTrials = r.Int(v, "pruner.warmup_trials", 0) },
                "warmup_steps" => s with { PrunerWarmupSteps = r.Long(v, "pruner.warmup_steps", 0) },
                "reduction_factor" => s with { ReductionFactor = r.Int(v, "pruner.reduction_factor", 2) },
                "min_rung_steps" => s with { MinRungSteps = r.Long(v, "pruner.min_rung_steps", 1) },
                "min_steps" => s with { MinSteps = r.Long(v, "pruner.min_steps", 0) },
                "lazy_robot" => s with { LazyRobot = StudySettings.ParseLazyRobot(r.String(v, "pruner.lazy_robot")) ?? throw r.Error(v, "pruner.lazy_robot", "expected off, flag or prune") },
                _ => throw r.Error(v, "pruner." + k, "unknown setting; expected kind, metric, warmup_trials, warmup_steps, reduction_factor, min_rung_steps, min_steps or lazy_robot"),
            };
        return s;
    }

    private static PbtSettings ReadPbt(PbtSettings p, YamlNode value, Reader r)
    {
        foreach (var (k, v) in r.Map(value, "pbt"))
            p = k switch
            {
                "population" => p with { Population = r.Int(v, "pbt.population", 2) },
                "generations" => p with { Generations = r.Int(v, "pbt.generations", 1) },
                "quantile" => p with { Quantile = r.Double(v, "pbt.quantile", positive: true) },
                "resample_probability" => p with { ResampleProbability = r.Double(v, "pbt.resample_probability") },
                "perturb_factors" => p with { PerturbFactors = r.List(v, "pbt.perturb_factors").Select(f => r.Double(f, "pbt.perturb_factors", positive: true)).ToList() },
                _ => throw r.Error(v, "pbt." + k, "unknown setting; expected population, generations, quantile, resample_probability or perturb_factors"),
            };
        return p;
    }

    /// <summary><c>metrics:</c> metric name to a source ("TAG", "-TAG", "SCALE*TAG") or to a mapping with source and scale.</summary>
    private static List<Trials.MetricMapping> ReadMetricMap(YamlNode value, Reader r)
    {
        var map = new List<Trials.MetricMapping>();
        foreach (var (metric, v) in r.Map(value, "metrics"))
        {
            var field = "metrics." + metric;
            if (v is YamlScalarNode)
            {
                var text = r.String(v, field);
                map.Add(r.Wrap(v, () => Trials.MetricMapping.Parse($"{metric}={text}", field)));
                continue;
            }
            string? source = null;
            var scale = 1.0;
            foreach (var (k, x) in r.Map(v, field))
            {
                switch (k)
                {
                    case "source": source = r.String(x, field + ".source"); break;
                    case "scale": scale = r.Double(x, field + ".scale"); break;
                    default: throw r.Error(x, $"{field}.{k}", "unknown setting; expected source or scale");
                }
            }
            if (source is null) throw r.Error(v, field, "expected a source: a TensorBoard tag or a metrics.json key");
            map.Add(r.Wrap(v, () => Trials.MetricMapping.From(metric, source, scale, field)));
        }
        return map;
    }

    /// <summary><c>devices: [0, 1]</c> or <c>devices: "0,1"</c>.</summary>
    private static IReadOnlyList<string> ReadDevices(YamlNode value, Reader r)
    {
        var items = value is YamlScalarNode ? r.String(value, "devices").Split(',').ToList() : r.List(value, "devices").Select(n => r.String(n, "devices")).ToList();
        return r.Wrap(value, () => StudySettings.ParseDevices(items, "devices"));
    }

    private static StudySettings ReadTimeout(StudySettings s, YamlNode value, Reader r)
    {
        foreach (var (k, v) in r.Map(value, "timeout"))
            s = k switch
            {
                "startup_seconds" => s with { TimeoutStartupSeconds = r.Double(v, "timeout.startup_seconds", positive: true) },
                "min_steps_per_second" => s with { TimeoutMinStepsPerSecond = r.Double(v, "timeout.min_steps_per_second", positive: true) },
                _ => throw r.Error(v, "timeout." + k, "unknown setting; expected startup_seconds or min_steps_per_second"),
            };
        return s;
    }

    private static StudySettings ReadLogging(StudySettings s, YamlNode value, Reader r)
    {
        foreach (var (k, v) in r.Map(value, "logging"))
            s = k switch
            {
                "progress_interval_seconds" => s with { ProgressIntervalSeconds = r.Double(v, "logging.progress_interval_seconds", positive: true) },
                _ => throw r.Error(v, "logging." + k, "unknown setting; expected progress_interval_seconds"),
            };
        return s;
    }

    private sealed class Reader(string source, string baseDir)
    {
        public YamlReader Yaml { get; } = new(source);

        public UserError Error(YamlNode node, string field, string what) => Yaml.Error(node, field, what);

        /// <summary>Runs a check that names the field itself, prefixing its message with this file and the node's line.</summary>
        public T Wrap<T>(YamlNode node, Func<T> check)
        {
            try
            {
                return check();
            }
            catch (UserError e)
            {
                throw new UserError($"{source}:{YamlReader.Line(node)}: {e.Message}");
            }
        }

        private string Scalar(YamlNode node, string field, string expected) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, field, $"expected {expected}, got {YamlReader.Show(node)}");

        public string String(YamlNode node, string field) => Scalar(node, field, "a string");

        public string PathValue(YamlNode node, string field)
        {
            var p = String(node, field);
            return Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(baseDir, p));
        }

        // settings also take YAML 1.1's yes/no
        public bool Bool(YamlNode node, string field) => Scalar(node, field, "true or false") switch
        {
            "true" or "True" or "TRUE" or "yes" => true,
            "false" or "False" or "FALSE" or "no" => false,
            _ => throw Error(node, field, $"expected true or false, got {YamlReader.Show(node)}"),
        };

        public long Long(YamlNode node, string field, long min)
        {
            Scalar(node, field, "an integer");
            long? v = Yaml.Value(node, field) switch
            {
                long l => l,
                double d when d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
                // 10_000_000 for step counts, or a quoted number
                string t when long.TryParse(t.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var u) => u,
                _ => null,
            };
            return v >= min ? v.Value : throw Error(node, field, $"expected an integer of at least {min}, got {YamlReader.Show(node)}");
        }

        public int Int(YamlNode node, string field, int min)
        {
            var v = Long(node, field, min);
            return v <= int.MaxValue ? (int)v : throw Error(node, field, $"expected an integer of at most {int.MaxValue}, got {YamlReader.Show(node)}");
        }

        public double Double(YamlNode node, string field, bool positive = false)
        {
            Scalar(node, field, "a number");
            double? d = Yaml.Value(node, field) switch
            {
                long l => l,
                double x => x,
                string t when double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var y) && double.IsFinite(y) => y,
                _ => null,
            };
            return d is { } v && (!positive || v > 0) ? v : throw Error(node, field, $"expected {(positive ? "a positive number" : "a number")}, got {YamlReader.Show(node)}");
        }

        public IEnumerable<YamlNode> List(YamlNode node, string field) =>
            node is YamlSequenceNode seq ? seq.Children : throw Error(node, field, $"expected a list, got {YamlReader.Show(node)}");

        public IEnumerable<(string Key, YamlNode Value)> Map(YamlNode node, string field) =>
            node is YamlMappingNode map
                ? map.Children.Select(kv => (YamlReader.Key(kv.Key), kv.Value))
                : throw Error(node, field, $"expected a mapping, got {YamlReader.Show(node)}");

        public JsonObject Object(YamlNode node, string field) =>
            node is YamlMappingNode ? (JsonObject)Yaml.Json(node, field)! : throw Error(node, field, $"expected a mapping, got {YamlReader.Show(node)}");
    }
}
