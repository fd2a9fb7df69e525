using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RlTune.Trials;

/// <summary>
/// One trial's configuration as handed to a trainer: MotrixLab's <c>train_one.py</c> format
/// (<c>run_tag</c>, <c>env_name</c>, <c>reward_scales</c>, <c>rl_overrides</c> with
/// <c>max_env_steps</c>, <c>seed</c> and <c>num_envs</c>, optional <c>checkpoint</c>,
/// <c>freeze_preprocessor</c>, <c>env_overrides</c>) plus RlTune's <c>resume</c> (the checkpoint is the
/// trial's own earlier state, to continue to max_env_steps rather than warm-start from), <c>study</c>, <c>trial</c>,
/// <c>run_dir</c> and the flat <c>params</c> map of every sampled value.
/// Values in <see cref="RlOverrides"/> and <see cref="Params"/> are <see cref="ParamValues"/> types.
/// </summary>
public sealed record TrialConfig
{
    // "measured" is export-best's record of the metrics and seeds a config was measured on; trainers ignore it.
    public static readonly IReadOnlyList<string> Keys =
        ["run_tag", "env_name", "reward_scales", "rl_overrides", "checkpoint", "resume", "freeze_preprocessor", "env_overrides", "study", "trial", "run_dir", "params", "measured", "schedule"];

    public string RunTag { get; init; } = "run";
    public required string EnvName { get; init; }
    public IReadOnlyDictionary<string, double> RewardScales { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, object> RlOverrides { get; init; } = new Dictionary<string, object>();
    public string? Checkpoint { get; init; }
    /// <summary>Continue <see cref="Checkpoint"/> (its env steps count toward max_env_steps) instead of warm-starting from it.</summary>
    public bool Resume { get; init; }
    public bool FreezePreprocessor { get; init; }
    public JsonObject EnvOverrides { get; init; } = [];
    public string? Study { get; init; }
    public int? Trial { get; init; }
    public string? RunDir { get; init; }
    public IReadOnlyDictionary<string, object> Params { get; init; } = new Dictionary<string, object>();
    /// <summary>Intervals to train one after another, each continuing the last (a PBT schedule); empty: train once with the config's own values.</summary>
    public IReadOnlyList<ScheduleInterval> Schedule { get; init; } = [];

    /// <summary>Where the config was read from, for error messages ("trial config" when not from a file).</summary>
    public string Source { get; init; } = "trial config";

    /// <summary>The trial's training budget in env steps (<c>rl_overrides.max_env_steps</c>), when given.</summary>
    public long? MaxEnvSteps => GetLong("max_env_steps", min: 1);

    /// <summary><c>rl_overrides.seed</c>, when given.</summary>
    public int? Seed => (int?)GetLong("seed", min: 0, max: int.MaxValue);

    /// <summary>The rl_overrides keys of an evaluation-only run; trainers that do not evaluate ignore them.</summary>
    public static readonly IReadOnlyList<string> EvaluationKeys = ["eval_only", "eval_episodes"];

    /// <summary><c>rl_overrides.eval_only</c>: evaluate <see cref="Checkpoint"/> without training.</summary>
    public bool EvalOnly => GetBool("eval_only") ?? false;

    /// <summary><c>rl_overrides.eval_episodes</c>: episodes of the deterministic evaluation, when given.</summary>
    public int? EvalEpisodes => (int?)GetLong("eval_episodes", min: 1, max: int.MaxValue);

    /// <summary><c>rl_overrides.num_envs</c>, when given.</summary>
    public int? NumEnvs => (int?)GetLong("num_envs", min: 1, max: int.MaxValue);

    // ---- typed access to rl_overrides, each failure one sentence naming file, field and expectation

    public double? GetDouble(string name)
    {
        if (!RlOverrides.TryGetValue(name, out var v)) return null;
        var d = v is bool ? null : ParamValues.AsDouble(v);
        if (d is not { } x || !double.IsFinite(x)) throw Bad(name, "a finite number", v);
        return x;
    }

    public long? GetLong(string name, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!RlOverrides.TryGetValue(name, out var v)) return null;
        long n;
        switch (v)
        {
            case long l: n = l; break;
            case double d when double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 9e15: n = (long)d; break;
            case double d when double.IsFinite(d) && d == Math.Floor(d): throw Bad(name, RangeText("an integer", min, max) + " below 9e15 (it is too large)", v);
            default: throw Bad(name, RangeText("an integer", min, max), v);
        }
        if (n < min || n > max) throw Bad(name, RangeText("an integer", min, max), v);
        return n;
    }

