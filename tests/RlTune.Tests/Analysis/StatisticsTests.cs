using RlTune.Analysis;

namespace RlTune.Tests.Analysis;

public class StatisticsTests
{
    [Theory]
    [InlineData(0.5, 0.57236494292470008)]   // ln sqrt(pi)
    [InlineData(1.0, 0.0)]
    [InlineData(10.0, 12.801827480081469)]   // ln 9!
    [InlineData(0.1, 2.2527126517342059)]    // ln Γ(0.1) = ln 9.51350769866873
    [InlineData(100.5, 361.4355404677776)]    // Python math.lgamma
    public void LogGammaMatchesKnownValues(double x, double expected) =>
        Assert.Equal(expected, Statistics.LogGamma(x), 1e-9 * Math.Max(1, Math.Abs(expected)));

    [Theory]
    [InlineData(0.3, 2.5, 1.0)]
    [InlineData(0.8, 0.7, 1.0)]
    public void IncompleteBetaWithBEqualOneIsPower(double x, double a, double b) =>
        Assert.Equal(Math.Pow(x, a), Statistics.RegularizedIncompleteBeta(x, a, b), 1e-12);

    [Fact]
    public void IncompleteBetaMatchesClosedForms()
    {
        Assert.Equal(1 - Math.Pow(1 - 0.2, 4.5), Statistics.RegularizedIncompleteBeta(0.2, 1, 4.5), 1e-12);
        Assert.Equal(0.5, Statistics.RegularizedIncompleteBeta(0.5, 7.3, 7.3), 1e-12);
        // integer a, b: a binomial tail; I_0.3(2,3) = 6(.09)(.49) + 4(.027)(.7) + .0081
        Assert.Equal(0.3483, Statistics.RegularizedIncompleteBeta(0.3, 2, 3), 1e-12);
        // the symmetric branch (x above the switch point)
        Assert.Equal(1 - 0.3483, Statistics.RegularizedIncompleteBeta(0.7, 3, 2), 1e-12);
    }

    [Theory]
    [InlineData(-3.0)]
    [InlineData(0.4)]
    [InlineData(25.0)]
    public void StudentTCdfMatchesClosedFormsForOneAndTwoDegrees(double t)
    {
        Assert.Equal(0.5 + Math.Atan(t) / Math.PI, Statistics.StudentTCdf(t, 1), 1e-12); // Cauchy
        Assert.Equal(0.5 + t / (2 * Math.Sqrt(2 + t * t)), Statistics.StudentTCdf(t, 2), 1e-12);
    }

    [Theory]
    [InlineData(2.228139, 10, 0.975)]     // t table
    [InlineData(12.7062047, 1, 0.975)]
    [InlineData(3.182446, 3, 0.975)]
    [InlineData(2.015048, 5, 0.95)]
    [InlineData(1.5, 7.3, 0.9122184536)]  // fractional df, by numerical integration of the density
    public void StudentTCdfMatchesTables(double t, double df, double expected)
    {
        Assert.Equal(expected, Statistics.StudentTCdf(t, df), 1e-6);
        Assert.Equal(1 - expected, Statistics.StudentTCdf(-t, df), 1e-6);
    }

    [Fact]
    public void NormalCdfMatchesKnownValues()
    {
        Assert.Equal(0.5, Statistics.NormalCdf(0), 1e-15);
        Assert.Equal(0.975, Statistics.NormalCdf(1.959964), 1e-7);
        Assert.Equal(0.15865525393145707, Statistics.NormalCdf(-1), 1e-12);
        Assert.Equal(1 - 2.866515718791946e-7, Statistics.NormalCdf(5), 1e-12);
    }

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
