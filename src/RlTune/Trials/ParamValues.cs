using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RlTune.Trials;

/// <summary>
/// The value types a parameter takes everywhere in RlTune: double, long, bool, string, or a list
/// of those (a categorical such as <c>[256, 128, 64]</c>). Conversions to and from JSON live here
/// so that the store, the trial config and the samplers agree.
/// </summary>
public static class ParamValues
{
    public static JsonNode? ToJson(object value) => value switch
    {
        double d => DoubleNode(d),
        float f => DoubleNode(f),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create((long)i),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        IEnumerable<object> list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => throw new ArgumentException($"unsupported parameter value type {value.GetType().Name}"),
    };

    // A whole double is written "-200.0", not "-200", so it reads back as a double, not a long.
    private static JsonNode DoubleNode(double d)
    {
        if (!double.IsFinite(d)) throw new ArgumentException($"parameter value {d} is not a finite number");
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        if (!text.Contains('.') && !text.Contains('E')) text += ".0";
        return JsonNode.Parse(text)!;
    }

    public static object FromJson(JsonNode? node)
    {
        switch (node)
        {
            case null:
                throw new FormatException("null is not a parameter value");
            case JsonArray arr:
                return arr.Select(FromJson).ToList();
            case JsonValue v:
                var el = v.GetValue<JsonElement>();
                return el.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String => el.GetString()!,
                    JsonValueKind.Number => el.TryGetInt64(out var l) && !el.GetRawText().Contains('.') && !el.GetRawText().Contains('e', StringComparison.OrdinalIgnoreCase)
                        ? (object)l
                        : el.GetDouble(),
                    _ => throw new FormatException($"unsupported JSON value {el.GetRawText()}"),
                };
            default:
                throw new FormatException($"unsupported JSON node {node.ToJsonString()}");
        }
    }

    public static string ToJsonText(IReadOnlyDictionary<string, object> values)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in values) obj[k] = ToJson(v);
        return obj.ToJsonString();
    }

    public static Dictionary<string, object> FromJsonText(string json)
    {
        var obj = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("expected a JSON object of parameters");
        return obj.ToDictionary(kv => kv.Key, kv => FromJson(kv.Value));
    }

    /// <summary>The value as a double when it is numeric or boolean; null otherwise.</summary>
    public static double? AsDouble(object value) => value switch
    {
        double d => d,
        float f => f,
        long l => l,
        int i => i,
        bool b => b ? 1 : 0,
        _ => null,
    };

    /// <summary>A canonical text form, equal for equal values (used for categorical identity and grid de-duplication).</summary>
    public static string Canonical(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => JsonSerializer.Serialize(s),
        IEnumerable<object> list => "[" + string.Join(",", list.Select(Canonical)) + "]",
        _ => throw new ArgumentException($"unsupported parameter value type {value.GetType().Name}"),
    };

    /// <summary>Canonical text of a whole configuration, keys sorted.</summary>
    public static string Canonical(IReadOnlyDictionary<string, object> values) =>
        "{" + string.Join(",", values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => JsonSerializer.Serialize(kv.Key) + ":" + Canonical(kv.Value))) + "}";
}
