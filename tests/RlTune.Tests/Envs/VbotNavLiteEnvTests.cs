using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNavLite;
using static RlTune.Tests.Envs.NavLiteTestKit;

namespace RlTune.Tests.Envs;

public class VbotNavLiteEnvTests
{
    private const float Toward = MathF.PI;

    [Fact]
    public void IsRegisteredWithItsShape()
    {
        Assert.Contains("vbot-nav-lite", EnvRegistry.Names);
        using var env = EnvRegistry.Create("vbot-nav-lite", new EnvOptions(3));
        Assert.Equal(19, env.ObsDim);
        Assert.Equal(3, env.ActDim);
        Assert.Equal(1000, env.MaxEpisodeSteps);
        Assert.Equal(3 * 19, env.Observations.Length);
        Assert.Equal(RewardTerms.Names, env.RewardTerms.Select(t => t.Name));
    }

    [Fact]
    public void ResetSpawnsUniformlyOverTheRingAtRestWithRandomHeadings()
    {
        using var env = Create(4096);
        env.Reset(7);
        double sumR2 = 0, sumCos = 0, sumSin = 0, sumAngleCos = 0;
        for (int e = 0; e < env.NumEnvs; e++)
        {
            var b = env.GetBody(e);
            double r = Math.Sqrt(b.X * b.X + b.Y * b.Y);
            Assert.InRange(r, 8.0, 11.0);
            Assert.Equal(0f, b.Vx); Assert.Equal(0f, b.Vy); Assert.Equal(0f, b.YawRate); Assert.Equal(0f, b.Roll);
            Assert.Equal(1.0, b.HeadingCos * b.HeadingCos + b.HeadingSin * b.HeadingSin, 4);
            sumR2 += r * r; sumCos += b.HeadingCos; sumSin += b.HeadingSin; sumAngleCos += b.X / r;
            var o = env.Observations.Slice(e * env.ObsDim, env.ObsDim);
            Assert.Equal(1f, o[NavLiteObservation.NormalisedDistance], 4);
            Assert.Equal(0f, o[NavLiteObservation.ReachedFlag]);
            Assert.InRange(Math.Sqrt(o[12] * o[12] + o[13] * o[13]) / NavLiteObservation.PositionScale, r - 1e-3, r + 1e-3);
        }
        int n = env.NumEnvs;
        // uniform over the ring's area: E[r^2] = (8^2 + 11^2)/2
        Assert.InRange(sumR2 / n, 92.5 - 1.0, 92.5 + 1.0);
        Assert.InRange(sumCos / n, -0.05, 0.05);
        Assert.InRange(sumSin / n, -0.05, 0.05);
        Assert.InRange(sumAngleCos / n, -0.05, 0.05);
    }

    [Fact]
    public void CurriculumRingAndTargetComeFromOverrides()
    {
        using var env = Create(512, overrides: """{"spawn_ring": [2, 5], "target": [1.5, -1]}""");
        for (int e = 0; e < env.NumEnvs; e++)
        {
            var b = env.GetBody(e);
            Assert.InRange(Math.Sqrt(b.X * b.X + b.Y * b.Y), 2.0, 5.0);
            double d = Math.Sqrt((b.X - 1.5) * (b.X - 1.5) + (b.Y + 1) * (b.Y + 1));
            Assert.Equal(Math.Max(d, 0.5), env.SpawnDistance(e), 3);
        }
    }

    [Fact]
    public void AFallTerminatesAndIsCountedAsAFall()
    {
        using var env = UnitWeights();
        env.DrainEpisodes();
        env.SetBody(0, Body(5, 0, Toward) with { Roll = 0.65f, RollRate = 1f });
        var r = Step(env, (0, 0, 0));
        Assert.True(r.Terminated[0]);
        Assert.False(r.Truncated[0]);
        Assert.False(r.Terminated[1]);
        var report = env.DrainEpisodes();
        Assert.Equal(1, report.Episodes);
        Assert.Equal(1.0, report.MetricMeans["fall"]);
        Assert.Equal(1.0, report.MetricMeans["termination"]);
        Assert.Equal(0.0, report.MetricMeans["success"]);
        Assert.Equal(1.0, report.LengthMean);
        // the env was reset: back on the spawn ring, upright
        var b = env.GetBody(0);
        Assert.Equal(0f, b.Roll);
        Assert.InRange(Math.Sqrt(b.X * b.X + b.Y * b.Y), 8, 11);
    }

