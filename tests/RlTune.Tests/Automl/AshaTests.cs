using System.Text.Json.Nodes;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>ASHA and Hyperband studies on the fake trainer that resumes (fake_trainer.py rungs): 1000 -> 3000 -> 9000 env steps.</summary>
public sealed class AshaTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    // value (minimised) = the distance of x, learning rate and arrival_bonus from 0.3 + 1000 / steps: trial 0 is best,
    // trial 1 worse, trial 2 worse again, trial 3 between 0 and 1, trial 4 the best of all
    private const string Configs = """
        [{"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.35}},
         {"params": {"learning_rate": 0.00019952623149688788, "x": 0.5, "arrival_bonus": 0.5}},
         {"params": {"learning_rate": 0.00019952623149688788, "x": 0.7, "arrival_bonus": 0.7}},
         {"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.45}},
         {"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.3}}]
        """;

    private StudySettings Settings(PrunerKind pruner, string mode = "rungs", int trials = 5) => _h.Settings(mode) with
    {
        HpTrials = trials, SeedConfigs = [_h.WriteFile("configs.json", new JsonArray(JsonNode.Parse(Configs)!.AsArray().Take(trials).Select(c => c!.DeepClone()).ToArray()).ToJsonString())], Pruner = pruner, StepsPerTrial = 9000, MinRungSteps = 1000,
        TrainerResumes = true, SeedsPerTrial = 2,
    };

    /// <summary>Makes the fake trainer's pieces to 9000 steps hang until killed (the file beside the study's configs); returns the configs dir and the file.</summary>
    private (string Configs, string Hang) HangAt9000()
    {
        var configs = Path.Combine(_h.Output, "s", "configs");
        Directory.CreateDirectory(configs);
        var hang = Path.Combine(configs, "hang_at_9000");
        File.WriteAllText(hang, "");
        return (configs, hang);
    }

    private static JsonObject Metrics(string runDir) => JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "metrics.json")))!.AsObject();

    [Fact]
    public async Task PromotedTrialsContinueFromTheirRungCheckpointAndTheRestStopAtTheirRung()
    {
        var r = await AutomlHarness.Run(Settings(PrunerKind.Asha));
        Assert.Equal("completed: 5 trials", r.StopReason);
        var (_, trials, attrs) = _h.Read();
        // 0, alone at every rung, goes on; 1, 2 and 3 trail it at 1000 steps (fewer than 6 at the rung: only the best goes on); 4 beats everyone
        Assert.Equal([TrialState.Complete, TrialState.Pruned, TrialState.Pruned, TrialState.Pruned, TrialState.Complete], trials.Select(t => t.State));
        Assert.StartsWith("stopped at rung 1k: ", trials[1].Error);
        Assert.Contains("is not among the best 1 of 2 at this rung", trials[1].Error);
        foreach (var t in trials.Where(t => t.State == TrialState.Complete))
        {
            Assert.Equal(2, t.SeedRuns.Count);
            foreach (var run in t.SeedRuns)
            {
                var m = Metrics(run.RunDir!);
                // continued from 3000 steps, which continued from 1000: every step trained once
                Assert.Equal(9000, m["steps"]!.GetValue<int>());
                Assert.Equal(3000, m["resumed_from"]!.GetValue<int>());
                Assert.Equal(9000, m["trained_env_steps"]!.GetValue<int>());
            }
            Assert.Equal("1k from step 0, 3k continued from 1k, 9k continued from 3k", TrialNotes.Get(attrs, t.Number, TrialNotes.RungPieces));
        }
        // the pruned trials trained 1000 steps per seed and no more
        Assert.All(trials.Where(t => t.State == TrialState.Pruned).SelectMany(t => t.SeedRuns), run => Assert.EndsWith("rung_0", run.RunDir));
        var state = File.ReadAllText(Path.Combine(_h.Output, "s", "state.yaml"));
        Assert.Contains("asha: rungs 1k -> 3k -> 9k env steps, reduction factor 3, judged on the objective's score", state);
        Assert.Contains("promoted trials continue from their rung checkpoint", state);
    }

    [Fact]
    public async Task ATrainerThatCannotResumeRestartsWithTheLargerBudgetAndTheStudySaysSo()
    {
        var r = await AutomlHarness.Run(Settings(PrunerKind.Asha, trials: 2) with { TrainerResumes = false });
        Assert.Equal("completed: 2 trials", r.StopReason);
        var (_, trials, attrs) = _h.Read();
        var run = trials[0].SeedRuns[0];
        var m = Metrics(run.RunDir!);
        Assert.Equal(0, m["resumed_from"]!.GetValue<int>());
        Assert.Equal(9000, m["trained_env_steps"]!.GetValue<int>());
        Assert.Equal("1k from step 0, 3k from step 0, 9k from step 0", TrialNotes.Get(attrs, 0, TrialNotes.RungPieces));
        Assert.Contains("restart with the larger budget (the trainer does not resume)", File.ReadAllText(Path.Combine(_h.Output, "s", "state.yaml")));
    }

    [Fact]
    public async Task HyperbandStartsTrialsAtTheRungsOfTheirBrackets()
    {
        // two slots at once: each bracket's first trial goes on whatever the order
        await AutomlHarness.Run(Settings(PrunerKind.Hyperband, trials: 3) with { SeedsPerTrial = 1, Parallel = 2 });
        var (_, trials, attrs) = _h.Read();
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.All(trials, t => Assert.Equal(9000, Metrics(t.SeedRuns.Single().RunDir!)["trained_env_steps"]!.GetValue<int>()));
        // trial 1 starts at 3000 steps (bracket 1), trial 2 at 9000 (bracket 2: plain training)
        Assert.StartsWith("3k from step 0", TrialNotes.Get(attrs, 1, TrialNotes.RungPieces));
        Assert.Equal("9k from step 0", TrialNotes.Get(attrs, 2, TrialNotes.RungPieces));
        Assert.Equal(TrialState.Complete, trials[2].State);
    }

    [Fact]
    public async Task AnInterruptedStudyResumesItsHalfFinishedRungWithoutTrainingAnyPieceTwice()
    {
        // trial 0's pieces to 9000 steps hang until the study is interrupted (a kill of the orchestrator, as far as the trial knows)
        var (configs, hang) = HangAt9000();
        using var stop = new CancellationTokenSource();
        var settings = Settings(PrunerKind.Asha, trials: 1) with { SeedsPerTrial = 1 };
        var running = AutomlHarness.Run(settings, stop.Token);
        var lastPiece = Path.Combine(_h.Output, "s", "trials", "trial_0000", "seed_0", "rung_2");
        while (!File.Exists(Path.Combine(configs, "trial_0000_seed_0_rung_2.json")) && !running.IsCompleted) await Task.Delay(100);
        stop.Cancel();
        await running;
        var seedDir = Path.GetDirectoryName(lastPiece)!;
        var firstPieces = new[] { 0, 1 }.Select(k => File.GetLastWriteTimeUtc(RungSegment.FileOf(seedDir, k))).ToList();
        Assert.Null(RungSegment.Read(seedDir, 2));

        File.Delete(hang);
        var r = await AutomlHarness.Run(settings with { Resume = true });
        Assert.Equal("completed: 1 trials", r.StopReason);
        var (study, trials, _) = _h.Read();
        Assert.Equal(TrialState.Complete, trials[0].State);
        var m = Metrics(trials[0].SeedRuns[0].RunDir!);
        Assert.Equal(3000, m["resumed_from"]!.GetValue<int>());
        Assert.Equal(9000, m["trained_env_steps"]!.GetValue<int>());
        Assert.Equal(firstPieces, new[] { 0, 1 }.Select(k => File.GetLastWriteTimeUtc(RungSegment.FileOf(seedDir, k))));
        // the re-run trained only the last piece: its ten progress lines, all past 3000 steps
        using var store = StoreFactory.Open(null, _h.Output);
        var success = store.GetIntermediateMetrics(study.Id, "success");
        Assert.Equal(10, success.Count);
        Assert.All(success, v => Assert.True(v.Step > 3000));
    }

    [Fact]
    public async Task TheBudgetsHardStopPausesATrialAtItsRungAndResumeContinuesItWithNothingTrainedTwice()
    {
        // the piece to 9000 steps hangs, so the budget's hard limit falls in it (or, on a slow machine, in an earlier piece)
        var (_, hang) = HangAt9000();
        var settings = Settings(PrunerKind.Asha, trials: 1) with { SeedsPerTrial = 1 };
        var first = await AutomlHarness.Run(settings with { BudgetHours = 6.0 / 3600 });
        Assert.StartsWith("hard stop at the budget limit", first.StopReason);
        var (_, trials, attrs) = _h.Read();
        Assert.Equal(TrialState.Waiting, trials[0].State);   // paused, not pruned: its finished pieces are kept for --resume
        var stage = TrialStage.Of(trials[0], attrs);
        Assert.StartsWith("paused at the budget's hard limit in its piece to rung ", stage.Paused);
        var seedDir = Path.Combine(_h.Output, "s", "trials", "trial_0000", "seed_0");
        var finished = Enumerable.Range(0, 3).Where(k => File.Exists(RungSegment.FileOf(seedDir, k))).ToDictionary(k => k, k => File.GetLastWriteTimeUtc(RungSegment.FileOf(seedDir, k)));
        Assert.Equal(stage.Rung!.Rung, finished.Count);   // it paused in the piece after its last finished one
        var status = _h.Cli("status", "--output", _h.Output, "--study", "s").Stdout;
        Assert.Contains($"paused: trial 0 (rung {stage.Rung.Rung + 1}/3 (", status);
        Assert.Contains("1 paused by the budget (--resume continues them)", status);
        Assert.Contains("## Paused trials", File.ReadAllText(Path.Combine(_h.Output, "s", "report.md")));

        File.Delete(hang);
        var r = await AutomlHarness.Run(settings with { Resume = true });
        Assert.Equal("completed: 1 trials", r.StopReason);
        (_, trials, attrs) = _h.Read();
        Assert.Equal(TrialState.Complete, trials[0].State);
        var m = Metrics(trials[0].SeedRuns[0].RunDir!);
        Assert.Equal(9000, m["trained_env_steps"]!.GetValue<int>());   // every step trained once over both runs
        foreach (var (k, written) in finished) Assert.Equal(written, File.GetLastWriteTimeUtc(RungSegment.FileOf(seedDir, k)));
        var rung = TrialStage.Of(trials[0], attrs).Rung!;
        Assert.Equal((2, 9000L, 0), (rung.Rung, rung.Steps, rung.Bracket));
        Assert.Equal([1000L, 3000, 9000], rung.Ladder);
        Assert.Null(TrialStage.Of(trials[0], attrs).Paused);
        var json = JsonNode.Parse(_h.Cli("status", "--output", _h.Output, "--study", "s", "--json").Stdout)!;
        Assert.Equal(3, json["stages"]!["0"]!["rung"]!.GetValue<int>());
        Assert.Equal(9000, json["stages"]!["0"]!["rung_steps"]!.GetValue<long>());
        Assert.Null(json["stages"]!["0"]!["paused"]);
    }

    [Fact]
    public async Task UnderABudgetATrialStartsWhenItsFirstRungFits()
    {
        // each piece takes 0.6 s on the study's clock: trial 0 climbs the ladder in 1.8 s (a whole trial is then expected to take
        // 2.16 s, its first rung a ninth of that); trial 1 starts in the 0.7 s left and stops at its first rung; 0.1 s fits no rung
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var r = await AutomlHarness.Run(Settings(PrunerKind.Asha) with { SeedsPerTrial = 1, BudgetHours = 2.5 / 3600 },
            clock: clock, observer: new FailureAndBudgetTests.TrialTakes(clock, TimeSpan.FromSeconds(0.6)));
        Assert.StartsWith("budget: 0.0 min left, a trial's first rung takes about 0.0 min", r.StopReason);
        // the other enqueued configurations never started
        Assert.Equal([TrialState.Complete, TrialState.Pruned, TrialState.Waiting, TrialState.Waiting, TrialState.Waiting], _h.Read().Trials.Select(t => t.State));
    }

    [Fact]
    public async Task ExportBestWritesTheBestTrialsFirstPieceTrainedStraightToItsLastRung()
    {
        await AutomlHarness.Run(Settings(PrunerKind.Asha, trials: 1) with { SeedsPerTrial = 1, EnvOverrides = new JsonObject { ["spawn_ring"] = new JsonArray(8, 11) } });
        var out_ = Path.Combine(_h.Root, "best.json");
        Assert.Equal(0, _h.Cli("export-best", "--output", _h.Output, "--study", "s", "--out", out_).Code);
        var config = TrialConfig.Load(out_);
        // the study's env and steps as the trial ran them, and no rung checkpoint to continue: a re-training from scratch
        Assert.Equal(9000L, config.MaxEnvSteps);
        Assert.Equal("[8,11]", config.EnvOverrides["spawn_ring"]!.ToJsonString());
        Assert.Null(config.Checkpoint);
        Assert.False(config.Resume);
    }

    [Fact]
    public async Task StatusAndTheReportShowEachTrialsRung()
    {
        await AutomlHarness.Run(Settings(PrunerKind.Asha));
        var (_, trials, attrs) = _h.Read();
        Assert.Equal(["rung 3/3 (9k)", "rung 1/3 (1k)", "rung 1/3 (1k)", "rung 1/3 (1k)", "rung 3/3 (9k)"], trials.Select(t => TrialStage.Of(t, attrs).Text));
        var status = _h.Cli("status", "--output", _h.Output, "--study", "s").Stdout;
        Assert.Contains("schedule: trials that reached each rung: 1k 5, 3k 2, 9k 2", status);
        Assert.Contains("pruned: trial 1 (rung 1/3 (1k)): stopped at rung 1k: ", status);
        var report = File.ReadAllText(Path.Combine(_h.Output, "s", "report.md"));
        Assert.Contains("| origin | stage | seconds |", report);
        Assert.Contains("| rung 3/3 (9k) |", report);
        Assert.Contains("- trial 1 (pruned, rung 1/3 (1k)): stopped at rung 1k", report);
    }
}

