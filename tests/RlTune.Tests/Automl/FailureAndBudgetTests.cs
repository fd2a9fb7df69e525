using Microsoft.Extensions.Time.Testing;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

public sealed class FailureAndBudgetTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task CrashingTrainerFailsEachTrialWithItsReasonAndTheStudyGoesOn()
    {
        var r = await AutomlHarness.Run(_h.Settings("crash") with { HpTrials = 3, FailFastTrials = 0 });
        Assert.Equal("all 3 trials ended without a complete one", r.StopReason);   // never "completed"
        Assert.Equal(new TrialCounts(0, 3, 0), r.Counts);
        Assert.Null(r.BestScore);
        var trials = _h.Read().Trials;
        Assert.Equal(3, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialState.Failed, t.State);
            Assert.Equal("crashed with exit code 3: Traceback: something broke in the trainer", t.Error);
        });
        Assert.Contains("- trial 2 (failed): crashed with exit code 3", File.ReadAllText(Path.Combine(_h.Output, "s", "report.md")));
    }

    [Fact]
    public async Task FailFastStopsAStudyWhoseFirstTrialsAllFailTheSameWay()
    {
        var r = await AutomlHarness.Run(_h.Settings("crash") with { HpTrials = 10 });
        Assert.Equal("fail-fast: the first 3 trials all failed the same way, none complete: crashed with exit code 3: Traceback: something broke in the trainer", r.StopReason);
        Assert.Equal(new TrialCounts(0, 3, 0), r.Counts);
        Assert.Equal(3, _h.Read().Trials.Count);
        Assert.Contains("stop_reason: 'fail-fast: the first 3 trials all failed the same way", File.ReadAllText(Path.Combine(_h.Output, "s", "state.yaml")));

        // the same reason but for the run dir in it ("no metrics ... in DIR") counts as the same
        var n = await AutomlHarness.Run(_h.Settings("nothing", study: "n") with { HpTrials = 10, FailFastTrials = 2 });
        Assert.StartsWith("fail-fast: the first 2 trials all failed the same way, none complete: no metrics: the trainer exited 0 but left neither metrics.json nor TensorBoard scalars in ", n.StopReason);
        Assert.Equal(2, _h.Read("n").Trials.Count);

        // a trial that completes among the first ones: the study goes on to its target
        var ok = await AutomlHarness.Run(_h.Settings("metrics", study: "ok") with { HpTrials = 4 });
        Assert.Equal("completed: 4 trials", ok.StopReason);
        Assert.Equal(new TrialCounts(4, 0, 0), ok.Counts);
    }

    [Theory]
    [InlineData("nan", "NaN or infinite metric: episode_reward_mean")]
    [InlineData("nothing", "no metrics: the trainer exited 0 but left neither metrics.json nor TensorBoard scalars")]
    [InlineData("error", "the trainer reported: NaN in the policy loss at step 4096")]
    public async Task BadResultsAreFailuresWithReasons(string mode, string reason)
    {
        await AutomlHarness.Run(_h.Settings(mode) with { HpTrials = 1 });
        Assert.StartsWith(reason, Assert.Single(_h.Read().Trials).Error);
    }

    [Fact]
    public async Task MissingObjectiveMetricFailsTheTrial()
    {
        await AutomlHarness.Run(_h.Settings() with { HpTrials = 1, ObjectiveMetric = "nope" });
        var error = Assert.Single(_h.Read().Trials).Error!;
        Assert.StartsWith("no metric 'nope' in the trial's metrics; the trainer wrote metrics episode_length_mean, episode_reward_mean, seed, steps, success_rate, termination_rate, value, warm_start in ", error);
        Assert.EndsWith("metrics.json; map one to it with --metric-map 'nope=TAG_OR_KEY' (study YAML: metrics:)", error);
    }

    [Fact]
    public async Task HangingTrainerHitsItsStepScaledTimeout()
    {
        // 1 s start-up + 1000 steps at 1000 steps/s = 2 s
        var r = await AutomlHarness.Run(_h.Settings("hang") with { HpTrials = 1, TimeoutStartupSeconds = 1, TimeoutMinStepsPerSecond = 1000 });
        var t = Assert.Single(_h.Read().Trials);
        Assert.Equal(TrialState.Failed, t.State);
        Assert.StartsWith("timed out after 2 s", t.Error);
    }

    [Fact]
    public async Task TrainerThatCannotStartStopsTheStudyWithAClearReason()
    {
        var r = await AutomlHarness.Run(_h.Settings() with { HpTrials = 10, TrainerCommand = "/nonexistent/trainer --config {config}" });
        Assert.Contains("could not be started 3 times in a row", r.StopReason);
        Assert.Equal(3, _h.Read().Trials.Count);
    }

    [Fact]
    public async Task BudgetStartsNothingThatCannotFinish()
    {
        // each trial takes 0.6 s on the study's clock, whatever the machine's load; one is expected to take the slowest
        // recent one plus a fifth (0.72 s), so 4 s of budget fits 6 trials and a 7th, with 0.4 s left, never starts
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var s = _h.Settings("metrics") with { HpTrials = 50, BudgetHours = 4.0 / 3600 };
        var r = await AutomlHarness.Run(s, clock: clock, observer: new TrialTakes(clock, TimeSpan.FromSeconds(0.6)));
        Assert.StartsWith("budget: 0.0 min left, a trial takes about 0.0 min", r.StopReason);
        var (_, trials, attrs) = _h.Read();
        Assert.Equal(6, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal("3.6", attrs["elapsed_seconds"]);
    }

    /// <summary>Moves the study's clock on by a trial's duration as each trial (each seed run or rung piece) starts.</summary>
    internal sealed class TrialTakes(FakeTimeProvider clock, TimeSpan duration) : IStudyObserver
    {
        public void StudyStarted(string study, string description, int targetTrials, StudyBudget budget) { }
        public void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters) => clock.Advance(duration);
        public void TrialProgress(int number, int seed, RlTune.Trials.TrialProgress progress) { }
        public void TrialFinished(TrialRecord record, bool isBest) { }
        public void Note(string message) { }
    }

    [Fact]
    public async Task HardStopAtTheBudgetLimitPrunesTheRunningTrial()
    {
        var r = await AutomlHarness.Run(_h.Settings("hang") with { HpTrials = 5, BudgetHours = 1.5 / 3600, Parallel = 2 });
        Assert.StartsWith("hard stop at the budget limit", r.StopReason);
        var trials = _h.Read().Trials;
        Assert.Equal(2, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialState.Pruned, t.State);
            Assert.Contains("stopped at the budget's hard limit", t.Error);
        });
        Assert.Contains("hard stop", File.ReadAllText(Path.Combine(_h.Output, "s", "state.yaml")));
    }

    [Fact]
    public async Task UserInterruptRequeuesTheRunningTrialAndResumeRunsItAgain()
    {
        using var cts = new CancellationTokenSource();
        var r = await new AutomlPipeline(_h.Settings("metrics@0.4") with { HpTrials = 8 }, new CancelWhenTrialStarts(2, cts)).RunAsync(cts.Token);
        Assert.StartsWith("interrupted by the user", r.StopReason);
        var before = _h.Read().Trials;
        var completedBefore = before.Where(t => t.State == TrialState.Complete).ToDictionary(t => t.Number, t => t.Score);
        Assert.Contains(before, t => t.State == TrialState.Waiting);   // the interrupted one, put back
        var again = await AutomlHarness.Run(_h.Settings("metrics") with { HpTrials = 8, Resume = true });
        Assert.Equal("completed: 8 trials", again.StopReason);
        var after = _h.Read().Trials;
        Assert.Equal(8, after.Count);
        Assert.All(after, t => Assert.Equal(TrialState.Complete, t.State));
        foreach (var (n, score) in completedBefore) Assert.Equal(score, after.Single(t => t.Number == n).Score);  // nothing lost or re-run
    }

    [Fact]
    public async Task ExistingStudyNeedsResumeAndResumeNeedsAStudy()
    {
        await AutomlHarness.Run(_h.Settings() with { HpTrials = 1 });
        var e = await Assert.ThrowsAsync<UserError>(() => AutomlHarness.Run(_h.Settings() with { HpTrials = 1 }));
        Assert.Contains("study 's' already exists", e.Message);
        var e2 = await Assert.ThrowsAsync<UserError>(() => AutomlHarness.Run(_h.Settings(study: "other") with { Resume = true }));
        Assert.Contains("there is no study 'other'", e2.Message);
    }

    /// <summary>Interrupts the study while the given trial runs (its trainer sleeps first, so it is mid-run).</summary>
    private sealed class CancelWhenTrialStarts(int trial, CancellationTokenSource cts) : IStudyObserver
    {
        public void StudyStarted(string study, string description, int targetTrials, StudyBudget budget) { }
        public void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters)
        {
            if (number == trial) cts.CancelAfter(TimeSpan.FromMilliseconds(100));
        }
        public void TrialProgress(int number, int seed, RlTune.Trials.TrialProgress progress) { }
        public void TrialFinished(TrialRecord record, bool isBest) { }
        public void Note(string message) { }
    }
}
