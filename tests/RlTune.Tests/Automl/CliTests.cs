using System.Diagnostics;
using System.Text.Json;
using RlTune.Study;
using RlTune.Tests.Trials;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

public sealed class CliTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private string[] Base(string mode = "metrics", params string[] more) =>
    [
        "automl", "--space", _h.WriteFile("tiny.yaml", AutomlHarness.TinySpace), "--env", "fake-env", "--output", _h.Output,
        "--trainer-command", TrialRunnerTests.Fake(mode).Template, "--objective", "value", "--direction", "minimize",
        "--steps", "1000", "--search-method", "random", .. more,
    ];

    [Fact]
    public void AutomlAndStatusPrintWhereTheResultsAre()
    {
        var (code, stdout, stderr) = _h.Cli(Base("metrics", "--hp-trials", "3", "--study", "c1", "--parallel", "2"));
        Assert.True(code == 0, stderr);
        Assert.Contains("study c1 stopped: completed: 3 trials", stdout);
        Assert.Contains($"report:  {Path.Combine(_h.Output, "c1", "report.md")}", stdout);
        Assert.Contains($"open in a browser: {Path.Combine(_h.Output, "c1", "report.html")}", stdout);
        Assert.Contains("[report.html](report.html)", File.ReadAllText(Path.Combine(_h.Output, "c1", "report.md")));
        Assert.Contains("trial 2 complete: score", stdout);   // plain lines when stdout is not a terminal
        var status = _h.Cli("status", "--output", _h.Output, "--study", "c1");
        Assert.Equal(0, status.Code);
        Assert.Contains("study c1 (hp-search, minimize): stopped - completed: 3 trials", status.Stdout);
        Assert.Contains("trials: 3 complete", status.Stdout);
        var json = JsonDocument.Parse(_h.Cli("status", "--output", _h.Output, "--json").Stdout).RootElement;
        Assert.Equal("c1", json.GetProperty("study").GetString());
        Assert.Equal(3, json.GetProperty("complete").GetInt32());
    }

    [Theory]
    [InlineData("automl")]
    [InlineData("worker")]
    [InlineData("status")]
    public void HelpListsTheSharedOptions(string command)
    {
        var (code, stdout, stderr) = _h.Cli(command, "--help");
        Assert.True(code == 0, stderr);
        Assert.Contains("--output <DIR>", stdout);
        Assert.Contains("--study <NAME>", stdout);
        if (command != "status") Assert.Contains("--stale-after <SECONDS>", stdout);
    }

    [Theory]
    [InlineData("fail", TrialState.Failed)]
    [InlineData("requeue", TrialState.Complete)]
    public async Task AutomlTakesStaleAfterAndOnStaleLikeTheWorker(string onStale, TrialState expected)
    {
        Assert.Equal(0, _h.Cli(Base("metrics", "--hp-trials", "1", "--study", "st")).Code);
        using (var store = RlTune.Storage.StoreFactory.Open(null, _h.Output))
        {
            // a trial another machine's worker took and then stopped beating for
            var study = store.FindStudy("st")!;
            store.AddTrial(study.Id, TrialState.Running, new Dictionary<string, object> { ["learning_rate"] = 1e-4, ["x"] = 0.5, ["arrival_bonus"] = 0.5 }, 0, "sampler:random", null, "elsewhere:1:dead0000");
        }
        await Task.Delay(1500);
        var (code, stdout, stderr) = _h.Cli("automl", "--resume", "--study", "st", "--output", _h.Output, "--hp-trials", "3", "--stale-after", "1", "--on-stale", onStale);
        Assert.True(code == 0, stderr);
        Assert.Contains($"trial 1 lost its worker (no heartbeat for 1 s); {(onStale == "fail" ? "marked failed" : "it will be run again")}", stdout);
        var trials = _h.Read("st").Trials;
        Assert.Equal(expected, trials[1].State);
        Assert.Equal(3, trials.Count);
    }

    [Theory]
    [InlineData(new[] { "--mode", "nope" }, "--mode: 'nope' is not a mode; expected hp-search, stage, full, eval or pbt.")]
    [InlineData(new[] { "--hp-trials", "0" }, "--hp-trials: expected at least 1 trial, got 0.")]
    [InlineData(new[] { "--search-method", "magic" }, "--search-method: 'magic' is not known; expected grid, random, bayesian or tpe.")]
    [InlineData(new[] { "--env-overrides", "{oops" }, "--env-overrides: not valid JSON")]
    [InlineData(new[] { "--direction", "up" }, "--direction: 'up' is not known; expected maximize or minimize.")]
    [InlineData(new[] { "--audit", "loud" }, "--audit: 'loud' is not a policy; expected warn, skip or off.")]
    [InlineData(new[] { "--rank-by", "median" }, "--rank-by: 'median' is not known; expected mean or mean-std.")]
    [InlineData(new[] { "--seed-configs", "missing.json" }, "--seed-configs: file '")]
    [InlineData(new[] { "--checkpoint", "missing.ckpt" }, "missing.ckpt' does not exist.")]
    [InlineData(new[] { "--trainer-command", "python3 train.py" }, "--trainer-command: the trainer command \"python3 train.py\" names neither {config} nor {run_dir}")]
    [InlineData(new[] { "--hp-trials", "many" }, "many")]
    [InlineData(new[] { "--study", "a/b" }, "--study: 'a/b' may use only letters, digits")]
    [InlineData(new[] { "--resume", "--study", "ghost" }, "--resume: there is no study 'ghost'")]
    [InlineData(new[] { "--preset", "nope" }, "--preset: nope: no such search-space file, and not a preset")]
    public void BadFlagsGiveOneClearSentenceAndExitCode1(string[] flags, string expected)
    {
        var args = Base().Concat(flags).ToArray();
        if (flags.Contains("--preset")) args = args.Where((a, i) => a != "--space" && (i == 0 || args[i - 1] != "--space")).ToArray();
        var (code, _, stderr) = _h.Cli(args);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.StartsWith("rltune: ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void BadStudyYamlNamesFileLineAndField()
    {
        var yaml = _h.WriteFile("study.yaml", "hp_trials: 3\nsteps_per_trial: lots\n");
        var (code, _, stderr) = _h.Cli("automl", "--config", yaml);
        Assert.Equal(1, code);
        Assert.Equal($"rltune: {yaml}:2: steps_per_trial: expected an integer of at least 1, got 'lots'.", stderr.Trim());
    }

    [Fact]
    public void StudyYamlIsReadAndFlagsOverrideIt()
    {
        var yaml = _h.WriteFile("study.yaml", $$"""
            study: fromyaml
            search_method: random
            hp_trials: 5
            steps_per_trial: 1000
            space: tiny.yaml
            env: fake-env
            output: {{_h.Output}}
            trainer_command: '{{TrialRunnerTests.Fake("metrics").Template.Replace("'", "''")}}'
            objective: { metric: value, direction: minimize }
            """);
        _h.WriteFile("tiny.yaml", AutomlHarness.TinySpace);
        var (code, stdout, stderr) = _h.Cli("automl", "--config", yaml, "--hp-trials", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("study fromyaml stopped: completed: 2 trials", stdout);
        // resume without --config takes the stored settings; the flag raises the target
        var again = _h.Cli("automl", "--resume", "--output", _h.Output, "--hp-trials", "3");
        Assert.True(again.Code == 0, again.Stderr);
        Assert.Contains("study fromyaml stopped: completed: 3 trials", again.Stdout);
        Assert.Equal(3, _h.Read("fromyaml").Trials.Count);
    }

    [Fact]
    public async Task KillMinus9ThenResumeLosesAndRepeatsNothing()
    {
        var args = Base("metrics@0.5", "--hp-trials", "6", "--study", "k", "--parallel", "2");
        await _h.CliAsync(args, p =>
        {
            // kill once some trials completed while another is running
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !(CountState(TrialState.Complete) >= 2 && CountState(TrialState.Running) >= 1)) Thread.Sleep(20);
            Process.Start("kill", ["-9", p.Id.ToString()])!.WaitForExit();
        });
        var before = _h.Read("k").Trials;
        string States(IEnumerable<TrialRecord> ts) => string.Join(", ", ts.Select(t => $"{t.Number}:{t.State.ToText()}"));
        var completeBefore = before.Where(t => t.State == TrialState.Complete).ToDictionary(t => t.Number, t => t.Score);
        Assert.True(completeBefore.Count is >= 2 and < 6, States(before));
        var (code, stdout, stderr) = await _h.CliAsync(["automl", "--resume", "--study", "k", "--output", _h.Output]);
        Assert.True(code == 0, stderr);
        Assert.Contains("completed: 6 trials", stdout);
        var after = _h.Read("k").Trials;
        Assert.True(after.Count == 6 && after.All(t => t.State == TrialState.Complete), States(after) + "\n" + stdout);
        // intensification (auto) may repeat a configuration on further seeds, never on the same seed twice
        Assert.Equal(6, after.Select(t => ParamValues.Canonical(t.Params) + "@" + t.Seed).Distinct().Count());
        foreach (var (n, score) in completeBefore) Assert.Equal(score, after.Single(t => t.Number == n).Score);
        Assert.All(after, t => Assert.Single(t.SeedRuns));  // the re-run interrupted trial kept no partial seed run
    }

    private int CountState(TrialState state)
    {
        try
        {
            return _h.Read("k").Trials.Count(t => t.State == state);
        }
        catch (Exception)
        {
            return 0; // store not created yet
        }
    }

    [Fact]
    public void PublicBraninThroughTheTrainerCommand()
    {
        // our own copy of the public Branin objective, so the test needs nothing outside the repository
        var data = Path.Combine(AppContext.BaseDirectory, "TestData");
        var functions = Path.Combine(data, "trainers", "branin.py");
        var space = Path.Combine(data, "spaces", "branin.yaml");
        var (code, stdout, stderr) = _h.Cli("automl", "--space", space, "--output", _h.Output, "--study", "branin", "--hp-trials", "8",
            "--search-method", "bayesian", "--warmup-trials", "4", "--trainer-command", $"/usr/bin/python3 {functions} {{config}} {{run_dir}}",
            "--objective", "value", "--direction", "minimize", "--parallel", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("completed: 8 trials", stdout);
        var trials = _h.Read("branin").Trials;
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.All(trials, t => Assert.InRange(t.Score!.Value, 0.397, 310));   // branin's range over its box
    }
}
