using RlTune.Search;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>The metric a study is ranked by (<c>score</c>, or any name in the trials' metrics) and its sort order.</summary>
public sealed record MetricChoice(string Name, bool Descending)
{
    public const string Score = "score";

    /// <summary>The trial's value of this metric, or null when it has none (or a non-finite one).</summary>
    public double? ValueOf(TrialRecord trial)
    {
        var v = Name == Score ? trial.Score : trial.Metrics.TryGetValue(Name, out var m) ? m : (double?)null;
        return v is { } x && double.IsFinite(x) ? x : null;
    }

    /// <summary>
    /// The metric to rank by: <paramref name="sort"/> when given (descending|ascending); otherwise the
    /// study's direction for <c>score</c> and descending for any other metric.
    /// </summary>
    public static MetricChoice Resolve(string? metric, string? sort, string studyDirection)
    {
        var name = string.IsNullOrWhiteSpace(metric) ? Score : metric.Trim();
        bool descending = sort?.Trim().ToLowerInvariant() switch
        {
            null or "" => name != Score || !studyDirection.Equals("minimize", StringComparison.OrdinalIgnoreCase),
            "descending" or "desc" => true,
            "ascending" or "asc" => false,
            _ => throw new UserError($"--sort: '{sort}' is not a sort order (expected descending or ascending)."),
        };
        return new MetricChoice(name, descending);
    }

    /// <summary>Trials that have this metric, best first (ties by trial number).</summary>
    public IReadOnlyList<TrialRecord> Rank(IEnumerable<TrialRecord> trials)
    {
        var withValue = trials.Where(t => ValueOf(t) is not null);
        return (Descending
            ? withValue.OrderByDescending(t => ValueOf(t)!.Value)
            : withValue.OrderBy(t => ValueOf(t)!.Value)).ThenBy(t => t.Number).ToList();
    }
}

/// <summary>One parameter's place in the importance ranking.</summary>
/// <param name="Importance">Share of the summed main effects (all parameters sum to 1, as Optuna reports).</param>
/// <param name="ImportanceStd">Standard deviation over the forest's trees, on the same scale.</param>
/// <param name="VarianceFraction">Share of the surrogate's total variance this parameter's main effect explains on its own.</param>
/// <param name="BestValue">The parameter's value in the best trial.</param>
public sealed record ParameterImportance(string Parameter, double Importance, double ImportanceStd, double VarianceFraction, object? BestValue, ParamSection? Section, string? Category);

/// <summary>One of the best configurations.</summary>
public sealed record TopConfig(string ConfigId, int TrialNumber, IReadOnlyDictionary<string, object> Params, double MetricValue, double? MetricStd, int Seeds);

/// <summary>What <c>rltune analyze</c> finds in a study.</summary>
public sealed record StudyAnalysisResult
{
    public required string Study { get; init; }
    public required MetricChoice Metric { get; init; }
    public required int TotalTrials { get; init; }
    public required int CompleteTrials { get; init; }
    public required int PrunedTrials { get; init; }
    public required int FailedTrials { get; init; }
    /// <summary>Complete trials with a finite value of the metric (the ones importance is fitted on).</summary>
    public required int UsedTrials { get; init; }
    public required IReadOnlyList<ParameterImportance> Ranking { get; init; }
    public required IReadOnlyList<FeatureInteraction> Interactions { get; init; }
    public required IReadOnlyList<TopConfig> TopConfigs { get; init; }
    /// <summary>Why importance could not be computed (too few trials, nothing varies), or null.</summary>
    public string? ImportanceNote { get; init; }
    /// <summary>Why a computed ranking should not be trusted yet (fewer trials than parameters, shares within their spread), or null.</summary>
    public string? ImportanceCaution { get; init; }
    /// <summary>The configuration chosen by evidence (<see cref="BestConfig.Choose"/>), or null when none completed.</summary>
    public BestConfig? Chosen { get; init; }
    /// <summary>The single seed run with the best value (what a search that crowns its luckiest trial would export).</summary>
    public SingleRun? Luckiest { get; init; }
    public WinnersCurse? Curse { get; init; }
}

/// <summary>Importance ranking and top configurations of a study.</summary>
public static class StudyAnalysis
{
    /// <summary>fANOVA needs a few points to separate effects; below this it is not reported.</summary>
    public const int MinTrialsForImportance = 3;

    public static string ConfigId(int trialNumber) => $"trial_{trialNumber:D4}";

    /// <param name="selection">How the study chooses its best configuration (null: the best mean over seeds); its direction is the metric's.</param>
    public static StudyAnalysisResult Analyze(string study, IReadOnlyList<TrialRecord> trials, MetricChoice metric, SearchSpace? space, int top = 5, ForestOptions? forest = null,
        SelectionRule? selection = null)
    {
        var complete = trials.Where(t => t.State == TrialState.Complete).ToList();
        var ranked = metric.Rank(complete);
        var direction = metric.Descending ? ObjectiveDirection.Maximize : ObjectiveDirection.Minimize;
        var metricName = metric.Name == MetricChoice.Score ? null : metric.Name;
        var configs = ConfigEvidence.Group(trials, metricName);
        // one row per configuration (its extra seeds are not configurations of their own), by its mean over seeds
        var measured = configs.Where(c => c.Seeds > 0).Select(c => (c, agg: c.Aggregate!.Value)).ToList();
        var topConfigs = (metric.Descending ? measured.OrderByDescending(x => x.agg.Mean) : measured.OrderBy(x => x.agg.Mean)).ThenBy(x => x.c.First.Number)
            .Take(Math.Max(0, top))
            .Select(x => new TopConfig(ConfigId(x.c.First.Number), x.c.First.Number, x.c.Params, x.agg.Mean, x.agg.Count > 1 ? x.agg.Std : null, x.agg.Count)).ToList();
        var rule = (selection ?? new SelectionRule(direction)) with { Direction = direction };
        var chosen = metricName is null ? BestConfig.Choose(trials, rule, space) : BestConfig.Choose(configs, rule);

        string? note = null, caution = null;
        IReadOnlyList<ParameterImportance> ranking = [];
        IReadOnlyList<FeatureInteraction> interactions = [];
        if (ranked.Count < MinTrialsForImportance)
        {
            note = ranked.Count == 0 && complete.Count > 0
                ? $"no complete trial has the metric '{metric.Name}'"
                : $"importance needs at least {MinTrialsForImportance} complete trials with '{metric.Name}' (this study has {ranked.Count})";
        }
        else
        {
            var points = ranked.Select(t => t.Params).ToList();
            var encoding = ParameterEncoding.Fit(points, space);
            var best = chosen?.Trial ?? ranked[0];
            if (encoding.Parameters.Count == 0)
            {
                note = "no parameter varies across the complete trials";
            }
            else
            {
                var rows = points.Select(encoding.Encode).ToArray();
                var y = ranked.Select(t => metric.ValueOf(t)!.Value).ToArray();
                var fitted = RandomForest.Fit(rows, y, encoding.Domains, forest);
                var effects = Fanova.MainEffects(fitted);
                var total = effects.Sum(e => e.VarianceFraction);
                if (total <= 0) note = $"'{metric.Name}' is the same in every complete trial, so no parameter explains anything";
                var list = effects.Select((e, i) => new ParameterImportance(
                    e.Feature,
                    total > 0 ? e.VarianceFraction / total : 0,
                    total > 0 ? e.Std / total : 0,
                    e.VarianceFraction,
                    best.Params.GetValueOrDefault(e.Feature),
                    space?.Find(e.Feature)?.Section,
                    space?.Find(e.Feature)?.Category)).ToList();
                list.AddRange(encoding.Constant.Select(name => new ParameterImportance(name, 0, 0, 0, best.Params.GetValueOrDefault(name), space?.Find(name)?.Section, space?.Find(name)?.Category)));
                ranking = list.OrderByDescending(p => p.Importance).ThenBy(p => p.Parameter, StringComparer.Ordinal).ToList();
                if (total > 0) caution = Caution(ranked.Count, encoding.Parameters.Count, ranking[0]);
                if (total > 0)
                {
                    var topFeatures = effects.Select((e, i) => (e, i)).OrderByDescending(x => x.e.VarianceFraction).Take(4).Select(x => x.i).ToList();
                    interactions = Fanova.Interactions(fitted, topFeatures).OrderByDescending(x => x.VarianceFraction).ToList();
                }
            }
        }

        return new StudyAnalysisResult
        {
            Study = study,
            Metric = metric,
            TotalTrials = trials.Count,
            CompleteTrials = complete.Count,
            PrunedTrials = trials.Count(t => t.State == TrialState.Pruned),
            FailedTrials = trials.Count(t => t.State == TrialState.Failed),
            UsedTrials = ranked.Count,
            Ranking = ranking,
            Interactions = interactions,
            TopConfigs = topConfigs,
            ImportanceNote = note,
            ImportanceCaution = caution,
            Chosen = chosen,
            Luckiest = ConfigEvidence.Luckiest(configs, direction),
            Curse = chosen is null ? null : WinnersCurse.Of(trials, chosen, direction, metricName),
        };
    }

    // A forest on fewer trials than parameters, or a top share inside its own spread over trees, ranks noise.
    private static string? Caution(int trials, int varying, ParameterImportance top)
    {
        var reasons = new List<string>();
        if (trials < varying) reasons.Add($"{trials} trials for {varying} varying parameters");
        if (top.ImportanceStd >= top.Importance) reasons.Add($"even the top share ({top.Parameter} {top.Importance:0.000}) is within its spread over trees (± {top.ImportanceStd:0.000})");
        return reasons.Count == 0 ? null : $"this ranking is mostly noise ({string.Join("; ", reasons)}); run more trials before reading it";
    }

    /// <summary>The metric's value in each seed run of a trial (score or a named metric).</summary>
    public static IReadOnlyList<double> SeedValues(TrialRecord t, string metric) =>
        t.SeedRuns.Where(r => r.Error is null)
            .Select(r => metric == MetricChoice.Score ? r.Score : r.Metrics.TryGetValue(metric, out var v) ? v : (double?)null)
            .Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).ToList();
}
