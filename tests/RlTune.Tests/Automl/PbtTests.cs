using System.Text.Json.Nodes;
using RlTune.Numerics;
using RlTune.Search;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>Population-based training end to end with the fake trainer's "chain" mode, whose checkpoints list every run they continue.</summary>
public sealed class PbtTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private StudySettings Pbt(string mode = "chain", int population = 4, int generations = 3) => _h.Settings(mode) with
    {
        Mode = StudyMode.Pbt, Parallel = 2, Pbt = new PbtSettings { Population = population, Generations = generations },
    };

    /// <summary>The run tags the checkpoint of a trial's seed run lists: every run it continued, itself last.</summary>
    private static List<string> Chain(SeedRun run) =>
        JsonNode.Parse(File.ReadAllText(RunCheckpoints.Find(run.RunDir!)!))!["chain"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();

    [Fact]
    public async Task EachGenerationTheBottomCopiesATopCheckpointAndExploresWhileTheRestContinueTheirOwn()
    {
        var r = await AutomlHarness.Run(Pbt());
        Assert.StartsWith("completed: 12 trials", r.StopReason);
        var trials = _h.Read().Trials;
        var lineage = PbtLineage.Of(trials);
        Assert.Equal(12, lineage.Intervals.Count);
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        foreach (var g in new[] { 1, 2 })
        {
            var previous = lineage.Intervals.Where(i => i.Step.Generation == g - 1).ToDictionary(i => i.Step.Member);
            var ranked = previous.Values.OrderBy(i => i.Trial.Score).ToList();    // the objective is minimised
            var (best, worst) = (ranked[0], ranked[^1]);
            foreach (var i in lineage.Intervals.Where(i => i.Step.Generation == g))
            {
                var own = previous[i.Step.Member];
                if (i.Step.Member == worst.Step.Member)
                {
                    // population 4, quantile 0.25: the one worst copies the one best, and explores PPO parameters and reward weights
                    Assert.True(i.Step.Copied);
                    Assert.Equal(best.Step.Member, i.Step.ParentMember);
                    Assert.Equal(best.Trial.Number, i.Step.FromTrial);
                    Assert.NotEqual(best.Trial.Params["arrival_bonus"], i.Trial.Params["arrival_bonus"]);
                }
                else
                {
                    Assert.False(i.Step.Copied);
                    Assert.Equal(own.Trial.Number, i.Step.FromTrial);
                    Assert.Equal(own.Trial.Params, i.Trial.Params);
                }
                // the interval trained on from the checkpoint it continued: its chain is that checkpoint's plus itself
                var from = trials.Single(t => t.Number == i.Step.FromTrial);
                Assert.Equal(Chain(from.SeedRuns[0]).Append(Chain(i.Trial.SeedRuns[0])[^1]), Chain(i.Trial.SeedRuns[0]));
                Assert.Equal(g + 1.0, i.Trial.Metrics["chain_length"]);
                Assert.Equal(1000.0, i.Trial.Metrics["steps"]);     // one interval of steps_per_trial, none trained twice
            }
        }
        var yaml = File.ReadAllText(PbtMode.LineageFile(new StudyPaths(_h.Output, "s")));
        Assert.Contains("copied member", yaml);
        Assert.True(new FileInfo(Path.Combine(_h.Output, "s", "analysis", "pbt_population.png")).Length > 10_000);   // the report draws the population
        var bestFinal = lineage.Best(ObjectiveDirection.Minimize)!;
        Assert.Equal(2, bestFinal.Step.Generation);
        Assert.Equal(3, lineage.Chain(bestFinal.Trial.Number).Count);
        Assert.Equal(bestFinal.Trial.Score, r.BestScore);
    }

    [Fact]
    public async Task SeveralSeedsPerMemberEachContinueTheirOwnSeedsCheckpoint()
    {
        var r = await AutomlHarness.Run(Pbt(population: 2, generations: 2) with { SeedsPerTrial = 2 });
        Assert.StartsWith("completed: 4 trials", r.StopReason);
        var trials = _h.Read().Trials;
        foreach (var i in PbtLineage.Of(trials).Intervals.Where(i => i.Step.Generation == 1))
        {
            var from = trials.Single(t => t.Number == i.Step.FromTrial);
            Assert.Equal(2, i.Trial.SeedRuns.Count);
            for (var k = 0; k < 2; k++)
                Assert.Equal(Chain(from.SeedRuns[k]), Chain(i.Trial.SeedRuns[k]).SkipLast(1));
            Assert.Empty(i.Trial.SeedRuns.Select(s => s.Seed).Intersect(from.SeedRuns.Select(s => s.Seed)));   // fresh episodes each interval
        }
    }

    [Fact]
    public async Task AnInterruptedGenerationResumesWithNothingLostOrTrainedTwice()
    {
        using var cts = new CancellationTokenSource();
        var first = await new AutomlPipeline(Pbt("chain@0.3"), new CancelAfterTrialsFinish(5, cts)).RunAsync(cts.Token);
        Assert.StartsWith("interrupted by the user", first.StopReason);
        var before = _h.Read().Trials.Where(t => t.State == TrialState.Complete).ToDictionary(t => t.Number, t => t.Metrics["seed"]);
        Assert.InRange(before.Count, 5, 11);

        var again = await AutomlHarness.Run(Pbt() with { Resume = true });
        Assert.StartsWith("completed: 12 trials", again.StopReason);
        var trials = _h.Read().Trials;
        Assert.Equal(12, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        foreach (var (n, seed) in before) Assert.Equal(seed, trials.Single(t => t.Number == n).Metrics["seed"]);
        var intervals = PbtLineage.Of(trials).Intervals;
        Assert.Equal(12, intervals.Select(i => (i.Step.Generation, i.Step.Member)).Distinct().Count());
        Assert.All(intervals, i => Assert.Equal(i.Step.Generation + 1.0, i.Trial.Metrics["chain_length"]));
    }

    [Fact]
    public async Task TheBudgetsHardStopPausesTheRunningIntervalsSoResumeFinishesTheirGenerationWithoutFalseCopies()
    {
        // the first two intervals start (nothing tells how long one takes yet) and outlast the budget; the budget leaves
        // a cold, loaded start time to start both (0.5 s did not when this test ran first in its process)
        var first = await AutomlHarness.Run(Pbt("chain@8") with { BudgetHours = 2.0 / 3600 });
        Assert.StartsWith("hard stop at the budget limit", first.StopReason);
        var (_, before, attrs) = _h.Read();
        Assert.Equal(2, before.Count);
        Assert.All(before, t => Assert.Equal(TrialState.Waiting, t.State));
        Assert.All(before, t => Assert.Contains($"paused at the budget's hard limit in member {PbtStep.Parse(t.Origin)!.Member}'s interval 0", TrialStage.Of(t, attrs).Paused));

        var again = await AutomlHarness.Run(Pbt() with { Resume = true });
        Assert.StartsWith("completed: 12 trials", again.StopReason);
        var trials = _h.Read().Trials;
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        // the paused intervals ran again and ranked with the rest: each generation copies exactly the one bottom member (quantile 0.25 of 4)
        var intervals = PbtLineage.Of(trials).Intervals;
        foreach (var g in new[] { 1, 2 }) Assert.Equal(1, intervals.Count(i => i.Step.Generation == g && i.Step.Copied));
    }

    [Fact]
    public async Task StatusTheDashboardAndTheReportShowEachIntervalsMemberAndGeneration()
    {
        await AutomlHarness.Run(Pbt(population: 2, generations: 2));
        var trials = _h.Read().Trials;
        var json = JsonNode.Parse(_h.Cli("status", "--output", _h.Output, "--study", "s", "--json").Stdout)!;
        foreach (var i in PbtLineage.Of(trials).Intervals)
        {
            var stage = json["stages"]![i.Trial.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)]!;
            Assert.Equal(i.Step.Member, stage["pbt_member"]!.GetValue<int>());
            Assert.Equal(i.Step.Generation, stage["pbt_generation"]!.GetValue<int>());
            Assert.Equal(i.Step.Copied ? i.Step.ParentMember : null, stage["pbt_copied_member"]?.GetValue<int>());
        }
        Assert.Contains("schedule: population: 2 members, latest generation 1, 1 copies", _h.Cli("status", "--output", _h.Output, "--study", "s").Stdout);
        using var store = RlTune.Storage.StoreFactory.Open(null, _h.Output);
        var views = new RlTune.Dashboard.StudyReader(store, _h.Output, new RlTune.Dashboard.DashboardOptions { Output = _h.Output }).Trials("s", null);
        var copied = PbtLineage.Of(trials).Intervals.Single(i => i.Step.Copied);
        var view = views.Single(v => v.Number == copied.Trial.Number).Stage!;
        Assert.Equal($"member {copied.Step.Member}, generation 1, copied member {copied.Step.ParentMember}", view.Text);
        Assert.Equal((copied.Step.Member, 1, copied.Step.ParentMember), (view.PbtMember!.Value, view.PbtGeneration!.Value, view.PbtCopiedMember));
        Assert.Contains($"| member {copied.Step.Member}, generation 1, copied member", File.ReadAllText(Path.Combine(_h.Output, "s", "report.md")));
    }

    [Fact]
    public async Task AnExternalTrainerThatResumesIsToldToContinueToTheScheduleSoFar()
    {
        var r = await AutomlHarness.Run(Pbt(population: 2, generations: 2) with { TrainerResumes = true });
        Assert.StartsWith("completed: 4 trials", r.StopReason);
        var trials = _h.Read().Trials;
        foreach (var i in PbtLineage.Of(trials).Intervals)
        {
            var config = TrialConfig.Load(new StudyPaths(_h.Output, "s").ConfigFile(i.Trial.Number, i.Trial.Seed));
            Assert.Equal(i.Step.Generation == 1, config.Resume);
            Assert.Equal(1000L * (i.Step.Generation + 1), config.MaxEnvSteps);
            Assert.Null(config.GetLong("schedule_env_steps"));   // the built-in trainer's key, not told to others
        }
    }

    [Fact]
    public async Task ASearchedRewardIsRefusedAsTheRankingBecauseItsScaleDiffersByMember()
    {
        var e = await Assert.ThrowsAsync<UserError>(() => AutomlHarness.Run(Pbt() with { ObjectiveMetric = "episode_reward_mean", Direction = ObjectiveDirection.Maximize }));
        Assert.Equal("--objective: pbt ranks members whose reward weights differ, so their 'episode_reward_mean' values are not comparable; rank them by success_rate, the navigation1 score (the default) or another metric the weights do not scale.", e.Message);
    }

    [Fact]
    public async Task ATrainerThatLeavesNoCheckpointStopsTheStudyAndSaysWhy()
    {
        var r = await AutomlHarness.Run(Pbt("run-dir", population: 2, generations: 2));
        Assert.Contains("pbt continues members from their checkpoints, but trial", r.StopReason);
        Assert.Equal(2, _h.Read().Trials.Count);
    }

    [Fact]
    public void ExploreKeepsEveryValueInItsDomainAndTheContinuedRunsShape()
    {
        var space = SearchSpace.Parse("""
            search_space_id: explore
            ppo_params:
              learning_rate: { type: loguniform, low: 1.0e-5, high: 1.0e-3 }
              rollouts: { type: int, low: 16, high: 64, step: 8 }
              mini_batches: { type: choice, values: [2, 4, 8] }
              policy_hidden_layer_sizes: { type: categorical, choices: [[64, 64], [128, 64]] }
            reward_weights:
              fall_penalty: { type: uniform, low: -2.0, high: -0.1 }
            """, "explore.yaml");
        var population = new PbtPopulation(null!, 0, space, new PbtSettings(), ObjectiveDirection.Maximize, 0, 1, []);
        var parent = new Dictionary<string, object>
        {
            ["learning_rate"] = 1.0e-3, ["rollouts"] = 64L, ["mini_batches"] = 8L, ["policy_hidden_layer_sizes"] = new List<object> { 64L, 64L }, ["fall_penalty"] = -0.1,
        };
        var changed = new HashSet<string>();
        for (var k = 0; k < 200; k++)
        {
            var (child, _) = population.Explore(parent, Rng.For(0, k, 5));
            foreach (var p in space.Params) Assert.NotNull(p.Normalize(child[p.Name]));
            Assert.Equal(parent["policy_hidden_layer_sizes"], child["policy_hidden_layer_sizes"]);
            changed.UnionWith(child.Where(kv => ParamValues.Canonical(kv.Value) != ParamValues.Canonical(parent[kv.Key])).Select(kv => kv.Key));
        }
        Assert.Equal(["fall_penalty", "learning_rate", "mini_batches"], changed.Order());   // rollouts, like the network's shape, is the continued run's
        Assert.Equal(population.Explore(parent, Rng.For(3, 7, 5)).Params, population.Explore(parent, Rng.For(3, 7, 5)).Params);
    }

    [Theory]
    [InlineData("""{"schedule": {"steps": 5}}""", "c.json: field 'schedule' must be a list of intervals")]
    [InlineData("""{"schedule": [{"steps": 0}]}""", "c.json: field 'schedule[0].steps' must be a positive integer of env steps, got 0.")]
    [InlineData("""{"schedule": [{"steps": 5, "lr": 1}]}""", "c.json: unknown key 'schedule[0].lr'; expected steps, reward_scales or rl_overrides.")]
    [InlineData("""{"schedule": [{"steps": 5}, {"steps": 5, "reward_scales": {"fall": "x"}}]}""", "c.json: field 'schedule[1].reward_scales.fall' must be a finite number, got \"x\".")]
    public void ABadScheduleIsOneSentenceNamingTheInterval(string schedule, string expected)
    {
        var json = JsonNode.Parse(schedule)!.AsObject();
        json["env_name"] = "vbot-nav-lite";
        var e = Assert.Throws<UserError>(() => TrialConfig.Parse(json.ToJsonString(), "c.json"));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void AScheduleSurvivesTheRoundTripThroughJson()
    {
        var config = new TrialConfig
        {
            EnvName = "vbot-nav-lite",
            Schedule = [new ScheduleInterval(100, new Dictionary<string, double> { ["fall"] = -1.5 }, new Dictionary<string, object> { ["learning_rate"] = 3e-4 })],
        };
        var back = TrialConfig.Parse(config.ToJson(), "c.json");
        Assert.Equal(100, back.Schedule.Single().Steps);
        Assert.Equal(-1.5, back.Schedule[0].RewardScales["fall"]);
        Assert.Equal(3e-4, back.Schedule[0].RlOverrides["learning_rate"]);
    }

    /// <summary>Interrupts the study once this many trials have finished (the rest are mid-run or not started).</summary>
    private sealed class CancelAfterTrialsFinish(int count, CancellationTokenSource cts) : IStudyObserver
    {
        private int _finished;
        public void StudyStarted(string study, string description, int targetTrials, StudyBudget budget) { }
        public void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters) { }
        public void TrialProgress(int number, int seed, TrialProgress progress) { }
        public void TrialFinished(TrialRecord record, bool isBest)
        {
            if (Interlocked.Increment(ref _finished) == count) cts.Cancel();
        }
        public void Note(string message) { }
    }
}

