using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>
/// Studies on a stand-in for MotrixLab's train_one.py (TestData/trainers/motrixlab_train_one.py): its one
/// flag, its own run dir under runs/ printed as PIPELINE_RUN_DIR=, TensorBoard only. Run through the CLI
/// from the harness root, as a user runs rltune from MotrixLab's root.
/// </summary>
public sealed class MotrixLabTrainerTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static readonly string Trainer = Path.Combine(AppContext.BaseDirectory, "TestData", "trainers", "motrixlab_train_one.py");

    public const string Env = "vbot_navigation_section001";

    /// <summary>docs/examples/motrixlab_section001.yaml: the space docs/external-trainers.md runs train_one.py with (MotrixLab's rl_overrides names).</summary>
    private static readonly string Space = Path.Combine(AppContext.BaseDirectory, "TestData", "docs", "motrixlab_section001.yaml");

    private static string[] Automl(string study, int trials, string writes = "all", params string[] more) =>
    [
        "automl", "--space", Space, "--env", Env, "--search-method", "bayesian", "--warmup-trials", "3",
        "--hp-trials", trials.ToString(CultureInfo.InvariantCulture), "--steps", "20000", "--study", study, "--output", "runs", "--intensify", "off",
        "--trainer-command", $"env FAKE_MOTRIX_WRITES={writes} /usr/bin/python3 {TrainerCommand.ShellQuote(Trainer)} --config {{config}}",
        .. more,
    ];

    private static double FallFraction(SeedRun run) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(run.RunDir!, "fake_truth.json")))!["fall_fraction"]!.GetValue<double>();

    [Fact]
    public void BayesianStudyScoresEveryTrialWithTheDerivedTerminationRateAndCrownsTheTrainersBest()
    {
        var (code, stdout, stderr) = _h.Cli(Automl("motrix", 8));
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("trials: 8 complete, 0 failed, 0 pruned", stdout.TrimEnd().Split('\n')[^1]);
        var trials = _h.Read("motrix").Trials;
        Assert.Equal(8, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        foreach (var t in trials)
        {
            var run = Assert.Single(t.SeedRuns);
            // the trainer's own run dir, relative to where rltune ran, as train_one.py prints it
            Assert.StartsWith(Path.Combine(_h.Root, "runs", Env) + Path.DirectorySeparatorChar, run.RunDir);
            Assert.False(File.Exists(Path.Combine(run.RunDir!, "metrics.json")));
            var fall = FallFraction(run);
            Assert.Equal(fall, t.Metrics["termination_rate"], 5);
            // navigation1 with the fake's constant success 0.5, reward 8 and length 600: 0.3 + 0.25 (1 - f) + 0.08 + 0.02
            Assert.Equal(0.4 + 0.25 * (1 - fall), t.Score!.Value, 5);
        }
        var truthBest = trials.MinBy(t => FallFraction(t.SeedRuns[0]))!;
        Assert.Equal(truthBest.Number, BestConfig.Choose(trials, new SelectionRule(RlTune.Search.ObjectiveDirection.Maximize))!.Trial.Number);

        var studyDir = Path.Combine(_h.Output, "motrix");
        var summary = File.ReadAllText(Path.Combine(studyDir, "trials", StudyPaths.TrialName(truthBest.Number), "summary.yaml"));
        Assert.Contains("derived_metrics:", summary);
        Assert.Contains("termination_rate: \"derived as MotrixLab does: the mean of the last fifth of 'Reward Instant / termination (mean)' / termination weight", summary);
        Assert.Contains("(the trial's reward_scales.termination)", summary);
        var report = File.ReadAllText(Path.Combine(studyDir, "report.md"));
        Assert.Matches(@"\| termination_rate \| [0-9.e-]+ \(derived\) \|", report);
        Assert.Contains("termination_rate: derived as MotrixLab does", report);
    }

    [Fact]
    public void AMetricMapFromTheFlagOrTheStudyYamlScoresATrainerThatNamesItsRateItsOwnWay()
    {
        var (code, stdout, stderr) = _h.Cli(Automl("mapped", 3, "fall_rate", "--metric-map", "termination_rate=metrics / fall_rate (mean)"));
        Assert.True(code == 0, stdout + stderr);
        var trials = _h.Read("mapped").Trials;
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialState.Complete, t.State);
            Assert.Equal(FallFraction(t.SeedRuns[0]), t.Metrics["termination_rate"], 5);
        });
        Assert.Contains("termination_rate: \"mapped by --metric-map: termination_rate = 'metrics / fall_rate (mean)' (TensorBoard tag, mean of its last fifth)",
            File.ReadAllText(Path.Combine(_h.Output, "mapped", "trials", StudyPaths.TrialName(0), "summary.yaml")));

        // the same map in the study YAML, here with its sign and scale spelled out
        var yaml = _h.WriteFile("study.yaml", """
            metrics:
              termination_rate: { source: "metrics / fall_rate (mean)", scale: 1.0 }
              cost: "-0.5*Reward / Total reward (mean)"
            """);
        (code, stdout, stderr) = _h.Cli([.. Automl("yaml", 2, "fall_rate"), "--config", yaml]);
        Assert.True(code == 0, stdout + stderr);
        Assert.All(_h.Read("yaml").Trials, t =>
        {
            Assert.Equal(TrialState.Complete, t.State);
            Assert.Equal(-4, t.Metrics["cost"], 5);
        });
    }

    [Fact]
    public void ATrainerThatWritesNothingUsableStopsTheStudyAfterThreeTrialsWithExitCode1()
    {
        var (code, stdout, stderr) = _h.Cli(Automl("losses", 12, "losses"));
        Assert.True(code == 1, stdout + stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Equal("trials: 0 complete, 3 failed, 0 pruned", lines[^1]);
        Assert.DoesNotContain("completed", stdout);
        var stopped = Assert.Single(lines, l => l.StartsWith("study losses stopped: ", StringComparison.Ordinal));
        Assert.Equal("study losses stopped: fail-fast: the first 3 trials all failed the same way, none complete: no metric 'success_rate' in the trial's metrics; "
            + "the trainer wrote metrics policy_loss, value_loss from TensorBoard tags 'Loss / Policy loss', 'Loss / Value loss'; "
            + "map one to it with --metric-map 'success_rate=TAG_OR_KEY' (study YAML: metrics:)", stopped);
        Assert.Equal(3, _h.Read("losses").Trials.Count);
        Assert.Contains("stop_reason: \"fail-fast: the first 3 trials", File.ReadAllText(Path.Combine(_h.Output, "losses", "state.yaml")));
    }
}
