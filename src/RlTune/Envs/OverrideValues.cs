using System.Text.Json;
using System.Text.Json.Nodes;

namespace RlTune.Envs;

/// <summary>Reads one value of a trial's <c>env_overrides</c>; a wrong value is the user's mistake, named by its key.</summary>
public static class OverrideValues
{
    public static double Number(string key, JsonNode? node, double min, double max)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            // a value built in code may hold an int or long, which GetValue<double> refuses; its JSON text is always a number
            double x = v.TryGetValue<double>(out var d) ? d : double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
            if (x >= min && x <= max) return x;
            throw new UserError($"env_overrides.{key}: expected a number from {min} to {max}, got {x}.");
        }
        throw new UserError($"env_overrides.{key}: expected a number from {min} to {max}, got {Show(node)}.");
    }

    public static int Integer(string key, JsonNode? node, int min, int max)
    {
        double x = Number(key, node, min, max);
        if (x != Math.Floor(x))
            throw new UserError($"env_overrides.{key}: expected a whole number from {min} to {max}, got {x}.");
        return (int)x;
    }

    public static (double, double) Pair(string key, JsonNode? node, double min, double max, string what)
    {
        if (node is JsonArray { Count: 2 } a)
            return (Number(key, a[0], min, max), Number(key, a[1], min, max));
        throw new UserError($"env_overrides.{key}: expected {what}, got {Show(node)}.");
    }

    public static string Show(JsonNode? node) => node is null ? "null" : node.ToJsonString();
}