    public bool? GetBool(string name) =>
        !RlOverrides.TryGetValue(name, out var v) ? null : v as bool? ?? throw Bad(name, "true or false", v);

    public string? GetString(string name) =>
        !RlOverrides.TryGetValue(name, out var v) ? null : v as string ?? throw Bad(name, "a string", v);

    /// <summary>A list of positive integers such as <c>[256, 128, 64]</c>.</summary>
    public IReadOnlyList<int>? GetIntList(string name)
    {
        if (!RlOverrides.TryGetValue(name, out var v)) return null;
        if (v is not List<object> list || list.Count == 0) throw Bad(name, "a non-empty list of positive integers", v);
        var result = new List<int>(list.Count);
        foreach (var item in list)
        {
            if (item is long l && l is > 0 and <= int.MaxValue) result.Add((int)l);
            else if (item is double d && d == Math.Floor(d) && d is > 0 and <= int.MaxValue) result.Add((int)d);
            else throw Bad(name, "a non-empty list of positive integers", v);
        }
        return result;
    }

    /// <summary>Fails with one sentence when <c>rl_overrides</c> holds a key the trainer does not know.</summary>
    public void RequireKnownRlOverrides(IEnumerable<string> known)
    {
        var set = known.ToHashSet(StringComparer.Ordinal);
        foreach (var key in RlOverrides.Keys)
            if (!set.Contains(key))
                throw new UserError($"{Source}: unknown key 'rl_overrides.{key}'; expected one of {string.Join(", ", set.Order(StringComparer.Ordinal))}.");
    }

    private UserError Bad(string name, string expected, object value) =>
        new($"{Source}: field 'rl_overrides.{name}' must be {expected}, got {ParamValues.ToJson(value)!.ToJsonString()}.");

    private static string RangeText(string what, long min, long max) =>
        (min, max >= int.MaxValue) switch
        {
            (long.MinValue, true) => what,
            (1, true) => "a positive integer",
            (0, true) => "a non-negative integer",
            (_, true) => $"{what} of at least {min}",
            _ => $"{what} from {min} to {max}",
        };

    // ---- JSON

