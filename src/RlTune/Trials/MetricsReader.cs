using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RlTune.TensorBoard;

namespace RlTune.Trials;

/// <summary>
/// What a trial's run produced: metric name to value, where it came from (a metrics.json path
/// or "tensorboard"), and the trainer's own failure sentence when metrics.json carried one.
/// </summary>
public sealed record TrialMetrics(IReadOnlyDictionary<string, double> Values, string Source, string? TrainerError = null)
{
    private const int Listed = 12;

    /// <summary>The TensorBoard tags the run wrote, when the reader looked at its event files.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>How a metric the trainer did not log under its own name was obtained (mapped or derived), by metric.</summary>
    public IReadOnlyDictionary<string, string> Notes { get; init; } = new Dictionary<string, string>();

    /// <summary>Why a metric the reader knows how to derive could not be derived in this run, by metric.</summary>
    public IReadOnlyDictionary<string, string> NotDerived { get; init; } = new Dictionary<string, string>();

    /// <summary>Entries of metrics.json that are not numbers (text, true/false, lists), as written, by name.</summary>
    public IReadOnlyDictionary<string, string> NotNumbers { get; init; } = new Dictionary<string, string>();

    /// <summary>The first metric-map entry whose source the run does not have, as a sentence; null when every entry was found.</summary>
    public string? MapProblem { get; init; }

    /// <summary>
    /// Why <paramref name="metric"/> is missing, what the trainer wrote instead (metric names, and the
    /// raw tags when they came from TensorBoard) and the flag that maps one to it: one sentence.
    /// </summary>
    public string DescribeMissing(string metric)
    {
        if (NotNumbers.TryGetValue(metric, out var written))
            return $"metric '{metric}' in {Source} is {written}, not a number; the trainer must write a number there (NaN or Infinity mark a diverged run)";
        var text = $"no metric '{metric}' in the trial's metrics";
        if (NotDerived.TryGetValue(metric, out var why)) text += $" ({why})";
        return text + $"; the trainer wrote {Written()}; map one to it with {MetricMapping.Flag} '{metric}=TAG_OR_KEY' (study YAML: metrics:)";
    }

    /// <summary>What the run holds: its metric names, where they came from, and the TensorBoard tags seen.</summary>
    public string Written()
    {
        var text = Values.Count == 0 ? "no numeric metric" : "metrics " + List(Values.Keys.Order(StringComparer.Ordinal), q: false);
        if (Source != "tensorboard") text += $" in {Source}";
        if (Tags.Count > 0) text += $"{(Source == "tensorboard" ? " from" : " and")} TensorBoard tags {List(Tags, q: true)}";
        return text;
    }

    private static string List(IEnumerable<string> items, bool q)
    {
        var all = items.ToList();
        var shown = string.Join(", ", all.Take(Listed).Select(s => q ? $"'{s}'" : s));
        return all.Count > Listed ? $"{shown} and {all.Count - Listed} more" : shown;
    }
}

/// <summary>The weight of a run's termination penalty and where it came from, or (null value) why none is known.</summary>
public sealed record TerminationWeight(double? Value, string Origin);

/// <summary>
/// Reads a run dir's metrics: <c>metrics.json</c> first (flat name -> number; a string under
/// <c>"error"</c> is the trainer's failure reason; Python's NaN/Infinity literals are accepted),
/// else TensorBoard scalars with skrl's tag names mapped to metric names, the final value of
/// each being the mean of its last fifth of entries (as MotrixLab's evaluation takes it). Then the
/// user's metric map, then MotrixLab's termination convention when no rate was logged.
/// </summary>
public static partial class MetricsReader
{
    public const string MetricsFileName = "metrics.json";
    public const string TerminationRate = "termination_rate";

    /// <summary>The per-step mean of the termination reward term, which MotrixLab's PPO logs for every reward term.</summary>
    public const string TerminationRewardTag = "Reward Instant / termination (mean)";

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

