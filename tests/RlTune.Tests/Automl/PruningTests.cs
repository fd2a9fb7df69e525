using Microsoft.Extensions.Time.Testing;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>Intermediate values from PROGRESS lines and the median pruner, with the fake trainer's learning curves.</summary>
public sealed class PruningTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    // Three good configurations, each a little better than the one before (so none is below the running median),
    // then a bad one: its success curve (0.37 of the good ones') is below the median from the first step.
    private const string Configs = """
        [{"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.32}},
         {"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.31}},
         {"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.3}},
         {"params": {"learning_rate": 0.00019952623149688788, "x": 1.0, "arrival_bonus": 1.0}}]
        """;

    private StudySettings Settings(PrunerKind pruner) => _h.Settings("chatty-curve") with
    {
        HpTrials = 4, SeedConfigs = [_h.WriteFile("configs.json", Configs)], Pruner = pruner, PruningMetric = "success", PrunerWarmupTrials = 2, PrunerWarmupSteps = 200,
    };

    [Fact]
    public async Task TheMedianPrunerStopsTheBadTrialAndRecordsWhy()
    {
        // the pruner reads the completed trials' curves once per seed run: its refresh interval never passes on a fake clock
        var r = await AutomlHarness.Run(Settings(PrunerKind.Median), clock: new FakeTimeProvider());
        Assert.Equal("completed: 4 trials", r.StopReason);
        var (_, trials, _) = _h.Read();
        Assert.Equal([TrialState.Complete, TrialState.Complete, TrialState.Complete, TrialState.Pruned], trials.Select(t => t.State));
        var pruned = trials[3];
        // warm-up steps: the line at step 100 is not judged, the one at step 200 is
        Assert.StartsWith("pruned at step 200 of 1000 (seed 0): success 0.07", pruned.Error);
        Assert.Contains("is below the median 0.2 of 3 completed trials at that step", pruned.Error);
        Assert.Equal(pruned.Error, pruned.SeedRuns.Single().Error);
        var runDir = pruned.SeedRuns.Single().RunDir!;
        Assert.False(File.Exists(Path.Combine(runDir, "metrics.json")));   // killed before it could finish
        Assert.False(File.Exists(Path.Combine(runDir, RlTune.Trials.TrialRunner.PidFile)));

        using var store = RlTune.Storage.StoreFactory.Open(null, _h.Output);
        var study = store.FindStudy("s")!;
        var success = store.GetIntermediateMetrics(study.Id, "success");
        Assert.Equal(30, success.Count(v => v.Number < 3));             // 10 lines each of the completed trials
        // the lines up to the one that pruned it (the trainer cannot run ahead of the reader, but the kill may land a line or two later)
        var prunedSteps = success.Where(v => v.Number == 3).Select(v => v.Step).ToList();
        Assert.Equal([100L, 200L], prunedSteps.Take(2));
        Assert.InRange(prunedSteps.Count, 2, 9);
        Assert.Equal(30 + prunedSteps.Count, store.GetIntermediateMetrics(study.Id, "reward").Count);
        Assert.Equal(success.Last(v => v.Number == 3).Value, pruned.SeedRuns.Single().Metrics["success"]);   // its last values, kept with the reason
        Assert.Empty(store.GetIntermediateMetrics(study.Id, "steps_per_s"));   // speed is not a learning metric

        var status = _h.Cli("status", "--output", _h.Output, "--study", "s");
        Assert.Contains("3 complete, 0 running, 0 waiting, 0 failed, 1 pruned", status.Stdout);
        Assert.Contains($"pruned: trial 3: {pruned.Error}", status.Stdout);
        var report = File.ReadAllText(Path.Combine(_h.Output, "s", "report.md"));
        Assert.Contains("pruned at step 200", report);
        Assert.Contains("- pruner: median on success (higher is better), after 2 completed trials and 200 env steps", report);
        Assert.Contains("pruner: median on success", File.ReadAllText(Path.Combine(_h.Output, "s", "state.yaml")));
    }

    [Fact]
    public async Task WithoutAPrunerTheSameTrialRunsToTheEnd()
    {
        await AutomlHarness.Run(Settings(PrunerKind.None));
        var (_, trials, _) = _h.Read();
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        using var store = RlTune.Storage.StoreFactory.Open(null, _h.Output);
        Assert.Equal(40, store.GetIntermediateMetrics(_h.Read().Study.Id, "success").Count);
    }

    [Fact]
    public void TheMedianAtAStepUsesEachTrialsLastValueAtOrBeforeItAveragedOverSeeds()
    {
        List<List<(long, double)>> Trial(params List<(long, double)>[] seeds) => seeds.ToList();
        var reference = new[]
        {
            Trial([(100, 1.0), (200, 2.0)], [(150, 4.0)]),   // at 180: mean of 1 and 4; at 300: of 2 and 4
            Trial([(50, 7.0)]),                                // at 180: 7
            Trial([(300, 9.0)]),                               // nothing at or before 180
        };
        Assert.Equal((4.75, 2), MedianPruner.MedianAt(reference, 180));   // median of 2.5 and 7
        Assert.Equal((7.0, 3), MedianPruner.MedianAt(reference, 300));    // median of 3, 7 and 9
        Assert.Null(MedianPruner.MedianAt(reference, 10));
    }
}
