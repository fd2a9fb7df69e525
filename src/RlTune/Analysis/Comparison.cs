using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>
/// One side of a comparison: a trial, an exported config, a study's best trial or an evaluation, with its
/// parameters and each metric's per-seed values (<c>score</c> included).
/// </summary>
public sealed record CompareSide(string Label, IReadOnlyDictionary<string, object> Params, IReadOnlyDictionary<string, IReadOnlyList<double>> SeedValues, IReadOnlyList<int> Seeds)
{
    /// <summary>A trial's side: per-seed values from its seed runs, or its aggregated values (one sample) when it has none.</summary>
    public static CompareSide FromTrial(string label, TrialRecord trial)
    {
        var values = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        var runs = trial.SeedRuns.Where(r => r.Error is null).ToList();
        if (runs.Count > 0)
        {
            values[MetricChoice.Score] = StudyAnalysis.SeedValues(trial, MetricChoice.Score);
            foreach (var name in runs.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal))
                values[name] = StudyAnalysis.SeedValues(trial, name);
        }
        else
        {
            if (trial.Score is { } s && double.IsFinite(s)) values[MetricChoice.Score] = [s];
            foreach (var (name, v) in trial.Metrics)
                if (double.IsFinite(v)) values[name] = [v];
        }
        var seeds = runs.Count > 0 ? runs.Select(r => r.Seed).ToList() : [trial.Seed];
        return new CompareSide(label, trial.Params, values.Where(kv => kv.Value.Count > 0).ToDictionary(), seeds);
    }

    /// <summary>An evaluation's side (<c>automl --mode eval</c>): each seed run that did not fail is one sample.</summary>
    public static CompareSide FromEval(string label, Study.EvalSummary eval)
    {
        var runs = eval.Runs.Where(r => r.Error is null && r.Score is not null).ToList();
        var values = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal) { [MetricChoice.Score] = runs.Select(r => r.Score!.Value).ToList() };
        foreach (var name in runs.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal))
            values[name] = runs.Where(r => r.Metrics.ContainsKey(name)).Select(r => r.Metrics[name]).ToList();
        return new CompareSide(label, eval.Params, values.Where(kv => kv.Value.Count > 0).ToDictionary(), runs.Select(r => r.Seed).ToList());
    }
}

/// <summary>A parameter's value on each side (null where a side lacks it).</summary>
public sealed record ParamDifference(string Parameter, IReadOnlyList<object?> Values)
{
    public bool Differs => Values.Select(v => v is null ? "<none>" : ParamValues.Canonical(v)).Distinct().Count() > 1;
}

/// <summary>A metric on each side (mean ± std over seeds) and, against the first side, the tests when both have at least three seeds.</summary>
public sealed record MetricComparison(string Metric, IReadOnlyList<Summary> Sides, IReadOnlyList<SideTests?> TestsAgainstFirst);

/// <summary>Welch's t-test and Mann-Whitney U of one side against the first.</summary>
public sealed record SideTests(TestResult Welch, TestResult MannWhitney);

public sealed record ComparisonResult(IReadOnlyList<CompareSide> Sides, IReadOnlyList<ParamDifference> Params, IReadOnlyList<MetricComparison> Metrics);

/// <summary>Side-by-side comparison: parameter differences, metrics over seeds, significance tests.</summary>
public static class Comparison
{
    /// <summary>Seeds each side needs before a significance test is run (fewer make any p-value meaningless).</summary>
    public const int MinSeedsForTest = 3;

    public static ComparisonResult Compare(IReadOnlyList<CompareSide> sides)
    {
        if (sides.Count < 2) throw new UserError("compare needs at least two things to compare (trials, configs or studies).");
        var paramNames = sides.SelectMany(s => s.Params.Keys).Distinct(StringComparer.Ordinal).ToList();
        var parameters = paramNames.Select(n => new ParamDifference(n, sides.Select(s => s.Params.GetValueOrDefault(n)).ToList())).ToList();

        // score first, then the metrics every side has, then the rest, by name
        var metricNames = sides.SelectMany(s => s.SeedValues.Keys).Distinct(StringComparer.Ordinal)
            .OrderBy(n => n == MetricChoice.Score ? 0 : sides.All(s => s.SeedValues.ContainsKey(n)) ? 1 : 2)
            .ThenBy(n => n, StringComparer.Ordinal).ToList();
        var metrics = metricNames.Select(name =>
        {
            var samples = sides.Select(s => s.SeedValues.GetValueOrDefault(name) ?? []).ToList();
            var tests = samples.Select((sample, i) =>
                i > 0 && sample.Count >= MinSeedsForTest && samples[0].Count >= MinSeedsForTest
                    ? new SideTests(Statistics.WelchTTest(sample, samples[0]), Statistics.MannWhitneyU(sample, samples[0]))
                    : null).ToList();
            return new MetricComparison(name, samples.Select(Summary.Of).ToList(), tests);
        }).ToList();
        return new ComparisonResult(sides, parameters, metrics);
    }
}
