using System.Text.Json;
using System.Text.Json.Nodes;

namespace RlTune.Trials;

/// <summary>
/// One interval of a training schedule (a trial config's <c>schedule</c>, as population-based training found it):
/// train <see cref="Steps"/> env steps with these reward weights and PPO settings, continuing the interval before.
/// </summary>
public sealed record ScheduleInterval(long Steps, IReadOnlyDictionary<string, double> RewardScales, IReadOnlyDictionary<string, object> RlOverrides)
{
    public JsonObject ToJson() => new()
    {
        ["steps"] = Steps,
        ["reward_scales"] = new JsonObject(RewardScales.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, ParamValues.ToJson(kv.Value)))),
        ["rl_overrides"] = new JsonObject(RlOverrides.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, ParamValues.ToJson(kv.Value)))),
    };

    /// <summary>Reads a config's <c>schedule</c> list; each mistake one sentence naming the file and the interval.</summary>
    public static IReadOnlyList<ScheduleInterval> ReadAll(JsonNode? node, string source, Func<JsonNode?, string, IReadOnlyDictionary<string, double>> rewardScales,
        Func<JsonNode?, string, IReadOnlyDictionary<string, object>> rlOverrides)
    {
        if (node is null) return [];
        if (node is not JsonArray list)
            throw new UserError($"{source}: field 'schedule' must be a list of intervals ({{\"steps\": N, \"reward_scales\": {{...}}, \"rl_overrides\": {{...}}}}), got {node.ToJsonString()}.");
        var intervals = new List<ScheduleInterval>();
        foreach (var item in list)
        {
            var field = $"schedule[{intervals.Count}]";
            if (item is not JsonObject obj) throw new UserError($"{source}: field '{field}' must be an object with steps, reward_scales and rl_overrides, got {item?.ToJsonString() ?? "null"}.");
            foreach (var (key, _) in obj)
                if (key is not ("steps" or "reward_scales" or "rl_overrides"))
                    throw new UserError($"{source}: unknown key '{field}.{key}'; expected steps, reward_scales or rl_overrides.");
            var steps = obj["steps"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.GetValue<JsonElement>().TryGetInt64(out var n) && n >= 1
                ? n : throw new UserError($"{source}: field '{field}.steps' must be a positive integer of env steps, got {obj["steps"]?.ToJsonString() ?? "nothing"}.");
            intervals.Add(new ScheduleInterval(steps, rewardScales(obj["reward_scales"], field + ".reward_scales"), rlOverrides(obj["rl_overrides"], field + ".rl_overrides")));
        }
        return intervals;
    }
}
