using RlTune.Study;
using RlTune.Trials;
using YamlDotNet.RepresentationModel;

namespace RlTune.Tests.Automl;

public sealed class HpSearchTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData("random")]
    [InlineData("bayesian")]
    [InlineData("tpe")]
    public async Task SearchRunsEveryTrialAndWritesTheProjections(string method)
    {
        var r = await AutomlHarness.Run(_h.Settings() with { SearchMethod = method, HpTrials = 5, WarmupTrials = 2, Parallel = 2 });
        Assert.Equal("completed: 5 trials", r.StopReason);
        var (_, trials, attrs) = _h.Read();
        Assert.Equal(5, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.All(trials, t => Assert.Equal("sampler:" + method, t.Origin));
        Assert.Equal("stopped", attrs["status"]);
        // the best is the lowest value (minimize), and the score is the trainer's metric
        var best = trials.MinBy(t => t.Score)!;
        Assert.Equal(best.Score, r.BestScore);
        Assert.Equal(best.Metrics["value"], best.Score);

        var dir = Path.Combine(_h.Output, "s");
        var state = LoadYaml(Path.Combine(dir, "state.yaml"));
        Assert.Equal("completed: 5 trials", ((YamlScalarNode)state["stop_reason"]).Value);
        Assert.Equal(best.Number.ToString(), ((YamlScalarNode)((YamlMappingNode)state["best"])["trial"]).Value);
        var index = (YamlSequenceNode)LoadYaml(Path.Combine(dir, "index.yaml"))["trials"];
        Assert.Equal(5, index.Children.Count);
        foreach (var t in trials)
        {
            var summary = LoadYaml(Path.Combine(dir, "trials", StudyPaths.TrialName(t.Number), "summary.yaml"));
            Assert.Equal("complete", ((YamlScalarNode)summary["state"]).Value);
            var config = RlTune.Trials.TrialConfig.Load(Path.Combine(dir, "configs", $"{StudyPaths.TrialName(t.Number)}_seed_0.json"));
            Assert.Equal(1000L, config.MaxEnvSteps);
            Assert.Equal(t.Params["arrival_bonus"], config.RewardScales["arrival_bonus"]);  // reward weights -> reward_scales
            Assert.Equal(t.Params["x"], config.RlOverrides["x"]);                           // PPO params -> rl_overrides
            Assert.True(File.Exists(Path.Combine(dir, "trials", StudyPaths.TrialName(t.Number), "seed_0", "stdout.log")));
        }
        var report = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains($"## Best: trial {best.Number}", report);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task GridRunsEachPointOnceAndSaysWhenItIsExhausted()
    {
        var space = _h.WriteFile("grid.yaml", AutomlHarness.GridSpace);
        var r = await AutomlHarness.Run(_h.Settings(space: space) with { SearchMethod = "grid", HpTrials = 20, Parallel = 2 });
        Assert.Contains("grid exhausted after 6 trials", r.StopReason);
        var (_, trials, _) = _h.Read();
        Assert.Equal(6, trials.Count);
        Assert.Equal(6, trials.Select(t => ParamValues.Canonical(t.Params)).Distinct().Count());
        // resuming a finished grid adds nothing
        var again = await AutomlHarness.Run(_h.Settings(space: space) with { SearchMethod = "grid", HpTrials = 20, Resume = true });
        Assert.Contains("grid exhausted", again.StopReason);
        Assert.Equal(6, _h.Read().Trials.Count);
    }

    [Fact]
    public async Task SeveralSeedsAreAggregatedAndRankedByMeanMinusStd()
    {
        var s = _h.Settings() with { HpTrials = 2, SeedsPerTrial = 3, Seed = 10, RankBy = SeedRanking.MeanMinusStd };
        await AutomlHarness.Run(s);
        var (_, trials, _) = _h.Read();
        foreach (var t in trials)
        {
            Assert.Equal([10, 11, 12], t.SeedRuns.Select(r => r.Seed).Order());
            var values = t.SeedRuns.Select(r => r.Score!.Value).ToList();
            var agg = SeedAggregate.Of(values);
            Assert.Equal(0.01, agg.Std, 9);                          // the fake trainer adds 0.01 x seed
            Assert.Equal(agg.Mean + agg.Std, t.Score!.Value, 9);     // minimize: mean + std is the cautious rank
            Assert.Equal(agg.Std, t.ScoreStd!.Value, 9);
            Assert.Equal(11, t.Metrics["seed"], 9);                  // metrics are means over seeds
        }
    }

    [Fact]
    public async Task EnqueuedSeedConfigsRunFirst()
    {
        var seedFile = _h.WriteFile("seed.json", """{"params": {"learning_rate": 0.001, "x": 0.3, "arrival_bonus": 0.3}}""");
        await AutomlHarness.Run(_h.Settings() with { HpTrials = 3, SeedConfigs = [seedFile] });
        var first = _h.Read().Trials.OrderBy(t => t.Number).First();
        Assert.Equal("enqueued", first.Origin);
        Assert.Equal(0.001, first.Params["learning_rate"]);
    }

    [Fact]
    public async Task TensorBoardOnlyAndRunDirNamingTrainersAreScored()
    {
        var tb = await AutomlHarness.Run(_h.Settings("tensorboard", "tb") with { HpTrials = 2, ObjectiveMetric = null, Direction = null });
        Assert.All(_h.Read("tb").Trials, t => Assert.Equal(TrialState.Complete, t.State));
        // navigation1 from skrl tags: success 0.85, fall 0.15, reward 8.5, length 850
        Assert.Equal(0.60 * 0.85 + 0.25 * 0.85 + 0.10 * 0.85 + 0.05 * 0.15, tb.BestScore!.Value, 5);
        await AutomlHarness.Run(_h.Settings("run-dir", "rd") with { HpTrials = 2 });
        var trials = _h.Read("rd").Trials;
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.All(trials, t => Assert.EndsWith(Path.Combine("seed_0", "chosen"), t.SeedRuns[0].RunDir));
    }

    internal static YamlMappingNode LoadYaml(string path)
    {
        var y = new YamlStream();
        y.Load(new StringReader(File.ReadAllText(path)));
        return (YamlMappingNode)y.Documents[0].RootNode;
    }
}
