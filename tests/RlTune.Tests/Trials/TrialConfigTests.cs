using System.Text.Json.Nodes;
using RlTune.Trials;

namespace RlTune.Tests.Trials;

public sealed class TrialConfigTests
{
    private const string MotrixLabStyle = """
        {
          "run_tag": "hp_trial_007",
          "env_name": "vbot-nav-lite",
          "reward_scales": { "arrival_bonus": 80.0, "termination": -200, "orientation": -0.15 },
          "rl_overrides": { "learning_rate": 0.0003, "max_env_steps": 200000, "seed": 3, "num_envs": 64,
                            "policy_hidden_layer_sizes": [256, 128, 64], "learning_rate_scheduler": "kl", "value_clip": true },
          "checkpoint": "/tmp/best.ckpt",
          "freeze_preprocessor": true,
          "env_overrides": { "spawn_ring": [2.0, 5.0] },
          "study": "s1", "trial": 7, "run_dir": "/tmp/r7",
          "params": { "learning_rate": 0.0003, "termination": -200.0 }
        }
        """;

    [Fact]
    public void ReadsEveryFieldOfTheMotrixLabFormat()
    {
        var c = TrialConfig.Parse(MotrixLabStyle, "t.json");
        Assert.Equal("hp_trial_007", c.RunTag);
        Assert.Equal("vbot-nav-lite", c.EnvName);
        Assert.Equal(-200.0, c.RewardScales["termination"]);
        Assert.Equal(200000L, c.MaxEnvSteps);
        Assert.Equal(3, c.Seed);
        Assert.Equal(64, c.NumEnvs);
        Assert.Equal(0.0003, c.GetDouble("learning_rate"));
        Assert.Equal([256, 128, 64], c.GetIntList("policy_hidden_layer_sizes"));
        Assert.Equal("kl", c.GetString("learning_rate_scheduler"));
        Assert.True(c.GetBool("value_clip"));
        Assert.Null(c.GetDouble("entropy_loss_scale"));
        Assert.Equal("/tmp/best.ckpt", c.Checkpoint);
        Assert.True(c.FreezePreprocessor);
        Assert.Equal(2.0, c.EnvOverrides["spawn_ring"]![0]!.GetValue<double>());
        Assert.Equal("s1", c.Study);
        Assert.Equal(7, c.Trial);
        Assert.Equal("/tmp/r7", c.RunDir);
        Assert.Equal(-200.0, c.Params["termination"]);
    }

    [Fact]
    public void WriteThenReadGivesTheSameConfig()
    {
        var c = TrialConfig.Parse(MotrixLabStyle, "t.json");
        var again = TrialConfig.Parse(c.ToJson(), "again.json");
        Assert.Equal(c.ToJson(), again.ToJson());
        Assert.Equal(ParamValues.Canonical(c.RlOverrides), ParamValues.Canonical(again.RlOverrides));
        // whole doubles stay doubles (the termination weight is a float parameter)
        Assert.IsType<double>(again.Params["termination"]);
        Assert.Contains("\"termination\": -200.0", again.ToJson());
        var resumed = TrialConfig.Parse((c with { Checkpoint = "r/agent.ckpt", Resume = true }).ToJson(), "resumed.json");
        Assert.True(resumed.Resume);
        Assert.False(c.Resume);
    }