    /// <summary>Reads a trial config; <paramref name="envName"/> (the command line's env) stands in for a missing env_name.</summary>
    public static TrialConfig Load(string path, string? envName = null)
    {
        if (Directory.Exists(path)) throw new UserError($"{path}: is a directory; expected a trial config JSON file.");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{path}: cannot read the trial config ({e.Message}).");
        }
        return Parse(text, path, envName);
    }

    public static TrialConfig Parse(string json, string source = "trial config", string? envName = null)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            string hint = source.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || source.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                ? " Trial configs are JSON; `rltune export-best` writes the JSON beside its YAML." : "";
            throw new UserError($"{source}: not valid JSON ({e.Message}).{hint}");
        }
        if (root is not JsonObject obj) throw new UserError($"{source}: expected a JSON object with at least 'env_name'.");

        foreach (var (key, _) in obj)
            if (!Keys.Contains(key))
                throw new UserError($"{source}: unknown key '{key}'; expected one of {string.Join(", ", Keys)}.");

        return new TrialConfig
        {
            Source = source,
            RunTag = OptionalString(obj, "run_tag", source) ?? "run",
            EnvName = OptionalString(obj, "env_name", source) ?? envName ?? throw new UserError($"{source}: field 'env_name' is missing; expected the environment's name, e.g. \"vbot-nav-lite\"."),
            RewardScales = ReadRewardScales(obj["reward_scales"], source),
            RlOverrides = ReadValueMap(obj["rl_overrides"], "rl_overrides", source),
            Checkpoint = OptionalString(obj, "checkpoint", source),
            Resume = OptionalBool(obj, "resume", source),
            FreezePreprocessor = OptionalBool(obj, "freeze_preprocessor", source),
            EnvOverrides = obj["env_overrides"] switch
            {
                null => [],
                JsonObject o => (JsonObject)o.DeepClone(),
                var other => throw new UserError($"{source}: field 'env_overrides' must be a JSON object, got {other.ToJsonString()}."),
            },
            Study = OptionalString(obj, "study", source),
            Trial = obj["trial"] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.GetValue<JsonElement>().TryGetInt32(out var n) && n >= 0 => n,
                var other => throw new UserError($"{source}: field 'trial' must be a non-negative integer, got {other.ToJsonString()}."),
            },
            RunDir = OptionalString(obj, "run_dir", source),
            Params = ReadValueMap(obj["params"], "params", source),
            Schedule = ScheduleInterval.ReadAll(obj["schedule"], source, (n, f) => ReadRewardScales(n, source, f), (n, f) => ReadValueMap(n, f, source)),
        }.Validated();
    }

    /// <summary>Checks the typed rl_overrides so a bad value fails at load time, not mid-training.</summary>
    private TrialConfig Validated()
    {
        _ = MaxEnvSteps;
        _ = Seed;
        _ = NumEnvs;
        _ = EvalEpisodes;
        if (EvalOnly && Checkpoint is null)
            throw new UserError($"{Source}: field 'rl_overrides.eval_only' is true but there is no 'checkpoint'; an evaluation-only run needs the checkpoint to evaluate.");
        if (Resume && Checkpoint is null)
            throw new UserError($"{Source}: field 'resume' is true but there is no 'checkpoint'; resuming continues the checkpoint named there.");
        return this;
    }

    private static bool OptionalBool(JsonObject obj, string key, string source) => obj[key] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw new UserError($"{source}: field '{key}' must be true or false, got {other.ToJsonString()}."),
    };

    private static string? OptionalString(JsonObject obj, string key, string source) => obj[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw new UserError($"{source}: field '{key}' must be a string, got {other.ToJsonString()}."),
    };

    private static Dictionary<string, double> ReadRewardScales(JsonNode? node, string source, string field = "reward_scales")
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (node is null) return result;
        if (node is not JsonObject obj) throw new UserError($"{source}: field '{field}' must be an object of term name to number, got {node.ToJsonString()}.");
        foreach (var (key, value) in obj)
        {
            if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && double.IsFinite(v.GetValue<double>()))
                result[key] = v.GetValue<double>();
            else
                throw new UserError($"{source}: field '{field}.{key}' must be a finite number, got {value?.ToJsonString() ?? "null"}.");
        }
        return result;
    }

    private static Dictionary<string, object> ReadValueMap(JsonNode? node, string field, string source)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        if (node is null) return result;
        if (node is not JsonObject obj) throw new UserError($"{source}: field '{field}' must be a JSON object, got {node.ToJsonString()}.");
        foreach (var (key, value) in obj)
        {
            try
            {
                result[key] = ParamValues.FromJson(value);
            }
            catch (FormatException)
            {
                throw new UserError($"{source}: field '{field}.{key}' must be a number, true/false, a string or a list of those, got {value?.ToJsonString() ?? "null"}.");
            }
        }
        return result;
    }

    public JsonObject ToJsonObject()
    {
        var obj = new JsonObject
        {
            ["run_tag"] = RunTag,
            ["env_name"] = EnvName,
            ["reward_scales"] = new JsonObject(RewardScales.Select(kv => KeyValuePair.Create(kv.Key, ParamValues.ToJson(kv.Value)))),
            ["rl_overrides"] = new JsonObject(RlOverrides.Select(kv => KeyValuePair.Create(kv.Key, ParamValues.ToJson(kv.Value)))),
        };
        if (Checkpoint is not null) obj["checkpoint"] = Checkpoint;
        if (Resume) obj["resume"] = true;
        obj["freeze_preprocessor"] = FreezePreprocessor;
        obj["env_overrides"] = EnvOverrides.DeepClone();
        if (Study is not null) obj["study"] = Study;
        if (Trial is not null) obj["trial"] = Trial.Value;
        if (RunDir is not null) obj["run_dir"] = RunDir;
        obj["params"] = new JsonObject(Params.Select(kv => KeyValuePair.Create(kv.Key, ParamValues.ToJson(kv.Value))));
        if (Schedule.Count > 0) obj["schedule"] = new JsonArray(Schedule.Select(i => (JsonNode?)i.ToJson()).ToArray());
        return obj;
    }

    public string ToJson() => ToJsonObject().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Writes the config atomically (write then rename), so a reader never sees half a file.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"TrialConfig({RunTag}, {EnvName}, {Source})");
}
