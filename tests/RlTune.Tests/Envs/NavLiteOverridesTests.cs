using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNavLite;
using static RlTune.Tests.Envs.NavLiteTestKit;

namespace RlTune.Tests.Envs;

public class NavLiteOverridesTests
{
    private static NavLiteSettings Parse(string json) => NavLiteOverrides.Parse((JsonObject)JsonNode.Parse(json)!);

    [Fact]
    public void DefaultsAreTheCompetitionTask()
    {
        var s = NavLiteOverrides.Parse(null);
        Assert.Equal((8.0, 11.0), (s.SpawnInnerRadius, s.SpawnOuterRadius));
        Assert.Equal((0.0, 0.0), (s.TargetX, s.TargetY));
        Assert.Equal(1000, s.MaxEpisodeSteps);
        Assert.Equal(1.0, s.NoiseLevel);
        Assert.Equal(50, s.SuccessHoldSteps);
    }

    [Fact]
    public void OverridesBuiltInCodeWithIntegersAreAccepted()
    {
        var s = NavLiteOverrides.Parse(new JsonObject { ["max_episode_steps"] = 100, ["spawn_ring"] = new JsonArray(2, 5), ["noise_level"] = 0.5f });
        Assert.Equal(100, s.MaxEpisodeSteps);
        Assert.Equal((2.0, 5.0), (s.SpawnInnerRadius, s.SpawnOuterRadius));
        Assert.Equal(0.5, s.NoiseLevel, 6);
    }

    [Fact]
    public void EverySettingIsRead()
    {
        var s = Parse("""{"spawn_inner_radius": 5, "spawn_outer_radius": 8, "target": [1, -2], "max_episode_steps": 600, "noise_level": 0.5, "fall_threshold": 0.9, "success_hold_steps": 10}""");
        Assert.Equal(new NavLiteSettings
        {
            SpawnInnerRadius = 5, SpawnOuterRadius = 8, TargetX = 1, TargetY = -2, MaxEpisodeSteps = 600,
            NoiseLevel = 0.5, FallThreshold = 0.9, SuccessHoldSteps = 10,
        }, s);
        Assert.Equal((2.0, 5.0), Parse("""{"spawn_ring": [2, 5]}""") is var r ? (r.SpawnInnerRadius, r.SpawnOuterRadius) : default);
    }

    [Theory]
    [InlineData("""{"spawn_radius": 3}""", "env_overrides.spawn_radius", "spawn_ring")]
    [InlineData("""{"noise_level": -1}""", "env_overrides.noise_level", "from 0 to 10")]
    [InlineData("""{"noise_level": "high"}""", "env_overrides.noise_level", "\"high\"")]
    [InlineData("""{"max_episode_steps": 10.5}""", "env_overrides.max_episode_steps", "whole number")]
    [InlineData("""{"fall_threshold": 3}""", "env_overrides.fall_threshold", "from 0.05 to 1.5")]
    [InlineData("""{"target": [20, 0]}""", "env_overrides.target", "12")]
    [InlineData("""{"target": [1]}""", "env_overrides.target", "[x, y]")]
    [InlineData("""{"spawn_ring": [6, 3]}""", "spawn_inner_radius", "must not exceed")]
    [InlineData("""{"spawn_outer_radius": 12.4}""", "env_overrides.spawn_outer_radius", "at most 12")]
    public void BadOverridesGiveOneClearSentence(string json, string names, string says)
    {
        var e = Assert.Throws<UserError>(() => Parse(json));
        Assert.Contains(names, e.Message);
        Assert.Contains(says, e.Message);
        Assert.EndsWith(".", e.Message);
    }

    [Fact]
    public void AnUnknownRewardNamesTheEnvsTerms()
    {
        var e = Assert.Throws<UserError>(() => EnvRegistry.Create("vbot-nav-lite",
            new EnvOptions(4, new Dictionary<string, double> { ["alive_bonus"] = 0.1, ["torques"] = -1e-5 })));
        Assert.Contains("reward_scales.torques", e.Message);
        Assert.Contains("vbot-nav-lite", e.Message);
        foreach (var name in RewardTerms.Names) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void GivenWeightsReplaceTheDefaultsAndTheRestKeepThem()
    {
        using var env = Create(4, new Dictionary<string, double> { ["alive_bonus"] = 1.0, ["arrival_bonus"] = 10 });
        Assert.Equal(1.0f, env.Weights[RewardTerms.AliveBonus]);
        Assert.Equal(10f, env.Weights[RewardTerms.ArrivalBonus]);
        Assert.Equal((float)RewardTerms.All[RewardTerms.Termination].DefaultWeight, env.Weights[RewardTerms.Termination]);
    }
}