/// <summary>PBT with the built-in trainer through the CLI: the study, export-best's schedule and train-one's replay of it.</summary>
public sealed class PbtCliTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void TheBuiltInTrainerContinuesCheckpointsAndTheExportedScheduleReplays()
    {
        var (code, stdout, stderr) = _h.Cli("automl", "--mode", "pbt", "--env", "vbot-nav-lite", "--preset", "nav_lite_rewards", "--steps", "512", "--num-envs", "16",
            "--population", "2", "--generations", "2", "--parallel", "2", "--threads-per-trial", "1", "--study", "p", "--output", _h.Output);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("completed: 4 trials", stdout);
        var trials = _h.Read("p").Trials;
        var copied = PbtLineage.Of(trials).Intervals.Single(i => i.Step.Generation == 1 && i.Step.Copied);
        var config = TrialConfig.Load(Path.Combine(_h.Output, "p", "configs", $"trial_{copied.Trial.Number:0000}_seed_{copied.Trial.Seed}.json"));
        var parent = trials.Single(t => t.Number == copied.Step.FromTrial);
        Assert.Equal(Path.Combine(parent.SeedRuns[0].RunDir!, "checkpoints", "final_agent.ckpt"), config.Checkpoint);
        // the built-in trainer continues the copied run: its counters, optimizer, LR schedule over the whole schedule, env state
        Assert.True(config.Resume);
        Assert.Equal(1024L, config.MaxEnvSteps);
        Assert.Equal(1024L, config.GetLong("schedule_env_steps"));
        Assert.Equal(parent.Metrics["train_env_steps"], copied.Trial.Metrics["train_resumed_from_env_steps"]);

        (code, stdout, stderr) = _h.Cli("export-best", "--study", "p", "--output", _h.Output, "--out", "best.json");
        Assert.True(code == 0, stdout + stderr);
        var exported = TrialConfig.Load(Path.Combine(_h.Root, "best.json"));
        Assert.Equal(2, exported.Schedule.Count);
        Assert.All(exported.Schedule, i => Assert.Equal(512, i.Steps));
        Assert.Equal(1024L, exported.MaxEnvSteps);
        Assert.Null(exported.Checkpoint);    // the replay starts where the study did, not from the checkpoint the member continued
        Assert.False(exported.Resume);

        (code, stdout, stderr) = _h.Cli("train-one", "--config", "best.json", "--threads", "1", "--env-threads", "1", "--eval-episodes", "2");
        Assert.True(code == 0, stdout + stderr);
        var runDir = stdout.Split('\n').First(l => l.StartsWith("PIPELINE_RUN_DIR=", StringComparison.Ordinal))["PIPELINE_RUN_DIR=".Length..].Trim();
        Assert.Contains($"interval 2 of 2: to 1024 env steps continuing {Path.Combine(runDir, "schedule", "interval_00", "checkpoints", "final_agent.ckpt")}", stdout);
        var replayed = MetricsReader.Read(runDir)!.Values;
        Assert.Equal(2, replayed["evaluation_episodes"]);
        var first = MetricsReader.Read(Path.Combine(runDir, "schedule", "interval_00"))!.Values;
        Assert.True(first["train_env_steps"] > 0);
        Assert.Equal(first["train_env_steps"], replayed["train_resumed_from_env_steps"]);   // the second interval continued the first
        Assert.True(File.Exists(Path.Combine(runDir, "checkpoints", "final_agent.ckpt")));
    }
}
