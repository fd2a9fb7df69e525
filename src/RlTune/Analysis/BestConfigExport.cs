using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Search;
using RlTune.Study;
using RlTune.Trials;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace RlTune.Analysis;

/// <summary>One seed's result as it was measured.</summary>
public sealed record MeasuredSeed(int Seed, double? Score, IReadOnlyDictionary<string, double> Metrics);

/// <summary>What an exported config was measured on: its study and trial, the score and metrics (mean over seeds) and each seed's.</summary>
public sealed record Measurement(string Study, int Trial, double? Score, double? ScoreStd, IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<MeasuredSeed> Seeds)
{
    /// <summary>The built-in trainer's network threads the trial ran with (metrics.json's train_threads), when recorded.</summary>
    public int? Threads => Metrics.TryGetValue("train_threads", out var t) && t >= 1 && t == Math.Floor(t) ? (int)t : null;

    /// <summary>The command that retrains the exported config as it was measured (same network threads: they change the run).</summary>
    public string TrainCommand(string jsonPath) => $"rltune train-one --config {jsonPath}" + (Threads is { } t ? $" --threads {t}" : "");

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["study"] = Study, ["trial"] = Trial };
        if (Score is { } s) obj["score"] = s;
        if (ScoreStd is { } sd) obj["score_std"] = sd;
        obj["metrics"] = Numbers(Metrics);
        obj["seeds"] = new JsonArray(Seeds.Select(r =>
        {
            var seed = new JsonObject { ["seed"] = r.Seed };
            if (r.Score is { } x) seed["score"] = x;
            seed["metrics"] = Numbers(r.Metrics);
            return (JsonNode)seed;
        }).ToArray());
        return obj;
    }

    private static JsonObject Numbers(IReadOnlyDictionary<string, double> values) =>
        new(values.Where(kv => double.IsFinite(kv.Value)).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));

    public static Measurement FromJson(JsonNode node, string source)
    {
        try
        {
            var obj = (JsonObject)node;
            static Dictionary<string, double> Map(JsonNode? n) =>
                n is JsonObject o ? o.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>()) : [];
            return new Measurement(
                obj["study"]!.GetValue<string>(),
                obj["trial"]!.GetValue<int>(),
                obj["score"]?.GetValue<double>(),
                obj["score_std"]?.GetValue<double>(),
                Map(obj["metrics"]),
                obj["seeds"] is JsonArray seeds
                    ? seeds.Select(s => new MeasuredSeed(s!["seed"]!.GetValue<int>(), s["score"]?.GetValue<double>(), Map(s["metrics"]))).ToList()
                    : []);
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new UserError($"{source}: field 'measured' must hold study, trial, score, metrics and seeds as written by rltune export-best.");
        }
    }

    /// <summary>A configuration's measurement over every seed it ran (all its trials): mean score and metrics, each seed's.</summary>
    public static Measurement FromConfig(string study, ConfigEvidence config)
    {
        var runs = config.Trials.Where(t => t.State == TrialState.Complete).SelectMany(t => t.SeedRuns.Where(r => r.Error is null)).ToList();
        var scores = runs.Where(r => r.Score is { } s && double.IsFinite(s)).Select(r => r.Score!.Value).ToList();
        var agg = scores.Count > 0 ? SeedAggregate.Of(scores) : (SeedAggregate?)null;
        return new Measurement(study, config.First.Number, agg?.Mean ?? config.First.Score, agg is { Count: > 1 } a ? a.Std : config.First.ScoreStd,
            config.MeanMetrics(), runs.Select(r => new MeasuredSeed(r.Seed, r.Score, r.Metrics)).ToList());
    }

    public static Measurement FromTrial(string study, TrialRecord trial) => new(
        study, trial.Number, trial.Score, trial.ScoreStd, trial.Metrics,
        trial.SeedRuns.Where(r => r.Error is null).Select(r => new MeasuredSeed(r.Seed, r.Score, r.Metrics)).ToList());
}

