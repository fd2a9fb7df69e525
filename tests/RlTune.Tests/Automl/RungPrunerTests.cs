using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;

namespace RlTune.Tests.Automl;

/// <summary>The successive-halving rule and its guard rails, on the store the workers share.</summary>
public sealed class RungPrunerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-rungs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheLadderGrowsByTheFactorAndEndsAtTheBudget()
    {
        Assert.Equal([1_000_000L, 3_000_000L, 9_000_000L], RungSettings.LadderOf(1_000_000, 9_000_000, 3));
        Assert.Equal([1000L, 3000L, 5000L], RungSettings.LadderOf(1000, 5000, 3));
        Assert.Equal([1000L, 2000L, 4000L, 8000L], RungSettings.LadderOf(1000, 8000, 2));
        // the default first rung, budget / 9 rounded down: its third rung falls 6 steps short of the budget and is the budget
        Assert.Equal([16_666L, 49_998L, 150_000L], RungSettings.LadderOf(150_000 / 9, 150_000, 3));
        var hyperband = new RungSettings(PrunerKind.Hyperband, 3, [1000, 3000, 9000], ObjectiveDirection.Maximize);
        Assert.Equal([0, 1, 2, 0], Enumerable.Range(0, 4).Select(hyperband.FirstRungOf));
        Assert.Equal(0, (hyperband with { Kind = PrunerKind.Asha }).FirstRungOf(5));
    }

    [Fact]
    public void ATrialIsPromotedWhenAmongTheBestOfItsRungByTheFactor()
    {
        // alone at the rung, or the best of fewer than η: promoted (Optuna's rule; no slot waits for the rung to fill)
        Assert.True(RungPruner.Promotable(0.1, [], 3, ObjectiveDirection.Maximize).Promoted);
        Assert.False(RungPruner.Promotable(0.1, [0.2], 3, ObjectiveDirection.Maximize).Promoted);
        Assert.True(RungPruner.Promotable(0.3, [0.2], 3, ObjectiveDirection.Maximize).Promoted);
        // six at the rung: the best two go on
        double[] five = [0.9, 0.8, 0.5, 0.4, 0.1];
        Assert.True(RungPruner.Promotable(0.85, five, 3, ObjectiveDirection.Maximize).Promoted);
        var (promoted, why) = RungPruner.Promotable(0.7, five, 3, ObjectiveDirection.Maximize);
        Assert.False(promoted);
        Assert.Equal("0.7 is not among the best 2 of 6 at this rung (cut-off 0.8)", why);
        Assert.True(RungPruner.Promotable(0.15, five, 3, ObjectiveDirection.Minimize).Promoted);
        Assert.False(RungPruner.Promotable(0.45, five, 3, ObjectiveDirection.Minimize).Promoted);
    }

    private static TrainingCurves Curves(Func<int, double> reward, Func<int, double> success, Func<int, double> length) => new()
    {
        Reward = new Curve(Enumerable.Range(0, 12).Select(i => ((long)i * 100, reward(i))).ToList()),
        ReachedFraction = new Curve(Enumerable.Range(0, 12).Select(i => ((long)i * 100, success(i))).ToList()),
        EpisodeLength = new Curve(Enumerable.Range(0, 12).Select(i => ((long)i * 100, length(i))).ToList()),
    };

    private static readonly TrainingCurves Rising = Curves(i => i, i => 0.05 * i, _ => 500);
    private static readonly TrainingCurves Flat = Curves(_ => 5, _ => 0.3, _ => 500);
    private static readonly TrainingCurves Lazy = Curves(i => 10 + i, _ => 0.0, _ => 1000);

    [Fact]
    public void RisingSuccessKeepsATrialBelowTheFloorAndLazyRobotsAreFlaggedOrStopped()
    {
        using var store = StoreFactory.Open(null, _dir);
        var study = store.CreateOrOpenStudy("s", "maximize", "{}");
        var settings = new RungSettings(PrunerKind.Asha, 3, [1000, 3000, 9000], ObjectiveDirection.Maximize) { MinSteps = 3000 };
        var pruner = new RungPruner(store, study.Id, settings);
        Assert.True(pruner.Judge(0, 0, 0.9, [Flat]).Promoted);
        Assert.False(pruner.Judge(1, 0, 0.8, [Flat]).Promoted);

        // behind, but its success still climbs and 1000 steps is below the 3000-step floor
        var kept = pruner.Judge(2, 0, 0.2, [Rising]);
        Assert.True(kept.Promoted);
        Assert.Contains("but kept: its success is still rising (+0.15", kept.Why);
        Assert.Equal(kept, pruner.Recorded(2, 0));
        // at or above the floor the rule alone decides
        var aboveFloor = new RungPruner(store, study.Id, settings with { MinSteps = 1000 });
        Assert.False(aboveFloor.Judge(3, 0, 0.2, [Rising]).Promoted);

        // a lazy robot: flagged and judged as usual, or stopped
        var flagged = pruner.Judge(4, 0, 0.95, [Lazy]);
        Assert.True(flagged.Promoted);
        Assert.Contains("flagged as a lazy robot: reward rose", flagged.Why);
        Assert.StartsWith("reward rose", TrialNotes.Get(store.GetStudyAttrs(study.Id), 4, RlTune.Study.RewardHackingFlag.LazyRobot));
        var strict = new RungPruner(store, study.Id, settings with { LazyRobot = LazyRobotPolicy.Prune });
        var stopped = strict.Judge(5, 0, 0.99, [Lazy, Lazy, Flat]);
        Assert.False(stopped.Promoted);
        Assert.Contains("stopped as a lazy robot", stopped.Why);
        // one lazy seed of three is not a lazy trial
        Assert.True(strict.Judge(6, 0, 0.99, [Lazy, Flat, Flat]).Promoted);
    }

    [Fact]
    public void HyperbandComparesATrialOnlyWithItsBracket()
    {
        using var store = StoreFactory.Open(null, _dir);
        var study = store.CreateOrOpenStudy("s", "maximize", "{}");
        var pruner = new RungPruner(store, study.Id, new RungSettings(PrunerKind.Hyperband, 3, [1000, 3000, 9000], ObjectiveDirection.Maximize));
        // trial 1 starts at rung 1 (bracket 1); trial 0 reaches rung 1 from bracket 0 with a better value
        Assert.True(pruner.Judge(1, 1, 0.2, []).Promoted);
        Assert.True(pruner.Judge(0, 1, 0.9, []).Promoted);
        // trial 4 (bracket 1) meets only trial 1 there: 0.3 beats 0.2
        Assert.True(pruner.Judge(4, 1, 0.3, []).Promoted);
        // trial 3 (bracket 0) meets trial 0's 0.9
        Assert.False(pruner.Judge(3, 1, 0.3, []).Promoted);
    }
}
