using System.Globalization;
using RlTune.Envs.Builtin;
using RlTune.Envs;

namespace RlTune.Study;

/// <summary>The audit's verdict on one set of reward weights.</summary>
public sealed record AuditFinding(bool Passed, double Arrival, double PerStepPerEpisode, int EpisodeLength, string Message);

/// <summary>
/// MotrixLab's reward-budget principle: the one-time arrival bonus must dominate what the per-step
/// bonuses pay over a typical episode, or the policy learns to loiter instead of arriving.
/// Computed from the env's reward-term metadata (weight x the term's raw per-step bound x the
/// steps of an episode that can pay it: the episode length, or fewer where the term says so).
/// </summary>
public sealed record RewardBudgetAudit(IReadOnlyList<RewardTermInfo> Terms, int EpisodeLength)
{
    public const string ArrivalTerm = "arrival_bonus";

    /// <summary>The audit for a built-in env; null when the env is not built in (no term metadata).</summary>
    public static RewardBudgetAudit? ForEnv(string envName, System.Text.Json.Nodes.JsonObject? envOverrides, int? episodeLength)
    {
        if (!EnvRegistry.Names.Contains(envName)) return null;
        using var env = EnvRegistry.Create(envName, new EnvOptions(1, null, envOverrides));
        return new RewardBudgetAudit(env.RewardTerms, episodeLength ?? env.MaxEpisodeSteps);
    }

    public AuditFinding Check(IReadOnlyDictionary<string, double> rewardScales)
    {
        double Weight(RewardTermInfo t) => rewardScales.TryGetValue(t.Name, out var w) ? w : t.DefaultWeight;
        var arrivalTerms = Terms.Where(t => t.Name == ArrivalTerm).ToList();
        if (arrivalTerms.Count == 0) arrivalTerms = Terms.Where(t => t.Kind == RewardTermKind.OneTime).ToList();
        var arrival = arrivalTerms.Sum(t => Math.Max(0, Weight(t)) * t.MaxRawPerStep);
        var perStep = Terms.Where(t => t.Kind == RewardTermKind.PerStepPositive)
            .Select(t => (t.Name, Pay: Math.Max(0, Weight(t)) * t.MaxRawPerStep, Steps: Math.Min(EpisodeLength, t.MaxStepsPerEpisode ?? EpisodeLength),
                Cap: t.MaxRawPerEpisode is { } sum ? Math.Max(0, Weight(t)) * sum : double.PositiveInfinity)).ToList();
        // a term that can pay only on some steps of an episode (a success hold) counts for those steps only,
        // and one whose sum over an episode is bounded (progress toward the target) for no more than that bound
        var perEpisode = perStep.Sum(p => Math.Min(p.Pay * p.Steps, p.Cap));
        var passed = arrival > perEpisode;
        var top = string.Join(", ", perStep.Where(p => p.Pay > 0).OrderByDescending(p => p.Pay).Take(3).Select(p => $"{p.Name} {F(p.Pay)}/step"));
        var message = passed
            ? $"arrival {F(arrival)} dominates per-step bonuses {F(perEpisode)} over {EpisodeLength} steps"
            : $"arrival {F(arrival)} does not dominate per-step bonuses {F(perEpisode)} over {EpisodeLength} steps ({top}): loitering pays more than arriving";
        return new AuditFinding(passed, arrival, perEpisode, EpisodeLength, message);
    }

    private static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
