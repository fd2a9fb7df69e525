using RlTune.Analysis;
using RlTune.Study;
using RlTune.TensorBoard;

namespace RlTune.Tests.Analysis;

public class RewardHackingTests
{
    private const int N = 40;

    private static Curve Make(Func<double, double> f, int seed = 0, double noise = 0)
    {
        var rng = new Random(seed);
        return new Curve(Enumerable.Range(0, N).Select(i => ((long)(i * 4096), f(i / (double)(N - 1)) + noise * (rng.NextDouble() - 0.5))).ToList());
    }

    [Fact]
    public void LazyRobotIsFlaggedWhenRewardRisesWithoutArriving()
    {
        var curves = new TrainingCurves
        {
            Reward = Make(u => -50 + 40 * u, 1, 2),
            ReachedFraction = Make(_ => 0.12, 2, 0.02),
            EpisodeLength = Make(u => 960 + 30 * u, 3, 5),
            EpisodeLimit = 1000,
        };
        var flag = Assert.Single(RewardHackingDetector.Detect(curves));
        Assert.Equal(RewardHackingFlag.LazyRobot, flag.Kind);
        Assert.Contains("the 1000-step limit", flag.Evidence);
    }

    [Fact]
    public void LearningToArriveIsNotLazy()
    {
        var curves = new TrainingCurves
        {
            Reward = Make(u => -50 + 40 * u),
            ReachedFraction = Make(u => 0.1 + 0.8 * u),
            EpisodeLength = Make(u => 990 - 400 * u),
            EpisodeLimit = 1000,
        };
        Assert.Empty(RewardHackingDetector.Detect(curves));
    }

    [Fact]
    public void SolvedTaskWithFlatHighReachedFractionIsNotLazy()
    {
        var curves = new TrainingCurves
        {
            Reward = Make(u => 100 + 30 * u),
            ReachedFraction = Make(_ => 0.95),
            EpisodeLength = Make(_ => 1000),
            EpisodeLimit = 1000,
        };
        Assert.Empty(RewardHackingDetector.Detect(curves));
    }

    [Fact]
    public void ShortEpisodesAreNotLazyEvenWhenReachedIsFlat()
    {
        var curves = new TrainingCurves
        {
            Reward = Make(u => -50 + 40 * u),
            ReachedFraction = Make(_ => 0.1),
            EpisodeLength = Make(_ => 300),
            EpisodeLimit = 1000,
        };
        Assert.Empty(RewardHackingDetector.Detect(curves));
    }

    [Fact]
    public void SprintCrashIsFlaggedWhenSpeedAndFallsRiseAndReachedDropsAfterPeak()
    {
        var curves = new TrainingCurves
        {
            Speed = Make(u => 0.4 + 1.2 * u, 4, 0.05),
            Falls = Make(u => 0.05 + 0.3 * u * u, 5, 0.02),
            ReachedFraction = Make(u => u < 0.4 ? 0.1 + 1.25 * u : 0.6 - 0.5 * (u - 0.4), 6, 0.03),
        };
        var flag = Assert.Single(RewardHackingDetector.Detect(curves));
        Assert.Equal(RewardHackingFlag.SprintCrash, flag.Kind);
        Assert.Contains("fell from a peak", flag.Evidence);
    }

    [Fact]
    public void FasterWithMoreFallsButStillImprovingIsNotSprintCrash()
    {
        var curves = new TrainingCurves
        {
            Speed = Make(u => 0.4 + 1.2 * u),
            Falls = Make(u => 0.05 + 0.2 * u),
            ReachedFraction = Make(u => 0.1 + 0.7 * u),
        };
        Assert.Empty(RewardHackingDetector.Detect(curves));
    }

    [Fact]
    public void TooFewPointsOrMissingCurvesRaiseNothing()
    {
        var shortCurve = new Curve([(0, -50.0), (1, -10.0), (2, 0.0)]);
        Assert.Empty(RewardHackingDetector.Detect(new TrainingCurves { Reward = shortCurve, ReachedFraction = shortCurve, EpisodeLength = shortCurve }));
        Assert.Empty(RewardHackingDetector.Detect(new TrainingCurves { Reward = Make(u => u) }));
    }

    [Fact]
    public void CurvesAreReadFromTensorBoardTags()
    {
        var dir = Directory.CreateTempSubdirectory("rltune-hack-").FullName;
        try
        {
            using (var writer = new EventFileWriter(dir))
            {
                for (var i = 0; i < N; i++)
                {
                    var u = i / (double)(N - 1);
                    writer.AddScalar("Reward / Total reward (mean)", -50 + 40 * u, i * 100);
                    writer.AddScalar("metrics / reached_fraction (mean)", 0.1, i * 100);
                    writer.AddScalar("Episode / Total timesteps (mean)", 995, i * 100);
                }
            }
            var curves = TrainingCurves.FromLog(EventFileReader.ReadDirectory(dir), episodeLimit: null);
            Assert.Equal(N, curves.Reward!.Count);
            var flag = Assert.Single(RewardHackingDetector.Detect(curves));
            Assert.Equal(RewardHackingFlag.LazyRobot, flag.Kind);
            Assert.Contains("limit unknown", flag.Evidence);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
