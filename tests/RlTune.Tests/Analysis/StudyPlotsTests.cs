using RlTune.Analysis;

namespace RlTune.Tests.Analysis;

public sealed class StudyPlotsTests
{
    [Fact]
    public void ARateJumpingBetweenZeroAndOneIsSmoothedToItsTrend()
    {
        // per-update reached fractions while few episodes end: 0 and 1 alternating, rising share of ones
        var raw = Enumerable.Range(0, 200).Select(i => i % 2 == 0 && i > 40 ? 1.0 : 0.0).ToList();
        var smooth = StudyPlots.Smoothed(raw);
        Assert.Equal(raw.Count, smooth.Length);
        Assert.All(smooth.Skip(60), v => Assert.InRange(v, 0.35, 0.65));
        Assert.All(smooth.Take(30), v => Assert.Equal(0.0, v));
        Assert.Equal(raw.Average(), smooth.Average(), 0.05);
    }

    [Fact]
    public void AShortCurveIsLeftAsItIs() => Assert.Equal([0.0, 1.0, 0.5], StudyPlots.Smoothed([0.0, 1.0, 0.5]));
}