/// <summary>ASHA with the built-in trainer on vbot-nav-lite, and the settings' guard rails.</summary>
public sealed class BuiltInAshaTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private const string Space = """
        search_space_id: nav_asha
        ppo_params:
          learning_rate: { type: loguniform, low: 1.0e-4, high: 1.0e-3 }
          rollouts: { type: choice, values: [16, 32] }
          mini_batches: { type: choice, values: [4, 8] }
        reward_weights:
          arrival_bonus: { type: uniform, low: 0.0, high: 1.0 }
        """;

    private StudySettings BuiltInSettings() => _h.Settings(space: _h.WriteFile("nav.yaml", Space)) with
    {
        Env = "vbot-nav-lite", TrainerCommand = null, ObjectiveMetric = null, Direction = null, NumEnvs = 16, ThreadsPerTrial = 1,
        HpTrials = 1, StepsPerTrial = 9 * 256, MinRungSteps = 256, Pruner = PrunerKind.Asha,
        SeedConfigs = [_h.WriteFile("c.json", """[{"params": {"learning_rate": 0.0003, "rollouts": 16, "mini_batches": 4, "arrival_bonus": 0.5}}]""")],
    };

    [Fact]
    public async Task TheBuiltInTrainerContinuesEachRungExactlyWhereTheLastStopped()
    {
        var r = await AutomlHarness.Run(BuiltInSettings());
        Assert.Equal("completed: 1 trials", r.StopReason);
        var (_, trials, attrs) = _h.Read();
        var run = trials.Single().SeedRuns.Single();
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(run.RunDir!, "metrics.json")))!.AsObject();
        Assert.Equal(768, m["train_resumed_from_env_steps"]!.GetValue<long>());
        Assert.True(m["train_env_continued"]!.GetValue<bool>());
        var final = RlTune.Learning.Checkpoint.Load(Path.Combine(run.RunDir!, "checkpoints", "final_agent.ckpt"));
        Assert.Equal(9 * 256, final.Progress!.EnvSteps);
        Assert.Equal(9, final.Progress.Updates);
        // the pieces' linear entropy schedule spans the whole ladder (nav-lite's default scheduler)
        Assert.Equal(9 * 256, final.Config.ScheduleEnvSteps);
        Assert.Equal("256 from step 0, 768 continued from 256, 2304 continued from 768", TrialNotes.Get(attrs, 0, TrialNotes.RungPieces));
    }

    [Fact]
    public async Task APieceKilledPartWayContinuesFromItsNewestIntervalCheckpointToTheSameResult()
    {
        var settings = BuiltInSettings();
        await AutomlHarness.Run(settings);
        var seedDir = Path.Combine(_h.Output, "s", "trials", "trial_0000", "seed_0");
        var checkpoints = Path.Combine(seedDir, "rung_2", "checkpoints");
        var straight = RlTune.Learning.Checkpoint.Load(Path.Combine(checkpoints, "final_agent.ckpt"));
        // as a kill -9 after the interval checkpoint at 1536 steps leaves it: no marker, no final checkpoint, a new store
        File.Delete(RungSegment.FileOf(seedDir, 2));
        foreach (var name in new[] { "final_agent.ckpt", "best_agent.ckpt", "agent_2048.ckpt", "agent_2304.ckpt" }) File.Delete(Path.Combine(checkpoints, name));
        Assert.True(File.Exists(Path.Combine(checkpoints, "agent_1536.ckpt")));
        foreach (var db in Directory.GetFiles(_h.Output, "rltune.db*")) File.Delete(db);

        var r = await AutomlHarness.Run(settings);
        Assert.Equal("completed: 1 trials", r.StopReason);
        var (_, _, attrs) = _h.Read();
        Assert.Equal("256 from step 0, 768 continued from 256, 2304 continued from 1536", TrialNotes.Get(attrs, 0, TrialNotes.RungPieces));
        var resumed = RlTune.Learning.Checkpoint.Load(Path.Combine(checkpoints, "final_agent.ckpt"));
        Assert.Equal(straight.Model.Parameters.Span.ToArray(), resumed.Model.Parameters.Span.ToArray());
        Assert.Equal(straight.Progress, resumed.Progress);
    }

    [Fact]
    public void RungsNeverJudgeOnRewardAloneWhenRewardWeightsAreSearched()
    {
        var s = new StudySettings { Pruner = PrunerKind.Asha, StepsPerTrial = 9000, ObjectiveMetric = "episode_reward_mean", Direction = RlTune.Search.ObjectiveDirection.Maximize };
        var notes = new List<string>();
        Assert.Equal("success_rate", s.BuildRungSettings(searchesRewardWeights: true, notes.Add)!.JudgeMetric);
        Assert.Contains("rungs judge on success_rate, not episode_reward_mean", notes.Single());
        Assert.Null(s.BuildRungSettings(searchesRewardWeights: false)!.JudgeMetric);
        Assert.Null((s with { ObjectiveMetric = null, Direction = null }).BuildRungSettings(true)!.JudgeMetric);
        var e = Assert.Throws<UserError>(() => (s with { PruningMetric = "train_episode_reward_mean" }).BuildRungSettings(true));
        Assert.StartsWith("pruner.metric (--pruning-metric): 'train_episode_reward_mean' is a training reward", e.Message);
        Assert.Equal([1000L, 3000L, 9000L], s.BuildRungSettings(false)!.Ladder);
        Assert.Null((s with { Pruner = PrunerKind.Median }).BuildRungSettings(false));
    }
}