    [Theory]
    [InlineData(-1f, -1f, 1.0)]   // backward and sideways at once: no faster than either alone (1 m/s), not 1.41
    [InlineData(0.6f, 0f, 1.5)]   // straight ahead: 0.6 of the 2.5 m/s forward limit (below the stumbling speeds)
    [InlineData(0f, 1f, 1.0)]     // pure sidestep reaches the lateral limit
    public void ADiagonalCommandWalksNoFasterThanItsAxesAndAcceleratesNoHarder(float cmdX, float cmdY, double expectedSpeed)
    {
        using var env = Create(8, overrides: """{"noise_level": 0}""");
        env.SetBody(0, Body(0, -6, 0));
        double previous = 0, maxAccel = 0;
        for (int step = 0; step < 300; step++)
        {
            Step(env, (cmdX, cmdY, 0));
            var b = env.GetBody(0);
            double speed = Math.Sqrt(b.Vx * b.Vx + b.Vy * b.Vy);
            maxAccel = Math.Max(maxAccel, (speed - previous) / BodyModel.ControlDt);
            previous = speed;
        }
        Assert.Equal(expectedSpeed, previous, 0.02);
        Assert.InRange(maxAccel, BodyModel.MaxLinearAccel * 0.9, BodyModel.MaxLinearAccel * 1.001);
    }

    [Fact]
    public void FallThresholdIsAnOverride()
    {
        using var env = Create(8, overrides: """{"fall_threshold": 0.8, "noise_level": 0}""");
        env.SetBody(0, Body(5, 0, Toward) with { Roll = 0.7f });
        Assert.False(Step(env, (0, 0, 0)).Terminated[0]);
    }

    [Fact]
    public void LeavingThePlatformTerminates()
    {
        using var env = UnitWeights();
        env.DrainEpisodes();
        env.SetBody(0, Body(12.49f, 0, 0, vx: 2f));
        var r = Step(env, Hold(2f));
        Assert.True(r.Terminated[0]);
        var report = env.DrainEpisodes();
        Assert.Equal(1.0, report.MetricMeans["left_platform"]);
        Assert.Equal(0.0, report.MetricMeans["fall"]);
        Assert.Equal(1.0, report.MetricMeans["termination"]);
    }

    [Fact]
    public void TheEpisodeLimitTruncates()
    {
        using var env = Create(8, overrides: """{"max_episode_steps": 20}""");
        Assert.Equal(20, env.MaxEpisodeSteps);
        for (int s = 1; s <= 20; s++)
        {
            var r = Step(env, (0, 0, 0));
            Assert.All(r.Terminated, t => Assert.False(t));
            Assert.All(r.Truncated, t => Assert.Equal(s == 20, t));
        }
        var report = env.DrainEpisodes();
        Assert.Equal(8, report.Episodes);
        Assert.Equal(20.0, report.LengthMean);
        Assert.Equal(1.0, report.MetricMeans["timeout"]);
        Assert.Equal(0.0, report.MetricMeans["reached_fraction"]);
    }

