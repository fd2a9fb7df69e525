using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>
/// One configuration's evidence: every trial that ran it (the sampled one first, then its extra
/// seeds) and the score of each seed run. Trials with the same parameters are one configuration.
/// </summary>
public sealed record ConfigEvidence(string Key, IReadOnlyDictionary<string, object> Params, IReadOnlyList<TrialRecord> Trials, IReadOnlyList<(int Seed, double Score)> SeedScores)
{
    /// <summary>The trial that first ran the configuration (its number names the configuration).</summary>
    public TrialRecord First => Trials[0];
    public int Seeds => SeedScores.Count;
    /// <summary>A trial of it failed or was pruned: a configuration that crashes or falls behind on one seed is not a good one.</summary>
    public bool Stopped => Trials.Any(t => t.State is TrialState.Failed or TrialState.Pruned);
    /// <summary>A trial of it is still running or waiting.</summary>
    public bool Busy => Trials.Any(t => !t.State.IsFinished());
    public SeedAggregate? Aggregate => Seeds > 0 ? SeedAggregate.Of(SeedScores.Select(s => s.Score).ToList()) : null;
    /// <summary>The trials that ran it besides the first (extra seeds, or repeats of an enqueued configuration).</summary>
    public int ExtraTrials => Trials.Count - 1;

    /// <summary>Each metric's mean over the seeds of its complete trials.</summary>
    public Dictionary<string, double> MeanMetrics() =>
        SeedAggregate.MeanMetrics(Trials.Where(t => t.State == TrialState.Complete).SelectMany(t => t.SeedRuns.Count > 0 ? t.SeedRuns.Where(r => r.Error is null).Select(r => r.Metrics) : [t.Metrics]));

    /// <summary>Mean score over the seeds it shares with <paramref name="other"/> (null when none are shared).</summary>
    public (double Mine, double Theirs, int Count)? OnSharedSeeds(ConfigEvidence other)
    {
        var theirs = other.SeedScores.GroupBy(s => s.Seed).ToDictionary(g => g.Key, g => g.First().Score);
        var pairs = SeedScores.Where(s => theirs.ContainsKey(s.Seed)).Select(s => (s.Score, Other: theirs[s.Seed])).ToList();
        return pairs.Count == 0 ? null : (pairs.Average(p => p.Score), pairs.Average(p => p.Other), pairs.Count);
    }

    /// <summary>
    /// The study's trials grouped by configuration, in the order each configuration was first run (audit
    /// skips left out), each seed valued by the score or, when <paramref name="metric"/> is given, by that metric.
    /// </summary>
    public static IReadOnlyList<ConfigEvidence> Group(IReadOnlyList<TrialRecord> trials, string? metric = null)
    {
        var groups = new Dictionary<string, List<TrialRecord>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var t in trials.Where(t => t.Origin != SearchLoop.AuditSkipOrigin).OrderBy(t => t.Number))
        {
            var key = ParamValues.Canonical(t.Params);
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
                order.Add(key);
            }
            list.Add(t);
        }
        return order.Select(k =>
        {
            var list = groups[k];
            var scores = list.SelectMany(t => SeedScoresOf(t, metric)).ToList();
            return new ConfigEvidence(k, list[0].Params, list, scores);
        }).ToList();
    }

    /// <summary>
    /// The history with each configuration's trials as one: its first trial, holding the mean score of
    /// its complete trials (running extra seeds left out). What a sampler that averages repeats sees.
    /// </summary>
    public static IReadOnlyList<TrialRecord> MeanPerConfiguration(IReadOnlyList<TrialRecord> trials)
    {
        var audit = trials.Where(t => t.Origin == SearchLoop.AuditSkipOrigin);
        var merged = Group(trials).Select(c =>
        {
            var complete = c.Trials.Where(t => t.State == TrialState.Complete && t.Score is { } s && double.IsFinite(s)).ToList();
            if (c.Trials.Count == 1 || complete.Count == 0) return c.First;
            return c.First with { State = TrialState.Complete, Score = complete.Average(t => t.Score!.Value) };
        });
        return merged.Concat(audit).OrderBy(t => t.Number).ToList();
    }

    /// <summary>The score of each seed of a complete trial (none for any other).</summary>
    public static IEnumerable<(int Seed, double Score)> SeedScoresOf(TrialRecord t, string? metric = null)
    {
        if (t.State != TrialState.Complete) return [];
        double? Value(double? score, IReadOnlyDictionary<string, double> metrics) =>
            metric is null ? score : metrics.TryGetValue(metric, out var v) ? v : null;
        var runs = t.SeedRuns.Count > 0
            ? t.SeedRuns.Where(r => r.Error is null).Select(r => (r.Seed, Value: Value(r.Score, r.Metrics)))
            : [(t.Seed, Value: Value(t.Score, t.Metrics))];
        return runs.Where(r => r.Value is { } v && double.IsFinite(v)).Select(r => (r.Seed, r.Value!.Value)).ToList();
    }

    /// <summary>The single seed run with the best score (what "the best trial" meant before selection by evidence).</summary>
    public static SingleRun? Luckiest(IReadOnlyList<ConfigEvidence> configs, ObjectiveDirection direction)
    {
        var sign = direction == ObjectiveDirection.Maximize ? 1 : -1;
        return configs.SelectMany(c => c.Trials.SelectMany(t => SeedScoresOf(t).Select(s => new SingleRun(t, s.Seed, s.Score, c))))
            .OrderByDescending(r => sign * r.Score).ThenBy(r => r.Trial.Number).FirstOrDefault();
    }

    /// <summary>True when some configuration ran on several seeds and every such one scored exactly the same on each: the objective does not depend on the seed.</summary>
    public static bool SeedIndependent(IReadOnlyList<ConfigEvidence> configs)
    {
        var repeated = configs.Where(c => c.Seeds >= 2).ToList();
        return repeated.Count > 0 && repeated.All(c => c.SeedScores.All(s => s.Score == c.SeedScores[0].Score));
    }
}

