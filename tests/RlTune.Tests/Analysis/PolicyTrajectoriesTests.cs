using RlTune.Analysis;
using RlTune.Envs.Builtin;
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
                var r0 = Math.Sqrt(e.Points[0].X * e.Points[0].X + e.Points[0].Y * e.Points[0].Y);
                Assert.InRange(r0, t.Layout.SpawnInnerRadius - 0.01, t.Layout.SpawnOuterRadius + 0.01);
                Assert.All(e.Points, p => Assert.InRange(Math.Sqrt(p.X * p.X + p.Y * p.Y), 0, PlatformLayout.PlatformRadius + 1.0));
                Assert.InRange(e.Points.Count, 2, 52); // spawn, every second step, the end
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
    [InlineData(1, PathClass.ReachedAndStopped)]
    [InlineData(1000, PathClass.ReachedOnly)]
    public void ARobotOnTheTargetCountsAsReachedAndStoppedOnlyWhenItHeldThere(int holdSteps, PathClass expected)
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
            Assert.All(t.Episodes, e => Assert.Equal(expected, e.Class));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [RlTune.Tests.Envs.MuJoCoFact]
    public void TheFullBodysPathsAreRecordedAndDrawnAsTheLiteEnvs()
    {
        var dir = Directory.CreateTempSubdirectory("rltune-traj-").FullName;
        try
        {
            // an untrained policy for 40 steps: each robot times out (or falls) near its spawn point on the 2-5 m ring
            var config = new TrialConfig { EnvName = "vbot-nav", EnvOverrides = System.Text.Json.Nodes.JsonNode.Parse("""{"max_episode_steps": 40}""")!.AsObject() };
            var checkpoint = Path.Combine(dir, "final_agent.ckpt");
            using (var env = EnvRegistry.Create("vbot-nav", new EnvOptions(2)))
            using (var trainer = new PpoTrainer(new PpoConfig { NumEnvs = 2, PolicyHiddenLayerSizes = [16], ValueHiddenLayerSizes = [16] }, env, threads: 1))
                Checkpoint.Save(checkpoint, trainer, "vbot-nav");
            var t = PolicyTrajectories.Record(checkpoint, config, episodes: 3)!;
            Assert.Equal(3, t.Episodes.Count);
            Assert.Equal(0.5, t.Layout.SuccessRadius, 6);
            foreach (var e in t.Episodes)
            {
                Assert.Contains(e.Class, new[] { PathClass.TimedOut, PathClass.Fell });
                var r0 = Math.Sqrt(e.Points[0].X * e.Points[0].X + e.Points[0].Y * e.Points[0].Y);
                Assert.InRange(r0, 2 - 0.01, 5 + 0.01);
            }
            var png = Path.Combine(dir, "trajectories.png");
            PolicyTrajectories.Plot(t, "untrained full body", png);
            Assert.True(new FileInfo(png).Length > 1000);
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
