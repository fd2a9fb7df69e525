using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNav;
using RlTune.Envs.VbotNav.MuJoCoInterop;
using RlTune.Envs.VbotNavLite;
using T = RlTune.Envs.VbotNav.VbotNavTerms;
using O = RlTune.Envs.VbotNav.VbotNavObservation;

namespace RlTune.Tests.Envs;

/// <summary>A test that needs MuJoCo: skipped, with the reason, only when this machine cannot run vbot-nav.</summary>
public sealed class MuJoCoFactAttribute : FactAttribute
{
    public MuJoCoFactAttribute()
    {
        if (VbotNative.Unavailable is { } why) Skip = "needs MuJoCo: " + why;
    }
}

public class VbotNavEnvTests
{
    private static VbotNavEnv Create(int envs = 4, IReadOnlyDictionary<string, double>? scales = null, string? overrides = """{"noise_level": 0}""", int threads = 1) =>
        (VbotNavEnv)EnvRegistry.Create("vbot-nav", new EnvOptions(envs, scales, overrides is null ? null : (JsonObject)JsonNode.Parse(overrides)!, threads));

    /// <summary>Every weight 1 (approach_scale 1 too), so an episode's term sums are the raw terms.</summary>
    private static VbotNavEnv UnitWeights(int envs = 1) => Create(envs, T.Names.ToDictionary(n => n, _ => 1.0));

    private static (float[] Rewards, bool[] Terminated, bool[] Truncated) Step(IVecEnv env, float[]? actions = null)
    {
        var r = (new float[env.NumEnvs], new bool[env.NumEnvs], new bool[env.NumEnvs]);
        env.Step(actions ?? new float[env.NumEnvs * env.ActDim], r.Item1, r.Item2, r.Item3);
        return r;
    }

    /// <summary>Puts env 0 into a state, steps once with zero actions and returns every raw term of that step (and whether it ended).</summary>
    private static (float[] Raw, bool Terminated, EpisodeOutcome Outcome) OneStep(VbotNavEnv env, (double[] Qpos, double[] Qvel) state)
    {
        env.SetState(0, state.Qpos, state.Qvel);
        env.DrainEpisodes();
        var (_, terminated, truncated) = Step(env);
        if (!terminated[0] && !truncated[0])
            return (Enumerable.Range(0, T.Count).Select(t => env.EpisodeTermSum(0, t)).ToArray(), false, EpisodeOutcome.Running);
        var report = env.DrainEpisodes();
        Assert.Equal(1, report.Episodes);
        return (T.Names.Select(n => (float)report.TermMeans[n]).ToArray(), terminated[0], env.FinalOutcome(0));
    }

    private const double Stand = 0.27; // trunk height of a robot standing at the default pose

    [Fact]
    public void AMissingLibraryIsOneSentenceNamingItAndTheFix()
    {
        string? why = VbotNative.Probe(VbotNative.Library, "libmujoco.so.0.0.0");
        Assert.NotNull(why);
        Assert.Contains("libmujoco.so.0.0.0 was not found", why);
        Assert.Contains("scripts/install-deps", why);
        Assert.Single(why!.Split(". ", StringSplitOptions.RemoveEmptyEntries));
    }

    [MuJoCoFact]
    public void AMissingShimIsOneSentenceNamingItAndTheFix()
    {
        string? why = VbotNative.Probe("vbot_mujoco_absent", VbotNative.MuJoCoLibrary);
        Assert.NotNull(why);
        Assert.Contains("libvbot_mujoco_absent.so", why);
        Assert.Contains("rebuild", why);
    }

