using System.Globalization;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Study;

public static class DirectionNames
{
    public static string ToText(this ObjectiveDirection d) => d == ObjectiveDirection.Maximize ? "maximize" : "minimize";

    public static ObjectiveDirection Parse(string text, string where) => text.Trim().ToLowerInvariant() switch
    {
        "maximize" or "max" => ObjectiveDirection.Maximize,
        "minimize" or "min" => ObjectiveDirection.Minimize,
        _ => throw new UserError($"{where}: '{text}' is not known; expected maximize or minimize."),
    };
}

/// <summary>A trial's score from its metrics, or why there is none (<see cref="MissingMetric"/>: the input that was absent).</summary>
public readonly record struct ScoreResult(double? Score, string? Failure, string? MissingMetric = null)
{
    public static ScoreResult Ok(double score) => new(score, null);
    public static ScoreResult Fail(string why, string? missingMetric = null) => new(null, why, missingMetric);
}

/// <summary>Turns one run's metrics into the number the search optimises.</summary>
public abstract record Objective
{
    public abstract ObjectiveDirection Direction { get; }
    public abstract string Describe();
    public abstract ScoreResult Score(IReadOnlyDictionary<string, double> metrics);

    /// <summary>Scores a run's metrics; a missing input is explained with what the trainer wrote and the flag that maps it.</summary>
    public ScoreResult Score(TrialMetrics metrics)
    {
        var result = Score(metrics.Values);
        return result.MissingMetric is { } missing ? result with { Failure = metrics.DescribeMissing(missing) } : result;
    }

    /// <summary>True when <paramref name="a"/> is a better score than <paramref name="b"/>.</summary>
    public bool IsBetter(double a, double b) => Direction == ObjectiveDirection.Maximize ? a > b : a < b;

    protected static ScoreResult Need(IReadOnlyDictionary<string, double> metrics, string name, out double value)
    {
        if (!metrics.TryGetValue(name, out value)) return ScoreResult.Fail($"no metric '{name}' in the trial's metrics", name);
        return double.IsFinite(value) ? ScoreResult.Ok(value) : ScoreResult.Fail($"metric '{name}' is {value.ToString(CultureInfo.InvariantCulture)}");
    }
}

/// <summary>Weights of MotrixLab's navigation1 score.</summary>
public sealed record NavigationScoreWeights(double Success = 0.60, double Survival = 0.25, double Reward = 0.10, double Brevity = 0.05,
    double RewardScale = 10.0, double LengthScale = 1000.0);

/// <summary>
/// MotrixLab's navigation1 score, maximised: 0.60 success + 0.25 (1 - termination rate)
/// + 0.10 min(reward / 10, 1) + 0.05 (1 - min(length / 1000, 1)), weights configurable.
/// Inputs: success_rate, termination_rate, episode_reward_mean, episode_length_mean.
/// </summary>
public sealed record NavigationScore(NavigationScoreWeights Weights) : Objective
{
    public NavigationScore() : this(new NavigationScoreWeights()) { }

    public override ObjectiveDirection Direction => ObjectiveDirection.Maximize;

    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"navigation1 = {Weights.Success} success + {Weights.Survival} (1 - termination) + {Weights.Reward} min(reward/{Weights.RewardScale}, 1) + {Weights.Brevity} (1 - min(length/{Weights.LengthScale}, 1))");

    public override ScoreResult Score(IReadOnlyDictionary<string, double> metrics)
    {
        var w = Weights;
        double score = 0;
        if (w.Success != 0)
        {
            if (Need(metrics, "success_rate", out var s) is { Failure: not null } f) return f;
            score += w.Success * s;
        }
        if (w.Survival != 0)
        {
            if (Need(metrics, "termination_rate", out var t) is { Failure: not null } f) return f;
            score += w.Survival * (1 - t);
        }
        if (w.Reward != 0)
        {
            if (Need(metrics, "episode_reward_mean", out var r) is { Failure: not null } f) return f;
            score += w.Reward * Math.Min(r / w.RewardScale, 1);
        }
        if (w.Brevity != 0)
        {
            if (Need(metrics, "episode_length_mean", out var l) is { Failure: not null } f) return f;
            score += w.Brevity * (1 - Math.Min(l / w.LengthScale, 1));
        }
        return ScoreResult.Ok(score);
    }
}

/// <summary>Any single metric, maximised or minimised.</summary>
public sealed record MetricObjective(string Metric, ObjectiveDirection Direction) : Objective
{
    public override ObjectiveDirection Direction { get; } = Direction;

    public override string Describe() => $"{Direction.ToText()} {Metric}";

    public override ScoreResult Score(IReadOnlyDictionary<string, double> metrics) =>
        Need(metrics, Metric, out var v) is { Failure: not null } f ? f : ScoreResult.Ok(v);
}

/// <summary>How configurations run with several seeds are ranked.</summary>
public enum SeedRanking
{
    /// <summary>By the mean score over seeds.</summary>
    Mean,
    /// <summary>By mean - std when maximising (mean + std when minimising): rewards consistency.</summary>
    MeanMinusStd,
}

/// <summary>Mean and sample standard deviation of a configuration's per-seed scores.</summary>
public readonly record struct SeedAggregate(double Mean, double Std, int Count)
{
    public static SeedAggregate Of(IReadOnlyList<double> scores)
    {
        if (scores.Count == 0) throw new ArgumentException("no scores to aggregate", nameof(scores));
        // identical scores have no spread: summing them would leave a rounding residue (a std of 1e-17)
        if (scores.All(s => s.Equals(scores[0]))) return new SeedAggregate(scores[0], 0, scores.Count);
        var mean = scores.Average();
        var std = scores.Count > 1 ? Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / (scores.Count - 1)) : 0;
        return new SeedAggregate(mean, std, scores.Count);
    }

    /// <summary>The value the search sees and trials are ranked by.</summary>
    public double RankValue(SeedRanking ranking, ObjectiveDirection direction) =>
        ranking == SeedRanking.Mean ? Mean : direction == ObjectiveDirection.Maximize ? Mean - Std : Mean + Std;

    /// <summary>Per-metric means over seeds (metrics missing from some seeds are averaged over those that have them).</summary>
    public static Dictionary<string, double> MeanMetrics(IEnumerable<IReadOnlyDictionary<string, double>> perSeed)
    {
        var sums = new Dictionary<string, (double Sum, int N)>(StringComparer.Ordinal);
        foreach (var m in perSeed)
            foreach (var (k, v) in m)
            {
                var (s, n) = sums.GetValueOrDefault(k);
                sums[k] = (s + v, n + 1);
            }
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.N, StringComparer.Ordinal);
    }
}
