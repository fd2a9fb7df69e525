using RlTune.Search;
using RlTune.Study;

namespace RlTune.Tests.Trials;

public sealed class ObjectiveTests
{
    private static readonly Dictionary<string, double> Metrics = new()
    {
        ["success_rate"] = 0.5, ["termination_rate"] = 0.2, ["episode_reward_mean"] = 4, ["episode_length_mean"] = 400,
    };

    [Fact]
    public void NavigationScoreIsTheSeedsFormula()
    {
        var s = new NavigationScore().Score(Metrics);
        Assert.Null(s.Failure);
        Assert.Equal(0.60 * 0.5 + 0.25 * 0.8 + 0.10 * 0.4 + 0.05 * 0.6, s.Score!.Value, 12);
    }

    [Fact]
    public void NavigationScoreCapsRewardAndLength()
    {
        var m = new Dictionary<string, double>(Metrics) { ["episode_reward_mean"] = 50, ["episode_length_mean"] = 5000 };
        Assert.Equal(0.60 * 0.5 + 0.25 * 0.8 + 0.10 * 1 + 0, new NavigationScore().Score(m).Score!.Value, 12);
    }

    [Fact]
    public void WeightsAreConfigurableAndZeroWeightsNeedNoMetric()
    {
        var only = new NavigationScore(new NavigationScoreWeights(Success: 1, Survival: 0, Reward: 0, Brevity: 0));
        Assert.Equal(0.7, only.Score(new Dictionary<string, double> { ["success_rate"] = 0.7 }).Score);
    }

    [Fact]
    public void MissingOrNaNInputsFailWithAReason()
    {
        var m = new Dictionary<string, double>(Metrics);
        m.Remove("termination_rate");
        Assert.Equal("no metric 'termination_rate' in the trial's metrics", new NavigationScore().Score(m).Failure);
        m["termination_rate"] = double.NaN;
        Assert.Equal("metric 'termination_rate' is NaN", new NavigationScore().Score(m).Failure);
    }

    [Fact]
    public void SingleMetricObjectiveHasItsDirection()
    {
        var o = new MetricObjective("value", ObjectiveDirection.Minimize);
        Assert.Equal(ObjectiveDirection.Minimize, o.Direction);
        Assert.Equal(1.5, o.Score(new Dictionary<string, double> { ["value"] = 1.5 }).Score);
        Assert.True(o.IsBetter(1, 2));
        Assert.False(new NavigationScore().IsBetter(1, 2));
    }

    [Fact]
    public void SeedAggregateRanksByMeanOrMeanMinusStd()
    {
        var a = SeedAggregate.Of([0.5, 0.7, 0.9]);
        Assert.Equal(0.7, a.Mean, 12);
        Assert.Equal(0.2, a.Std, 12); // sample std
        Assert.Equal(0.7, a.RankValue(SeedRanking.Mean, ObjectiveDirection.Maximize), 12);
        Assert.Equal(0.5, a.RankValue(SeedRanking.MeanMinusStd, ObjectiveDirection.Maximize), 12);
        Assert.Equal(0.9, a.RankValue(SeedRanking.MeanMinusStd, ObjectiveDirection.Minimize), 12);
        Assert.Equal(0, SeedAggregate.Of([3.0]).Std);
        var same = SeedAggregate.Of([0.1, 0.1, 0.1]); // summing them would give a mean of 0.10000000000000002 and a std of about 1e-17
        Assert.Equal(0.1, same.Mean);
        Assert.Equal(0, same.Std);
        var means = SeedAggregate.MeanMetrics([new Dictionary<string, double> { ["a"] = 1, ["b"] = 4 }, new Dictionary<string, double> { ["a"] = 3 }]);
        Assert.Equal(2, means["a"]);
        Assert.Equal(4, means["b"]);
    }

    [Fact]
    public void DirectionParsingExplainsBadValues()
    {
        Assert.Equal(ObjectiveDirection.Minimize, DirectionNames.Parse("minimize", "--direction"));
        Assert.Equal("--direction: 'down' is not known; expected maximize or minimize.", Assert.Throws<UserError>(() => DirectionNames.Parse("down", "--direction")).Message);
    }
}