    [MuJoCoFact]
    public void IsRegisteredWithMotrixLabsShapeAndTerms()
    {
        Assert.Contains("vbot-nav", EnvRegistry.Names);
        using var env = EnvRegistry.Create("vbot-nav", new EnvOptions(3));
        Assert.Equal(54, env.ObsDim);
        Assert.Equal(12, env.ActDim);
        Assert.Equal(1000, env.MaxEpisodeSteps);
        string[] motrixLab =
        [
            "position_tracking", "fine_position_tracking", "heading_tracking", "forward_velocity", "distance_progress", "alive_bonus",
            "approach_scale", "arrival_bonus", "inner_fence_bonus", "stop_scale", "zero_ang_bonus", "near_target_speed", "boundary_penalty",
            "orientation", "lin_vel_z", "ang_vel_xy", "torques", "dof_vel", "dof_acc", "action_rate", "termination",
        ];
        Assert.Empty(motrixLab.Except(env.RewardTerms.Select(t => t.Name)));
        Assert.Contains("departure_penalty", env.RewardTerms.Select(t => t.Name));
        var weights = env.RewardTerms.ToDictionary(t => t.Name, t => t.DefaultWeight);
        Assert.Equal(100.0, weights["arrival_bonus"]);
        // section001's weights as they stand in MotrixLab's cfg.py since Round6, the version whose formulas the env computes
        Assert.Equal(-100.0, weights["termination"]);
        Assert.Equal(30.0, weights["approach_scale"]);
        Assert.Equal(1.5, weights["forward_velocity"]);
        Assert.Equal(0.8, weights["heading_tracking"]);
        Assert.Equal(-2.0, weights["near_target_speed"]);
        // MotrixLab's PPOCfg and model: value loss x2 and a log std starting at 1, where skrl's defaults are 1 and 0
        var ppo = EnvRegistry.DefaultRlOverrides("vbot-nav")!;
        Assert.Equal(2.0, ppo["value_loss_scale"]!.GetValue<double>());
        Assert.Equal(1.0, ppo["initial_log_std"]!.GetValue<double>());
        Assert.Equal(-2.5e-7, weights["dof_acc"]);
        Assert.All(env.RewardTerms.Where(t => t.Kind == RewardTermKind.Penalty), t => Assert.True(t.DefaultWeight < 0, t.Name));
        Assert.All(env.RewardTerms.Where(t => t.Kind != RewardTermKind.Penalty), t => Assert.True(t.DefaultWeight > 0, t.Name));
    }

    [MuJoCoFact]
    public void StandsUnderThePdLoopNearTheSeedsHeight()
    {
        using var env = Create(8, overrides: """{"noise_level": 0, "spawn_ring": [8, 9]}""");
        env.Reset(3);
        for (int step = 0; step < 200; step++)
        {
            var (_, terminated, truncated) = Step(env);
            Assert.DoesNotContain(true, terminated);
            Assert.DoesNotContain(true, truncated);
        }
        for (int i = 0; i < env.NumEnvs; i++)
        {
            Assert.InRange(env.Height(i), 0.24f, 0.28f);
            var o = env.Observations.Slice(i * O.Dim, O.Dim);
            Assert.InRange(o[O.Gravity + 2], -1f, -0.995f);               // upright
            for (int j = 0; j < 12; j++) Assert.InRange(o[O.JointVelocities + j], -0.01f, 0.01f); // at rest
        }
        Assert.All(env.PhysicsEvents(), n => Assert.Equal(0, n));
    }