/// <summary>
/// <c>rltune export-best</c>: the best trial as a train-ready config in <c>train_one</c>'s format
/// (reward_scales + rl_overrides, JSON; a YAML copy for people on request) plus a <c>measured</c> block with the metrics and
/// seeds it was measured on. The exact config the trial ran with is used when its file is still
/// in <c>configs/</c>; otherwise the config is rebuilt from the search space.
/// </summary>
public static class BestConfigExport
{
    /// <summary>The trial's config as the runner wrote it (<c>configs/trial_NNNN_seed_S.json</c>), if present.</summary>
    public static string? StoredConfigPath(string studyDir, TrialRecord trial)
    {
        var seeds = trial.SeedRuns.Select(r => r.Seed).Append(trial.Seed).Distinct();
        foreach (var seed in seeds)
        {
            var path = Path.Combine(studyDir, "configs", $"{StudyAnalysis.ConfigId(trial.Number)}_seed_{seed.ToString(CultureInfo.InvariantCulture)}.json");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>An ASHA/Hyperband trial's piece configs (<c>configs/trial_NNNN_seed_S_rung_K.json</c>) of its first seed that has them, by rung.</summary>
    private static IReadOnlyList<string> RungConfigPaths(string studyDir, TrialRecord trial)
    {
        var dir = Path.Combine(studyDir, "configs");
        if (!Directory.Exists(dir)) return [];
        foreach (var seed in trial.SeedRuns.Select(r => r.Seed).Append(trial.Seed).Distinct())
        {
            var prefix = $"{StudyAnalysis.ConfigId(trial.Number)}_seed_{seed.ToString(CultureInfo.InvariantCulture)}_rung_";
            var pieces = Directory.EnumerateFiles(dir, prefix + "*.json")
                .Select(f => (File: f, Rung: int.TryParse(Path.GetFileNameWithoutExtension(f)[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : -1))
                .Where(x => x.Rung >= 0).OrderBy(x => x.Rung).Select(x => x.File).ToList();
            if (pieces.Count > 0) return pieces;
        }
        return [];
    }

    /// <summary>The train-ready config of a trial: its stored config made portable, or one rebuilt from the space.</summary>
    public static TrialConfig ConfigFor(string study, TrialRecord trial, string studyDir, SearchSpace? space, string envName, long? maxEnvSteps)
    {
        var firstSeed = trial.SeedRuns.Count > 0 ? trial.SeedRuns[0].Seed : trial.Seed;
        var runTag = $"{study}_best_{StudyAnalysis.ConfigId(trial.Number)}";
        if (StoredConfigPath(studyDir, trial) is { } stored)
        {
            var config = TrialConfig.Load(stored);
            var rl = new Dictionary<string, object>(config.RlOverrides, StringComparer.Ordinal) { ["seed"] = (long)firstSeed };
            return config with { RunTag = runTag, RunDir = null, Study = study, Trial = trial.Number, RlOverrides = rl, Source = stored };
        }
        if (RungConfigPaths(studyDir, trial) is { Count: > 0 } pieces)
        {
            // an ASHA/Hyperband trial: its first piece's config (the study's warm start, not a rung checkpoint), trained straight to its last rung
            var config = TrialConfig.Load(pieces[0]);
            var rl = new Dictionary<string, object>(config.RlOverrides, StringComparer.Ordinal) { ["seed"] = (long)firstSeed };
            if (TrialConfig.Load(pieces[^1]).RlOverrides.GetValueOrDefault("max_env_steps") is { } last) rl["max_env_steps"] = last;
            return config with { RunTag = runTag, RunDir = null, Study = study, Trial = trial.Number, RlOverrides = rl, Source = pieces[0] };
        }
        if (space is null)
            throw new UserError($"cannot tell trial {trial.Number}'s reward weights from its PPO parameters: its config file ({Path.Combine(studyDir, "configs")}) is gone and the study's search space is unknown.");
        var (rlOverrides, rewardScales) = space.ToTrialSections(trial.Params);
        rlOverrides["seed"] = (long)firstSeed;
        if (maxEnvSteps is { } steps && !rlOverrides.ContainsKey("max_env_steps")) rlOverrides["max_env_steps"] = steps;
        var rewards = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in rewardScales)
            rewards[name] = ParamValues.AsDouble(value) ?? throw new UserError($"reward weight '{name}' of trial {trial.Number} is not a number ({ParamValues.Canonical(value)}).");
        return new TrialConfig
        {
            RunTag = runTag, EnvName = envName, RewardScales = rewards, RlOverrides = rlOverrides,
            Study = study, Trial = trial.Number, Params = trial.Params, Source = "export-best",
        };
    }

    /// <summary>
    /// A PBT trial's config with the schedule that led to it (<see cref="Study.PbtLineage.Chain"/>): one interval per
    /// generation with the parameters it trained with, started from the study's own warm start (not the checkpoint
    /// the trial copied); the top level holds the last interval's values and the schedule's total steps.
    /// </summary>
    public static TrialConfig ScheduleFor(string study, Study.PbtLineage lineage, TrialRecord trial, string studyDir, SearchSpace? space, string envName, long? intervalSteps)
    {
        var configs = lineage.Chain(trial.Number).Select(i => ConfigFor(study, i.Trial, studyDir, space, envName, intervalSteps)).ToList();
        // a continued interval's max_env_steps counts from the run's start, a warm-started one's from its own
        var ends = configs.Select(c => c.MaxEnvSteps ?? intervalSteps ?? 1).ToList();
        var intervals = configs.Select((c, k) => new ScheduleInterval(c.Resume && k > 0 ? ends[k] - ends[k - 1] : ends[k],
            c.RewardScales, c.RlOverrides.Where(kv => kv.Key is not ("max_env_steps" or "seed" or "schedule_env_steps")).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal))).ToList();
        var last = configs[^1];
        var rl = new Dictionary<string, object>(last.RlOverrides, StringComparer.Ordinal)
        {
            ["max_env_steps"] = intervals.Sum(i => i.Steps),
            ["seed"] = configs[0].RlOverrides.GetValueOrDefault("seed") ?? 0L,
        };
        rl.Remove("schedule_env_steps");
        return last with { Checkpoint = configs[0].Checkpoint, Resume = configs[0].Resume, RlOverrides = rl, Schedule = intervals };
    }

    public static JsonObject ToJsonObject(TrialConfig config, Measurement measured)
    {
        var obj = config.ToJsonObject();
        obj["measured"] = measured.ToJson();
        return obj;
    }

    /// <summary>
    /// Writes the train-ready JSON (<c>best.json</c>); for a <c>.yaml</c>/<c>.yml</c> path also the same
    /// document as YAML for people, with the JSON written beside it. Returns the JSON's path.
    /// </summary>
    // JSON always, because trial configs are JSON for every trainer (MotrixLab's train_one.py included), not only ours.
    public static string Write(string path, TrialConfig config, Measurement measured)
    {
        var obj = ToJsonObject(config, measured);
        var jsonPath = JsonPathFor(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(jsonPath, obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (IsYaml(path))
            File.WriteAllText(path, $"# {config.Study} trial {config.Trial}, exported by rltune export-best. Trainers read the JSON beside it:\n" +
                                    $"#   {measured.TrainCommand(Path.GetFileName(jsonPath))}\n" + ToYaml(obj));
        return jsonPath;
    }

    /// <summary>The JSON a trainer reads for an <c>--out</c> path: the path itself, or the YAML's name with <c>.json</c>.</summary>
    public static string JsonPathFor(string path) => IsYaml(path) ? Path.ChangeExtension(path, ".json") : path;

    public static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads an exported (or any trial) config, JSON or YAML; <c>measured</c> is null for a plain trial config.</summary>
    public static (TrialConfig Config, Measurement? Measured) Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot read the config ({e.Message}).");
        }
        string json = IsYaml(path) ? YamlToJson(text, path) : text;
        var config = TrialConfig.Parse(json, path);
        var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var measured = root?["measured"] is { } m ? Measurement.FromJson(m, path) : null;
        return (config, measured);
    }

    // ---- YAML <-> JSON (the YAML form is the same document)

    public static string ToYaml(JsonObject obj)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(ToYamlNode(obj))).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static YamlNode ToYamlNode(JsonNode? node) => node switch
    {
        null => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
        JsonObject o => new YamlMappingNode(o.Select(kv => new KeyValuePair<YamlNode, YamlNode>(new YamlScalarNode(kv.Key), ToYamlNode(kv.Value)))),
        JsonArray a => new YamlSequenceNode(a.Select(ToYamlNode)) { Style = a.All(x => x is JsonValue) ? SequenceStyle.Flow : SequenceStyle.Block },
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => ImportanceYaml.Text(v.GetValue<string>()),
            JsonValueKind.True => new YamlScalarNode("true") { Style = ScalarStyle.Plain },
            JsonValueKind.False => new YamlScalarNode("false") { Style = ScalarStyle.Plain },
            _ => new YamlScalarNode(v.ToJsonString()) { Style = ScalarStyle.Plain },
        },
        _ => throw new ArgumentException("unsupported JSON node"),
    };

    private static string YamlToJson(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new UserError($"{source}: not valid YAML at line {e.Start.Line} ({e.Message}).");
        }
        if (stream.Documents.Count == 0) throw new UserError($"{source}: the file is empty; expected a trial config.");
        return ToJsonNode(stream.Documents[0].RootNode)?.ToJsonString() ?? "null";
    }

    private static JsonNode? ToJsonNode(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJsonNode(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJsonNode).ToArray()),
        YamlScalarNode sc => Scalar(sc),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var text = s.Value ?? "";
        if (s.Style is ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted or ScalarStyle.Literal or ScalarStyle.Folded) return JsonValue.Create(text);
        if (text is "null" or "~" or "") return null;
        if (text is "true" or "True") return JsonValue.Create(true);
        if (text is "false" or "False") return JsonValue.Create(false);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            // keep it a float on the way back (ParamValues tells 5 from 5.0 by the text)
            var t = d.ToString("R", CultureInfo.InvariantCulture);
            return JsonNode.Parse(t.Contains('.') || t.Contains('E') ? t : t + ".0");
        }
        return JsonValue.Create(text);
    }
}
