using System.Globalization;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>Whether a study runs promising configurations on further seeds before it crowns one.</summary>
public enum IntensifyMode
{
    /// <summary>On when each trial runs one seed, until repeats show the objective does not depend on the seed.</summary>
    Auto,
    On,
    Off,
}

/// <summary>One more seed of a configuration that is already in the study.</summary>
public sealed record ExtraSeedRun(IReadOnlyDictionary<string, object> Params, int Seed, string UniqueKey, string Why);

/// <summary>
/// Intensification (SMAC's incumbent racing): the incumbent is the configuration chosen by
/// evidence (<see cref="BestConfig.Choose"/>); it is run on further seeds until it has
/// <paramref name="MinSeeds"/>, and one more whenever another configuration has as many seeds.
/// A challenger (a configuration whose score on the incumbent's seeds is not worse than the
/// incumbent's on the same seeds) runs the incumbent's next seed, and drops out as soon as its
/// mean on the shared seeds falls below the incumbent's. Nothing goes beyond <paramref name="MaxSeeds"/>.
/// Stateless: every decision is read from the history, so resume and parallel workers need nothing more.
/// A configuration's seeds come in blocks of <paramref name="SeedsPerTrial"/> from <paramref name="StudySeed"/> on,
/// the same for every configuration, so comparisons are paired. No race starts before the study has
/// <paramref name="RaceFrom"/> trials: until then every trial tries a new configuration.
/// </summary>
public sealed record Intensification(int StudySeed, int SeedsPerTrial, int MaxSeeds, int MinSeeds, bool OnlyWhenNoisy, SeedRanking Ranking, ObjectiveDirection Direction, int RaceFrom = 0)
{
    /// <summary>Origin of an extra seed's trial in the store.</summary>
    public const string Origin = "intensify";

    public static Intensification? For(StudySettings s, ObjectiveDirection direction) =>
        s.IntensifyActive ? new Intensification(s.Seed, s.SeedsPerTrial, s.MaxSeedsPerConfig, s.EffectiveMinSeedsForBest, s.Intensify == IntensifyMode.Auto, s.RankBy, direction, s.RaceFromTrial) : null;

    /// <summary>The next extra seed to run, or null when no race needs one now.</summary>
    public ExtraSeedRun? Next(IReadOnlyList<TrialRecord> history)
    {
        if (history.Count(t => t.Origin != SearchLoop.AuditSkipOrigin) < RaceFrom) return null;
        var configs = ConfigEvidence.Group(history);
        if (OnlyWhenNoisy && ConfigEvidence.SeedIndependent(configs)) return null;
        var incumbent = BestConfig.Choose(configs, new SelectionRule(Direction, Ranking, MinSeeds))?.Config;
        if (incumbent is null) return null;
        bool Room(ConfigEvidence c) => !c.Busy && !c.Stopped && c.Seeds + SeedsPerTrial <= MaxSeeds;

        if (Room(incumbent))
        {
            if (incumbent.Seeds < MinSeeds) return Run(incumbent, NextBlock(incumbent), $"the incumbent has {incumbent.Seeds} of the {MinSeeds} seeds it needs");
            if (configs.FirstOrDefault(c => c != incumbent && !c.Stopped && c.Seeds >= incumbent.Seeds) is { } rival)
                return Run(incumbent, NextBlock(incumbent), $"the incumbent has no more seeds than trial {rival.First.Number}'s configuration");
        }

        var better = Direction == ObjectiveDirection.Maximize ? 1.0 : -1.0;
        var challenger = configs
            .Where(c => c != incumbent && Room(c) && c.Seeds > 0 && c.Seeds < incumbent.Seeds)
            .Select(c => (c, shared: c.OnSharedSeeds(incumbent)))
            .Where(x => x.shared is { } s && better * (s.Mine - s.Theirs) >= 0)
            .OrderByDescending(x => x.c.Seeds).ThenByDescending(x => better * (x.shared!.Value.Mine - x.shared.Value.Theirs)).ThenBy(x => x.c.First.Number)
            .FirstOrDefault();
        if (challenger.c is null) return null;
        var seed = incumbent.SeedScores.Select(s => s.Seed).Where(s => IsBlockStart(s) && !challenger.c.Trials.Any(t => t.Seed == s)).Order().FirstOrDefault(int.MinValue);
        if (seed == int.MinValue) return null;
        var shared = challenger.shared!.Value;
        return Run(challenger.c, seed, string.Create(CultureInfo.InvariantCulture,
            $"challenges the incumbent (trial {incumbent.First.Number}'s configuration): {shared.Mine:G4} against {shared.Theirs:G4} on {shared.Count} shared seed(s)"));
    }

    private bool IsBlockStart(int seed) => seed >= StudySeed && (seed - StudySeed) % SeedsPerTrial == 0;

    private int NextBlock(ConfigEvidence c)
    {
        for (var seed = StudySeed; ; seed += SeedsPerTrial)
            if (!c.Trials.Any(t => t.Seed == seed)) return seed;
    }

    private static ExtraSeedRun Run(ConfigEvidence c, int seed, string why) =>
        new(c.Params, seed, $"{Origin}:{seed.ToString(CultureInfo.InvariantCulture)}:{c.Key}", why);
}