    [MuJoCoFact]
    public void ObservationFollowsMotrixLabsOrderAndScales()
    {
        Assert.Equal(54, O.Names.Count);
        string[] blocks = ["lin_vel_x", "gyro_x", "gravity_x", "FR_hip_angle", "FR_hip_velocity", "FR_hip_last_action", "command_vx", "position_error_x", "heading_error", "distance", "reached", "stop_ready"];
        int[] starts = [O.LinVel, O.Gyro, O.Gravity, O.JointAngles, O.JointVelocities, O.LastAction, O.Command, O.PositionError, O.HeadingError, O.Distance, O.Reached, O.StopReady];
        for (int b = 0; b < blocks.Length; b++) Assert.Equal(blocks[b], O.Names[starts[b]]);
        Assert.Equal([0, 3, 6, 9, 21, 33, 45, 48, 50, 51, 52, 53], starts);

        using var env = Create(1, overrides: null); // default settings: noiseless, as MotrixLab's section001 observes
        // 3 m east of the target, facing north, moving west at 0.4 m/s and turning at 0.5 rad/s, calf joints bent 0.1
        var (qpos, qvel) = VbotNavEnv.BuildState(3, 0, Stand, yaw: Math.PI / 2, vx: -0.4, yawRate: 0.5, jointOffset: 0.1);
        env.SetState(0, qpos, qvel);
        var o = env.Observations;
        Assert.Equal(-0.4f * 2f, o[O.LinVel], 4);
        Assert.Equal(0.5f * 0.25f, o[O.Gyro + 2], 4);
        Assert.Equal(-1f, o[O.Gravity + 2], 4);
        for (int j = 0; j < 12; j++) Assert.Equal(0.1f, o[O.JointAngles + j], 4);
        for (int j = 0; j < 12; j++) Assert.Equal(0f, o[O.LastAction + j]);
        Assert.Equal(-1f * 2f, o[O.Command], 4);       // toward the target (west), clipped to 1 m/s, x2
        Assert.Equal(0f, o[O.Command + 1], 4);
        Assert.Equal(1f * 0.25f, o[O.Command + 2], 4);  // the target is 90 degrees to the left: turn at the 1 rad/s cap, x0.25
        Assert.Equal(-3f / 12f, o[O.PositionError], 4);
        Assert.Equal(0f, o[O.PositionError + 1], 4);
        Assert.Equal(-0.5f, o[O.HeadingError], 4);     // (0 - pi/2) / pi
        Assert.Equal(3f / 12f, o[O.Distance], 4);
        Assert.Equal(0f, o[O.Reached]);
        Assert.Equal(0f, o[O.StopReady]);
    }

    [MuJoCoFact]
    public void ActionsAreFilteredAndDriveThePdTargets()
    {
        using var env = Create(1);
        var (qpos, qvel) = VbotNavEnv.BuildState(4, 0, Stand);
        env.SetState(0, qpos, qvel);
        var actions = Enumerable.Repeat(1f, 12).ToArray();
        Step(env, actions);
        for (int j = 0; j < 12; j++) Assert.Equal(0.3f, env.Observations[O.LastAction + j], 5);
        Step(env, actions);
        for (int j = 0; j < 12; j++) Assert.Equal(0.3f + 0.7f * 0.3f, env.Observations[O.LastAction + j], 5);
        // actions outside [-1, 1] apply unclipped, as in MotrixLab; a NaN acts as 0
        actions = Enumerable.Repeat(2f, 12).ToArray();
        actions[0] = float.NaN;
        Step(env, actions);
        Assert.Equal(0.7f * 0.51f, env.Observations[O.LastAction], 5);
        Assert.Equal(0.3f * 2f + 0.7f * 0.51f, env.Observations[O.LastAction + 1], 5);
    }

    [MuJoCoFact]
    public void FarFromTheTargetTheNavigationTermsPayAndTheArrivalTermsDoNot()
    {
        using var env = UnitWeights();
        // 4 m west of the target, facing it, walking toward it at 0.5 m/s
        var (raw, ended, _) = OneStep(env, VbotNavEnv.BuildState(-4, 0, Stand, vx: 0.5));
        Assert.False(ended);
        Assert.Equal(MathF.Exp(-4f / 5f), raw[T.PositionTracking], 2);
        Assert.InRange(raw[T.HeadingTracking], 0.9f, 1f);
        Assert.InRange(raw[T.ForwardVelocity], 0.3f, 0.6f);
        Assert.InRange(raw[T.DistanceProgress], 0.0005f, 0.005f);  // walked 2-5 mm of the 4 m
        Assert.InRange(raw[T.ApproachScale], 0.002f, 0.006f);
        Assert.Equal(1f, raw[T.AliveBonus]);
        foreach (int t in new[] { T.FinePositionTracking, T.ArrivalBonus, T.InnerFenceBonus, T.StopScale, T.ZeroAngBonus, T.DeparturePenalty, T.BoundaryPenalty, T.Termination })
            Assert.Equal(0f, raw[t]);
        Assert.Equal((0.5f - 0.6f) is var e && e > 0 ? e * e : 0f, raw[T.NearTargetSpeed], 3); // 0.5 m/s is under the 0.6 m/s allowed at 4 m
        Assert.True(raw[T.Torques] > 0 && raw[T.DofVel] >= 0 && raw[T.DofAcc] >= 0 && raw[T.Orientation] >= 0);

        // facing away and walking away: heading near exp(-pi/0.5), forward velocity negative, and approach
        // pays nothing (MotrixLab clips the weighted decrease of distance to [0, 1])
        (raw, _, _) = OneStep(env, VbotNavEnv.BuildState(-4, 0, Stand, yaw: Math.PI, vx: -0.5));
        Assert.InRange(raw[T.HeadingTracking], 0f, 0.01f);
        Assert.InRange(raw[T.ForwardVelocity], -0.6f, -0.3f);
        Assert.Equal(0f, raw[T.ApproachScale]);

        // with its real weight 30 the pay is 30 x the decrease (under the clip at 1)
        using var weighted = Create(1);
        (raw, _, _) = OneStep(weighted, VbotNavEnv.BuildState(-4, 0, Stand, vx: 0.5));
        Assert.InRange(raw[T.ApproachScale], 30 * 0.002f, 30 * 0.006f);
    }

