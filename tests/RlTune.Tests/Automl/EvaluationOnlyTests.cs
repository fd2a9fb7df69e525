using System.Text.Json.Nodes;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>train-one's evaluation-only path (rl_overrides.eval_only with a checkpoint), alone and from automl --mode eval.</summary>
public sealed class EvaluationOnlyTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static readonly string[] EvaluationKeys =
        ["episode_reward_mean", "episode_reward_std", "success_rate", "termination_rate", "episode_length_mean", "evaluation_episodes", "fall", "reached_fraction"];

    /// <summary>Trains a tiny nav-lite policy with train-one; returns its run dir.</summary>
    private string TrainTiny(int seed)
    {
        var runDir = Path.Combine(_h.Root, "train");
        var config = _h.WriteFile("train.json", $$"""
            {"env_name": "vbot-nav-lite", "rl_overrides": {"max_env_steps": 4096, "num_envs": 32, "seed": {{seed}}, "rollouts": 16, "mini_batches": 2},
             "run_dir": "{{runDir}}"}
            """);
        var (code, _, stderr) = _h.Cli("train-one", "--config", config, "--threads", "1", "--env-threads", "1");
        Assert.True(code == 0, stderr);
        return runDir;
    }

    private static JsonObject Metrics(string runDir) => JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "metrics.json")))!.AsObject();

    [Fact]
    public void EvaluatingTheFinalCheckpointRepeatsTheTrainingRunsOwnEvaluation()
    {
        var trained = TrainTiny(seed: 5);
        var evalDir = Path.Combine(_h.Root, "eval");
        var config = _h.WriteFile("eval.json", $$"""
            {"env_name": "vbot-nav-lite", "checkpoint": "{{Path.Combine(trained, "checkpoints", "final_agent.ckpt")}}",
             "rl_overrides": {"eval_only": true, "seed": 5}, "run_dir": "{{evalDir}}"}
            """);
        var (code, stdout, stderr) = _h.Cli("train-one", "--config", config, "--threads", "1", "--env-threads", "1");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("PROGRESS", stdout);   // nothing was trained
        var training = Metrics(trained);
        var evaluation = Metrics(evalDir);
        foreach (var key in EvaluationKeys)
            Assert.Equal(training[key]!.GetValue<double>(), evaluation[key]!.GetValue<double>());
        Assert.Equal(4096, evaluation["checkpoint_env_steps"]!.GetValue<long>());
        Assert.False(evaluation.ContainsKey("train_env_steps"));
        Assert.False(Directory.Exists(Path.Combine(evalDir, "checkpoints")));

        // another seed evaluates other episodes: the seed is used, not ignored
        var other = _h.WriteFile("eval6.json", File.ReadAllText(config).Replace("\"seed\": 5", "\"seed\": 6").Replace(evalDir, evalDir + "6"));
        Assert.Equal(0, _h.Cli("train-one", "--config", other, "--threads", "1", "--env-threads", "1").Code);
        Assert.NotEqual(evaluation["episode_reward_mean"]!.GetValue<double>(), Metrics(evalDir + "6")["episode_reward_mean"]!.GetValue<double>());
    }

    [Fact]
    public void EvaluationOnlyWithoutACheckpointIsOneClearError()
    {
        var config = _h.WriteFile("eval.json", """{"env_name": "vbot-nav-lite", "rl_overrides": {"eval_only": true, "eval_episodes": 8}}""");
        var (code, stdout, stderr) = _h.Cli("train-one", "--config", config);
        Assert.Equal(1, code);
        Assert.Equal($"rltune: {config}: field 'rl_overrides.eval_only' is true but there is no 'checkpoint'; an evaluation-only run needs the checkpoint to evaluate.", stderr.Trim());
        Assert.DoesNotContain("PIPELINE_RUN_DIR", stdout);
    }

    [Fact]
    public void TrainRefusesAnEvaluationOnlyConfigInsteadOfTrainingIt()
    {
        var config = _h.WriteFile("eval-train.json", """{"env_name": "vbot-nav-lite", "checkpoint": "some.ckpt", "rl_overrides": {"eval_only": true}}""");
        var (code, stdout, stderr) = _h.Cli("train", "--config", config, "--steps", "1000");
        Assert.Equal(1, code);
        Assert.Equal($"rltune: {config}: rl_overrides.eval_only is true, which `train` does not do; evaluate it with `rltune train-one --config {config}` or `rltune automl --mode eval`.", stderr.Trim());
        Assert.DoesNotContain("PROGRESS", stdout);
    }

    [Fact]
    public async Task AutomlEvalOfACheckpointUsesTheEvaluationOnlyPath()
    {
        var trained = TrainTiny(seed: 3);
        var space = _h.WriteFile("lr.yaml", """
            search_space_id: lr_only
            ppo_params:
              learning_rate: { type: loguniform, low: 1.0e-5, high: 1.0e-2, prior: 3.0e-4 }
            reward_weights: {}
            """);
        var s = new StudySettings
        {
            Mode = StudyMode.Eval, StudyName = "ev", Output = _h.Output, Space = space, Seed = 3, SeedsPerTrial = 1, EvalEpisodes = 32,
            Checkpoint = Path.Combine(trained, "checkpoints", "final_agent.ckpt"), ThreadsPerTrial = 1,
        };
        var r = await AutomlHarness.Run(s);
        Assert.StartsWith("evaluated over 1 of 1 seeds", r.StopReason);
        var config = TrialConfig.Load(Path.Combine(_h.Output, "ev", "configs", "eval_seed_3.json"));
        Assert.True(config.EvalOnly);
        Assert.Equal(32, config.EvalEpisodes);
        Assert.Equal(3e-4, config.GetDouble("learning_rate"));   // the space's value, not a near-zero rate that trains a little
        var evaluated = Metrics(Path.Combine(_h.Output, "ev", "eval", "seed_3"));
        var training = Metrics(trained);
        foreach (var key in EvaluationKeys)
            Assert.Equal(training[key]!.GetValue<double>(), evaluated[key]!.GetValue<double>());
    }
}
