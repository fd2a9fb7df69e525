using RlTune.Envs.VbotNavLite;

namespace RlTune.Envs.VbotNav;

/// <summary>The paths of vbot-nav robots over their first episode, for `rltune play`'s platform picture.</summary>
public static class VbotNavPaths
{
    /// <summary>
    /// Resets the env from <paramref name="seed"/> and runs <paramref name="policy"/> until each of the
    /// first <paramref name="robots"/> envs has ended one episode; every <paramref name="everySteps"/>-th
    /// trunk position and the last one, with how it ended.
    /// </summary>
    public static IReadOnlyList<RobotPath> Record(VbotNavEnv env, PolicyFunction policy, int robots, int seed, int everySteps = 2)
    {
        env.Reset(seed);
        robots = Math.Min(robots, env.NumEnvs);
        var points = Enumerable.Range(0, robots).Select(r => new List<(float X, float Y)> { env.Position(r) }).ToArray();
        var outcome = new EpisodeOutcome[robots];
        var actions = new float[env.NumEnvs * env.ActDim];
        var rewards = new float[env.NumEnvs];
        var terminated = new bool[env.NumEnvs];
        var truncated = new bool[env.NumEnvs];
        int running = robots;
        for (int step = 1; running > 0 && step <= env.MaxEpisodeSteps + 10; step++)
        {
            policy(env.Observations, actions);
            env.Step(actions, rewards, terminated, truncated);
            for (int r = 0; r < robots; r++)
            {
                if (outcome[r] != EpisodeOutcome.Running) continue;
                if (terminated[r] || truncated[r])
                {
                    points[r].Add(env.FinalPosition(r));
                    outcome[r] = env.FinalOutcome(r);
                    running--;
                }
                else if (step % everySteps == 0) points[r].Add(env.Position(r));
            }
        }
        return points.Select((p, r) => new RobotPath(p, outcome[r])).ToArray();
    }

    /// <summary>The platform picture's settings (spawn ring, target, episode limit) for a vbot-nav task.</summary>
    public static NavLiteSettings Drawing(VbotNavSettings s) => NavLiteSettings.Default with
    {
        SpawnInnerRadius = s.SpawnInnerRadius, SpawnOuterRadius = s.SpawnOuterRadius, TargetX = s.TargetX, TargetY = s.TargetY,
        MaxEpisodeSteps = s.MaxEpisodeSteps,
    };
}