    [MuJoCoFact]
    public void ReachingTheTargetPaysArrivalFenceAndStopOnceAndTheApproachTermsStop()
    {
        using var env = UnitWeights();
        var (raw, ended, _) = OneStep(env, VbotNavEnv.BuildState(0.3, 0, Stand));
        Assert.False(ended);
        Assert.Equal(1f, raw[T.ArrivalBonus]);
        Assert.Equal(1f, raw[T.InnerFenceBonus]);
        Assert.InRange(raw[T.StopScale], 1.9f, 2.0f);      // at rest: 0.8 + 1.2
        Assert.Equal(1f, raw[T.ZeroAngBonus]);
        Assert.Equal(MathF.Exp(-0.3f / 0.5f), raw[T.FinePositionTracking], 2);
        foreach (int t in new[] { T.HeadingTracking, T.ForwardVelocity, T.DistanceProgress, T.AliveBonus, T.ApproachScale })
            Assert.Equal(0f, raw[t]);
        // the next step pays arrival and fence no more, the stop terms again
        Step(env);
        Assert.Equal(1f, env.EpisodeTermSum(0, T.ArrivalBonus));
        Assert.Equal(1f, env.EpisodeTermSum(0, T.InnerFenceBonus));
        Assert.Equal(2f, env.EpisodeTermSum(0, T.ZeroAngBonus));

        // turning on the spot: the stop bonus's yaw part and zero_ang are gone
        (raw, _, _) = OneStep(env, VbotNavEnv.BuildState(0.3, 0, Stand, yawRate: 1.0));
        Assert.InRange(raw[T.StopScale], 0.7f, 1.0f);
        Assert.Equal(0f, raw[T.ZeroAngBonus]);

        // leaving the target while reached: departure penalty is the metres moved away this step
        (raw, _, _) = OneStep(env, VbotNavEnv.BuildState(0.3, 0, Stand, vx: 1.5));
        Assert.InRange(raw[T.DeparturePenalty], 0.01f, 0.016f);
        Assert.True(raw[T.NearTargetSpeed] > 1f);           // 1.5 m/s where 0.15 m/s is allowed
    }

    [MuJoCoFact]
    public void StopTermsPayForFiftyStepsAfterTheFirstReachAtMostAndTheHoldEndsTheEpisodeAsASuccess()
    {
        using var env = UnitWeights();
        var (qpos, qvel) = VbotNavEnv.BuildState(0.2, 0, Stand);
        env.SetState(0, qpos, qvel);
        for (int step = 1; step < 50; step++)
        {
            var (_, terminated, truncated) = Step(env);
            Assert.False(terminated[0] || truncated[0], $"ended at step {step}");
        }
        Assert.Equal(49f, env.EpisodeTermSum(0, T.ZeroAngBonus));
        var last = Step(env);
        Assert.True(last.Truncated[0]);   // MotrixLab truncates on success, so the trainer bootstraps from the value there
        Assert.False(last.Terminated[0]);
        Assert.Equal(EpisodeOutcome.Success, env.FinalOutcome(0));
        var report = env.DrainEpisodes();
        Assert.Equal(1.0, report.MetricMeans["success"]);
        Assert.Equal(50.0 / 50.0, report.TermMeans["zero_ang_bonus"], 3); // 50 steps of 1, over 50 steps
    }

