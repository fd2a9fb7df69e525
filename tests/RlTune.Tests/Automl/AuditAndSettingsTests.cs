using RlTune.Envs;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

public sealed class AuditAndSettingsTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void AStudyNamingNoSpaceOrStepsStartsFromTheEnvsOwnSpaceWhichPassesTheAudit()
    {
        var s = new StudySettings { Mode = StudyMode.Stage, BudgetHours = 12, HpTrials = 8 };
        Assert.Equal("nav_lite_rewards", s.DefaultPreset);
        Assert.Equal(10_000_000L, s.StepsPerTrial);
        Assert.Equal(10_000_000L, s.FullTrainSteps);
        var space = RlTune.Search.Presets.Resolve(s.DefaultPreset);
        var defaults = space.ToTrialSections(space.Defaults()).RewardScales.ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value)!.Value);
        var finding = RewardBudgetAudit.ForEnv(s.Env, s.EnvOverrides, null)!.Check(defaults);
        Assert.True(finding.Passed, finding.Message);
        // given values win, and an env without defaults keeps the general ones
        Assert.Equal(5000L, (s with { StepsPerTrial = 5000 }).StepsPerTrial);
        Assert.Equal(200_000L, new StudySettings { Env = "fake-env" }.StepsPerTrial);
        Assert.Equal("full_unified", new StudySettings { Env = "fake-env" }.DefaultPreset);
    }

    [Fact]
    public void AStudyOnTheFullBodyStartsFromItsOwnSpaceAndMotrixLabsStepBudgets()
    {
        var s = new StudySettings { Env = "vbot-nav", Mode = StudyMode.Stage };
        Assert.Equal("vbot_nav_rewards", s.DefaultPreset);
        Assert.Equal(10_000_000L, s.StepsPerTrial);
        Assert.Equal(20_000_000L, s.FullTrainSteps);
        var space = RlTune.Search.Presets.Resolve(s.DefaultPreset);
        Assert.All(space.ToTrialSections(space.Defaults()).RewardScales.Keys, name => Assert.Contains(name, RlTune.Envs.VbotNav.VbotNavTerms.Names));
    }

    private static readonly RewardTermInfo[] Terms =
    [
        new("arrival_bonus", RewardTermKind.OneTime, 50, 1, "arrival", ""),
        new("position_tracking", RewardTermKind.PerStepPositive, 0.5, 1, "navigation", ""),
        new("forward_velocity", RewardTermKind.PerStepPositive, 0.5, 2, "navigation", ""),
        new("termination", RewardTermKind.Penalty, -100, 1, "safety", ""),
    ];

    [Fact]
    public void AuditComparesArrivalWithPerStepBonusesOverAnEpisode()
    {
        var audit = new RewardBudgetAudit(Terms, EpisodeLength: 100);
        var defaults = audit.Check(new Dictionary<string, double>());
        Assert.False(defaults.Passed);                        // 50 vs (0.5 + 1.0) x 100 = 150
        Assert.Equal(150, defaults.PerStepPerEpisode, 9);
        Assert.Contains("forward_velocity 1/step", defaults.Message);
        var fixedWeights = audit.Check(new Dictionary<string, double> { ["arrival_bonus"] = 200, ["forward_velocity"] = 0.1 });
        Assert.True(fixedWeights.Passed);                     // 200 vs (0.5 + 0.2) x 100 = 70
        Assert.Equal(70, fixedWeights.PerStepPerEpisode, 9);
        // penalties and negative weights never count as pay
        Assert.True(audit.Check(new Dictionary<string, double> { ["position_tracking"] = -5, ["forward_velocity"] = 0 }).Passed);
    }

    [Fact]
    public void ATermPaidOnlyOnSomeStepsCountsForThoseStepsOnly()
    {
        RewardTermInfo[] terms =
        [
            new("arrival_bonus", RewardTermKind.OneTime, 50, 1, "arrival", ""),
            new("position_tracking", RewardTermKind.PerStepPositive, 0.1, 1, "navigation", ""),
            new("stop_scale", RewardTermKind.PerStepPositive, 0.5, 1, "stopping", "", MaxStepsPerEpisode: 20),
        ];
        var finding = new RewardBudgetAudit(terms, EpisodeLength: 100).Check(new Dictionary<string, double>());
        Assert.Equal(0.1 * 100 + 0.5 * 20, finding.PerStepPerEpisode, 9);   // not (0.1 + 0.5) x 100 = 60
        Assert.True(finding.Passed);
        // never more steps than the episode has
        Assert.Equal(0.1 * 10 + 0.5 * 10, new RewardBudgetAudit(terms, EpisodeLength: 10).Check(new Dictionary<string, double>()).PerStepPerEpisode, 9);
    }

    [Fact]
    public void ATermWhoseEpisodeSumIsBoundedCountsForNoMoreThanThatBound()
    {
        RewardTermInfo[] terms =
        [
            new("arrival_bonus", RewardTermKind.OneTime, 50, 1, "arrival", ""),
            // 2.5 per step at most, but its sum over an episode is at most 11 (a distance walked toward the target)
            new("forward_velocity", RewardTermKind.PerStepPositive, 0.1, 2.5, "navigation", "", MaxRawPerEpisode: 11),
        ];
        var audit = new RewardBudgetAudit(terms, EpisodeLength: 1000);
        Assert.Equal(0.1 * 11, audit.Check(new Dictionary<string, double>()).PerStepPerEpisode, 9); // not 0.1 x 2.5 x 1000 = 250
        // a short episode pays less than the bound: the per-step bound wins there
        Assert.Equal(0.1 * 2.5 * 4, new RewardBudgetAudit(terms, EpisodeLength: 4).Check(new Dictionary<string, double>()).PerStepPerEpisode, 9);
        // the weight scales the bound; a negative weight pays nothing
        Assert.Equal(3 * 11, audit.Check(new Dictionary<string, double> { ["forward_velocity"] = 3 }).PerStepPerEpisode, 9);
        Assert.Equal(0, audit.Check(new Dictionary<string, double> { ["forward_velocity"] = -3 }).PerStepPerEpisode, 9);
    }

    [Fact]
    public void AuditUsesTheBuiltInEnvsTermMetadata()
    {
        var audit = RewardBudgetAudit.ForEnv("vbot-nav-lite", null, null)!;
        Assert.Contains(audit.Terms, t => t.Name == "arrival_bonus");
        Assert.True(audit.EpisodeLength > 0);
        Assert.Null(RewardBudgetAudit.ForEnv("not-built-in", null, null));
    }

    // arrival_bonus in [0, 1] can never dominate vbot-nav-lite's per-step bonuses
    private const string BadBudgetSpace = """
        search_space_id: bad_budget
        ppo_params:
          x: { type: uniform, low: 0.0, high: 1.0 }
        reward_weights:
          arrival_bonus: { type: uniform, low: 0.0, high: 1.0 }
        """;

    [Fact]
    public async Task SkipPolicyRecordsRejectedConfigurationsAsFailedWithoutCountingThem()
    {
        var space = _h.WriteFile("bad_budget.yaml", BadBudgetSpace);
        var r = await AutomlHarness.Run(_h.Settings(space: space) with { Env = "vbot-nav-lite", Audit = AuditPolicy.Skip, HpTrials = 2 });
        Assert.Contains("the reward-budget audit rejected 50 configurations in a row", r.StopReason);
        var (_, trials, attrs) = _h.Read();
        Assert.Equal(50, trials.Count);
        Assert.All(trials, t => Assert.Equal(SearchLoop.AuditSkipOrigin, t.Origin));
        Assert.All(trials, t => Assert.StartsWith("reward-budget audit: arrival", t.Error));
        Assert.StartsWith("FAILED at the space's defaults", attrs["audit_defaults"]);
        Assert.Contains("50 skipped by the reward-budget audit", File.ReadAllText(Path.Combine(_h.Output, "s", "report.md")));
    }

    [Fact]
    public async Task WarnPolicyRunsTheTrialAndNotesTheFinding()
    {
        var space = _h.WriteFile("bad_budget.yaml", BadBudgetSpace);
        await AutomlHarness.Run(_h.Settings(space: space) with { Env = "vbot-nav-lite", HpTrials = 1 });
        var t = Assert.Single(_h.Read().Trials);
        Assert.Equal(TrialState.Complete, t.State);
        Assert.Contains("reward_budget_audit: 'arrival", File.ReadAllText(Path.Combine(_h.Output, "s", "trials", "trial_0000", "summary.yaml")));
    }

    [Fact]
    public void StudyYamlReadsEverySection()
    {
        var s = StudySettingsLoader.Parse("""
            study: nav
            mode: full
            search_method: grid
            hp_trials: 7
            warmup_trials: 3
            steps_per_trial: 1_000_000
            seeds_per_trial: 3
            rank_by: mean-std
            parallel: 2
            seed: 5
            budget_hours: 1.5
            space: spaces/nav.yaml
            env_overrides: { noise_level: 0.5, spawn_ring: [2, 5] }
            objective: { weights: { success: 1.0, survival: 0.0, reward: 0.0, brevity: 0.0 } }
            stages:
              - { name: near, env_overrides: { spawn_ring: [2.0, 5.0] }, success_threshold: 0.7 }
            audit: skip
            pruner: { kind: median, metric: reward, warmup_trials: 3, warmup_steps: 50_000 }
            timeout: { startup_seconds: 30, min_steps_per_second: 1000 }
            logging: { progress_interval_seconds: 5 }
            """, "study.yaml", "/base");
        Assert.Equal(StudyMode.Full, s.Mode);
        Assert.Equal(1_000_000, s.StepsPerTrial);
        Assert.Equal(SeedRanking.MeanMinusStd, s.RankBy);
        Assert.Equal("/base/spaces/nav.yaml", s.Space);
        Assert.Equal(0.5, s.EnvOverrides["noise_level"]!.GetValue<double>());
        Assert.Equal(1.0, s.ScoreWeights.Success);
        Assert.Equal(0.7, Assert.Single(s.Stages).SuccessThreshold);
        Assert.Equal(AuditPolicy.Skip, s.Audit);
        Assert.Equal(new PrunerSettings(PrunerKind.Median, "reward", RlTune.Search.ObjectiveDirection.Maximize, 3, 50_000), s.BuildPrunerSettings());
        Assert.Equal(PrunerKind.Median, StudySettingsLoader.Parse("pruner: median", "study.yaml", "/base").Pruner);
        Assert.Null(new StudySettings().BuildPrunerSettings());
        Assert.Equal(new PrunerSettings(PrunerKind.Median, "success", RlTune.Search.ObjectiveDirection.Maximize, 5, 0), new StudySettings { Pruner = PrunerKind.Median }.BuildPrunerSettings());
        Assert.Equal(1000, s.TimeoutMinStepsPerSecond);
        var asha = StudySettingsLoader.Parse("""
            steps_per_trial: 16_000_000
            trainer_resumes: true
            pruner: { kind: hyperband, reduction_factor: 4, min_rung_steps: 1_000_000, min_steps: 5_000_000, lazy_robot: prune }
            """, "study.yaml", "/base");
        var rungs = asha.BuildRungSettings(searchesRewardWeights: true)!;
        Assert.Equal([1_000_000L, 4_000_000L, 16_000_000L], rungs.Ladder);
        Assert.Equal((PrunerKind.Hyperband, 4, 5_000_000L, LazyRobotPolicy.Prune, true), (rungs.Kind, rungs.ReductionFactor, rungs.MinSteps, rungs.LazyRobot, rungs.TrainerResumes));
        Assert.Equal(5, s.ProgressIntervalSeconds);
    }

    [Theory]
    [InlineData("hp_trails: 3", "study.yaml:1: hp_trails: unknown setting; expected one of study, mode")]
    [InlineData("mode: fast", "study.yaml:1: mode: expected hp-search, stage, full, eval or pbt.")]
    [InlineData("hp_trials: 0", "study.yaml:1: hp_trials: expected an integer of at least 1, got '0'.")]
    [InlineData("seed_configs: a.json", "study.yaml:1: seed_configs: expected a list, got 'a.json'.")]
    [InlineData("budget_hours: -1", "study.yaml:1: budget_hours: expected a positive number, got '-1'.")]
    [InlineData("stages:\n  - { name: a, success_threshold: 2 }", "study.yaml:2: stages[1].success_threshold: expected a success rate from 0 to 1.")]
    [InlineData("objective: { metric: value, direction: sideways }", "study.yaml:1: objective.direction: expected maximize or minimize.")]
    [InlineData("hp_trials: [3", "study.yaml:2: the file is not valid YAML")]
    [InlineData("hp_trials: 3\nhp_trials: 4", "study.yaml:2: the file is not valid YAML (Duplicate key")]
    [InlineData("pruner: mean", "study.yaml:1: pruner: expected none, median, asha or hyperband.")]
    [InlineData("pruner: { kind: median, patience: 3 }", "study.yaml:1: pruner.patience: unknown setting; expected kind, metric, warmup_trials, warmup_steps, reduction_factor, min_rung_steps, min_steps or lazy_robot.")]
    [InlineData("pruner: { kind: asha, lazy_robot: maybe }", "study.yaml:1: pruner.lazy_robot: expected off, flag or prune.")]
    [InlineData("metrics:\n  termination_rate: \"0*x\"", "study.yaml:2: metrics.termination_rate: 'termination_rate=0*x' scales by 0; expected a finite number other than 0 before '*'.")]
    [InlineData("metrics:\n  termination_rate: { scale: 2 }", "study.yaml:2: metrics.termination_rate: expected a source: a TensorBoard tag or a metrics.json key.")]
    [InlineData("metrics:\n  termination_rate: { source: x, sign: -1 }", "study.yaml:2: metrics.termination_rate.sign: unknown setting; expected source or scale.")]
    [InlineData("metrics: [a]", "study.yaml:1: metrics: expected a mapping")]
    public void BadStudyYamlGivesOneSentenceWithLine(string yaml, string expected)
    {
        var e = Assert.Throws<UserError>(() => StudySettingsLoader.Parse(yaml, "study.yaml", "/base"));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void NavigationScoreCannotBeMinimised()
    {
        var e = Assert.Throws<UserError>(() => new StudySettings { Direction = RlTune.Search.ObjectiveDirection.Minimize }.Validated("flags"));
        Assert.Contains("the navigation1 score is maximised", e.Message);
    }

    [Theory]
    [InlineData(16, null, 5)]
    [InlineData(4, null, 3)]
    [InlineData(50, null, 10)]
    [InlineData(16, 8, 8)]
    [InlineData(16, 0, 0)]
    public void WarmupIsAThirdOfTheTrialsUnlessSet(int trials, int? warmup, int expected) =>
        Assert.Equal(expected, new StudySettings { HpTrials = trials, WarmupTrials = warmup }.EffectiveWarmupTrials);
}
