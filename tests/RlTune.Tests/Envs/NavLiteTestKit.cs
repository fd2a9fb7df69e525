using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNavLite;

namespace RlTune.Tests.Envs;

/// <summary>Helpers shared by the vbot-nav-lite tests: envs with chosen weights, hand-built bodies, stepping.</summary>
internal static class NavLiteTestKit
{
    public static VbotNavLiteEnv Create(int envs = 8, IReadOnlyDictionary<string, double>? scales = null, string? overrides = null, int threads = 1) =>
        (VbotNavLiteEnv)EnvRegistry.Create("vbot-nav-lite",
            new EnvOptions(envs, scales, overrides is null ? null : (JsonObject)JsonNode.Parse(overrides)!, threads));

    /// <summary>Every weight 1, so an episode's term sums are the raw terms; noiseless sensors.</summary>
    public static VbotNavLiteEnv UnitWeights(int envs = 8) =>
        Create(envs, RewardTerms.Names.ToDictionary(n => n, _ => 1.0), """{"noise_level": 0}""");

    /// <summary>A body at rest at (x, y) facing <paramref name="headingRad"/>, gait phase zero.</summary>
    public static BodyLane Body(float x, float y, float headingRad, float vx = 0, float vy = 0, float yawRate = 0) => new()
    {
        X = x, Y = y, HeadingCos = MathF.Cos(headingRad), HeadingSin = MathF.Sin(headingRad),
        Vx = vx, Vy = vy, YawRate = yawRate, GaitCos = 1, GaitSin = 0, Height = BodyModel.StandHeight,
    };

    /// <summary>The action that holds a body-frame velocity steady (the locomotion layer then does not accelerate).</summary>
    public static (float, float, float) Hold(float vx, float vy = 0, float yawRate = 0) =>
        (vx >= 0 ? vx / BodyModel.MaxForwardSpeed : vx / BodyModel.MaxBackwardSpeed, vy / BodyModel.MaxLateralSpeed, yawRate / BodyModel.MaxYawRate);

    public sealed record StepResult(float[] Rewards, bool[] Terminated, bool[] Truncated);

    /// <summary>Steps every env with the same action.</summary>
    public static StepResult Step(IVecEnv env, (float, float, float) action)
    {
        var actions = new float[env.NumEnvs * 3];
        for (int e = 0; e < env.NumEnvs; e++) { actions[3 * e] = action.Item1; actions[3 * e + 1] = action.Item2; actions[3 * e + 2] = action.Item3; }
        var r = new StepResult(new float[env.NumEnvs], new bool[env.NumEnvs], new bool[env.NumEnvs]);
        env.Step(actions, r.Rewards, r.Terminated, r.Truncated);
        return r;
    }

    /// <summary>Puts env 0 into a state, steps once with an action that keeps it steady, returns its raw term.</summary>
    public static float RawTerm(VbotNavLiteEnv env, int term, BodyLane body, (float, float, float) action,
        bool everReached = false, bool fencePaid = false, float? spawnDistance = null, (float, float, float)? lastAction = null)
    {
        env.SetBody(0, body, everReached, fencePaid, spawnDistance);
        var last = lastAction ?? action;
        env.SetLastAction(0, last.Item1, last.Item2, last.Item3);
        env.DrainEpisodes();
        var r = Step(env, action);
        if (!r.Terminated[0] && !r.Truncated[0]) return env.EpisodeTermSum(0, term);
        // the episode ended on this step and env 0 was reset: its one-step episode is in the report
        var report = env.DrainEpisodes();
        Assert.Equal(1, report.Episodes);
        Assert.Equal(1.0, report.LengthMean);
        return (float)report.TermMeans[RewardTerms.All[term].Name];
    }
}