    /// <summary>
    /// Reads the metrics of a run dir; null when it holds neither metrics.json nor event files with scalars.
    /// <paramref name="map"/> adds or replaces metrics from other tags or keys; <paramref name="termination"/>
    /// is the run's termination weight, for deriving termination_rate when the trainer logged none.
    /// </summary>
    public static TrialMetrics? Read(string runDir, IReadOnlyList<MetricMapping>? map = null, TerminationWeight? termination = null)
    {
        ScalarLog? log = null;
        ScalarLog Log() => log ??= EventFileReader.ReadDirectory(runDir);
        var metricsPath = Path.Combine(runDir, MetricsFileName);
        TrialMetrics metrics;
        if (File.Exists(metricsPath)) metrics = ReadMetricsJson(metricsPath);
        else if (Log().Scalars.Count == 0) return null;
        else metrics = new TrialMetrics(FromScalars(Log()), "tensorboard");

        var values = new Dictionary<string, double>(metrics.Values, StringComparer.Ordinal);
        var notes = new Dictionary<string, string>(StringComparer.Ordinal);
        var notDerived = new Dictionary<string, string>(StringComparer.Ordinal);
        string? mapProblem = null;
        foreach (var m in map ?? [])
        {
            string? kind = null;
            double found = 0;
            if (metrics.Values.TryGetValue(m.Source, out var v)) (found, kind) = (v, metrics.Source == "tensorboard" ? "metric" : "metrics.json key");
            else if (Log().Scalars.TryGetValue(m.Source, out var points) && points.Count > 0) (found, kind) = (TailMean(points), "TensorBoard tag, mean of its last fifth");
            if (kind is null)
            {
                mapProblem ??= $"the metric map's source '{m.Source}' (for {m.Metric}) is neither a metrics.json key nor a TensorBoard tag of the run";
                continue;
            }
            values[m.Metric] = m.Scale * found;
            notes[m.Metric] = $"mapped by {MetricMapping.Flag}: {m.Describe()} ({kind})";
        }
        if (!values.ContainsKey(TerminationRate) && Log().Scalars.TryGetValue(TerminationRewardTag, out var term) && term.Count > 0)
        {
            var raw = TailMean(term);
            if (termination is { Value: { } w } && w != 0)
            {
                // MotrixLab's automl.py: the per-step termination reward over the penalty is the share of envs ending per step
                values[TerminationRate] = Math.Clamp(raw / w, 0, 1);
                notes[TerminationRate] = string.Create(CultureInfo.InvariantCulture,
                    $"derived as MotrixLab does: the mean of the last fifth of '{TerminationRewardTag}' / termination weight {w:G6} ({termination.Origin}), clamped to [0, 1]");
            }
            else
                notDerived[TerminationRate] = termination is { Value: 0 }
                    ? $"'{TerminationRewardTag}' was logged, but the termination weight is 0 ({termination.Origin}), so it says nothing about terminations"
                    : $"'{TerminationRewardTag}' was logged, but no termination weight is known to turn it into a rate: {termination?.Origin ?? "none was given"}";
        }
        return metrics with
        {
            Values = values,
            Tags = log is null ? [] : log.Scalars.Keys.Order(StringComparer.Ordinal).ToList(),
            Notes = notes,
            NotDerived = notDerived,
            MapProblem = mapProblem,
        };
    }

    private static string Shorten(string json) => json.Length <= 40 ? json : json[..37] + "...";

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
        var notNumbers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, node) in obj)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
                values[key] = v.GetValue<double>();
            else if (node is JsonValue t && t.GetValueKind() == JsonValueKind.String && (key is "error" or "failure"))
                error = t.GetValue<string>();
            else if (node is JsonValue n && n.GetValueKind() == JsonValueKind.String && NonFinite(n.GetValue<string>()) is { } d)
                values[key] = d;
            else
                notNumbers[key] = node is null ? "null" : Shorten(node.ToJsonString());
        }
        AddAliases(values);
        return new TrialMetrics(values, path, string.IsNullOrWhiteSpace(error) ? null : error) { NotNumbers = notNumbers };
    }

    /// <summary>Metric values from TensorBoard scalars: mapped tag names, each the mean of its last fifth of entries.</summary>
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

    /// <summary>The mean of the last fifth of the entries (at least one), as MotrixLab's evaluate.py takes a run's final value.</summary>
    public static double TailMean(IReadOnlyList<ScalarPoint> points)
    {
        var n = Math.Max(1, points.Count / 5);
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
