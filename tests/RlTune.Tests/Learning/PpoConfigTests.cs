using System.Text.Json.Nodes;
using RlTune.Learning;

namespace RlTune.Tests.Learning;

public sealed class PpoConfigTests
{
    private static PpoConfig Apply(string json) => new PpoConfig().With(JsonNode.Parse(json)!.AsObject(), "trial.json");

    [Fact]
    public void DefaultsAreTheSeeds()
    {
        var c = new PpoConfig();
        Assert.Equal([256, 128, 64], c.PolicyHiddenLayerSizes);
        Assert.Equal([512, 256, 128], c.ValueHiddenLayerSizes);
        Assert.Equal((24, 5, 32), (c.Rollouts, c.LearningEpochs, c.MiniBatches));
        Assert.Equal((0.99, 0.95, 3e-4, 0.2, 1e-3, 1.0), (c.DiscountFactor, c.Lambda, c.LearningRate, c.RatioClip, c.EntropyLossScale, c.GradNormClip));
    }

    [Fact]
    public void OverridesApplyWithSkrlNames()
    {
        var c = Apply("""{"rollouts": 48, "lambda": 0.9, "learning_rate_scheduler": "linear", "entropy_loss_scale_scheduler": "linear", "policy_hidden_layer_sizes": [128, 64], "max_env_steps": 1000000, "seed": 7, "num_envs": 256}""");
        Assert.Equal(48, c.Rollouts);
        Assert.Equal(0.9, c.Lambda);
        Assert.Equal(ScheduleKind.Linear, c.LearningRateScheduler);
        Assert.Equal(ScheduleKind.Linear, c.EntropyLossScaleScheduler);
        Assert.Equal(ScheduleKind.None, new PpoConfig().EntropyLossScaleScheduler);
        Assert.Equal([128, 64], c.PolicyHiddenLayerSizes);
        Assert.Equal((1_000_000L, 7, 256), (c.MaxEnvSteps, c.Seed, c.NumEnvs));
        Assert.Equal(c, new PpoConfig().With(c.ToJson(), "round trip") with { PolicyHiddenLayerSizes = c.PolicyHiddenLayerSizes, ValueHiddenLayerSizes = c.ValueHiddenLayerSizes });
    }

    [Theory]
    [InlineData("""{"learning_rat": 0.001}""", "unknown key 'learning_rat'")]
    [InlineData("""{"learning_rate": "fast"}""", "rl_overrides.learning_rate must be a finite number")]
    [InlineData("""{"rollouts": 2.5}""", "rl_overrides.rollouts must be an integer")]
    [InlineData("""{"max_env_steps": -5}""", "rl_overrides.max_env_steps must be a positive integer")]
    [InlineData("""{"policy_hidden_layer_sizes": []}""", "rl_overrides.policy_hidden_layer_sizes must be a non-empty list")]
    [InlineData("""{"value_hidden_layer_sizes": 64}""", "rl_overrides.value_hidden_layer_sizes must be a list of layer sizes")]
    [InlineData("""{"learning_rate_scheduler": "cosine"}""", "must be none, kl_adaptive or linear")]
    [InlineData("""{"entropy_loss_scale_scheduler": "kl_adaptive"}""", "entropy_loss_scale_scheduler must be none or linear")]
    [InlineData("""{"mini_batches": 100000, "num_envs": 4, "rollouts": 2}""", "rl_overrides.mini_batches must be at most rollouts x num_envs")]
    [InlineData("""{"clip_predicted_values": 1}""", "must be true or false")]
    public void BadValuesGiveOneClearSentence(string json, string expected)
    {
        var e = Assert.Throws<UserError>(() => Apply(json));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("trial.json", e.Message);
    }
}
