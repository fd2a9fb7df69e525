using System.Diagnostics;
using System.Text.Json.Nodes;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

public sealed class ModesTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task StageSearchesThenTrainsTheBestFullyAndExportsItsCheckpoint()
    {
        var r = await AutomlHarness.Run(_h.Settings() with { Mode = StudyMode.Stage, HpTrials = 3, FullTrainSteps = 5000 });
        Assert.Contains("completed: 3 trials; full training done", r.StopReason);
        var (_, trials, attrs) = _h.Read();
        var best = trials.MinBy(t => t.Score)!;
        var final = TrialConfig.Load(Path.Combine(_h.Output, "s", "configs", "final.json"));
        Assert.Equal(5000L, final.MaxEnvSteps);
        Assert.Equal(best.Params["x"], final.Params["x"]);
        Assert.Equal("done", attrs["final_status"]);
        var checkpoint = attrs["final_checkpoint"];
        Assert.Equal(Path.Combine(_h.Output, "s", "best_checkpoint.ckpt"), checkpoint);
        Assert.Contains("s_final", File.ReadAllText(checkpoint));
        Assert.Contains("final_checkpoint", File.ReadAllText(Path.Combine(_h.Output, "s", "state.yaml")));
    }

    [Fact]
    public async Task StageKeepsANonFiniteFinalMetricAsItWasNotAsZero()
    {
        var r = await AutomlHarness.Run(_h.Settings("nan-final") with { Mode = StudyMode.Stage, HpTrials = 2, FullTrainSteps = 2000 });
        Assert.Contains("full training failed: NaN or infinite metric: episode_reward_mean", r.StopReason);
        var metrics = System.Text.Json.Nodes.JsonNode.Parse(_h.Read().Attrs["final_metrics"])!.AsObject();
        Assert.Equal("Infinity", metrics["episode_reward_mean"]!.GetValue<string>());
        Assert.True(metrics["success_rate"]!.GetValue<double>() > 0);
    }

    [Fact]
    public async Task FullRunsTheCurriculumWarmStartingEachStageFromThePreviousCheckpoint()
    {
        JsonObject Ring(double a, double b) => new() { ["spawn_ring"] = new JsonArray(a, b) };
        var s = _h.Settings() with
        {
            Mode = StudyMode.Full, HpTrials = 2, FullTrainSteps = 2000,
            Stages = [new CurriculumStage("near", Ring(2, 5), 0.0), new CurriculumStage("far", Ring(5, 8), 0.0)],
        };
        var r = await AutomlHarness.Run(s);
        Assert.Equal("curriculum finished: every stage promoted", r.StopReason);
        var parent = _h.Read().Attrs;
        Assert.Equal("promoted", parent["stage_1_status"]);
        Assert.Equal("promoted", parent["stage_2_status"]);
        var stage1 = Path.Combine(_h.Output, "s-stage1-near");
        var stage2 = Path.Combine(_h.Output, "s-stage2-far");
        var c1 = TrialConfig.Load(Path.Combine(stage1, "configs", "trial_0000_seed_0.json"));
        var c2 = TrialConfig.Load(Path.Combine(stage2, "configs", "trial_0000_seed_0.json"));
        Assert.Equal(5.0, c1.EnvOverrides["spawn_ring"]![1]!.GetValue<double>());
        Assert.Null(c1.Checkpoint);
        Assert.Equal(8.0, c2.EnvOverrides["spawn_ring"]![1]!.GetValue<double>());
        Assert.Equal(Path.Combine(stage1, "best_checkpoint.ckpt"), c2.Checkpoint);   // warm start from stage 1
        Assert.Equal(2, _h.Read("s-stage2-far").Trials.Count);
        Assert.Equal(Path.Combine(stage2, "best_checkpoint.ckpt"), parent["final_checkpoint"]);
    }

    [Fact]
    public async Task StageThatMissesItsThresholdStopsTheCurriculumAndSaysWhy()
    {
        var s = _h.Settings() with
        {
            Mode = StudyMode.Full, HpTrials = 1, FullTrainSteps = 1000, StageAttempts = 2, ObjectiveMetric = null, Direction = null,
            Stages = [new CurriculumStage("impossible", [], 1.0), new CurriculumStage("never", [], 0.0)],
        };
        var r = await AutomlHarness.Run(s);
        Assert.Equal("stage 1 (impossible) did not reach success 1 in 2 attempts", r.StopReason);
        Assert.Equal(2, _h.Read("s-stage1-impossible").Trials.Count);  // the second attempt searched on
        using var store = RlTune.Storage.StoreFactory.Open(null, _h.Output);
        Assert.Null(store.FindStudy("s-stage2-never"));
    }

    [Fact]
    public async Task EvalRunsTheConfigurationOverSeveralSeeds()
    {
        var seedFile = _h.WriteFile("cfg.json", """{"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.3}}""");
        var r = await AutomlHarness.Run(_h.Settings() with { Mode = StudyMode.Eval, SeedsPerTrial = 3, SeedConfigs = [seedFile], EvalEpisodes = 7 });
        Assert.StartsWith("evaluated over 3 of 3 seeds: score ", r.StopReason);
        Assert.Equal(0.01, r.BestScore!.Value, 9);   // loss 0 at x = 0.3, lr 10^-3.7, bonus 0.3; + 0.01 x mean seed 1
        var summary = File.ReadAllText(Path.Combine(_h.Output, "s", "eval", "summary.yaml"));
        Assert.Contains("succeeded: 3", summary);
        var config = TrialConfig.Load(Path.Combine(_h.Output, "s", "configs", "eval_seed_2.json"));
        Assert.Equal(7L, config.GetLong("eval_episodes"));
        Assert.Null(config.GetBool("eval_only"));       // no checkpoint: train then evaluate
    }

    [Fact]
    public async Task CompareTakesEvaluationsOverSeedsBesideTrials()
    {
        // two configurations re-trained on the same three seeds by --mode eval, and a search trial
        var near = _h.WriteFile("near.json", """{"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.3}}""");
        var far = _h.WriteFile("far.json", """{"params": {"learning_rate": 0.00019952623149688788, "x": 0.9, "arrival_bonus": 0.3}}""");
        await AutomlHarness.Run(_h.Settings(study: "near") with { Mode = StudyMode.Eval, SeedsPerTrial = 3, SeedConfigs = [near] });
        await AutomlHarness.Run(_h.Settings(study: "far") with { Mode = StudyMode.Eval, SeedsPerTrial = 3, SeedConfigs = [far] });
        await AutomlHarness.Run(_h.Settings(study: "s") with { HpTrials = 1, SeedConfigs = [near], SeedsPerTrial = 3 });

        var eval = EvalSummary.Load(EvalSummary.FileOf(_h.Output, "far"));
        Assert.Equal([0, 1, 2], eval.Runs.Select(r => r.Seed));
        Assert.Equal(0.9, eval.Params["x"]);
        Assert.All(eval.Runs, r => Assert.True(r.Score > 0.3));   // the fake trainer's loss (x - 0.3)^2 + ..., minimised

        var (code, stdout, stderr) = _h.Cli("compare", "--output", _h.Output, "near", "far:eval", "s:0");
        Assert.True(code == 0, stderr);
        Assert.Contains("near (eval)", stdout);
        Assert.Contains("far (eval)", stdout);
        Assert.Contains("s:0", stdout);
        Assert.Contains("Against near (eval): two-sided p-values", stdout);
        Assert.Contains("± 0.01 (3)", stdout);   // near's score: 0.01 x seed over seeds 0-2
        Assert.DoesNotContain("No significance test", stdout);
        var json = JsonNode.Parse(_h.Cli("compare", "--output", _h.Output, "near:eval", "far", "--json").Stdout)!;
        var score = json["metrics"]!.AsArray().First(m => m!["metric"]!.GetValue<string>() == "score")!;
        Assert.True(score["tests_against_first"]![1]!["welch_p"]!.GetValue<double>() < 0.001);   // 0.36 apart, std 0.01
        Assert.Equal(["x"], json["params"]!.AsArray().Where(p => p!["differs"]!.GetValue<bool>()).Select(p => p!["parameter"]!.GetValue<string>()));

        var missing = _h.Cli("compare", "--output", _h.Output, "near", "s:eval");
        Assert.Equal(1, missing.Code);
        Assert.Contains("study 's' has no evaluation", missing.Stderr);
    }

    [Fact]
    public async Task ComparePoolsEvaluationsOfOneConfigurationRunAsSeparateStudies()
    {
        // one configuration evaluated as three one-seed studies side by side is one side of three seeds
        var near = _h.WriteFile("near.json", """{"params": {"learning_rate": 0.00019952623149688788, "x": 0.3, "arrival_bonus": 0.3}}""");
        var far = _h.WriteFile("far.json", """{"params": {"learning_rate": 0.00019952623149688788, "x": 0.9, "arrival_bonus": 0.3}}""");
        foreach (var seed in new[] { 0, 1, 2 })
            await AutomlHarness.Run(_h.Settings(study: $"near-s{seed}") with { Mode = StudyMode.Eval, SeedsPerTrial = 1, Seed = seed, SeedConfigs = [near] });
        await AutomlHarness.Run(_h.Settings(study: "far") with { Mode = StudyMode.Eval, SeedsPerTrial = 3, SeedConfigs = [far] });

        var (code, stdout, stderr) = _h.Cli("compare", "--output", _h.Output, "near-s0+near-s1:eval+near-s2", "far");
        Assert.True(code == 0, stderr);
        Assert.Contains("near-s0+near-s1+near-s2 (eval)", stdout);
        Assert.Contains("± 0.01 (3)", stdout);   // near's score: 0.01 x seed over seeds 0-2, pooled
        Assert.DoesNotContain("No significance test", stdout);

        var mixed = _h.Cli("compare", "--output", _h.Output, "near-s0+far", "near-s1");
        Assert.Equal(1, mixed.Code);
        Assert.Contains("studies 'near-s0' and 'far' evaluated different configurations ('x' differs)", mixed.Stderr);
        var twice = _h.Cli("compare", "--output", _h.Output, "near-s0+near-s0", "far");
        Assert.Equal(1, twice.Code);
        Assert.Contains("seed 0 was evaluated in more than one of these studies", twice.Stderr);
    }

    [Fact]
    public void AnEvalSummaryThatIsNotOneIsNamedInOneSentence()
    {
        var file = _h.WriteFile("runs/x/eval/summary.yaml", "evaluated: something\nruns:\n  - score: 0.5\n");
        var e = Assert.Throws<UserError>(() => EvalSummary.Load(file));
        Assert.Equal($"{file}: runs[1]: expected a mapping with an integer seed.", e.Message);
    }

    [Fact]
    public async Task EvalEndsATrainerAnInterruptedRunLeftInItsRunDirBeforeRunningAgain()
    {
        // trials, the full training and eval runs all go through SeedRunner, so eval too ends an orphaned trainer first
        var runDir = Path.Combine(_h.Output, "s", "eval", "seed_7");
        Directory.CreateDirectory(runDir);
        using var orphan = Process.Start(new ProcessStartInfo("sleep", "300"))!;
        File.WriteAllText(Path.Combine(runDir, TrialRunner.PidFile), $"{orphan.Id} {ProcessTree.StartTicks(orphan.Id)}");
        try
        {
            var r = await AutomlHarness.Run(_h.Settings() with { Mode = StudyMode.Eval, Seed = 7, SeedsPerTrial = 1 });
            Assert.StartsWith("evaluated over 1 of 1 seeds", r.StopReason);
            Assert.True(orphan.WaitForExit(10_000), "the trainer left in eval/seed_7 still runs");
        }
        finally
        {
            if (!orphan.HasExited) orphan.Kill();
        }
    }
}
