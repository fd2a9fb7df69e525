using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Learning;
using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>Episodes of a trained policy on the platform, one per robot, and the platform they ran on.</summary>
public sealed record PlatformTrajectories(IReadOnlyList<RobotPath> Episodes, PlatformLayout Layout);

/// <summary>
/// Rolls a checkpoint's deterministic policy out on its platform env (vbot-nav-lite or vbot-nav)
/// from several spawn points and draws the paths: the "render" of a trained policy on machines
/// without a graphics window. Recording and drawing are <see cref="Trajectories"/>' (as `rltune play`).
/// </summary>
public static class PolicyTrajectories
{
    /// <summary>
    /// The checkpoint a trial's first seed run left (<c>checkpoints/final_agent.ckpt</c>, else
    /// <c>best_agent.ckpt</c>), or null.
    /// </summary>
    public static string? CheckpointOf(IEnumerable<string?> runDirs)
    {
        foreach (var dir in runDirs)
        {
            if (dir is null) continue;
            foreach (var name in new[] { "final_agent.ckpt", "best_agent.ckpt" })
            {
                var path = Path.Combine(dir, "checkpoints", name);
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }

    /// <summary>Runs <paramref name="episodes"/> robots (one env each) until every one has ended one episode; null for an env without a platform.</summary>
    public static PlatformTrajectories? Record(string checkpointPath, TrialConfig config, int episodes = 12, int seed = 2024)
    {
        if (!EnvRegistry.Names.Contains(config.EnvName)) return null;
        var checkpoint = Checkpoint.Load(checkpointPath);
        using var env = EnvRegistry.Create(config.EnvName, new EnvOptions(episodes, config.RewardScales, config.EnvOverrides));
        if (env is not IPlatformEnv platform) return null;
        var model = checkpoint.Model;
        if (env.ObsDim != model.Observations || env.ActDim != model.Actions)
            throw new UserError($"checkpoint '{checkpointPath}' takes {model.Observations} observations and gives {model.Actions} actions but {config.EnvName} has {env.ObsDim} and {env.ActDim}.");
        using var policy = new DeterministicPolicy(checkpoint, episodes);
        var paths = Trajectories.Record(platform, policy.Act, episodes, seed);
        return new PlatformTrajectories(paths, platform.Layout);
    }

    /// <summary>Draws the platform, spawn ring, target and every path coloured by its class.</summary>
    public static void Plot(PlatformTrajectories t, string title, string path) => Trajectories.SavePng(t.Episodes, t.Layout, path, title, 720);
}
