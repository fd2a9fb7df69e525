using RlTune.Analysis;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Tests.Analysis;

public class FanovaTests
{
    private static (double[][] Rows, double[] Y) Sample(int n, int dims, double low, double high, Func<double[], double> f, int seed)
    {
        var rng = new Random(seed);
        var rows = new double[n][];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            rows[i] = Enumerable.Range(0, dims).Select(_ => low + (high - low) * rng.NextDouble()).ToArray();
            y[i] = f(rows[i]);
        }
        return (rows, y);
    }

    [Fact]
    public void LinearFunctionSplitsVarianceByCoefficientSquared()
    {
        // f = 10 x1 + x2 + 0 x3 on [0,1]^3: main-effect variances 100/12, 1/12, 0 -> shares 0.990, 0.0099, 0
        var (rows, y) = Sample(300, 3, 0, 1, x => 10 * x[0] + x[1] + 0 * x[2], seed: 1);
        var domains = new[] { new FeatureDomain("x1", 0, 1), new FeatureDomain("x2", 0, 1), new FeatureDomain("x3", 0, 1) };
        var forest = RandomForest.Fit(rows, y, domains, new ForestOptions(Seed: 7));
        var effects = Fanova.MainEffects(forest);

        Assert.InRange(effects[0].VarianceFraction, 0.95, 1.0);
        Assert.InRange(effects[1].VarianceFraction, 0.003, 0.03);
        Assert.InRange(effects[2].VarianceFraction, 0.0, 0.002);
        Assert.True(effects[1].VarianceFraction > 5 * effects[2].VarianceFraction);
    }

    [Fact]
    public void InteractionIsSeparatedFromMainEffects()
    {
        // f = x1 + 3 x1 x2 on [-1,1]^2 (+ an inert x3): Var = 1/3 (x1) + 0 (x2) + 1 (x1·x2) -> shares 0.25, 0, 0.75
        var (rows, y) = Sample(400, 3, -1, 1, x => x[0] + 3 * x[0] * x[1], seed: 2);
        var domains = new[] { new FeatureDomain("x1", -1, 1), new FeatureDomain("x2", -1, 1), new FeatureDomain("x3", -1, 1) };
        var forest = RandomForest.Fit(rows, y, domains, new ForestOptions(Seed: 3));
        var effects = Fanova.MainEffects(forest);
        var interactions = Fanova.Interactions(forest, [0, 1, 2]);

        Assert.InRange(effects[0].VarianceFraction, 0.17, 0.33);
        Assert.InRange(effects[1].VarianceFraction, 0.0, 0.05);
        Assert.InRange(effects[2].VarianceFraction, 0.0, 0.03);
        var x1x2 = interactions.Single(i => i.A == "x1" && i.B == "x2");
        Assert.InRange(x1x2.VarianceFraction, 0.6, 0.85);
        Assert.All(interactions.Where(i => i.B == "x3"), i => Assert.InRange(i.VarianceFraction, 0.0, 0.06));
    }

    [Fact]
    public void CategoricalParameterGetsItsShareThroughCategorySplits()
    {
        // arch in {A, B, C} adds {0, 5, 0}: variance 50/9; 5 x on [0,1]: 25/12 -> shares 0.727, 0.273
        var space = SearchSpace.Parse("""
            search_space_id: cat_test
            ppo_params:
              arch: { type: categorical, choices: ["A", "B", "C"] }
            reward_weights:
              x: { type: uniform, low: 0.0, high: 1.0, category: navigation }
              inert: { type: uniform, low: 0.0, high: 1.0, category: stability }
            """, "cat_test.yaml");
        var rng = new Random(5);
        var trials = new List<TrialRecord>();
        for (var i = 0; i < 240; i++)
        {
            var arch = new[] { "A", "B", "C" }[i % 3];
            var x = rng.NextDouble();
            var parameters = new Dictionary<string, object> { ["arch"] = arch, ["x"] = x, ["inert"] = rng.NextDouble() };
            trials.Add(new TrialRecord { StudyId = 1, Number = i, State = TrialState.Complete, Params = parameters, Score = (arch == "B" ? 5 : 0) + 5 * x });
        }
        var result = StudyAnalysis.Analyze("cat", trials, new MetricChoice("score", true), space);
        var byName = result.Ranking.ToDictionary(p => p.Parameter);

        Assert.Equal(["arch", "x", "inert"], result.Ranking.Select(p => p.Parameter));
        Assert.InRange(byName["arch"].VarianceFraction, 0.66, 0.78);
        Assert.InRange(byName["x"].VarianceFraction, 0.22, 0.32);
        Assert.InRange(byName["inert"].VarianceFraction, 0.0, 0.02);
        Assert.Equal(1.0, result.Ranking.Sum(p => p.Importance), 1e-9);
        Assert.Equal(ParamSection.PpoParams, byName["arch"].Section);
        Assert.Equal("navigation", byName["x"].Category);
        // best trial: arch B with the largest x
        var best = trials.Where(t => (string)t.Params["arch"] == "B").MaxBy(t => t.Score)!;
        Assert.Equal("B", byName["arch"].BestValue);
        Assert.Equal(best.Params["x"], byName["x"].BestValue);
        Assert.Equal(best.Number, result.TopConfigs[0].TrialNumber);
    }

    [Fact]
    public void LogScaledParameterIsAnalysedOnItsLogCoordinate()
    {
        // score depends on log10(lr) linearly; on the log coordinate the share is all of it, and
        // the inferred encoding (no space) chooses log for a positive range spanning 20x or more.
        var rng = new Random(9);
        var trials = Enumerable.Range(0, 120).Select(i =>
        {
            var lr = Math.Pow(10, -5 + 2 * rng.NextDouble());
            var p = new Dictionary<string, object> { ["learning_rate"] = lr, ["epochs"] = (long)(4 + i % 4) };
            return new TrialRecord { StudyId = 1, Number = i, State = TrialState.Complete, Params = p, Score = Math.Log10(lr) };
        }).ToList();
        var encoding = ParameterEncoding.Fit(trials.Select(t => t.Params).ToList(), null);
        Assert.True(encoding.Parameters.Single(p => p.Name == "learning_rate").Axis.Spec.Kind == ParamKind.LogUniform);
        var result = StudyAnalysis.Analyze("lr", trials, new MetricChoice("score", true), null);
        Assert.Equal("learning_rate", result.Ranking[0].Parameter);
        Assert.InRange(result.Ranking[0].VarianceFraction, 0.95, 1.0);
    }

    [Fact]
    public void ForestIsDeterministicForASeed()
    {
        var (rows, y) = Sample(80, 2, 0, 1, x => Math.Sin(6 * x[0]) + x[1], seed: 4);
        var domains = new[] { new FeatureDomain("a", 0, 1), new FeatureDomain("b", 0, 1) };
        var a = Fanova.MainEffects(RandomForest.Fit(rows, y, domains, new ForestOptions(Seed: 11)));
        var b = Fanova.MainEffects(RandomForest.Fit(rows, y, domains, new ForestOptions(Seed: 11)));
        Assert.Equal(a, b);
    }

    [Fact]
    public void ForestInterpolatesTrainingData()
    {
        var (rows, y) = Sample(60, 2, 0, 1, x => 3 * x[0] - x[1], seed: 6);
        var forest = RandomForest.Fit(rows, y, [new FeatureDomain("a", 0, 1), new FeatureDomain("b", 0, 1)]);
        var error = rows.Select((r, i) => Math.Abs(forest.Predict(r) - y[i])).Average();
        Assert.InRange(error, 0, 0.15);
    }

    [Fact]
    public void TooFewTrialsGiveANoteInsteadOfImportance()
    {
        var trials = new[]
        {
            new TrialRecord { StudyId = 1, Number = 0, State = TrialState.Complete, Params = new Dictionary<string, object> { ["x"] = 1.0 }, Score = 1 },
            new TrialRecord { StudyId = 1, Number = 1, State = TrialState.Failed, Params = new Dictionary<string, object> { ["x"] = 2.0 } },
        };
        var result = StudyAnalysis.Analyze("tiny", trials, new MetricChoice("score", true), null);
        Assert.Empty(result.Ranking);
        Assert.Contains("at least 3 complete trials", result.ImportanceNote);
        Assert.Single(result.TopConfigs);
        Assert.Equal(1, result.FailedTrials);
    }
}
