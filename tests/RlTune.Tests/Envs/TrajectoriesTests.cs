using RlTune.Envs;
using RlTune.Envs.VbotNavLite;
using static RlTune.Tests.Envs.NavLiteTestKit;

namespace RlTune.Tests.Envs;

public class TrajectoriesTests
{
    [Fact]
    public void RecordsEachRobotsFirstEpisodeWithItsOutcomeAndDrawsThem()
    {
        using var env = Create(16, overrides: """{"max_episode_steps": 40, "noise_level": 0}""");
        // robots 0-3 sprint straight ahead and turn hard, already leaning over (they fall); the others stand still until the limit
        void Policy(ReadOnlySpan<float> obs, Span<float> actions)
        {
            actions.Clear();
            for (int e = 0; e < 4; e++) { actions[3 * e] = 1f; actions[3 * e + 2] = 1f; }
        }
        env.Reset(3);
        for (int e = 0; e < 4; e++) env.SetBody(e, Body(0, 0, 0, vx: 2.5f, yawRate: 2.5f) with { Roll = 0.55f, RollRate = 4f });
        var paths = Trajectories.RecordFromCurrentState(env, Policy, 8);
        Assert.Equal(8, paths.Count);
        Assert.All(paths.Take(4), p => Assert.Equal(EpisodeOutcome.Fall, p.Outcome));
        Assert.All(paths.Skip(4), p => Assert.Equal(EpisodeOutcome.Timeout, p.Outcome));
        Assert.All(paths.Skip(4), p => Assert.Equal(p.Points[0], p.Points[^1])); // standing still
        Assert.All(paths.Take(4), p => Assert.True(p.Points.Count >= 2 && p.Points[^1] != p.Points[0]));
        // each fall carries the body just before it: at speed, tipped sideways by the turn
        Assert.All(paths.Take(4), p => Assert.True(p.Fall is { Sideways: true } f && f.Speed > 2f && f.TopSpeed >= f.Speed, $"{p.Fall}"));
        Assert.All(paths.Skip(4), p => Assert.Null(p.Fall));
        Assert.StartsWith("4 falls: speed just before 2.", FallState.Summary(paths.Where(p => p.Fall is not null).Select(p => p.Fall!).ToList(), BodyModel.ComfortSpeed));

        string file = Path.Combine(Path.GetTempPath(), $"rltune-traj-{Environment.ProcessId}.png");
        try
        {
            Trajectories.SavePng(paths, env.Layout, file, "test");
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 10_000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void AnEpisodeAtTheLimitCarriesWhetherItReachedTheTargetAndWhatItDidInItsLastSecond()
    {
        using var env = Create(8, overrides: """{"max_episode_steps": 150, "noise_level": 0}""");
        // robots 0-3 start 0.2 m short of the target and walk on through it at 0.7 m/s without stopping;
        // robots 4-7 stand still 5 m away
        void Policy(ReadOnlySpan<float> obs, Span<float> actions)
        {
            actions.Clear();
            for (int e = 0; e < 4; e++) actions[3 * e] = 0.7f / BodyModel.MaxForwardSpeed;
        }
        env.Reset(3);
        for (int e = 0; e < 8; e++)
            env.SetBody(e, e < 4 ? Body(-0.2f, 0, 0, vx: 0.7f) : Body(-5f, 0, 0), spawnDistance: e < 4 ? 0.2f : 5f);
        var paths = Trajectories.RecordFromCurrentState(env, Policy, 8);
        Assert.All(paths, p => Assert.Equal(EpisodeOutcome.Timeout, p.Outcome));
        Assert.All(paths.Take(4), p => Assert.True(p.Timeout is { FirstReachStep: 0 } t && MathF.Abs(t.Speed - 0.7f) < 0.05f
            && t.Distance is > 0.2f and < 1.2f, $"{p.Timeout}"));
        Assert.All(paths.Skip(4), p => Assert.True(p.Timeout is { FirstReachStep: null } t && t.Speed < 0.01f && MathF.Abs(t.Distance - 5f) < 0.01f, $"{p.Timeout}"));
        string summary = TimeoutState.Summary(paths.Select(p => p.Timeout!).ToList());
        Assert.StartsWith("8 hit the episode limit: 4 had reached the target (first at step 0 on average) and never stopped there", summary);
        Assert.Contains("4 never reached it, in their last second 5.00 m from the target, 0.00 m/s", summary);
    }

    [Fact]
    public void EachPathCarriesItsCruisingSpeedAndTheStepsItSpentAboveTheStumblingSpeed()
    {
        using var env = Create(8, overrides: """{"max_episode_steps": 100, "noise_level": 0}""");
        // every robot is commanded 1.5 m/s from 8 m out: robots 0-3 start at 1.5 m/s, robots 4-7 at 2.0 m/s (past the
        // stumbling edge) and slow down; in the episode's second the target is never within 2 m, so every step is cruising
        void Policy(ReadOnlySpan<float> obs, Span<float> actions)
        {
            actions.Clear();
            for (int e = 0; e < 8; e++) actions[3 * e] = 1.5f / BodyModel.MaxForwardSpeed;
        }
        env.Reset(3);
        for (int e = 0; e < 8; e++) env.SetBody(e, Body(-8f, 0, 0, vx: e < 4 ? 1.5f : 2.0f), spawnDistance: 8f);
        var paths = Trajectories.RecordFromCurrentState(env, Policy, 8);
        Assert.All(paths, p => Assert.True(p.Speed is { Steps: > 0 } s && s.CruiseSteps == s.Steps, $"{p.Speed}"));
        Assert.All(paths.Take(4), p => Assert.True(p.Speed!.StepsAboveComfort == 0
            && Math.Abs(p.Speed.CruiseSpeedSum / p.Speed.CruiseSteps - 1.5) < 0.01, $"{p.Speed}"));
        // from 2.0 m/s the lag brings the robot under 1.8 m/s within a few tenths of a second
        Assert.All(paths.Skip(4), p => Assert.True(p.Speed!.StepsAboveComfort is > 5 and < 40, $"{p.Speed}"));
        string summary = SpeedState.Summary(paths.Where(p => p.Speed is not null).Select(p => p.Speed!).ToList(), BodyModel.ComfortSpeed);
        Assert.StartsWith("speed: 1.5", summary);
        Assert.EndsWith("above the 1.8 m/s stumbling speed, by 4 of 8 robots", summary);
    }
}
