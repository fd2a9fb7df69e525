using System.Globalization;
using System.Text.RegularExpressions;

namespace RlTune.Trials;

/// <summary>
/// One entry of the metric map (<c>--metric-map</c>, the study YAML's <c>metrics:</c>): the score input
/// <see cref="Metric"/> is the value of <see cref="Source"/> (a TensorBoard tag, a metrics.json key or a
/// metric name the reader already gives) times <see cref="Scale"/>.
/// </summary>
public sealed partial record MetricMapping(string Metric, string Source, double Scale = 1.0)
{
    public const string Flag = "--metric-map";

    /// <summary>
    /// Parses <c>METRIC=SOURCE</c>, <c>METRIC=-SOURCE</c> (sign flipped) or <c>METRIC=SCALE*SOURCE</c>
    /// (e.g. <c>termination_rate=-0.01*Reward Instant / termination (mean)</c>); <paramref name="where"/> names the flag or file.
    /// </summary>
    public static MetricMapping Parse(string text, string where)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0) throw Expected(where, text);
        var metric = text[..eq].Trim();
        var rest = text[(eq + 1)..].Trim();
        var scale = 1.0;
        if (ScalePrefix().Match(rest) is { Success: true } m)
        {
            if (!double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out scale) || !double.IsFinite(scale) || scale == 0)
                throw new UserError($"{where}: '{text}' scales by {m.Groups[1].Value}; expected a finite number other than 0 before '*'.");
            rest = rest[m.Length..].Trim();
        }
        else if (rest.StartsWith('-'))
        {
            scale = -1;
            rest = rest[1..].Trim();
        }
        return From(metric, rest, scale, where, text);
    }

    /// <summary>A mapping given as separate fields (the study YAML's long form), checked like a parsed one.</summary>
    public static MetricMapping From(string metric, string source, double scale, string where, string? shown = null)
    {
        shown ??= $"{metric}={source}";
        if (metric.Length == 0 || metric.Any(char.IsWhiteSpace)) throw Expected(where, shown);
        if (source.Length == 0) throw Expected(where, shown);
        if (!double.IsFinite(scale) || scale == 0) throw new UserError($"{where}: '{shown}' has scale {scale.ToString(CultureInfo.InvariantCulture)}; expected a finite number other than 0.");
        return new MetricMapping(metric, source, scale);
    }

    /// <summary>"termination_rate = -0.01 x 'Reward Instant / termination (mean)'".</summary>
    public string Describe() => Scale == 1
        ? $"{Metric} = '{Source}'"
        : $"{Metric} = {Scale.ToString("G6", CultureInfo.InvariantCulture)} x '{Source}'";

    private static UserError Expected(string where, string text) =>
        new($"{where}: '{text}' is not a mapping; expected METRIC=SOURCE with an optional sign or scale, e.g. 'termination_rate=metrics / fall_rate (mean)' or 'termination_rate=-0.01*Reward Instant / termination (mean)'.");

    [GeneratedRegex(@"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*")]
    private static partial Regex ScalePrefix();
}
