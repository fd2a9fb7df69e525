using System.Text.Json.Nodes;
using RlTune.Search;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>Racing on seeds (<see cref="Intensification"/>), choosing the best by evidence, the winner's curse, and all of it through automl.</summary>
public sealed class IntensificationTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static readonly Intensification Race = new(StudySeed: 0, SeedsPerTrial: 1, MaxSeeds: 5, MinSeeds: 3, OnlyWhenNoisy: true, SeedRanking.Mean, ObjectiveDirection.Maximize);

    /// <summary>A complete one-seed trial of configuration <paramref name="x"/> on <paramref name="seed"/>.</summary>
    private static TrialRecord Run(int number, double x, int seed, double? score, TrialState state = TrialState.Complete, int endedAt = -1) => new()
    {
        StudyId = 1, Number = number, State = state, Params = new Dictionary<string, object> { ["x"] = x }, Seed = seed,
        Score = state == TrialState.Complete ? score : null,
        SeedRuns = state == TrialState.Complete ? [new SeedRun(seed, new Dictionary<string, double> { ["success_rate"] = score ?? 0 }, score, null, null)] : [],
        Origin = number == 0 || seed == 0 ? "sampler:bayesian" : Intensification.Origin,
        EndedAt = DateTimeOffset.UnixEpoch.AddSeconds(endedAt >= 0 ? endedAt : number),
    };

    [Fact]
    public void TheIncumbentEarnsItsMinimumSeedsFirst()
    {
        var next = Race.Next([Run(0, 0.1, 0, 0.8), Run(1, 0.2, 0, 0.5)]);
        Assert.NotNull(next);
        Assert.Equal(0.1, next.Params["x"]);
        Assert.Equal(1, next.Seed);
        Assert.StartsWith("intensify:1:", next.UniqueKey);
        // a second seed of it is running: nothing else is due (the other configuration lost on seed 0)
        Assert.Null(Race.Next([Run(0, 0.1, 0, 0.8), Run(1, 0.2, 0, 0.5), Run(2, 0.1, 1, null, TrialState.Running)]));
    }

    [Fact]
    public void NoRaceStartsBeforeTheStudyReachesItsRacingShare()
    {
        var late = Race with { RaceFrom = 4 };
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.8), Run(1, 0.2, 0, 0.5), Run(2, 0.3, 0, 0.4)];
        Assert.NotNull(Race.Next(h)); // racing from the start: the incumbent needs seeds now
        Assert.Null(late.Next(h)); // 3 of the 4 trials before racing: the sampler proposes a new configuration
        var skipped = Run(3, 0.4, 0, null, TrialState.Failed) with { Origin = SearchLoop.AuditSkipOrigin };
        Assert.Null(late.Next([.. h, skipped])); // an audit skip is not a trial
        var next = late.Next([.. h, Run(3, 0.4, 0, 0.3)]);
        Assert.Equal((0.1, 1), (next!.Params["x"], next.Seed));
        // the share of 12 trials: the last third races (8 new configurations first), 1 races from the start
        Assert.Equal(8, new StudySettings { HpTrials = 12 }.RaceFromTrial);
        Assert.Equal(10, new StudySettings { HpTrials = 16 }.RaceFromTrial);
        Assert.Equal(9, new StudySettings { HpTrials = 12, IntensifyShare = 0.25 }.RaceFromTrial);
        Assert.Equal(0, new StudySettings { HpTrials = 12, IntensifyShare = 1 }.RaceFromTrial);
        Assert.Equal(8, Intensification.For(new StudySettings { HpTrials = 12 }, ObjectiveDirection.Maximize)!.RaceFrom);
    }

    [Fact]
    public void AChallengerRunsTheIncumbentsSeedsWhileItKeepsUpAndDropsOutWhenItFallsBehind()
    {
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.6), Run(1, 0.1, 1, 0.5), Run(2, 0.1, 2, 0.7), Run(3, 0.2, 0, 0.7)];
        var next = Race.Next(h);
        Assert.Equal((0.2, 1), (next!.Params["x"], next.Seed)); // better on seed 0: it runs seed 1
        h.Add(Run(4, 0.2, 1, 0.3)); // mean 0.5 on seeds 0-1 against the incumbent's 0.55 there: worse, out
        Assert.Null(Race.Next(h));
        h[^1] = Run(4, 0.2, 1, 0.6); // mean 0.65: still ahead, runs seed 2
        Assert.Equal((0.2, 2), (Race.Next(h)!.Params["x"], Race.Next(h)!.Seed));
    }

    [Fact]
    public void TheComparisonIsPairedOnTheSharedSeeds()
    {
        // the incumbent's mean (0.7) is above the challenger's 0.5, but on seed 0, the one they share, the challenger is ahead
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.4), Run(1, 0.1, 1, 0.9), Run(2, 0.1, 2, 0.8), Run(3, 0.2, 0, 0.5)];
        Assert.Equal((0.2, 1), (Race.Next(h)!.Params["x"], Race.Next(h)!.Seed));
    }

    [Fact]
    public void ADethronedIncumbentMakesTheNewOneEarnAnotherSeedUpToTheMaximum()
    {
        // both have seeds 0-2; 0.2's mean is higher, so it is the incumbent and must pull ahead by one seed
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.6), Run(1, 0.1, 1, 0.5), Run(2, 0.1, 2, 0.7), Run(3, 0.2, 0, 0.7), Run(4, 0.2, 1, 0.8), Run(5, 0.2, 2, 0.6)];
        Assert.Equal((0.2, 3), (Race.Next(h)!.Params["x"], Race.Next(h)!.Seed));
        var full = Enumerable.Range(0, 5).Select(s => Run(s, 0.1, s, 0.5 + 0.01 * s)).Concat(Enumerable.Range(0, 5).Select(s => Run(10 + s, 0.2, s, 0.7 - 0.01 * s))).ToList();
        Assert.Null(Race.Next(full)); // both at the maximum of 5 seeds: the race is over
    }

    [Fact]
    public void FailedOrPrunedExtraSeedsTakeAConfigurationOutAndAnObjectiveThatIgnoresTheSeedStopsTheRacing()
    {
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.6), Run(1, 0.1, 1, 0.6), Run(2, 0.1, 2, 0.6), Run(3, 0.2, 0, 0.7), Run(4, 0.2, 1, null, TrialState.Pruned)];
        Assert.Null(Race.Next(h)); // 0.2 is out; 0.1 scored the same on every seed: seed-independent, auto racing stops
        Assert.NotNull((Race with { OnlyWhenNoisy = false }).Next([Run(0, 0.1, 0, 0.6), Run(1, 0.1, 1, 0.6)]));
        var best = BestConfig.Choose(h, new SelectionRule(ObjectiveDirection.Maximize, MinSeeds: 3))!;
        Assert.Equal(0.1, best.Trial.Params["x"]);
    }

    [Fact]
    public void TheBestIsTheBestMeanWithMissingSeedsCountedAtTheMeanOfAllConfigurationsNotTheLuckiestRun()
    {
        // 0.1 has 3 seeds (mean 0.6); 0.2 one lucky run (0.75); 0.3 two seeds (mean 0.3); 0.4 one poor run (0.1)
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.6), Run(1, 0.1, 1, 0.5), Run(2, 0.1, 2, 0.7), Run(3, 0.2, 0, 0.75), Run(4, 0.3, 0, 0.5), Run(5, 0.3, 1, 0.1), Run(6, 0.4, 0, 0.1)];
        var rule = new SelectionRule(ObjectiveDirection.Maximize, MinSeeds: 3);
        var best = BestConfig.Choose(h, rule)!;
        // the mean of all configurations is 0.4375: 0.2 counts as (0.75 + 2 x 0.4375) / 3 = 0.54, below 0.1's 0.6
        Assert.Equal(0.1, best.Trial.Params["x"]);
        Assert.Equal(0.6, best.Value, 12);
        Assert.Equal([0, 1, 2], best.Config.Trials.Select(t => t.Number));
        Assert.Contains("fewer than 3 seeds counting its missing ones at the mean of all configurations (0.4375)", best.How);
        var lucky = ConfigEvidence.Luckiest(ConfigEvidence.Group(h), ObjectiveDirection.Maximize)!;
        Assert.Equal((3, 0.75), (lucky.Trial.Number, lucky.Score));
        // a minimised objective picks the lowest: 0.4's one run of 0.1 counts as (0.1 + 2 x 0.4375) / 3 = 0.325, 0.3's two
        // seeds as (0.6 + 0.4375) / 3 = 0.346, 0.1's three as 0.6
        var lowest = BestConfig.Choose(h, rule with { Direction = ObjectiveDirection.Minimize })!;
        Assert.Equal((0.4, 0.325), (lowest.Trial.Params["x"], Math.Round(lowest.Value, 4)));
        Assert.Equal(0.4, BestConfig.Choose(h, new SelectionRule(ObjectiveDirection.Minimize))!.Trial.Params["x"]);
        // no configuration with 3 seeds: the surrogate's belief when given, else the best mean
        var few = h.Where(t => t.Number >= 3).ToList();
        Assert.Equal(0.2, BestConfig.Choose(few, rule)!.Trial.Params["x"]);
        Assert.Equal(0.3, BestConfig.Choose(ConfigEvidence.Group(few), rule, c => c.Params["x"] is 0.3 ? 0.9 : 0.1)!.Trial.Params["x"]);
    }

    [Fact]
    public void ARunFarAboveTheRestBeatsAConfigurationThatOnlyHasItsSeeds()
    {
        // the incumbent of a nav-lite study (0.58 on its first seed, then 0.0 and 0.06) against a later single run of 0.72
        // among configurations that barely learn: its two missing seeds at the mean of all (0.18) still leave it ahead
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.0), Run(1, 0.2, 0, 0.03), Run(2, 0.3, 0, 0.27), Run(3, 0.4, 0, 0.58), Run(4, 0.5, 0, 0.05), Run(5, 0.4, 1, 0.0),
            Run(6, 0.4, 2, 0.06), Run(7, 0.6, 0, 0.0), Run(8, 0.7, 0, 0.72)];
        var best = BestConfig.Choose(h, new SelectionRule(ObjectiveDirection.Maximize, MinSeeds: 3))!;
        Assert.Equal(0.7, best.Trial.Params["x"]);
        Assert.True(best.Value > 0.3 && best.Value < 0.4, $"{best.Value}");
        // racing then gives the new incumbent its seeds
        Assert.Equal((0.7, 1), (Race.Next(h)!.Params["x"], Race.Next(h)!.Seed));
    }

    [Fact]
    public void WithoutEnoughSeedsTheSurrogatesPosteriorMeanDiscountsALuckyRunAmongPoorNeighbours()
    {
        var space = SearchSpace.Parse("search_space_id: one\nppo_params:\n  x: { type: uniform, low: 0.0, high: 1.0 }\nreward_weights: {}\n", "one.yaml");
        // x = 0.5 scored 0.9 once, its close neighbours 0.1; around x = 0.1 everything scores about 0.6
        double[] xs = [0.46, 0.48, 0.5, 0.52, 0.54, 0.06, 0.08, 0.1, 0.12, 0.14];
        double[] ys = [0.1, 0.12, 0.9, 0.1, 0.11, 0.6, 0.62, 0.61, 0.6, 0.59];
        var h = xs.Select((x, i) => Run(i, x, 0, ys[i])).ToList();
        var rule = new SelectionRule(ObjectiveDirection.Maximize, MinSeeds: 3);
        Assert.Equal(0.5, BestConfig.Choose(h, rule)!.Trial.Params["x"]); // the plain mean crowns the lucky run
        var believed = BestConfig.Choose(h, rule, space)!;
        Assert.InRange((double)believed.Trial.Params["x"], 0.05, 0.15);
        Assert.Contains("posterior mean", believed.How);
    }

    [Fact]
    public void TpeSeesOneMeanPointPerConfigurationAndTheGpEveryRepeat()
    {
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.6), Run(1, 0.2, 0, 0.9), Run(2, 0.2, 1, 0.3), Run(3, 0.2, 2, null, TrialState.Running)];
        var seen = ConfigEvidence.MeanPerConfiguration(h);
        Assert.Equal([0, 1], seen.Select(t => t.Number));
        Assert.Equal(0.6, seen[1].Score!.Value, 12);
        Assert.True(((ISampler)new TpeSampler()).AveragesRepeats);
        Assert.False(((ISampler)new GpSampler()).AveragesRepeats);
    }

    [Fact]
    public void TheWinnersCurseComparesTheSeedsItWasChosenOnWithTheSeedsAddedAfter()
    {
        // 0.2 tops the table after its seed 0 (0.9); seeds 1 and 2 are added after and score lower
        List<TrialRecord> h = [Run(0, 0.1, 0, 0.5), Run(1, 0.2, 0, 0.9), Run(2, 0.2, 1, 0.6), Run(3, 0.2, 2, 0.6), Run(4, 0.1, 1, 0.4), Run(5, 0.1, 2, 0.4)];
        var best = BestConfig.Choose(h, new SelectionRule(ObjectiveDirection.Maximize, MinSeeds: 3))!;
        var curse = WinnersCurse.Of(h, best, ObjectiveDirection.Maximize)!;
        Assert.Equal([0], curse.ChosenOn.Select(s => s.Seed));
        Assert.Equal(0.9, curse.ChosenMean, 12);
        Assert.Equal(0.6, curse.AfterMean!.Value, 12);
        Assert.Contains("-0.3", curse.Text());
        var single = WinnersCurse.Of([Run(0, 0.1, 0, 0.5)], BestConfig.Choose([Run(0, 0.1, 0, 0.5)], new SelectionRule(ObjectiveDirection.Maximize))!, ObjectiveDirection.Maximize)!;
        Assert.Null(single.AfterMean);
        Assert.Contains("no seed was added after", single.Text());
    }

    [Fact]
    public async Task AutomlRacesOnSeedsWithinItsTrialsAndExportsTheConfigurationWithTheMostEvidence()
    {
        // the fake trainer's value grows by 0.01 per seed: noisy enough for auto to intensify
        // racing from the first trial: 9 trials leave room for an incumbent with 3 seeds whatever order the 2 slots finish in
        var s = _h.Settings() with { Intensify = IntensifyMode.Auto, HpTrials = 9, Parallel = 2, SearchMethod = "bayesian", WarmupTrials = 2, IntensifyShare = 1 };
        var r = await AutomlHarness.Run(s);
        Assert.Equal("completed: 9 trials", r.StopReason);
        var (_, trials, _) = _h.Read();
        Assert.Equal(9, trials.Count);
        var extra = trials.Where(t => t.Origin == Intensification.Origin).ToList();
        Assert.NotEmpty(extra);
        Assert.All(extra, t => Assert.NotEqual(0, t.Seed));
        Assert.All(extra, t => Assert.Equal(t.Seed, Assert.Single(t.SeedRuns).Seed)); // each extra trial trained its own seed
        var configs = ConfigEvidence.Group(trials);
        Assert.All(configs, c => Assert.Equal(c.Seeds, c.SeedScores.Select(x => x.Seed).Distinct().Count()));
        var best = BestConfig.Choose(trials, new SelectionRule(ObjectiveDirection.Minimize, MinSeeds: 3))!;
        Assert.Contains(configs, c => c.Seeds >= 3); // an incumbent earned its seeds (the chosen one may be a run far above it)
        Assert.Equal(best.Config.Aggregate!.Value.Mean, r.BestScore!.Value, 12);

        var status = JsonNode.Parse(_h.Cli("status", "--output", _h.Output, "--study", "s", "--json").Stdout)!;
        Assert.Equal(extra.Count, status["extra_seeds"]!.GetValue<int>());
        Assert.Equal(best.Trial.Number, status["best_trial"]!.GetValue<int>());
        var text = _h.Cli("status", "--output", _h.Output, "--study", "s").Stdout;
        Assert.Contains($"{extra.Count} of the trials extra seeds of intensification", text);
        Assert.Contains($"over {best.Config.Seeds} seed(s)", text);

        var export = _h.Cli("export-best", "--output", _h.Output, "--study", "s", "--out", Path.Combine(_h.Root, "best.json"));
        Assert.Equal(0, export.Code);
        var measured = JsonNode.Parse(File.ReadAllText(Path.Combine(_h.Root, "best.json")))!["measured"]!;
        Assert.Equal(best.Config.Seeds, measured["seeds"]!.AsArray().Count);
        Assert.Equal(best.Trial.Number, measured["trial"]!.GetValue<int>());

        var analyze = _h.Cli("analyze", "--output", _h.Output, "--study", "s");
        Assert.Equal(0, analyze.Code);
        Assert.Contains($"Chosen: trial {best.Trial.Number}'s configuration", analyze.Stdout);
        Assert.Contains("Winner's curse: ", analyze.Stdout);
        Assert.Contains("Luckiest single run: trial ", analyze.Stdout);
        var curse = JsonNode.Parse(_h.Cli("analyze", "--output", _h.Output, "--study", "s", "--json").Stdout)!["winners_curse"]!;
        Assert.Equal(best.Config.Seeds, curse["chosen_on_seeds"]!.AsArray().Count + curse["after_seeds"]!.AsArray().Count);
        Assert.Contains("Winner's curse: ", File.ReadAllText(Path.Combine(_h.Output, "s", "analysis", "report.md")));

        var report = File.ReadAllText(Path.Combine(_h.Output, "s", "report.md"));
        Assert.Contains($"## Best: trial {best.Trial.Number}'s configuration", report);
        Assert.Contains("Winner's curse:", report);
        Assert.Contains($"{extra.Count} extra seed(s) run", report);
    }

    [Fact]
    public async Task AutoStopsRacingOnceRepeatsShowTheObjectiveIgnoresTheSeed()
    {
        // success_rate of the fake trainer does not depend on the seed: one repeat tells, the rest go to the sampler
        var s = _h.Settings() with { Intensify = IntensifyMode.Auto, HpTrials = 6, ObjectiveMetric = "success_rate", Direction = ObjectiveDirection.Maximize };
        await AutomlHarness.Run(s);
        var (_, trials, _) = _h.Read();
        Assert.Equal(6, trials.Count);
        var extra = Assert.Single(trials, t => t.Origin == Intensification.Origin);
        Assert.True(extra.Number >= s.RaceFromTrial, $"extra seed trial {extra.Number} before the last third (from {s.RaceFromTrial})");
        Assert.Equal(5, ConfigEvidence.Group(trials).Count);
    }

    [Fact]
    public void TheSettingsReadTheYamlKeysAndRejectNonsense()
    {
        var yaml = _h.WriteFile("study.yaml", "intensify: false\nmax_seeds_per_config: 4\nmin_seeds_for_best: 2\nintensify_share: 0.5\n");
        var s = StudySettingsLoader.Load(yaml);
        Assert.Equal((IntensifyMode.Off, 4, 2, 0.5), (s.Intensify, s.MaxSeedsPerConfig, s.MinSeedsForBest, s.IntensifyShare));
        var share = Assert.Throws<UserError>(() => new StudySettings { IntensifyShare = 1.5 }.Validated("study.yaml"));
        Assert.Equal("study.yaml: intensify_share: expected a share of the trials above 0 and at most 1, got 1.5.", share.Message);
        var flag = _h.Cli("automl", "--intensify-share", "0", "--output", _h.Output);
        Assert.Equal(1, flag.Code);
        Assert.Contains("--intensify-share: expected a share of the trials above 0 and at most 1, got 0.", flag.Stderr);
        Assert.False(s.IntensifyActive);
        Assert.True(new StudySettings().IntensifyActive);
        Assert.Equal(3, new StudySettings().EffectiveMinSeedsForBest);
        Assert.Equal(1, new StudySettings { Intensify = IntensifyMode.Off }.EffectiveMinSeedsForBest);
        Assert.False(new StudySettings { SeedsPerTrial = 3 }.IntensifyActive);
        var bad = Assert.Throws<UserError>(() => StudySettingsLoader.Load(_h.WriteFile("bad.yaml", "intensify: sometimes\n")));
        Assert.Contains("intensify", bad.Message);
        var few = Assert.Throws<UserError>(() => new StudySettings { SeedsPerTrial = 3, MaxSeedsPerConfig = 2 }.Validated("study.yaml"));
        Assert.Equal("study.yaml: max_seeds_per_config: expected at least seeds_per_trial (3), got 2.", few.Message);
        var cli = _h.Cli("automl", "--intensify", "maybe", "--output", _h.Output);
        Assert.Equal(1, cli.Code);
        Assert.Contains("--intensify: 'maybe' is not known; expected auto, on or off.", cli.Stderr);
    }

    [Fact]
    public void StoredSettingsFromBeforeIntensificationReadAsOff()
    {
        var stored = AutomlPipeline.SerializeSettings(new StudySettings()).Replace("\"Intensify\":\"Auto\",", "", StringComparison.Ordinal);
        Assert.DoesNotContain("Intensify\"", stored);
        Assert.Equal(IntensifyMode.Off, AutomlPipeline.ParseSettings(stored)!.Intensify);
        Assert.Equal(IntensifyMode.Auto, AutomlPipeline.ParseSettings(AutomlPipeline.SerializeSettings(new StudySettings()))!.Intensify);
        // stored before the racing share existed: it raced from the first trial, and a resume keeps doing so
        var noShare = AutomlPipeline.SerializeSettings(new StudySettings()).Replace("\"IntensifyShare\":", "\"Gone\":", StringComparison.Ordinal);
        Assert.Equal(1, AutomlPipeline.ParseSettings(noShare)!.IntensifyShare);
        Assert.Equal(1.0 / 3, AutomlPipeline.ParseSettings(AutomlPipeline.SerializeSettings(new StudySettings()))!.IntensifyShare);
    }
}