    [Fact]
    public void StoppingAtTheTargetEndsTheEpisodeAsASuccessAfterTheHold()
    {
        using var env = UnitWeights();
        env.DrainEpisodes();
        env.SetBody(0, Body(0.1f, 0, Toward), everReached: true, fencePaid: true);
        for (int s = 1; s < 50; s++)
        {
            var r = Step(env, (0, 0, 0));
            Assert.False(r.Terminated[0] || r.Truncated[0], $"ended early at step {s}");
        }
        var last = Step(env, (0, 0, 0));
        Assert.True(last.Terminated[0]);
        Assert.False(last.Truncated[0]);
        var final = env.FinalObservations.Slice(0, env.ObsDim);
        Assert.Equal(1f, final[NavLiteObservation.ReachedFlag]);
        Assert.Equal(1f, final[NavLiteObservation.StopReadyFlag]);
        Assert.Equal(0f, env.Observations[NavLiteObservation.ReachedFlag]); // the new episode's first observation
        Assert.Equal(0f, env.Observations[NavLiteObservation.StopReadyFlag]);
        var report = env.DrainEpisodes();
        Assert.Equal(1.0, report.MetricMeans["success"]);
        Assert.Equal(1.0, report.MetricMeans["reached_fraction"]);
        Assert.Equal(50.0, report.MetricMeans["episode_length"]);
        Assert.InRange(report.MetricMeans["distance_to_target"], 0, 0.3);
        Assert.Equal(1.0, report.TermMeans["stop_scale"], 3);
    }

    [Fact]
    public void TheStopReadyFlagRisesWithTheHoldAndStaysUpWhenTheRobotMovesOn()
    {
        using var env = UnitWeights();
        // moving through the success radius above the stop speed starts no hold
        env.SetBody(0, Body(0.25f, 0, Toward, vx: 1f), everReached: true, fencePaid: true);
        Step(env, Hold(1f));
        Assert.True(env.GetBody(0).X < 0.3f && env.GetBody(0).X > -0.3f);
        Assert.Equal(0f, env.Observations[NavLiteObservation.StopReadyFlag]);

        // one stopped step inside the radius starts it; walking off again does not end it, nor lowers the flag
        env.SetBody(0, Body(0.1f, 0, Toward), everReached: true, fencePaid: true);
        Step(env, (0, 0, 0));
        Assert.Equal(1f, env.Observations[NavLiteObservation.StopReadyFlag]);
        for (int s = 2; s < 50; s++)
        {
            var r = Step(env, Hold(1.5f));
            Assert.False(r.Terminated[0] || r.Truncated[0], $"ended early at step {s}");
            Assert.Equal(1f, env.Observations[NavLiteObservation.StopReadyFlag]);
        }
        Assert.True(env.GetBody(0).Vx > 1f && env.GetBody(0).X < 0, "the robot is walking on, past the target");
        Assert.True(Step(env, Hold(1.5f)).Terminated[0]);
        Assert.Equal(0f, env.Observations[NavLiteObservation.StopReadyFlag]); // the new episode's first observation
    }

    [Fact]
    public void TermMeansTimesLengthAddUpToTheReturn()
    {
        using var env = Create(8, overrides: """{"max_episode_steps": 30}""");
        var actions = new float[24];
        var rng = new Random(3);
        var rewards = new float[8];
        var term = new bool[8];
        var trunc = new bool[8];
        env.Reset(11);
        for (int s = 0; s < 30; s++)
        {
            for (int k = 0; k < actions.Length; k++) actions[k] = (float)(rng.NextDouble() * 2 - 1);
            env.Step(actions, rewards, term, trunc);
        }
        var report = env.DrainEpisodes();
        Assert.Equal(8, report.Episodes); // all truncated at 30 steps, so the lengths are equal
        Assert.Equal(report.ReturnMean, report.TermMeans.Values.Sum() * report.LengthMean, 1);
        Assert.Equal(RewardTerms.Names.Order(), report.TermMeans.Keys.Order());
        foreach (var m in new[] { "success", "fall", "reached_fraction", "distance_to_target", "mean_speed", "episode_length" })
            Assert.True(report.MetricMeans.ContainsKey(m), m);
        Assert.Equal(0, env.DrainEpisodes().Episodes);
    }