/// <summary>One seed's run of a configuration.</summary>
public sealed record SingleRun(TrialRecord Trial, int Seed, double Score, ConfigEvidence Config);

/// <summary>
/// The winner's curse of the chosen configuration: its score on the seeds it had when it first ranked
/// first by its mean among all configurations (what made it look best) against its score on the seeds
/// it ran after that. A configuration that never ranked first counts as chosen on its first trial's seeds.
/// </summary>
public sealed record WinnersCurse(ConfigEvidence Config, IReadOnlyList<(int Seed, double Score)> ChosenOn, IReadOnlyList<(int Seed, double Score)> After)
{
    public double ChosenMean => ChosenOn.Average(s => s.Score);
    public double? AfterMean => After.Count > 0 ? After.Average(s => s.Score) : null;

    public string Text()
    {
        static string F(double v) => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
        var chosen = $"{F(ChosenMean)} on the {ChosenOn.Count} seed(s) it was chosen on ({string.Join(", ", ChosenOn.Select(s => s.Seed))})";
        return AfterMean is { } after
            ? $"{chosen}, {F(after)} on the {After.Count} seed(s) added after ({string.Join(", ", After.Select(s => s.Seed))}): {(after - ChosenMean >= 0 ? "+" : "")}{F(after - ChosenMean)}."
            : $"{chosen}; no seed was added after, so it is unmeasured (intensify, or re-train the exported config on fresh seeds).";
    }

    public static WinnersCurse? Of(IReadOnlyList<TrialRecord> trials, BestConfig best, ObjectiveDirection direction, string? metric = null)
    {
        var configs = ConfigEvidence.Group(trials, metric);
        var keyOf = configs.SelectMany(c => c.Trials.Select(t => (t.Number, c.Key))).ToDictionary(x => x.Number, x => x.Key);
        var sign = direction == ObjectiveDirection.Maximize ? 1 : -1;
        var sofar = new Dictionary<string, List<(int Seed, double Score)>>(StringComparer.Ordinal);
        List<(int Seed, double Score)>? chosenOn = null;
        foreach (var t in trials.Where(t => t.State == TrialState.Complete && keyOf.ContainsKey(t.Number)).OrderBy(t => t.EndedAt ?? DateTimeOffset.MaxValue).ThenBy(t => t.Number))
        {
            var key = keyOf[t.Number];
            if (!sofar.TryGetValue(key, out var list)) sofar[key] = list = [];
            list.AddRange(ConfigEvidence.SeedScoresOf(t, metric));
            if (!sofar.TryGetValue(best.Config.Key, out var mine) || mine.Count == 0) continue;
            var top = sofar.Where(kv => kv.Value.Count > 0).MaxBy(kv => sign * kv.Value.Average(s => s.Score)).Key;
            if (top == best.Config.Key)
            {
                chosenOn = [.. mine];
                break;
            }
        }
        chosenOn ??= ConfigEvidence.SeedScoresOf(best.Trial, metric).ToList();
        if (chosenOn.Count == 0) return null;
        var seen = chosenOn.Select(s => s.Seed).ToHashSet();
        return new WinnersCurse(best.Config, chosenOn, best.Config.SeedScores.Where(s => !seen.Contains(s.Seed)).ToList());
    }
}

/// <summary>How the study's best configuration is chosen: by its mean over seeds among those with enough of them.</summary>
/// <param name="MinSeeds">Seeds a configuration needs to be chosen by its mean (fewer: see <see cref="BestConfig.Choose"/>).</param>
public sealed record SelectionRule(ObjectiveDirection Direction, SeedRanking Ranking = SeedRanking.Mean, int MinSeeds = 1)
{
    /// <summary>The rule a study was run with, from its stored settings (old studies: the best single trial).</summary>
    public static SelectionRule Of(StudySettings? settings, ObjectiveDirection direction) =>
        settings is null ? new SelectionRule(direction) : new SelectionRule(direction, settings.RankBy, settings.EffectiveMinSeedsForBest);
}

