using System.Text.Json.Nodes;
using static RlTune.Envs.OverrideValues;

namespace RlTune.Envs.VbotNavLite;

/// <summary>The task settings a trial may change through <c>env_overrides</c>; defaults are the competition task.</summary>
public sealed record NavLiteSettings
{
    /// <summary>Spawn ring around the platform centre, metres (curriculum stages 2-5, 5-8, 8-11).</summary>
    public double SpawnInnerRadius { get; init; } = 8.0;
    public double SpawnOuterRadius { get; init; } = 11.0;
    public double TargetX { get; init; }
    public double TargetY { get; init; }
    /// <summary>Episode limit in control steps (100 Hz).</summary>
    public int MaxEpisodeSteps { get; init; } = 1000;
    /// <summary>Multiplies every sensor-noise scale (0 = noiseless sensors).</summary>
    public double NoiseLevel { get; init; } = 1.0;
    /// <summary>Body tilt (radians from upright) beyond which the robot has fallen.</summary>
    public double FallThreshold { get; init; } = 0.6;
    /// <summary>Steps the episode runs on after the robot first stopped at the target.</summary>
    public int SuccessHoldSteps { get; init; } = DefaultSuccessHoldSteps;
    public const int DefaultSuccessHoldSteps = 50;

    public static NavLiteSettings Default { get; } = new();
}

/// <summary>Validates a trial's <c>env_overrides</c> for <c>vbot-nav-lite</c> and turns them into settings.</summary>
public static class NavLiteOverrides
{
    public static readonly IReadOnlyList<string> Keys =
        ["spawn_inner_radius", "spawn_outer_radius", "spawn_ring", "target", "max_episode_steps", "noise_level", "fall_threshold", "success_hold_steps"];

    public static NavLiteSettings Parse(JsonObject? overrides)
    {
        var s = NavLiteSettings.Default;
        if (overrides is null) return s;
        foreach (var (key, node) in overrides)
        {
            s = key switch
            {
                "spawn_inner_radius" => s with { SpawnInnerRadius = Number(key, node, 0, BodyModel.PlatformRadius) },
                "spawn_outer_radius" => s with { SpawnOuterRadius = Number(key, node, 0, BodyModel.PlatformRadius) },
                "spawn_ring" => Pair(key, node, 0, BodyModel.PlatformRadius, "[inner, outer] radii in metres") is var (inner, outer)
                    ? s with { SpawnInnerRadius = inner, SpawnOuterRadius = outer } : s,
                "target" => Pair(key, node, -BodyModel.PlatformRadius, BodyModel.PlatformRadius, "[x, y] in metres") is var (x, y)
                    ? s with { TargetX = x, TargetY = y } : s,
                "max_episode_steps" => s with { MaxEpisodeSteps = Integer(key, node, 10, 1_000_000) },
                "noise_level" => s with { NoiseLevel = Number(key, node, 0, 10) },
                "fall_threshold" => s with { FallThreshold = Number(key, node, 0.05, 1.5) },
                "success_hold_steps" => s with { SuccessHoldSteps = Integer(key, node, 1, 100_000) },
                _ => throw new UserError($"env_overrides.{key}: vbot-nav-lite has no such setting; expected one of: {string.Join(", ", Keys)}."),
            };
        }
        if (s.SpawnInnerRadius > s.SpawnOuterRadius)
            throw new UserError($"env_overrides: spawn_inner_radius ({s.SpawnInnerRadius}) must not exceed spawn_outer_radius ({s.SpawnOuterRadius}).");
        double edge = BodyModel.PlatformRadius - 0.5;
        if (s.SpawnOuterRadius > edge)
            throw new UserError($"env_overrides.spawn_outer_radius: expected at most {edge} m (the platform's radius is {BodyModel.PlatformRadius} m), got {s.SpawnOuterRadius}.");
        if (Math.Sqrt(s.TargetX * s.TargetX + s.TargetY * s.TargetY) > edge)
            throw new UserError($"env_overrides.target: expected a point within {edge} m of the platform centre, got [{s.TargetX}, {s.TargetY}].");
        return s;
    }
}