    [MuJoCoFact]
    public void TheTrunkOnTheFloorEndsTheEpisodeWithTheTerminationPenalty()
    {
        using var env = Create(1);
        // lying on its belly: the trunk box rests on the floor
        var (raw, ended, outcome) = OneStep(env, VbotNavEnv.BuildState(-4, 0, 0.06, jointOffset: 0));
        Assert.True(ended);
        Assert.Equal(EpisodeOutcome.Fall, outcome);
        Assert.Equal(-100f, raw[T.Termination]);
        var metrics = new double[env.EpisodeMetricNames.Count];
        env.FinalEpisodeMetrics(0, metrics);
        Assert.Equal(1.0, metrics[env.EpisodeMetricNames.ToList().IndexOf("fall")]);
    }

    [MuJoCoFact]
    public void TiltingPastSeventyFiveDegreesEndsTheEpisode()
    {
        using var env = UnitWeights();
        // in the air, nothing touching: rolled 80 degrees ends it, rolled 60 does not
        var (raw, ended, outcome) = OneStep(env, VbotNavEnv.BuildState(-4, 0, 1.0, roll: 80 * Math.PI / 180));
        Assert.True(ended);
        Assert.Equal(EpisodeOutcome.Fall, outcome);
        Assert.Equal(1f, raw[T.Termination]);
        Assert.InRange(raw[T.Orientation], 0.9f, 1f);       // sin^2(80 degrees) = 0.97
        (raw, ended, _) = OneStep(env, VbotNavEnv.BuildState(-4, 0, 1.0, roll: 60 * Math.PI / 180));
        Assert.False(ended);
        Assert.Equal(0f, raw[T.Termination]);
        Assert.Equal(0.75f, raw[T.Orientation], 2);          // sin^2(60 degrees)
    }

    [MuJoCoFact]
    public void TheBoundaryPenaltyGrowsPastTenMetresAndLeavingThePlatformEndsTheEpisode()
    {
        using var env = UnitWeights();
        var (raw, ended, _) = OneStep(env, VbotNavEnv.BuildState(10.5, 0, Stand));
        Assert.False(ended);
        Assert.Equal(0.5f, raw[T.BoundaryPenalty], 2);
        (raw, ended, var outcome) = OneStep(env, VbotNavEnv.BuildState(12.6, 0, Stand));
        Assert.True(ended);
        Assert.Equal(EpisodeOutcome.LeftPlatform, outcome);
        Assert.Equal(1f, raw[T.Termination]);
    }

