namespace RlTune.Tests.Cli;

/// <summary>Cases from the newcomer and bad-input audit: each ends with one clear sentence (exit 1) or does what the user asked.</summary>
public sealed class NewcomerAuditTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rltune-audit-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private RltuneProcess.Result Run(params string[] args) => RltuneProcess.RunIn(_root, args);

    /// <summary>Fails unless the command ended with exit 1 and one sentence on stderr containing <paramref name="expected"/>.</summary>
    private static void AssertOneSentence(RltuneProcess.Result r, string expected)
    {
        Assert.True(r.Code == 1, $"exit {r.Code}: {r.Out}{r.Err}");
        Assert.StartsWith("rltune: ", r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("internal error", r.Err);
    }

    [Fact]
    public void TrainTakesTheEnvFromTheFlagWhenTheConfigHasNoEnvName()
    {
        var config = Write("c.json", """{ "reward_scales": { "arrival_bonus": 2.0 }, "rl_overrides": { "learning_rate": 0.0003 } }""");
        var runDir = Path.Combine(_root, "run");
        var r = Run("train", "--env", "vbot-nav-lite", "--config", config, "--steps", "512", "--num-envs", "16", "--output", runDir,
            "--threads", "1", "--env-threads", "1", "--eval-episodes", "2");
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.True(File.Exists(Path.Combine(runDir, "metrics.json")));
    }

    [Fact]
    public void ADirectoryGivenAsTheConfigIsNamedAsADirectory()
    {
        Directory.CreateDirectory(Path.Combine(_root, "cfgdir"));
        AssertOneSentence(Run("train", "--env", "vbot-nav-lite", "--config", "cfgdir"), "cfgdir: is a directory; expected a trial config JSON file.");
    }

    [Theory]
    [InlineData("--hp-trials", "abc", "--hp-trials: 'abc' is not a whole number up to 2147483647.")]
    [InlineData("--hp-trials", "99999999999", "--hp-trials: '99999999999' is not a whole number up to 2147483647.")]
    [InlineData("--steps", "99999999999999999999", "--steps: '99999999999999999999' is not a whole number up to 9223372036854775807.")]
    [InlineData("--hp-trials", null, "--hp-trials: expected a whole number up to 2147483647 after it, got nothing.")]
    public void AFlagValueThatIsNotANumberNamesTheFlag(string flag, string? value, string expected)
    {
        string[] args = value is null ? ["automl", "--output", "runs", flag] : ["automl", flag, value, "--output", "runs"];
        AssertOneSentence(Run(args), expected);
        AssertOneSentence(Run(value is null ? ["train", "--steps"] : ["train", "--steps", "99999999999999999999"]), "--steps: ");
    }

    [Fact]
    public void AnUnclosedBraceInASpaceIsNamedAsYamlNotAnInternalError()
    {
        var space = Write("b.yaml", "ppo_params:\n  learning_rate: { type: uniform, low: 0, high: 1\nreward_weights: {}\n");
        AssertOneSentence(Run("space", space), "b.yaml: the file is not valid YAML (the parser stopped; check that every '{' and '[' is closed).");
        var study = Write("s.yaml", "study: x\nenv_overrides: { spawn_ring: [2, 5]\nhp_trials: 2\n");
        AssertOneSentence(Run("automl", "--config", study), "s.yaml: ");
    }

    [Fact]
    public void ADirectoryGivenAsTheSpaceIsNamedAsADirectory()
    {
        Directory.CreateDirectory(Path.Combine(_root, "spacedir"));
        AssertOneSentence(Run("space", "spacedir"), "spacedir: is a directory; expected a search-space YAML file or a preset");
        AssertOneSentence(Run("automl", "--space", "spacedir", "--output", "runs"), "spacedir: is a directory; expected a search-space YAML file.");
    }

    [Theory]
    [InlineData("--env-overrides", """{"spawn_ring": "far"}""", "env_overrides.spawn_ring: expected [inner, outer] radii")]
    [InlineData("--space", "lacking.yaml", "lacking.yaml: reward_scales.no_such_term: environment 'vbot-nav-lite' has no reward term 'no_such_term'")]
    [InlineData("--space", "infeasible.yaml", "infeasible.yaml: constraints: no feasible configuration")]
    [InlineData("--seed-configs", "first.json", "first.json")]
    public void AStudyThatCannotRunIsRefusedBeforeItIsStoredSoTheCorrectedCommandRuns(string flag, string value, string expected)
    {
        Write("first.json", """{ "learning_rate": "fast" }""");
        Write("lacking.yaml", "search_space_id: t\nppo_params: {}\nreward_weights:\n  no_such_term: { type: uniform, low: 0, high: 1 }\n");
        Write("infeasible.yaml", "search_space_id: t\nppo_params:\n  learning_rate: { type: uniform, low: 0.1, high: 0.2 }\nreward_weights: {}\nconstraints:\n  - \"learning_rate > 0\"\n");
        AssertOneSentence(Run("automl", "--study", "nav", "--output", "runs", flag, value), expected);
        // nothing was stored: the study name is still free
        AssertOneSentence(Run("status", "--study", "nav", "--output", "runs"), "--study: there is no study 'nav' in ");
    }

    [Fact]
    public void AWorkerForAMissingStoreCreatesNothingAndAMissingStudyListsTheStudiesThere()
    {
        AssertOneSentence(Run("worker", "--study", "x", "--output", "newdir"), "--output: there is no study store in ");
        Assert.False(Directory.Exists(Path.Combine(_root, "newdir")));
        using (var store = RlTune.Storage.StoreFactory.Open(null, Path.Combine(_root, "runs")))
        {
            store.CreateOrOpenStudy("beta", "maximize", "{}");
            store.CreateOrOpenStudy("alpha", "maximize", "{}");
        }
        AssertOneSentence(Run("worker", "--study", "x", "--output", "runs"), "--study: there is no study 'x' in " + Path.Combine(_root, "runs") + "; its studies are alpha, beta.");
        AssertOneSentence(Run("status", "--study", "x", "--output", "runs"), "; its studies are alpha, beta.");
    }

    [Fact]
    public void AStoreFileThatIsADirectoryIsNamedAsSuch()
    {
        Directory.CreateDirectory(Path.Combine(_root, "runs", "rltune.db"));
        AssertOneSentence(Run("status", "--output", "runs"), "rltune.db is a directory, not a study store");
    }

    [Theory]
    [InlineData("""{ "env_name": "vbot-nav-lite", "rl_overrides": { "learning_rate": 1e6 } }""", "rl_overrides.learning_rate must be a positive number of at most 1")]
    [InlineData("""{ "env_name": "vbot-nav-lite", "rl_overrides": { "max_env_steps": 1e18 } }""", "field 'rl_overrides.max_env_steps' must be a positive integer below 9e15 (it is too large)")]
    public void ATrialConfigValueNoTrainingCanUseIsRefused(string json, string expected)
    {
        var config = Write("c.json", json);
        AssertOneSentence(Run("train-one", "--config", config, "--threads", "1", "--env-threads", "1"), expected);
    }

    [Fact]
    public void ZeroEvaluationEpisodesAreRefused()
    {
        AssertOneSentence(Run("train", "--env", "vbot-nav-lite", "--steps", "512", "--num-envs", "16", "--eval-episodes", "0"), "--eval-episodes must be at least 1, not 0.");
        Assert.False(Directory.Exists(Path.Combine(_root, "runs")));
    }

    [Fact]
    public void AnObjectiveTheBuiltInTrainerDoesNotWriteIsRefusedBeforeAnyTrial()
    {
        AssertOneSentence(Run("automl", "--objective", "value", "--output", "runs", "--study", "x"),
            "--objective: the built-in trainer writes no metric 'value' for vbot-nav-lite; it writes episode_reward_mean, episode_reward_std, success_rate,");
    }

    [Fact]
    public void TrainOneTakesStepsAndTwoRunsInTheSameSecondGetTheirOwnRunDirs()
    {
        var config = Write("c.json", """{ "env_name": "vbot-nav-lite", "run_tag": "same", "rl_overrides": { "num_envs": 16, "max_env_steps": 100000000 } }""");
        var runs = Enumerable.Range(0, 2).AsParallel()
            .Select(_ => Run("train-one", "--config", config, "--steps", "512", "--threads", "1", "--env-threads", "1", "--eval-episodes", "2")).ToList();
        Assert.All(runs, r => Assert.True(r.Code == 0, r.Out + r.Err));
        var dirs = runs.Select(r => r.Out.Split('\n').First(l => l.StartsWith("PIPELINE_RUN_DIR=", StringComparison.Ordinal))["PIPELINE_RUN_DIR=".Length..].Trim()).ToList();
        Assert.NotEqual(dirs[0], dirs[1]);
        foreach (var dir in dirs)
            Assert.InRange(RlTune.Trials.MetricsReader.Read(dir)!.Values["train_env_steps"], 1, 2048); // whole rollouts of 16 envs, not the config's 100M
    }

    [Fact]
    public void TheExportedCommandRetrainsWithTheTrialsThreadsAndPlayUsesTheCheckpointsRingAndLimit()
    {
        var config = Write("c.json", """
            { "env_name": "vbot-nav-lite", "rl_overrides": { "num_envs": 16, "rollouts": 16, "mini_batches": 4, "max_env_steps": 1024, "seed": 3 },
              "env_overrides": { "spawn_ring": [2, 5], "max_episode_steps": 300 } }
            """);
        IReadOnlyDictionary<string, double> Train(string dir, string threads)
        {
            var r = Run("train", "--config", config, "--output", dir, "--threads", threads, "--env-threads", "1", "--eval-episodes", "8");
            Assert.True(r.Code == 0, r.Out + r.Err);
            return RlTune.Trials.MetricsReader.Read(Path.Combine(_root, dir))!.Values;
        }
        var trial = Train("trial", "1");
        Assert.Equal(1, trial["train_threads"]);
        var measured = new RlTune.Analysis.Measurement("s", 0, null, null, trial, []);
        Assert.Equal("rltune train-one --config best.json --threads 1", measured.TrainCommand("best.json"));
        // the same threads give the same run, so the printed command reproduces the trial's score
        var again = Train("again", "1");
        foreach (var key in new[] { "episode_reward_mean", "success_rate", "termination_rate", "episode_length_mean" })
            Assert.Equal(trial[key], again[key]);

        var play = Run("play", "--checkpoint", Path.Combine("trial", "checkpoints", "final_agent.ckpt"), "--robots", "2", "--out", "traj.png");
        Assert.True(play.Code == 0, play.Out + play.Err);
        Assert.Contains("spawn ring 2-5 m, episode limit 300 steps (the checkpoint's env_overrides)", play.Out);
        // the lite env has no body to render, and a frame needs a size
        var checkpoint = Path.Combine("trial", "checkpoints", "final_agent.ckpt");
        AssertOneSentence(Run("play", "--checkpoint", checkpoint, "--strip", "walk.png"), "--strip and --frames render the full-body vbot-nav; ");
        AssertOneSentence(Run("play", "--checkpoint", checkpoint, "--strip", "walk.png", "--frame-size", "320"), "--frame-size must be WIDTHxHEIGHT in pixels");
    }

    [Fact]
    public void AnUnwritableOutputOrRunDirIsOneSentence()
    {
        Write("afile", "not a directory");
        AssertOneSentence(Run("automl", "--output", Path.Combine("afile", "runs")), "--output: cannot write to ");
        AssertOneSentence(Run("train", "--env", "vbot-nav-lite", "--steps", "256", "--num-envs", "16", "--output", "afile"), "--output: " + Path.Combine(_root, "afile") + " is a file; expected a directory to write into.");
        var config = Write("c.json", """{ "env_name": "vbot-nav-lite", "run_dir": "afile/run", "rl_overrides": { "num_envs": 16, "max_env_steps": 256 } }""");
        AssertOneSentence(Run("train-one", "--config", config), "c.json: field 'run_dir': cannot write to ");
    }
}
