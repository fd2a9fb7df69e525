using RlTune.Analysis;

namespace RlTune.Tests.Analysis;

public class StatisticsTests
{
    [Fact]
    public void WelchTTestMatchesHandComputation()
    {
        // means 2 and 5, variances 1 and 1: t = -3 / sqrt(2/3), df = 4
        var r = Statistics.WelchTTest([1, 2, 3], [4, 5, 6]);
        Assert.Equal(-3 / Math.Sqrt(2.0 / 3), r.Statistic, 1e-12);
        Assert.Equal(4, r.DegreesOfFreedom!.Value, 1e-12);
        Assert.Equal(0.021311641128757, r.PValue, 1e-9);
    }

    [Fact]
    public void WelchTTestUsesWelchSatterthwaiteDegrees()
    {
        var r = Statistics.WelchTTest([10.1, 9.8, 10.4, 10.0], [11.2, 10.5, 11.9]);
        Assert.Equal(-2.6593564916990373, r.Statistic, 1e-10);
        Assert.Equal(2.386396639101172, r.DegreesOfFreedom!.Value, 1e-10);
        Assert.Equal(0.09732284097771056, r.PValue, 1e-7);
    }

    [Fact]
    public void WelchTTestWithoutSpreadSaysSo()
    {
        var r = Statistics.WelchTTest([1, 1, 1], [2, 2, 2]);
        Assert.True(double.IsNaN(r.PValue));
        Assert.NotNull(r.Note);
    }

    [Fact]
    public void MannWhitneyExactMatchesEnumeration()
    {
        // complete separation of 3 vs 3: U = 0 and P(U <= 0) = 1/20, two-sided 0.1
        var separated = Statistics.MannWhitneyU([1, 2, 3], [4, 5, 6]);
        Assert.Equal(0, separated.Statistic);
        Assert.Equal(0.1, separated.PValue, 1e-12);
        // interleaved: U = 3, P(U <= 3) = (1+1+2+3)/20
        var interleaved = Statistics.MannWhitneyU([1, 3, 5], [2, 4, 6]);
        Assert.Equal(3, interleaved.Statistic);
        Assert.Equal(0.7, interleaved.PValue, 1e-12);
        Assert.Equal("exact", interleaved.Note);
    }

    [Fact]
    public void MannWhitneyWithTiesUsesCorrectedNormalApproximation()
    {
        var r = Statistics.MannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 6, 7, 8]);
        Assert.Equal(4.5, r.Statistic, 1e-12);
        Assert.Equal(0.06476896969888779, r.PValue, 1e-9);
        Assert.Equal("normal approximation", r.Note);
    }

    [Fact]
    public void SummaryUsesSampleStandardDeviation()
    {
        var s = Summary.Of([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(5, s.Mean, 1e-12);
        Assert.Equal(Math.Sqrt(32.0 / 7), s.Std, 1e-12);
    }
}
