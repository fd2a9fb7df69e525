using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Trials;
using RlTune.Yaml;
using YamlDotNet.RepresentationModel;

namespace RlTune.Search;

/// <summary>
/// Configurations a user wants run first (enqueued before the sampler takes over). A file holds
/// one configuration or a list of them, as JSON in the trial-config format (a flat <c>params</c>
/// map, or <c>rl_overrides</c> and <c>reward_scales</c> merged, where <c>rl_overrides</c> keys
/// that are not parameters, such as <c>seed</c> or <c>max_env_steps</c>, are ignored) or as YAML
/// flat maps. Parameters a configuration leaves out take their default (prior).
/// </summary>
public static class SeedConfigs
{
    /// <summary>Reads and validates the configurations of a .json, .yaml or .yml file against the space.</summary>
    public static IReadOnlyList<Dictionary<string, object>> Load(string path, SearchSpace space)
    {
        if (!File.Exists(path)) throw new UserError($"{path}: the file of configurations to run first does not exist.");
        var text = File.ReadAllText(path);
        var raw = Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" ? FromYaml(text, path) : FromJson(text, path);
        var result = new List<Dictionary<string, object>>();
        for (var i = 0; i < raw.Count; i++)
        {
            var where = raw.Count == 1 ? path : $"{path}, configuration {i + 1}";
            var (values, ignorable) = raw[i];
            values = values.Where(kv => space.Find(kv.Key) is not null || !ignorable.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var config = space.Complete(values, where);
            var broken = space.ViolatedConstraints(config);
            if (broken.Count > 0)
                throw new UserError($"{where}: the configuration breaks the constraint \"{broken[0].Text}\" of search space '{space.Id}', so it would be skipped as infeasible.");
            result.Add(config);
        }
        return result;
    }

    private static List<(Dictionary<string, object>, HashSet<string>)> FromJson(string text, string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: the file is not valid JSON (line {(e.LineNumber ?? 0) + 1}: {e.Message.Split('.')[0]}).");
        }
        var objects = root switch
        {
            JsonArray arr => arr.Select((n, i) => n as JsonObject ?? throw new UserError($"{path}: entry {i + 1} of the list is not a JSON object.")).ToList(),
            JsonObject obj => [obj],
            _ => throw new UserError($"{path}: expected a JSON object (a trial config or a flat map of parameters) or a list of them."),
        };
        return objects.Select((o, i) => FromTrialConfig(
            o.ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            node => node is JsonObject jo ? jo.ToDictionary(kv => kv.Key, kv => JsonValue(kv.Value, path, kv.Key)) : null,
            v => JsonValue((JsonNode?)v, path, "value"),
            objects.Count == 1 ? path : $"{path}, configuration {i + 1}")).ToList();
    }

    private static object JsonValue(JsonNode? node, string path, string key)
    {
        try
        {
            return ParamValues.FromJson(node);
        }
        catch (FormatException)
        {
            throw new UserError($"{path}: {key} = {node?.ToJsonString() ?? "null"} is not a parameter value (expected a number, boolean, text or list).");
        }
    }

    private static List<(Dictionary<string, object>, HashSet<string>)> FromYaml(string text, string path)
    {
        var reader = new YamlReader(path);
        var root = reader.LoadRoot(text);
        var maps = root switch
        {
            YamlSequenceNode seq => seq.Children.Select((n, i) => n as YamlMappingNode ?? throw reader.Error(n, $"[{i + 1}]", "must be a mapping of parameter names to values")).ToList(),
            YamlMappingNode m => [m],
            _ => throw new UserError($"{path}: expected a mapping of parameter names to values, or a list of them."),
        };
        return maps.Select((m, i) => FromTrialConfig(
            m.Children.ToDictionary(kv => YamlReader.Key(kv.Key), kv => (object?)kv.Value),
            node => node is YamlMappingNode ym ? ym.Children.ToDictionary(kv => YamlReader.Key(kv.Key), kv => reader.Value(kv.Value, YamlReader.Key(kv.Key)) ?? throw reader.Error(kv.Value, YamlReader.Key(kv.Key), "has no value")) : null,
            v => reader.Value((YamlNode)v!, "value") ?? throw reader.Error((YamlNode)v!, "value", "has no value"),
            maps.Count == 1 ? path : $"{path}, configuration {i + 1}")).ToList();
    }

    // One configuration: "params" wins; else rl_overrides + reward_scales (unknown rl_overrides keys are the trainer's own knobs); else the map itself is flat.
    private static (Dictionary<string, object> Values, HashSet<string> Ignorable) FromTrialConfig(Dictionary<string, object?> top, Func<object?, Dictionary<string, object>?> asMap, Func<object?, object> asValue, string where)
    {
        if (top.TryGetValue("params", out var p))
            return (asMap(p) ?? throw new UserError($"{where}: params must be a map of parameter names to values."), []);
        if (top.ContainsKey("rl_overrides") || top.ContainsKey("reward_scales"))
        {
            var merged = new Dictionary<string, object>(StringComparer.Ordinal);
            var trainerKnobs = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in new[] { "rl_overrides", "reward_scales" })
                if (top.TryGetValue(key, out var section))
                    foreach (var (k, v) in asMap(section) ?? throw new UserError($"{where}: {key} must be a map of names to values."))
                    {
                        merged[k] = v;
                        if (key == "rl_overrides") trainerKnobs.Add(k);
                    }
            return (merged, trainerKnobs);
        }
        return (top.ToDictionary(kv => kv.Key, kv => asValue(kv.Value), StringComparer.Ordinal), []);
    }
}
