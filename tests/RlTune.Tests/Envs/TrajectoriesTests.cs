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
        Assert.StartsWith("4 falls: speed just before 2.", FallState.Summary(paths.Where(p => p.Fall is not null).Select(p => p.Fall!).ToList()));

        string file = Path.Combine(Path.GetTempPath(), $"rltune-traj-{Environment.ProcessId}.png");
        try
        {
            Trajectories.SavePng(paths, env.Settings, file, "test");
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 10_000);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
        finally { File.Delete(file); }
    }
}
