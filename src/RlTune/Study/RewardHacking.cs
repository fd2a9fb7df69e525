using System.Globalization;
using RlTune.TensorBoard;

namespace RlTune.Study;

/// <summary>A logged training curve: (step, value) in step order.</summary>
public sealed record Curve(IReadOnlyList<(long Step, double Value)> Points)
{
    public int Count => Points.Count;

    /// <summary>Mean of the first <paramref name="fraction"/> of the points (at least one).</summary>
    public double Head(double fraction) => Points.Take(Math.Max(1, (int)(Points.Count * fraction))).Average(p => p.Value);

    /// <summary>Mean of the last <paramref name="fraction"/> of the points (at least one).</summary>
    public double Tail(double fraction) => Points.Skip(Points.Count - Math.Max(1, (int)(Points.Count * fraction))).Average(p => p.Value);

    /// <summary>Centred moving average over <paramref name="window"/> points (shorter at the ends).</summary>
    public double[] Smoothed(int window)
    {
        var half = Math.Max(0, window / 2);
        var result = new double[Points.Count];
        for (var i = 0; i < Points.Count; i++)
        {
            int from = Math.Max(0, i - half), to = Math.Min(Points.Count - 1, i + half);
            var sum = 0.0;
            for (var j = from; j <= to; j++) sum += Points[j].Value;
            result[i] = sum / (to - from + 1);
        }
        return result;
    }

    public static Curve From(IEnumerable<ScalarPoint> points) => new(points.Select(p => (p.Step, p.Value)).ToList());
}

/// <summary>The curves the reward-hacking checks read; any may be missing (that check is then skipped).</summary>
public sealed record TrainingCurves
{
    public Curve? Reward { get; init; }
    public Curve? ReachedFraction { get; init; }
    public Curve? EpisodeLength { get; init; }
    /// <summary>Episode limit in steps; when unknown the longest logged mean episode length stands in.</summary>
    public double? EpisodeLimit { get; init; }
    public Curve? Speed { get; init; }
    public Curve? Falls { get; init; }

    /// <summary>Tags the trainer and skrl log (first found wins).</summary>
    public static readonly IReadOnlyList<string> RewardTags = ["Reward / Total reward (mean)"];
    public static readonly IReadOnlyList<string> ReachedTags = ["metrics / reached_fraction (mean)", "metrics / success (mean)", "metrics / success_rate (mean)"];
    public static readonly IReadOnlyList<string> LengthTags = ["Episode / Total timesteps (mean)"];
    public static readonly IReadOnlyList<string> SpeedTags = ["metrics / mean_speed (mean)", "metrics / speed (mean)", "metrics / base_speed (mean)"];
    public static readonly IReadOnlyList<string> FallTags = ["metrics / fall (mean)", "metrics / termination (mean)", "metrics / fall_rate (mean)"];

    /// <summary>Picks the curves out of a TensorBoard log by the tags above.</summary>
    public static TrainingCurves FromLog(ScalarLog log, double? episodeLimit)
    {
        Curve? Find(IReadOnlyList<string> tags) => First(log, tags);
        return new TrainingCurves
        {
            Reward = Find(RewardTags),
            ReachedFraction = Find(ReachedTags),
            EpisodeLength = Find(LengthTags),
            EpisodeLimit = episodeLimit,
            Speed = Find(SpeedTags),
            Falls = Find(FallTags),
        };
    }

    /// <summary>The curve of the first of <paramref name="tags"/> the log holds points for, or null.</summary>
    public static Curve? First(ScalarLog log, IReadOnlyList<string> tags)
    {
        foreach (var tag in tags)
            if (log.Scalars.TryGetValue(tag, out var points) && points.Count > 0) return Curve.From(points);
        return null;
    }
}

/// <summary>A trial's reward-hacking flags, with the seed whose curves raised each.</summary>
public sealed record TrialFlags(int TrialNumber, IReadOnlyList<(int Seed, RewardHackingFlag Flag)> Flags)
{
    /// <summary>The flags the curves of a trial's seeds raise (the report reads the logs).</summary>
    public static TrialFlags Of(int trialNumber, IEnumerable<(int Seed, ScalarLog Log)> seedLogs, double? episodeLimit) =>
        new(trialNumber, seedLogs.SelectMany(l => RewardHackingDetector.Detect(TrainingCurves.FromLog(l.Log, episodeLimit)).Select(f => (l.Seed, f))).ToList());

    /// <summary>The flag kinds raised for a trial ("lazy_robot (2 seeds)"), or empty.</summary>
    public static string Text(IReadOnlyList<TrialFlags> flags, int trialNumber) =>
        string.Join(", ", flags.Where(f => f.TrialNumber == trialNumber).SelectMany(f => f.Flags).GroupBy(f => f.Flag.Kind)
            .Select(g => g.Count() > 1 ? $"{g.Key} ({g.Count()} seeds)" : g.Key));
}

/// <summary>A suspected reward hack, with the numbers that raised it.</summary>
public sealed record RewardHackingFlag(string Kind, string Evidence)
{
    public const string LazyRobot = "lazy_robot";
    public const string SprintCrash = "sprint_crash";
}

