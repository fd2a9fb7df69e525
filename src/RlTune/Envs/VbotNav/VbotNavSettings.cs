using System.Text.Json.Nodes;
using RlTune.Envs.VbotNav.MuJoCoInterop;
using static RlTune.Envs.OverrideValues;

namespace RlTune.Envs.VbotNav;

/// <summary>
/// The task settings a trial may change through <c>env_overrides</c>; defaults are MotrixLab's
/// navigation1 task (section001, VBotSection001EnvCfg) at curriculum stage 1.
/// </summary>
public sealed record VbotNavSettings
{
    /// <summary>Spawn ring around the target, metres (MotrixLab's curriculum: 2-5, 5-8, 8-11, 10-12).</summary>
    public double SpawnInnerRadius { get; init; } = 2.0;
    public double SpawnOuterRadius { get; init; } = 5.0;
    public double TargetX { get; init; }
    public double TargetY { get; init; }
    /// <summary>Episode limit in control steps.</summary>
    public int MaxEpisodeSteps { get; init; } = 1000;
    /// <summary>Multiplies every NoiseConfig scale; 0 (noiseless) is MotrixLab's section001, which declares NoiseConfig but never applies it.</summary>
    public double NoiseLevel { get; init; }
    public double ControlHz { get; init; } = 100;
    /// <summary>Physics steps per control step; the PD loop recomputes the torques before each.</summary>
    public int Substeps { get; init; } = 2;
    public FrictionCone Cone { get; init; } = FrictionCone.Elliptic;
    public double Impratio { get; init; } = 100;
    /// <summary>Consecutive steps within the success radius under the stop speed that end the episode as a success.</summary>
    public int SuccessHoldSteps { get; init; } = 50;

    /// <summary>The physics timestep in seconds.</summary>
    public double Timestep => 1.0 / (ControlHz * Substeps);

    public static VbotNavSettings Default { get; } = new();
}

/// <summary>Validates a trial's <c>env_overrides</c> for <c>vbot-nav</c> and turns them into settings.</summary>
public static class VbotNavOverrides
{
    public static readonly IReadOnlyList<string> Keys =
    [
        "spawn_inner_radius", "spawn_outer_radius", "spawn_ring", "target", "max_episode_steps", "noise_level",
        "control_hz", "substeps", "cone", "impratio", "success_hold_steps",
    ];

    public static VbotNavSettings Parse(JsonObject? overrides)
    {
        var s = VbotNavSettings.Default;
        if (overrides is null) return s;
        double edge = VbotNavTask.PlatformRadius;
        foreach (var (key, node) in overrides)
        {
            s = key switch
            {
                "spawn_inner_radius" => s with { SpawnInnerRadius = Number(key, node, 0, edge) },
                "spawn_outer_radius" => s with { SpawnOuterRadius = Number(key, node, 0, edge) },
                "spawn_ring" => Pair(key, node, 0, edge, "[inner, outer] radii in metres") is var (inner, outer)
                    ? s with { SpawnInnerRadius = inner, SpawnOuterRadius = outer } : s,
                "target" => Pair(key, node, -VbotNavTask.SpawnClipRadius, VbotNavTask.SpawnClipRadius, "[x, y] in metres") is var (x, y)
                    ? s with { TargetX = x, TargetY = y } : s,
                "max_episode_steps" => s with { MaxEpisodeSteps = Integer(key, node, 10, 1_000_000) },
                "noise_level" => s with { NoiseLevel = Number(key, node, 0, 10) },
                "control_hz" => s with { ControlHz = Number(key, node, 10, 1000) },
                "substeps" => s with { Substeps = Integer(key, node, 1, 50) },
                "cone" => s with { Cone = ConeOf(node) },
                "impratio" => s with { Impratio = Number(key, node, 1, 1000) },
                "success_hold_steps" => s with { SuccessHoldSteps = Integer(key, node, 1, 100_000) },
                _ => throw new UserError($"env_overrides.{key}: vbot-nav has no such setting; expected one of: {string.Join(", ", Keys)}."),
            };
        }
        if (s.SpawnInnerRadius > s.SpawnOuterRadius)
            throw new UserError($"env_overrides: spawn_inner_radius ({s.SpawnInnerRadius}) must not exceed spawn_outer_radius ({s.SpawnOuterRadius}).");
        if (Math.Sqrt(s.TargetX * s.TargetX + s.TargetY * s.TargetY) > VbotNavTask.SpawnClipRadius)
            throw new UserError($"env_overrides.target: expected a point within {VbotNavTask.SpawnClipRadius} m of the platform centre, got [{s.TargetX}, {s.TargetY}].");
        if (s.Timestep is < 0.0005 or > 0.02)
            throw new UserError($"env_overrides: control_hz ({s.ControlHz}) x substeps ({s.Substeps}) gives a {s.Timestep * 1000:0.###} ms physics step; expected 0.5 to 20 ms.");
        return s;
    }

    private static FrictionCone ConeOf(JsonNode? node) => node?.ToString() switch
    {
        "elliptic" => FrictionCone.Elliptic,
        "pyramidal" => FrictionCone.Pyramidal,
        _ => throw new UserError($"env_overrides.cone: expected \"elliptic\" or \"pyramidal\", got {(node is null ? "null" : node.ToJsonString())}."),
    };
}