    [MuJoCoFact]
    public void TheSameSeedGivesTheSameEpisodesWhateverTheThreadCount()
    {
        float[] Run(int threads)
        {
            using var env = Create(10, overrides: null, threads: threads);
            env.Reset(11);
            var rng = new Random(5);
            var trace = new List<float>();
            var actions = new float[env.NumEnvs * env.ActDim];
            for (int step = 0; step < 120; step++)
            {
                for (int k = 0; k < actions.Length; k++) actions[k] = (float)(rng.NextDouble() * 2 - 1);
                var (rewards, terminated, _) = Step(env, actions);
                trace.AddRange(rewards);
                trace.AddRange(terminated.Select(t => t ? 1f : 0f));
            }
            trace.AddRange(env.Observations.ToArray());
            return trace.ToArray();
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [MuJoCoFact]
    public void SpawnsOnTheRingAroundTheTargetAtRest()
    {
        using var env = Create(200, overrides: """{"noise_level": 0, "spawn_ring": [5, 8], "target": [1, -1]}""");
        env.Reset(2);
        for (int i = 0; i < env.NumEnvs; i++)
        {
            var (x, y) = env.Position(i);
            double d = Math.Sqrt((x - 1) * (x - 1) + (y + 1) * (y + 1));
            Assert.InRange(d, 5 - 1e-3, 8 + 1e-3);
            Assert.InRange(Math.Sqrt(x * x + y * y), 0, 11 + 1e-3);
            Assert.Equal((float)(d / 12), env.Observations[i * O.Dim + O.Distance], 3);
        }
    }

    [MuJoCoFact]
    public void SolverAndRateOverridesApplyAndBadOnesAreOneSentence()
    {
        using (var env = Create(2, overrides: """{"cone": "pyramidal", "impratio": 1, "control_hz": 50, "substeps": 4}"""))
        {
            Assert.Equal(FrictionCone.Pyramidal, env.Settings.Cone);
            Assert.Equal(0.005, env.Settings.Timestep, 9);
            for (int step = 0; step < 20; step++) Step(env);
        }
        var e = Assert.Throws<UserError>(() => Create(1, overrides: """{"cone": "round"}"""));
        Assert.Equal("env_overrides.cone: expected \"elliptic\" or \"pyramidal\", got \"round\".", e.Message);
        e = Assert.Throws<UserError>(() => Create(1, overrides: """{"control_hz": 20, "substeps": 1}"""));
        Assert.Contains("50 ms physics step", e.Message);
        e = Assert.Throws<UserError>(() => Create(1, overrides: """{"wind": 3}"""));
        Assert.StartsWith("env_overrides.wind: vbot-nav has no such setting", e.Message);
    }

    [MuJoCoFact]
    public void PlayRecordsEachRobotsPathOverItsFirstEpisode()
    {
        using var env = Create(3, overrides: """{"noise_level": 0, "max_episode_steps": 20}""");
        var paths = Trajectories.Record(env, (_, actions) => actions.Clear(), robots: 2, seed: 4);
        Assert.Equal(2, paths.Count);
        foreach (var p in paths)
        {
            Assert.Equal(EpisodeOutcome.Timeout, p.Outcome);
            Assert.Equal(PathClass.TimedOut, p.Class);
            Assert.Equal(1 + 9 + 1, p.Points.Count); // spawn, every second step of 1-19, where it ended
            double d = Math.Sqrt(p.Points[0].X * p.Points[0].X + p.Points[0].Y * p.Points[0].Y);
            Assert.InRange(d, 2 - 1e-3, 5 + 1e-3);
            Assert.InRange(Math.Abs(p.Points[^1].X - p.Points[0].X), 0, 0.05); // standing still
        }
    }

    [MuJoCoFact]
    public void InitAtRandomEpisodeLengthSpreadsTheFirstEpisodesEnds()
    {
        using var env = Create(64, overrides: """{"noise_level": 0, "max_episode_steps": 100}""");
        var config = new RlTune.Learning.PpoConfig { NumEnvs = 64, InitAtRandomEpLen = true, PolicyHiddenLayerSizes = [8], ValueHiddenLayerSizes = [8] };
        using var trainer = new RlTune.Learning.PpoTrainer(config, env, threads: 1);
        var steps = Enumerable.Range(0, 64).Select(env.EpisodeSteps).ToArray();
        Assert.All(steps, s => Assert.InRange(s, 0, 99));
        Assert.True(steps.Distinct().Count() > 30, "the first episodes' step counts should spread over the limit");
        // a standing robot then times out at 100 - its count, not all at once
        var actions = new float[64 * env.ActDim];
        var rewards = new float[64];
        var terminated = new bool[64];
        var truncated = new bool[64];
        env.Step(actions, rewards, terminated, truncated);
        Assert.Equal(steps.Count(s => s == 99), truncated.Count(t => t));

        using var lite = new VbotNavLiteEnv(new EnvOptions(4));
        var e = Assert.Throws<UserError>(() => new RlTune.Learning.PpoTrainer(config with { NumEnvs = 4 }, lite, threads: 1));
        Assert.Equal("rl_overrides.init_at_random_ep_len: env 'vbot-nav-lite' cannot start its envs part-way through an episode; leave it false.", e.Message);
    }
}
