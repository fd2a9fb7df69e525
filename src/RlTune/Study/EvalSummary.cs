using System.Text.Json.Nodes;
using RlTune.Yaml;

namespace RlTune.Study;

/// <summary>One seed of an evaluation: its score (null when the run failed, with the reason) and its metrics.</summary>
public sealed record EvalSeedRun(int Seed, double? Score, string? Error, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// The <c>eval/summary.yaml</c> that <c>automl --mode eval</c> leaves, read back: what was evaluated, its
/// parameters and every seed's run, so `compare` can put an evaluation over fresh seeds beside trials.
/// </summary>
public sealed record EvalSummary(string Evaluated, IReadOnlyDictionary<string, object> Params, IReadOnlyList<EvalSeedRun> Runs)
{
    /// <summary>The summary file of study <paramref name="study"/> under the run root.</summary>
    public static string FileOf(string output, string study) => Path.Combine(new StudyPaths(output, study).EvalDir, "summary.yaml");

    /// <summary>Reads a summary; a file that is not one is a <see cref="UserError"/> naming the file and the field.</summary>
    public static EvalSummary Load(string file)
    {
        var yaml = new YamlReader(file);
        var root = yaml.LoadMapping(File.ReadAllText(file), "expected the mapping `automl --mode eval` writes (evaluated, params, runs)") is { } m
            ? yaml.Json(m, "summary") as JsonObject : null;
        if (root is null) throw new UserError($"{file}: the file is empty; expected the summary `automl --mode eval` writes.");
        var parameters = new Dictionary<string, object>(StringComparer.Ordinal);
        if (root["params"] is JsonObject ps)
            foreach (var (name, value) in ps)
                if (ParamValue(value) is { } v) parameters[name] = v;
        if (root["runs"] is not JsonArray runs) throw new UserError($"{file}: runs: expected a list of seed runs (seed, score, metrics).");
        var seedRuns = runs.Select((r, i) => SeedRun(r, file, i)).ToList();
        return new EvalSummary(root["evaluated"]?.ToString() ?? "", parameters, seedRuns);
    }

    private static EvalSeedRun SeedRun(JsonNode? node, string file, int index)
    {
        var field = $"runs[{index + 1}]";
        if (node is not JsonObject run || run["seed"] is not JsonValue seed || !seed.TryGetValue<long>(out var s))
            throw new UserError($"{file}: {field}: expected a mapping with an integer seed.");
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (run["metrics"] is JsonObject ms)
            foreach (var (name, value) in ms)
                if (Number(value) is { } v) metrics[name] = v;
        return new EvalSeedRun((int)s, Number(run["score"]), run["error"]?.ToString(), metrics);
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue v && (v.TryGetValue<double>(out var d) || (v.TryGetValue<long>(out var l) && (d = l) == l)) && double.IsFinite(d) ? d : null;

    private static object? ParamValue(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v => v.ToString(),
        JsonArray a => a.Select(ParamValue).ToList(),
        _ => null,
    };
}
