using RlTune.Trials;

namespace RlTune.Tests.Trials;

public sealed class TrialRunnerTests : IDisposable
{
    internal static readonly string FakeTrainer = Path.Combine(AppContext.BaseDirectory, "TestData", "trainers", "fake_trainer.py");
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-runner-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    internal static TrainerCommand Fake(string mode) => new($"/usr/bin/python3 {TrainerCommand.ShellQuote(FakeTrainer)} {mode} {{config}} {{run_dir}}");

    private async Task<TrialRunResult> Run(string mode, TimeSpan? timeout = null, CancellationToken ct = default, List<TrialProgress>? progress = null,
        TimeSpan? stopGrace = null)
    {
        var config = new TrialConfig
        {
            EnvName = "fake",
            RlOverrides = new Dictionary<string, object> { ["max_env_steps"] = 1000L, ["seed"] = 4L },
            Params = new Dictionary<string, object> { ["x"] = 0.3, ["y"] = 1.3 },
        };
        var configPath = Path.Combine(_dir, "configs", "trial_0001.json");
        config.Save(configPath);
        var runner = stopGrace is { } grace ? new TrialRunner(Fake(mode)) { StopGrace = grace } : new TrialRunner(Fake(mode));
        var request = new TrialRunRequest(configPath, Path.Combine(_dir, "run"), Path.Combine(_dir, "logs"), 1, 4, timeout ?? TimeSpan.FromSeconds(30));
        return await runner.RunAsync(request, p => progress?.Add(p), ct);
    }