/// <summary>Thresholds of the checks; "early" and "late" are the means of the first and last quarter of a curve.</summary>
public sealed record HackingThresholds
{
    /// <summary>Fewer logged points than this say nothing about a trend.</summary>
    public int MinPoints { get; init; } = 8;
    /// <summary>Reward counts as rising when late - early exceeds this share of max(|early|, |late|).</summary>
    public double RewardRise { get; init; } = 0.10;
    /// <summary>Reached fraction counts as flat when it moves less than this (absolute).</summary>
    public double ReachedFlat { get; init; } = 0.05;
    /// <summary>A flat reached fraction at or above this is a solved task, not a lazy robot.</summary>
    public double ReachedSolved { get; init; } = 0.8;
    /// <summary>Episodes sit near the limit when the late mean length is at least this share of it.</summary>
    public double NearLimit { get; init; } = 0.9;
    /// <summary>Speed counts as rising when late - early exceeds this share of max(|early|, |late|).</summary>
    public double SpeedRise { get; init; } = 0.20;
    /// <summary>Falls count as rising when late - early is at least this (absolute) and 20% of early.</summary>
    public double FallRise { get; init; } = 0.02;
    /// <summary>Reached fraction counts as falling after a peak when late is this much (absolute) below the smoothed peak.</summary>
    public double ReachedDrop { get; init; } = 0.10;
}

/// <summary>
/// Flags two reward hacks from a trial's logged curves. Lazy robot: the reward keeps rising while
/// the reached fraction stays flat (and unsolved) and episodes run to the time limit, so the
/// policy farms per-step shaping instead of arriving. Sprint-crash: speed and falls rise together
/// while the reached fraction falls after a peak, so the policy trades arriving for speed terms.
/// </summary>
public static class RewardHackingDetector
{
    private const double Quarter = 0.25;

    public static IReadOnlyList<RewardHackingFlag> Detect(TrainingCurves curves, HackingThresholds? thresholds = null)
    {
        var t = thresholds ?? new HackingThresholds();
        var flags = new List<RewardHackingFlag>();
        if (LazyRobot(curves, t) is { } lazy) flags.Add(lazy);
        if (SprintCrash(curves, t) is { } sprint) flags.Add(sprint);
        return flags;
    }

    private static bool Enough(Curve? c, HackingThresholds t) => c is not null && c.Count >= t.MinPoints;

    private static RewardHackingFlag? LazyRobot(TrainingCurves c, HackingThresholds t)
    {
        if (!Enough(c.Reward, t) || !Enough(c.ReachedFraction, t) || !Enough(c.EpisodeLength, t)) return null;
        double r0 = c.Reward!.Head(Quarter), r1 = c.Reward.Tail(Quarter);
        var rewardRise = r1 - r0;
        if (!(rewardRise > t.RewardRise * Math.Max(Math.Max(Math.Abs(r0), Math.Abs(r1)), 1e-9))) return null;
        double s0 = c.ReachedFraction!.Head(Quarter), s1 = c.ReachedFraction.Tail(Quarter);
        if (Math.Abs(s1 - s0) >= t.ReachedFlat || s1 >= t.ReachedSolved) return null;
        var limit = c.EpisodeLimit ?? c.EpisodeLength!.Points.Max(p => p.Value);
        var length = c.EpisodeLength!.Tail(Quarter);
        if (!(limit > 0) || length < t.NearLimit * limit) return null;
        var limitText = c.EpisodeLimit is null ? $"the longest logged mean ({F(limit)} steps; limit unknown)" : $"the {F(limit)}-step limit";
        return new RewardHackingFlag(RewardHackingFlag.LazyRobot,
            $"reward rose {F(r0)} -> {F(r1)} while reached fraction stayed {F(s0)} -> {F(s1)} and mean episode length sits at {Pct(length / limit)} of {limitText}");
    }

    private static RewardHackingFlag? SprintCrash(TrainingCurves c, HackingThresholds t)
    {
        if (!Enough(c.Speed, t) || !Enough(c.Falls, t) || !Enough(c.ReachedFraction, t)) return null;
        double v0 = c.Speed!.Head(Quarter), v1 = c.Speed.Tail(Quarter);
        if (!(v1 - v0 > t.SpeedRise * Math.Max(Math.Max(Math.Abs(v0), Math.Abs(v1)), 1e-9))) return null;
        double f0 = c.Falls!.Head(Quarter), f1 = c.Falls.Tail(Quarter);
        if (!(f1 - f0 >= t.FallRise && f1 - f0 >= 0.2 * Math.Abs(f0))) return null;
        var reached = c.ReachedFraction!;
        var smooth = reached.Smoothed(Math.Max(3, reached.Count / 10));
        var peakIndex = 0;
        for (var i = 1; i < smooth.Length; i++) if (smooth[i] > smooth[peakIndex]) peakIndex = i;
        var late = reached.Tail(Quarter);
        // the peak must come before the final quarter, or the curve has not fallen from it yet
        if (peakIndex >= (int)(smooth.Length * (1 - Quarter)) || smooth[peakIndex] - late < t.ReachedDrop) return null;
        return new RewardHackingFlag(RewardHackingFlag.SprintCrash,
            $"speed rose {F(v0)} -> {F(v1)} and falls {F(f0)} -> {F(f1)} while reached fraction fell from a peak of {F(smooth[peakIndex])} (step {reached.Points[peakIndex].Step}) to {F(late)}");
    }

    private static string F(double x) => x.ToString(Math.Abs(x) >= 100 ? "0" : "0.###", CultureInfo.InvariantCulture);
    private static string Pct(double x) => (100 * x).ToString("F0", CultureInfo.InvariantCulture) + "%";
}