/// <summary>The chosen configuration and how it was chosen.</summary>
public sealed record BestConfig(ConfigEvidence Config, double Value, string How)
{
    /// <summary>The trial that stands for the configuration (its first; its number names it).</summary>
    public TrialRecord Trial => Config.First;

    /// <summary>As <see cref="Choose(IReadOnlyList{ConfigEvidence}, SelectionRule, Func{ConfigEvidence, double?}?)"/>, with the surrogate fitted on the study's seed runs when <paramref name="space"/> is known.</summary>
    public static BestConfig? Choose(IReadOnlyList<TrialRecord> trials, SelectionRule rule, SearchSpace? space = null)
    {
        var configs = ConfigEvidence.Group(trials);
        if (space is null) return Choose(configs, rule);
        // fitted only when no configuration has enough seeds
        var belief = new Lazy<Func<IReadOnlyDictionary<string, object>, double?>?>(() =>
            SurrogateBelief.Fit(space, configs.SelectMany(c => c.SeedScores.Select(s => (c.Params, s.Score)))));
        return Choose(configs, rule, c => belief.Value?.Invoke(c.Params));
    }

    /// <summary>
    /// The best configuration by evidence: the best mean over seeds among complete configurations, where one
    /// with fewer than <see cref="SelectionRule.MinSeeds"/> seeds counts each missing seed at the mean of all
    /// configurations (ranked by mean - std: the best among those with that many seeds); when none has that many,
    /// the best by <paramref name="posteriorMean"/> (the surrogate's belief, which shrinks a lucky
    /// single run toward its neighbours) when given, else the best mean. An objective that does not
    /// depend on the seed needs one seed.
    /// </summary>
    public static BestConfig? Choose(IReadOnlyList<ConfigEvidence> configs, SelectionRule rule, Func<ConfigEvidence, double?>? posteriorMean = null)
    {
        var max = rule.Direction == ObjectiveDirection.Maximize;
        var eligible = configs.Where(c => !c.Stopped && c.Seeds > 0 && c.Trials.Any(t => t.State == TrialState.Complete)).ToList();
        if (eligible.Count == 0) return null;
        var minSeeds = ConfigEvidence.SeedIndependent(configs) ? 1 : rule.MinSeeds;
        double Rank(ConfigEvidence c) => c.Aggregate!.Value.RankValue(rule.Ranking, rule.Direction);
        BestConfig? Pick(IEnumerable<ConfigEvidence> from, Func<ConfigEvidence, double?> value, string how)
        {
            var scored = from.Select(c => (c, v: value(c))).Where(x => x.v is { } v && double.IsFinite(v)).ToList();
            if (scored.Count == 0) return null;
            var best = (max ? scored.OrderByDescending(x => x.v) : scored.OrderBy(x => x.v)).ThenByDescending(x => x.c.Seeds).ThenBy(x => x.c.First.Number).First();
            return new BestConfig(best.c, best.v!.Value, how);
        }
        var meanText = rule.Ranking == SeedRanking.Mean ? "mean" : max ? "mean - std" : "mean + std";
        var qualified = eligible.Where(c => c.Seeds >= minSeeds).ToList();
        if (qualified.Count > 0 && minSeeds > 1 && rule.Ranking == SeedRanking.Mean)
        {
            // a configuration short of seeds counts its missing ones at the mean of all configurations: a lucky single run
            // is discounted, yet one that stands far out can still beat a poor configuration that merely has its seeds
            var typical = eligible.Average(c => c.Aggregate!.Value.Mean);
            double Filled(ConfigEvidence c) => (c.SeedScores.Sum(s => s.Score) + Math.Max(0, minSeeds - c.Seeds) * typical) / Math.Max(c.Seeds, minSeeds);
            return Pick(eligible, c => Filled(c), string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"best mean over seeds, a configuration with fewer than {minSeeds} seeds counting its missing ones at the mean of all configurations ({typical:G4})"));
        }
        if (qualified.Count > 0)
            return Pick(qualified, c => Rank(c), minSeeds > 1 ? $"best {meanText} over seeds among configurations with at least {minSeeds} seeds" : $"best {meanText} over seeds");
        if (posteriorMean is not null && Pick(eligible, posteriorMean, $"no configuration has {minSeeds} seeds yet: best by the surrogate's posterior mean") is { } believed)
            return believed;
        return Pick(eligible, c => Rank(c), $"no configuration has {minSeeds} seeds yet: best {meanText} over the seeds run");
    }
}
