using RlTune.Analysis;
using RlTune.Envs;
using RlTune.Learning;
using RlTune.Trials;

namespace RlTune.Tests.Analysis;

public class PolicyTrajectoriesTests
{
    [Fact]
    public void PathsStartOnTheSpawnRingAndEveryEpisodeEndsOrTimesOut()
    {
        var dir = Directory.CreateTempSubdirectory("rltune-traj-").FullName;
        try
        {
            // short episodes keep the random policy's timeouts quick
            var config = new TrialConfig { EnvName = "vbot-nav-lite", EnvOverrides = System.Text.Json.Nodes.JsonNode.Parse("""{"max_episode_steps": 100}""")!.AsObject() };
            var checkpoint = Path.Combine(dir, "checkpoints", "final_agent.ckpt");
            using (var env = EnvRegistry.Create("vbot-nav-lite", new EnvOptions(4)))
            using (var trainer = new PpoTrainer(new PpoConfig { NumEnvs = 4 }, env, threads: 1))
                Checkpoint.Save(checkpoint, trainer, "vbot-nav-lite");
            Assert.Equal(checkpoint, PolicyTrajectories.CheckpointOf([null, dir]));

            var t = PolicyTrajectories.Record(checkpoint, config, episodes: 6)!;
            Assert.Equal(6, t.Episodes.Count);
            foreach (var e in t.Episodes)
            {
                var r0 = Math.Sqrt(e.Path[0].X * e.Path[0].X + e.Path[0].Y * e.Path[0].Y);
                Assert.InRange(r0, t.SpawnInner - 0.01, t.SpawnOuter + 0.01);
                Assert.All(e.Path, p => Assert.InRange(Math.Sqrt(p.X * p.X + p.Y * p.Y), 0, t.PlatformRadius + 1.0));
                Assert.InRange(e.Path.Count, 1, 101);
            }
            var png = Path.Combine(dir, "trajectories.png");
            PolicyTrajectories.Plot(t, "random policy", png);
            Assert.True(new FileInfo(png).Length > 1000);
            if (Environment.GetEnvironmentVariable("RLTUNE_KEEP_REPORT") is { Length: > 0 } keep) File.Copy(png, Path.Combine(keep, "trajectories_random.png"), true);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(1, RlTune.Analysis.EpisodeOutcome.ReachedAndStopped)]
    [InlineData(1000, RlTune.Analysis.EpisodeOutcome.ReachedOnly)]
    public void ARobotOnTheTargetCountsAsReachedAndStoppedOnlyWhenItHeldThere(int holdSteps, RlTune.Analysis.EpisodeOutcome expected)
    {
        var dir = Directory.CreateTempSubdirectory("rltune-traj-").FullName;
        try
        {
            // spawned on the target: a hold of 1 step is a success at once; a hold longer than the episode never is
            var config = new TrialConfig
            {
                EnvName = "vbot-nav-lite",
                EnvOverrides = System.Text.Json.Nodes.JsonNode.Parse($$"""{"spawn_ring": [0.0, 0.05], "success_hold_steps": {{holdSteps}}, "max_episode_steps": 50, "noise_level": 0}""")!.AsObject(),
            };
            var checkpoint = Path.Combine(dir, "final_agent.ckpt");
            using (var env = EnvRegistry.Create("vbot-nav-lite", new EnvOptions(4)))
            using (var trainer = new PpoTrainer(new PpoConfig { NumEnvs = 4 }, env, threads: 1))
                Checkpoint.Save(checkpoint, trainer, "vbot-nav-lite");
            var t = PolicyTrajectories.Record(checkpoint, config, episodes: 4)!;
            Assert.All(t.Episodes, e => Assert.Equal(expected, e.Outcome));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void OtherEnvsAreNotDrawn() =>
        Assert.Null(PolicyTrajectories.Record("unused.ckpt", new TrialConfig { EnvName = "some-mujoco-env" }));
}