    [Fact]
    public void TheSameSeedGivesTheSameRunWhateverTheThreadCount()
    {
        float[] Run(int seed, int threads)
        {
            using var env = Create(37, threads: threads);
            env.Reset(seed);
            var rng = new Random(5);
            var actions = new float[37 * 3];
            var rewards = new float[37];
            var term = new bool[37];
            var trunc = new bool[37];
            var trace = new List<float>();
            for (int s = 0; s < 400; s++)
            {
                for (int k = 0; k < actions.Length; k++) actions[k] = (float)(rng.NextDouble() * 2 - 1);
                env.Step(actions, rewards, term, trunc);
                trace.AddRange(rewards);
                trace.AddRange(env.Observations.ToArray());
                for (int e = 0; e < 37; e++) trace.Add(term[e] ? 1 : trunc[e] ? 2 : 0);
            }
            return trace.ToArray();
        }
        var a = Run(42, 1);
        Assert.Equal(a, Run(42, 1));
        Assert.Equal(a, Run(42, 3));
        Assert.NotEqual(a, Run(43, 1));
    }

    [Fact]
    public void SensorNoiseFollowsTheNoiseLevel()
    {
        static double Spread(double level)
        {
            using var env = Create(64, overrides: $$"""{"noise_level": {{level}}}""");
            double sq = 0;
            for (int e = 0; e < 64; e++) { float v = env.Observations[e * 19 + NavLiteObservation.Gyro]; sq += v * v; }
            return Math.Sqrt(sq / 64);
        }
        Assert.Equal(0.0, Spread(0));
        double one = Spread(1), two = Spread(2);
        // uniform in [-0.2, 0.2] rad/s times the gyro scale 0.25: rms 0.029
        Assert.InRange(one, 0.02, 0.04);
        Assert.InRange(two / one, 1.9, 2.1);
    }

    [Fact]
    public void ACarefulDriverArrivesAndARecklessOneFalls()
    {
        var careful = Drive(cruise: 1.8);
        Assert.True(careful.MetricMeans["success"] >= 0.95, $"careful success {careful.MetricMeans["success"]}");
        Assert.Equal(0.0, careful.MetricMeans["fall"]);
        var reckless = Drive(cruise: 2.5);
        Assert.True(reckless.MetricMeans["fall"] >= 0.4, $"reckless falls {reckless.MetricMeans["fall"]}"); // stumbles at the speed cap
    }

    /// <summary>A hand-written go-to-target controller over 64 envs for 1000 steps (one episode each, at most).</summary>
    private static EpisodeReport Drive(double cruise)
    {
        using var env = Create(64);
        env.Reset(9);
        var actions = new float[64 * 3];
        var rewards = new float[64];
        var term = new bool[64];
        var trunc = new bool[64];
        var done = new bool[64];
        for (int s = 0; s < 1000; s++)
        {
            for (int e = 0; e < 64; e++)
            {
                var o = env.Observations.Slice(e * 19, 19);
                double ex = o[12] / NavLiteObservation.PositionScale, ey = o[13] / NavLiteObservation.PositionScale;
                double d = Math.Sqrt(ex * ex + ey * ey), err = Math.Atan2(ey, ex);
                double v = Math.Min(cruise, Math.Sqrt(2 * 1.5 * Math.Max(0, d - 0.1)));
                bool close = d < 0.6;
                actions[3 * e] = (float)Math.Clamp(close ? ex * 2 / 2.5 : v * Math.Max(0, Math.Cos(err)) / 2.5, -1, 1);
                actions[3 * e + 1] = (float)Math.Clamp(close ? ey * 2 : 0, -1, 1);
                actions[3 * e + 2] = (float)Math.Clamp(close ? 0 : 2 * err / 2.5, -1, 1);
            }
            env.Step(actions, rewards, term, trunc);
            for (int e = 0; e < 64; e++) done[e] |= term[e] | trunc[e];
            if (done.All(x => x)) break;
        }
        return env.DrainEpisodes();
    }
}
