using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RlTune.TensorBoard;

namespace RlTune.Trials;

/// <summary>
/// What a trial's run produced: metric name to value, where it came from (a metrics.json path
/// or "tensorboard"), and the trainer's own failure sentence when metrics.json carried one.
/// </summary>
public sealed record TrialMetrics(IReadOnlyDictionary<string, double> Values, string Source, string? TrainerError = null);

/// <summary>
/// Reads a run dir's metrics: <c>metrics.json</c> first (flat name -> number; a string under
/// <c>"error"</c> is the trainer's failure reason; Python's NaN/Infinity literals are accepted),
/// else TensorBoard scalars with skrl's tag names mapped to metric names, the final value of
/// each being the mean of its last 20% of entries.
/// </summary>
public static partial class MetricsReader
{
    public const string MetricsFileName = "metrics.json";
    public const double TailFraction = 0.2;

    /// <summary>skrl's tag names (and our trainer's) to the metric names scores use.</summary>
    public static readonly IReadOnlyDictionary<string, string> SkrlTags = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Reward / Total reward (mean)"] = "episode_reward_mean",
        ["Reward / Total reward (max)"] = "episode_reward_max",
        ["Reward / Total reward (min)"] = "episode_reward_min",
        ["Reward / Instantaneous reward (mean)"] = "instant_reward_mean",
        ["Episode / Total timesteps (mean)"] = "episode_length_mean",
        ["Episode / Total timesteps (max)"] = "episode_length_max",
        ["Episode / Total timesteps (min)"] = "episode_length_min",
        ["Loss / Policy loss"] = "policy_loss",
        ["Loss / Value loss"] = "value_loss",
        ["Loss / Entropy loss"] = "entropy_loss",
        ["Policy / Standard deviation"] = "policy_std",
        ["Learning / Learning rate"] = "learning_rate",
    };

    /// <summary>
    /// Env metrics logged as <c>metrics / NAME (mean)</c> become NAME; these names also fill the
    /// score's standard inputs when the trainer did not log them under their own names.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> Aliases = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["success_rate"] = ["success", "reached_fraction", "success_rate"],
        ["termination_rate"] = ["fall", "termination", "terminated", "termination_rate"],
    };

    /// <summary>Reads the metrics of a run dir; null when it holds neither metrics.json nor event files with scalars.</summary>
    public static TrialMetrics? Read(string runDir)
    {
        var metricsPath = Path.Combine(runDir, MetricsFileName);
        if (File.Exists(metricsPath)) return ReadMetricsJson(metricsPath);
        var log = EventFileReader.ReadDirectory(runDir);
        if (log.Scalars.Count == 0) return null;
        return new TrialMetrics(FromScalars(log), "tensorboard");
    }

    public static TrialMetrics ReadMetricsJson(string path)
    {
        var text = File.ReadAllText(path);
        JsonObject obj;
        try
        {
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                root = JsonNode.Parse(QuoteNonFiniteLiterals(text));
            }
            obj = root as JsonObject ?? throw new UserError($"{path}: expected a JSON object of metric name to number.");
        }
        catch (JsonException e)
        {
            throw new UserError($"{path}: not valid JSON ({e.Message}).");
        }
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        string? error = null;
        foreach (var (key, node) in obj)
        {
            if (node is not JsonValue v) continue;
            switch (v.GetValueKind())
            {
                case JsonValueKind.Number:
                    values[key] = v.GetValue<double>();
                    break;
                case JsonValueKind.String:
                    var s = v.GetValue<string>();
                    if (key is "error" or "failure") error = s;
                    else if (NonFinite(s) is { } d) values[key] = d;
                    break;
            }
        }
        AddAliases(values);
        return new TrialMetrics(values, path, string.IsNullOrWhiteSpace(error) ? null : error);
    }

    /// <summary>Metric values from TensorBoard scalars: mapped tag names, each the mean of its last 20% of entries.</summary>
    public static Dictionary<string, double> FromScalars(ScalarLog log)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (tag, points) in log.Scalars)
        {
            if (points.Count == 0) continue;
            var name = MetricName(tag);
            if (name is null) continue;
            values[name] = TailMean(points);
        }
        AddAliases(values);
        return values;
    }

    /// <summary>The metric name for a tag: skrl's names, <c>metrics / X (mean)</c> -> X, others unchanged.</summary>
    public static string? MetricName(string tag)
    {
        if (SkrlTags.TryGetValue(tag, out var known)) return known;
        var m = EnvMetricTag().Match(tag);
        if (m.Success) return m.Groups[1].Value;
        if (tag.StartsWith("Reward Instant / ", StringComparison.Ordinal)) return "reward_instant/" + TrimMean(tag["Reward Instant / ".Length..]);
        return tag;
    }

    private static string TrimMean(string s) => s.EndsWith(" (mean)", StringComparison.Ordinal) ? s[..^7] : s;

    public static double TailMean(IReadOnlyList<ScalarPoint> points)
    {
        var n = Math.Max(1, (int)Math.Ceiling(points.Count * TailFraction));
        double sum = 0;
        for (var i = points.Count - n; i < points.Count; i++) sum += points[i].Value;
        return sum / n;
    }

    private static void AddAliases(Dictionary<string, double> values)
    {
        foreach (var (name, candidates) in Aliases)
        {
            if (values.ContainsKey(name)) continue;
            foreach (var c in candidates)
                if (values.TryGetValue(c, out var v))
                {
                    values[name] = v;
                    break;
                }
        }
    }

    [GeneratedRegex(@"^metrics / (.+?)(?: \(mean\))?$")]
    private static partial Regex EnvMetricTag();

    // Python's json.dump writes NaN, Infinity and -Infinity bare; System.Text.Json rejects them.
    [GeneratedRegex(@"(?<=[:\[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])")]
    private static partial Regex NonFiniteLiteral();

    private static string QuoteNonFiniteLiterals(string text) => NonFiniteLiteral().Replace(text, "\"$1\"");

    private static double? NonFinite(string s) => s switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => null,
    };
}