    [Fact]
    public async Task CompletedRunGivesMetricsProgressAndLogs()
    {
        var progress = new List<TrialProgress>();
        var r = await Run("metrics", progress: progress);
        Assert.True(r.Succeeded, r.Failure);
        Assert.Equal(1.04, r.Metrics!.Values["value"], 9);     // (0.3-0.3)^2 + (1.3-0.3)^2 + 0.01 x seed 4
        Assert.Equal(4, r.Metrics.Values["seed"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(2, progress.Count);
        Assert.Equal((1000L, 1000L, (double?)1.0, (double?)0.5), (r.LastProgress!.Step, r.LastProgress.Of, r.LastProgress.Reward, r.LastProgress.Success));
        Assert.Contains("PROGRESS step=500 of=1000", File.ReadAllText(Path.Combine(_dir, "logs", "stdout.log")));
    }

    [Fact]
    public async Task TensorBoardOnlyTrainerIsScoredFromItsEvents()
    {
        var r = await Run("tensorboard");
        Assert.True(r.Succeeded, r.Failure);
        Assert.Equal("tensorboard", r.Metrics!.Source);
        Assert.Equal(8.5, r.Metrics.Values["episode_reward_mean"], 6);
        Assert.Equal(0.85, r.Metrics.Values["success_rate"], 6);
        Assert.Equal(0.15, r.Metrics.Values["termination_rate"], 6);
    }

    [Fact]
    public async Task RunDirNamedByTheTrainerIsWhereMetricsAreRead()
    {
        var r = await Run("run-dir");
        Assert.True(r.Succeeded, r.Failure);
        Assert.Equal(Path.Combine(_dir, "run", "chosen"), r.RunDir);
    }

    [Fact]
    public async Task CrashIsReportedWithExitCodeAndLastErrorLine()
    {
        var r = await Run("crash");
        Assert.Equal(TrialRunOutcome.Crashed, r.Outcome);
        Assert.Equal("crashed with exit code 3: Traceback: something broke in the trainer", r.Failure);
        Assert.Contains("something broke", File.ReadAllText(Path.Combine(_dir, "logs", "stderr.log")));
    }

    [Fact]
    public async Task HangingTrainerTimesOutAndItsWholeTreeIsKilled()
    {
        var r = await Run("hang", timeout: TimeSpan.FromSeconds(1.5));
        Assert.Equal(TrialRunOutcome.TimedOut, r.Outcome);
        Assert.StartsWith("timed out after 2 s at step 1000 of 1000", r.Failure);
        var grandchild = int.Parse(File.ReadAllText(Path.Combine(_dir, "run", "grandchild.pid")));
        Assert.False(IsAlive(grandchild), $"grandchild {grandchild} survived the tree kill");
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task CancellationKillsTheTrial()
    {
        var (cts, _) = CancelOnceTheTrainerRuns();
        var r = await Run("hang", ct: cts.Token);
        Assert.Equal(TrialRunOutcome.Cancelled, r.Outcome);
        var grandchild = int.Parse(File.ReadAllText(Path.Combine(_dir, "run", "grandchild.pid")));
        Assert.False(IsAlive(grandchild));
    }

    [Fact]
    public async Task AStoppedTrainerIsToldFirstAndGivenTimeToFlush()
    {
        var (cts, _) = CancelOnceTheTrainerRuns();
        var r = await Run("graceful", ct: cts.Token, stopGrace: TimeSpan.FromSeconds(30));
        Assert.Equal(TrialRunOutcome.Cancelled, r.Outcome);
        Assert.Equal("flushed", File.ReadAllText(Path.Combine(_dir, "run", "stopped.txt")));
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(25), $"the trainer exited on SIGTERM, yet the stop took {r.Elapsed.TotalSeconds:F1} s");
        var grandchild = int.Parse(File.ReadAllText(Path.Combine(_dir, "run", "grandchild.pid")));
        Assert.False(IsAlive(grandchild), $"grandchild {grandchild} outlived the trainer's stop");
    }

    [Fact]
    public async Task ATrainerThatIgnoresTheStopIsKilledWithItsTreeAfterTheGrace()
    {
        var (cts, cancelledAt) = CancelOnceTheTrainerRuns();
        var r = await Run("stubborn", ct: cts.Token, stopGrace: TimeSpan.FromSeconds(1));
        var stoppedAfter = DateTime.UtcNow - await cancelledAt;
        Assert.Equal(TrialRunOutcome.Cancelled, r.Outcome);
        Assert.True(stoppedAfter >= TimeSpan.FromSeconds(1), $"killed {stoppedAfter.TotalSeconds:F2} s after the stop: the grace was not given");
        var grandchild = int.Parse(File.ReadAllText(Path.Combine(_dir, "run", "grandchild.pid")));
        Assert.False(IsAlive(grandchild), $"grandchild {grandchild} survived the kill");
    }

    /// <summary>Cancels once the fake trainer runs and has set up its signal handling (it then writes grandchild.pid), however slowly it started; the task gives the time of the cancel.</summary>
    private (CancellationTokenSource, Task<DateTime>) CancelOnceTheTrainerRuns()
    {
        var cts = new CancellationTokenSource();
        var ready = Path.Combine(_dir, "run", "grandchild.pid");
        var cancelled = Task.Run(async () =>
        {
            while (!File.Exists(ready)) await Task.Delay(20);
            var at = DateTime.UtcNow;
            cts.Cancel();
            return at;
        });
        return (cts, cancelled);
    }

    [Theory]
    [InlineData("nan", TrialRunOutcome.NotFinite, "NaN or infinite metric: episode_reward_mean")]
    [InlineData("error", TrialRunOutcome.TrainerReportedError, "the trainer reported: NaN in the policy loss at step 4096")]
    [InlineData("nothing", TrialRunOutcome.NoMetrics, "no metrics: the trainer exited 0 but left neither metrics.json nor TensorBoard scalars in ")]
    public async Task BadResultsBecomeFailuresWithReasons(string mode, TrialRunOutcome outcome, string failureStart)
    {
        var r = await Run(mode);
        Assert.Equal(outcome, r.Outcome);
        Assert.StartsWith(failureStart, r.Failure);
    }

    [Fact]
    public async Task MissingProgramCannotStart()
    {
        var runner = new TrialRunner(new TrainerCommand("/nonexistent/trainer --config {config}"));
        var r = await runner.RunAsync(new TrialRunRequest(Path.Combine(_dir, "c.json"), _dir, _dir, 1, 1, TimeSpan.FromSeconds(5)));
        Assert.Equal(TrialRunOutcome.CouldNotStart, r.Outcome);
        Assert.Contains("/nonexistent/trainer", r.Failure);
    }

    [Fact]
    public void TemplatesExpandPlaceholdersAndQuotes()
    {
        var (program, args) = new TrainerCommand("python3 'my dir/train.py' --config {config} --out \"{run_dir}\" --trial {trial} --seed={seed}")
            .Expand("/c/t 1.json", "/r", 7, 42);
        Assert.Equal("python3", program);
        Assert.Equal(["my dir/train.py", "--config", "/c/t 1.json", "--out", "/r", "--trial", "7", "--seed=42"], args);
        var (sh, shArgs) = new TrainerCommand("cd /x && python3 t.py {config} > log").Expand("/c/it's.json", "/r", 1, 2);
        Assert.Equal("/bin/sh", sh);
        Assert.Equal(["-c", "cd /x && python3 t.py '/c/it'\\''s.json' > log"], shArgs);
    }

    [Theory]
    [InlineData("", "the trainer command is empty")]
    [InlineData("python3 train.py", "names neither {config} nor {run_dir}")]
    [InlineData("python3 'train.py {config}", "has an unclosed ' quote")]
    public void BadTemplatesAreUserErrors(string template, string expected)
    {
        var e = Assert.Throws<UserError>(() => new TrainerCommand(template).Validate("--trainer-command"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("--trainer-command: ", e.Message);
    }

    [Fact]
    public void ProgressLinesParse()
    {
        var full = TrialRunner.ParseProgress("PROGRESS step=10 of=100 reward=-1.5 success=0.25 steps_per_s=900 loss=0.5 note=warm")!;
        Assert.Equal(new TrialProgress(10, 100, -1.5, 0.25) { Values = full.Values }, full);
        Assert.Equal(new Dictionary<string, double> { ["reward"] = -1.5, ["success"] = 0.25, ["steps_per_s"] = 900, ["loss"] = 0.5 }, full.Values);
        var bare = TrialRunner.ParseProgress("PROGRESS step=10 of=100")!;
        Assert.Equal((10L, 100L, (double?)null, (double?)null), (bare.Step, bare.Of, bare.Reward, bare.Success));
        Assert.Empty(bare.Values);
        Assert.True(double.IsNaN(TrialRunner.ParseProgress("PROGRESS step=10 of=100 success=nan")!.Success!.Value));
        Assert.Null(TrialRunner.ParseProgress("PROGRESS reward=3"));
        Assert.Null(TrialRunner.ParseProgress("step=10 of=100"));
    }

    [Fact]
    public void BuiltInTrainerIsThisRltune()
    {
        var template = TrainerCommand.BuiltIn().Template;
        Assert.EndsWith(" train-one --config {config}", template);
        Assert.Contains("rltune", template);
    }

    [Fact]
    public void TimeoutScalesWithSteps()
    {
        var t = new TrialTimeout(TimeSpan.FromSeconds(10), 100);
        Assert.Equal(TimeSpan.FromSeconds(20), t.For(1000));
        Assert.Equal(TimeSpan.FromSeconds(10), t.For(0));
    }

    private static bool IsAlive(int pid)
    {
        // a zombie counts as dead: the kill reached it
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