    [Fact]
    public void SaveIsAtomicAndReadable()
    {
        var dir = Directory.CreateTempSubdirectory("rltune-cfg-").FullName;
        try
        {
            var path = Path.Combine(dir, "configs", "trial_0001.json");
            TrialConfig.Parse(MotrixLabStyle).Save(path);
            Assert.Equal("hp_trial_007", TrialConfig.Load(path).RunTag);
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("""{"env_name": "x", "rl_override": {}}""", "c.json: unknown key 'rl_override'; expected one of run_tag, env_name")]
    [InlineData("""{"run_tag": "x"}""", "c.json: field 'env_name' is missing")]
    [InlineData("""{"env_name": 3}""", "c.json: field 'env_name' must be a string, got 3.")]
    [InlineData("""{"env_name": "x", "reward_scales": {"a": "big"}}""", "c.json: field 'reward_scales.a' must be a finite number, got \"big\".")]
    [InlineData("""{"env_name": "x", "rl_overrides": {"max_env_steps": -5}}""", "c.json: field 'rl_overrides.max_env_steps' must be a positive integer, got -5.")]
    [InlineData("""{"env_name": "x", "rl_overrides": {"max_env_steps": 1.5}}""", "c.json: field 'rl_overrides.max_env_steps' must be a positive integer, got 1.5.")]
    [InlineData("""{"env_name": "x", "rl_overrides": {"seed": "one"}}""", "c.json: field 'rl_overrides.seed' must be a non-negative integer, got \"one\".")]
    [InlineData("""{"env_name": "x", "rl_overrides": {"x": {"a": 1}}}""", "c.json: field 'rl_overrides.x' must be a number, true/false, a string or a list of those")]
    [InlineData("""{"env_name": "x", "freeze_preprocessor": "yes"}""", "c.json: field 'freeze_preprocessor' must be true or false, got \"yes\".")]
    [InlineData("""{"env_name": "x", "resume": true}""", "c.json: field 'resume' is true but there is no 'checkpoint'; resuming continues the checkpoint named there.")]
    [InlineData("""{"env_name": "x", "checkpoint": "a.ckpt", "resume": 1}""", "c.json: field 'resume' must be true or false, got 1.")]
    [InlineData("""{"env_name": "x", "env_overrides": [1]}""", "c.json: field 'env_overrides' must be a JSON object, got [1].")]
    [InlineData("""{"env_name": "x", "trial": -1}""", "c.json: field 'trial' must be a non-negative integer, got -1.")]
    [InlineData("""[1, 2]""", "c.json: expected a JSON object")]
    [InlineData("""{"env_name": """, "c.json: not valid JSON")]
    public void BadConfigGivesOneClearSentence(string json, string expectedStart)
    {
        var e = Assert.Throws<UserError>(() => TrialConfig.Parse(json, "c.json"));
        Assert.StartsWith(expectedStart, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AYamlConfigIsPointedAtTheExportedJson()
    {
        var e = Assert.Throws<UserError>(() => TrialConfig.Parse("# exported\nenv_name: x\n", "best.yaml"));
        Assert.StartsWith("best.yaml: not valid JSON", e.Message);
        Assert.EndsWith("Trial configs are JSON; `rltune export-best` writes the JSON beside its YAML.", e.Message);
    }

    [Fact]
    public void TypedAccessorsExplainWrongTypes()
    {
        var c = TrialConfig.Parse("""{"env_name": "x", "rl_overrides": {"rollouts": 2.5, "sizes": [], "lr": "fast", "clip": 1}}""", "c.json");
        Assert.Equal("c.json: field 'rl_overrides.rollouts' must be a positive integer, got 2.5.", Assert.Throws<UserError>(() => c.GetLong("rollouts", min: 1)).Message);
        Assert.Equal("c.json: field 'rl_overrides.sizes' must be a non-empty list of positive integers, got [].", Assert.Throws<UserError>(() => c.GetIntList("sizes")).Message);
        Assert.Equal("c.json: field 'rl_overrides.lr' must be a finite number, got \"fast\".", Assert.Throws<UserError>(() => c.GetDouble("lr")).Message);
        Assert.Equal("c.json: field 'rl_overrides.clip' must be true or false, got 1.", Assert.Throws<UserError>(() => c.GetBool("clip")).Message);
        var e = Assert.Throws<UserError>(() => c.RequireKnownRlOverrides(["rollouts", "sizes", "lr"]));
        Assert.Equal("c.json: unknown key 'rl_overrides.clip'; expected one of lr, rollouts, sizes.", e.Message);
    }

    [Fact]
    public void PythonStyleWholeFloatStepsAreAccepted()
    {
        var c = TrialConfig.Parse("""{"env_name": "x", "rl_overrides": {"max_env_steps": 1e6}}""");
        Assert.Equal(1_000_000L, c.MaxEnvSteps);
        Assert.Empty(c.EnvOverrides);
        Assert.Equal(new JsonObject().ToJsonString(), c.EnvOverrides.ToJsonString());
    }
}
