using System.Globalization;
using System.Text.RegularExpressions;
using RlTune.Search;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace RlTune.Analysis;

/// <summary>
/// <c>analysis/hyperparameter_importance.yaml</c> in MotrixLab's format: a header naming the study
/// and metric, <c>importance_ranking</c> (parameter, importance, best_value) and
/// <c>top_5_configs</c> (config_id, every parameter, the metric), the latter keyed
/// <c>top_N_configs</c> when another count is asked for.
/// </summary>
public static partial class ImportanceYaml
{
    public const string RelativePath = "analysis/hyperparameter_importance.yaml";

    public static string ToYaml(StudyAnalysisResult result, int top)
    {
        var root = new YamlMappingNode
        {
            { "study", Text(result.Study) },
            { "metric", Text(result.Metric.Name) },
            { "sort", Text(result.Metric.Descending ? "descending" : "ascending") },
            { "n_trials", Number(result.TotalTrials) },
            { "n_complete", Number(result.CompleteTrials) },
            { "n_pruned", Number(result.PrunedTrials) },
            { "n_failed", Number(result.FailedTrials) },
            { "importance_method", Text("fanova") },
        };
        if (result.ImportanceNote is not null) root.Add("importance_note", Text(result.ImportanceNote));

        var ranking = new YamlSequenceNode();
        foreach (var p in result.Ranking)
            ranking.Add(new YamlMappingNode
            {
                { "parameter", Text(p.Parameter) },
                { "importance", Number(Math.Round(p.Importance, 4)) },
                { "best_value", p.BestValue is null ? Null() : Value(p.BestValue) },
            });
        root.Add("importance_ranking", ranking);

        var configs = new YamlSequenceNode();
        foreach (var c in result.TopConfigs)
        {
            var entry = new YamlMappingNode { { "config_id", Text(c.ConfigId) } };
            foreach (var (name, value) in c.Params)
                if (name != "config_id" && name != result.Metric.Name) entry.Add(name, Value(value));
            entry.Add(result.Metric.Name, Number(c.MetricValue));
            configs.Add(entry);
        }
        root.Add($"top_{top}_configs", configs);

        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        // YamlDotNet ends a document with "...": drop it, the file holds one document.
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text.Replace("\r\n...\r\n", "\r\n");
    }

    /// <summary>Writes the YAML under <paramref name="outputRoot"/> and returns its path.</summary>
    public static string Write(string outputRoot, StudyAnalysisResult result, int top)
    {
        // a ranking by another metric goes beside the report's score ranking, never over it
        var path = Path.Combine(outputRoot, result.Metric.Name == MetricChoice.Score
            ? RelativePath
            : RelativePath.Replace(".yaml", $".{string.Concat(result.Metric.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_'))}.yaml", StringComparison.Ordinal));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, ToYaml(result, top));
        return path;
    }

    internal static YamlNode Value(object value) => value switch
    {
        double or float or long or int => Number(value),
        bool b => new YamlScalarNode(b ? "true" : "false") { Style = ScalarStyle.Plain },
        string s => Text(s),
        IEnumerable<object> list => new YamlSequenceNode(list.Select(Value)) { Style = SequenceStyle.Flow },
        _ => Text(value.ToString() ?? ""),
    };

    internal static YamlScalarNode Number(object value)
    {
        var text = value switch
        {
            double d => FloatText(d),
            float f => FloatText(f),
            _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        };
        return new YamlScalarNode(text) { Style = ScalarStyle.Plain };
    }

    // Floats carry '.' or an exponent so they read back as floats; non-finite use YAML's spellings.
    private static string FloatText(double d)
    {
        if (double.IsNaN(d)) return ".nan";
        if (double.IsInfinity(d)) return d > 0 ? ".inf" : "-.inf";
        var t = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
        return t.Contains('.') || t.Contains('e') ? t : t + ".0";
    }

    // Strings a YAML reader would take for a number, bool or null are quoted.
    internal static YamlScalarNode Text(string s) =>
        new(s) { Style = LooksTyped().IsMatch(s) || s.Length == 0 ? ScalarStyle.DoubleQuoted : ScalarStyle.Any };

    private static YamlScalarNode Null() => new("null") { Style = ScalarStyle.Plain };

    [GeneratedRegex(@"^([-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?|true|false|yes|no|on|off|null|~|[-+]?\.inf|\.nan)$", RegexOptions.IgnoreCase)]
    private static partial Regex LooksTyped();
}
