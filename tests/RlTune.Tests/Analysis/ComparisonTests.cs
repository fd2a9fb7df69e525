using RlTune.Analysis;
using RlTune.Trials;

namespace RlTune.Tests.Analysis;

public class ComparisonTests
{
    private static TrialRecord Trial(int number, double lr, params double[] seedScores) => new()
    {
        StudyId = 1,
        Number = number,
        State = TrialState.Complete,
        Params = new Dictionary<string, object> { ["learning_rate"] = lr, ["termination"] = -200L },
        Score = seedScores.Average(),
        SeedRuns = seedScores.Select((s, i) => new SeedRun(i, new Dictionary<string, double> { ["success_rate"] = s / 2 }, s, null, null)).ToList(),
    };

    [Fact]
    public void TwoTrialsWithThreeSeedsGetMeansAndBothTests()
    {
        var a = CompareSide.FromTrial("trial 1", Trial(1, 3e-4, 1, 2, 3));
        var b = CompareSide.FromTrial("trial 2", Trial(2, 1e-4, 4, 5, 6));
        var result = Comparison.Compare([a, b]);

        var lr = result.Params.Single(p => p.Parameter == "learning_rate");
        Assert.True(lr.Differs);
        Assert.False(result.Params.Single(p => p.Parameter == "termination").Differs);

        var score = result.Metrics[0];
        Assert.Equal("score", score.Metric);
        Assert.Equal(2, score.Sides[0].Mean, 1e-12);
        Assert.Equal(1, score.Sides[0].Std, 1e-12);
        Assert.Equal(5, score.Sides[1].Mean, 1e-12);
        Assert.Null(score.TestsAgainstFirst[0]);
        var tests = score.TestsAgainstFirst[1]!;
        // B against A: t = 3 / sqrt(1/3 + 1/3), df = 4, p = 0.0213 (hand computation); U = 9 of 9, exact p = 2/20
        Assert.Equal(3 / Math.Sqrt(2.0 / 3), tests.Welch.Statistic, 1e-12);
        Assert.Equal(4, tests.Welch.DegreesOfFreedom!.Value, 1e-12);
        Assert.Equal(0.021311641128757, tests.Welch.PValue, 1e-9);
        Assert.Equal(9, tests.MannWhitney.Statistic);
        Assert.Equal(0.1, tests.MannWhitney.PValue, 1e-12);

        var success = result.Metrics.Single(m => m.Metric == "success_rate");
        Assert.Equal(1, success.Sides[0].Mean, 1e-12);
        Assert.Equal(2.5, success.Sides[1].Mean, 1e-12);
    }

    [Fact]
    public void FewerThanThreeSeedsGetNoTest()
    {
        var a = CompareSide.FromTrial("a", Trial(1, 3e-4, 1, 2));
        var b = CompareSide.FromTrial("b", Trial(2, 3e-4, 4, 5, 6));
        var result = Comparison.Compare([a, b]);
        Assert.All(result.Metrics, m => Assert.Null(m.TestsAgainstFirst[1]));
        Assert.False(result.Params.Single(p => p.Parameter == "learning_rate").Differs);
    }

    [Fact]
    public void TrialWithoutSeedRunsIsOneSample()
    {
        var t = new TrialRecord
        {
            StudyId = 1, Number = 3, State = TrialState.Complete, Seed = 42,
            Params = new Dictionary<string, object> { ["x"] = 1.0 },
            Score = 0.7, Metrics = new Dictionary<string, double> { ["success_rate"] = 0.5 },
        };
        var side = CompareSide.FromTrial("t", t);
        Assert.Equal([0.7], side.SeedValues["score"]);
        Assert.Equal([42], side.Seeds);
    }

    [Fact]
    public void OneSideIsAUserError() =>
        Assert.Throws<RlTune.UserError>(() => Comparison.Compare([CompareSide.FromTrial("a", Trial(1, 1e-4, 1, 2, 3))]));
}
