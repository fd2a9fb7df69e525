using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNavLite;
using RlTune.Learning;
using RlTune.Study;
using RlTune.Trials;

using V = System.Runtime.Intrinsics.Vector256<float>;

namespace RlTune.Tests.Envs;

/// <summary>What vbot-nav-lite ships as defaults: its weight table and its recommended PPO settings, and where train writes.</summary>
public sealed class NavLiteDefaultsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rltune-navlite-defaults-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void TheDefaultWeightTablePassesTheRewardBudgetAudit()
    {
        var audit = RewardBudgetAudit.ForEnv(VbotNavLiteEnv.EnvName, null, null)!;
        Assert.Equal(1000, audit.EpisodeLength);
        var finding = audit.Check(new Dictionary<string, double>());
        Assert.True(finding.Passed, finding.Message);
        Assert.Equal(RewardTerms.All[RewardTerms.ArrivalBonus].DefaultWeight, finding.Arrival);
        // the lazy-robot case of bench/env-behaviours.sh fails it, as it should
        Assert.False(audit.Check(new Dictionary<string, double> { ["alive_bonus"] = 1.0, ["arrival_bonus"] = 10 }).Passed);
    }

    [Fact]
    public void TheSuccessHoldsTermsAreBoundedByTheHold()
    {
        using var env = new VbotNavLiteEnv(new EnvOptions(1, null, new JsonObject { ["success_hold_steps"] = 10 }));
        var bounded = env.RewardTerms.Where(t => t.MaxStepsPerEpisode != null).ToDictionary(t => t.Name, t => t.MaxStepsPerEpisode);
        Assert.Equal(new Dictionary<string, int?> { ["stop_scale"] = 10, ["zero_ang_bonus"] = 10 }, bounded);
        var audit = RewardBudgetAudit.ForEnv(VbotNavLiteEnv.EnvName, new JsonObject { ["success_hold_steps"] = 1000 }, null)!;
        Assert.False(audit.Check(new Dictionary<string, double>()).Passed); // a hold as long as the episode pays as much as loitering
    }

    [Fact]
    public void TheProgressTermsSumToNoMoreThanTheFarthestSpawnsDistance()
    {
        RewardTermInfo Term(EnvOptions options, string name)
        {
            using var env = new VbotNavLiteEnv(options);
            return env.RewardTerms.Single(t => t.Name == name);
        }
        var competition = new EnvOptions(1, null, null);
        Assert.Equal(11.0 / BodyModel.ControlDt, Term(competition, "forward_velocity").MaxRawPerEpisode!.Value, 6); // m/s summed over 10 ms steps
        Assert.Equal(11.0, Term(competition, "approach_scale").MaxRawPerEpisode!.Value, 6);
        // a nearer ring with the target moved 3-4-5 away from the centre
        var moved = new EnvOptions(1, null, new JsonObject { ["spawn_ring"] = new JsonArray(2, 5), ["target"] = new JsonArray(3, 4) });
        Assert.Equal(10.0, Term(moved, "approach_scale").MaxRawPerEpisode!.Value, 6);
        Assert.Null(Term(competition, "alive_bonus").MaxRawPerEpisode); // surviving is not bounded by a distance
    }

    [Fact]
    public void TheDefaultWeightsPayMostPerStepForATrotWhileFiveTimesTheForwardRewardPaysMostAtTheCap()
    {
        // the gait's bounce (lin_vel_z) and body rates (ang_vel_xy) cost about speed cubed, so under
        // the default weights the dense reward per step peaks at a trot, and with forward_velocity x5 (the
        // sprint-crash case) it still grows up to the speed cap instead of hitting a wall (falls are
        // switched off here: this is the per-step trade-off alone, before any stumble's cost)
        double PerStep(float speed, Dictionary<string, double>? scales = null)
        {
            using var env = NavLiteTestKit.Create(256, scales, overrides: """{"noise_level": 0, "fall_threshold": 1.5}""");
            for (int e = 0; e < env.NumEnvs; e++) env.SetBody(e, NavLiteTestKit.Body(-11f, 0, 0, vx: speed), spawnDistance: 11f);
            double sum = 0;
            for (int step = 0; step < 150; step++) sum += NavLiteTestKit.Step(env, NavLiteTestKit.Hold(speed)).Rewards.Sum();
            return sum / (150.0 * env.NumEnvs);
        }
        double slow = PerStep(1.0f), trot = PerStep(1.5f), fast = PerStep(2.2f);
        Assert.True(trot > slow && trot > fast, $"reward per step at 1.0 / 1.5 / 2.2 m/s: {slow:F4} / {trot:F4} / {fast:F4}");
        var sprint = new Dictionary<string, double> { ["forward_velocity"] = 5 * RewardTerms.All[RewardTerms.ForwardVelocity].DefaultWeight };
        double[] sprinter = [PerStep(1.5f, sprint), PerStep(2.0f, sprint), PerStep(2.5f, sprint)];
        Assert.True(sprinter[0] < sprinter[1] && sprinter[1] < sprinter[2],
            $"sprint-crash weights, reward per step at 1.5 / 2.0 / 2.5 m/s: {string.Join(" / ", sprinter.Select(x => x.ToString("F4")))}");
    }

    /// <summary>Eight bodies walking straight ahead at a steady speed, upright, at standing height.</summary>
    private static BodyBlock SteadyBody(float speed) =>
        new() { HeadingCos = V.One, GaitCos = V.One, Vx = Vector256.Create(speed), Height = Vector256.Create(BodyModel.StandHeight) };

    /// <summary>Eight uniform draws in [-1, 1), as the env feeds the body model's kicks and stumble draw.</summary>
    private static V UniformDraws(Random random) => Vector256.Create(Enumerable.Range(0, 8).Select(_ => (float)(2 * random.NextDouble() - 1)).ToArray());

    [Theory]
    [InlineData(1.5, 0.0)]    // a trot
    [InlineData(1.7, 0.5)]    // halfway from trot to bound
    [InlineData(1.8, 1.0)]    // a bound
    [InlineData(1.9, 0.5)]    // halfway from bound to gallop
    [InlineData(2.1, 0.0)]    // a gallop
    public void TheBoundBouncesFasterThanTheTrotAndTheGallopAtTheSameSpeed(double speed, double boundShare)
    {
        var body = SteadyBody((float)speed);
        V command = Vector256.Create((float)(speed / BodyModel.MaxForwardSpeed));
        float peak = 0;
        for (int s = 0; s < 200; s++) // two seconds at a steady speed: several gait cycles, no squat
        {
            BodyModel.Advance(ref body, command, V.Zero, V.Zero, V.Zero, V.Zero, V.One); // no kicks, no stumble
            if (s > 10) peak = MathF.Max(peak, MathF.Abs(body.Vz[0]));
        }
        double trot = BodyModel.BounceSpeedBase + BodyModel.BounceSpeedAtMaxSpeed * Math.Pow(speed / BodyModel.MaxPlanarSpeed, 1.5);
        Assert.Equal(trot + boundShare * BodyModel.BoundBounceSpeed, peak, 0.02);
    }

    [Theory]
    [InlineData(1.7, 0.0)]    // at a comfortable trot the gait never stumbles
    [InlineData(1.85, 0.111)] // just past it: StumbleRateAboveComfort per second, plus a little
    [InlineData(2.15, 0.175)] // halfway to the cap: halfway between the two rates
    [InlineData(2.5, 0.25)]   // at the speed cap: StumbleRateAtMaxSpeed per second
    public void TheGaitStumblesAboveTheComfortableSpeedAtTheStatedRate(double speed, double perSecond)
    {
        var random = new Random(5);
        V Draw() => UniformDraws(random);
        var body = SteadyBody((float)speed);
        V command = Vector256.Create((float)(speed / BodyModel.MaxForwardSpeed));
        int steps = 25_000, stumbles = 0;
        for (int s = 0; s < steps; s++)
        {
            body.Roll = body.Pitch = body.RollRate = body.PitchRate = V.Zero; // each step from upright: only this step's kick shows
            BodyModel.Advance(ref body, command, V.Zero, V.Zero, Draw(), Draw(), Draw());
            // the gait's own kick adds at most ~1.4 rad/s in a step; a stumble adds StumbleKick
            for (int l = 0; l < 8; l++) if (body.PitchRate[l] > BodyModel.StumbleKick / 2) stumbles++;
        }
        double seconds = 8.0 * steps * BodyModel.ControlDt;
        double expected = perSecond * seconds; // 0, 222, 350 or 500 stumbles (the build-up's first second is negligible)
        Assert.InRange(stumbles, expected * 0.8, expected * 1.2 + 0.5);
    }

    [Fact]
    public void AShortBurstPastTheComfortableSpeedStumblesLessOftenThanAHeldOne()
    {
        // 0.3 s at the speed cap from a comfortable gait: the rate builds up over UnsteadyBuildUp (0.3 s), so a burst
        // stumbles at tau * (T/tau - 1 + e^(-T/tau)) / T = 37 % of the held rate; a gait already unsteady at the full rate
        var random = new Random(7);
        V Draw() => UniformDraws(random);
        int Burst(float unsteadyAtStart)
        {
            int stumbles = 0;
            for (int trial = 0; trial < 5_000; trial++)
            {
                var body = SteadyBody(BodyModel.MaxPlanarSpeed) with { Unsteady = Vector256.Create(unsteadyAtStart) };
                for (int s = 0; s < 30; s++)
                {
                    body.Roll = body.Pitch = body.RollRate = body.PitchRate = V.Zero;
                    BodyModel.Advance(ref body, V.One, V.Zero, V.Zero, Draw(), Draw(), Draw());
                    for (int l = 0; l < 8; l++) if (body.PitchRate[l] > BodyModel.StumbleKick / 2) stumbles++;
                }
            }
            return stumbles;
        }
        double held = BodyModel.StumbleRateAtMaxSpeed * 40_000 * 0.3; // 3000 expected
        double tau = BodyModel.UnsteadyBuildUp, t = 0.3;
        double burst = held * tau * (t / tau - 1 + Math.Exp(-t / tau)) / t; // ~1100 expected
        Assert.InRange(Burst(1f), held * 0.9, held * 1.1);
        Assert.InRange(Burst(0f), burst * 0.85, burst * 1.15);
    }

    [Fact]
    public void NavLiteRecommendsItsOwnPpoSettingsUnderTheTrialsOwn()
    {
        var defaults = TrainingRequest.ConfigFor(VbotNavLiteEnv.EnvName, null, "test");
        Assert.Equal([128, 64], defaults.PolicyHiddenLayerSizes);
        Assert.Equal([256, 128], defaults.ValueHiddenLayerSizes);
        Assert.Equal(0.004, defaults.KlThreshold);
        Assert.Equal((0.005, ScheduleKind.Linear), (defaults.EntropyLossScale, defaults.EntropyLossScaleScheduler));
        Assert.Equal(EnvRegistry.DefaultRlOverrides(VbotNavLiteEnv.EnvName)!["num_envs"]!.GetValue<int>(), defaults.NumEnvs);
        Assert.Equal(new PpoConfig().DiscountFactor, defaults.DiscountFactor); // a key the env leaves alone keeps the seed's default

        var trial = TrainingRequest.ConfigFor(VbotNavLiteEnv.EnvName,
            new JsonObject { ["num_envs"] = 64, ["policy_hidden_layer_sizes"] = new JsonArray(32) }, "trial.json");
        Assert.Equal(64, trial.NumEnvs);                                  // the trial's value wins
        Assert.Equal([32], trial.PolicyHiddenLayerSizes);
        Assert.Equal([256, 128], trial.ValueHiddenLayerSizes);            // the env's where the trial is silent

        // an env without recommendations (an external trainer's name) gets the seed's defaults
        Assert.Null(EnvRegistry.DefaultRlOverrides("not-built-in"));
        Assert.Equal(new PpoConfig().PolicyHiddenLayerSizes, TrainingRequest.ConfigFor("not-built-in", null, "test").PolicyHiddenLayerSizes);
        // callers get a copy: changing it changes nothing for the next run
        EnvRegistry.DefaultRlOverrides(VbotNavLiteEnv.EnvName)!["num_envs"] = 3;
        Assert.NotEqual(3, TrainingRequest.ConfigFor(VbotNavLiteEnv.EnvName, null, "test").NumEnvs);
    }

    [Fact]
    public void TrainWritesMetricsJsonIntoTheOutputDirItself()
    {
        string runDir = Path.Combine(_root, "my-run");
        var (code, stdout, stderr) = Cli("train", "--env", "vbot-nav-lite", "--steps", "1536", "--seed", "3", "--num-envs", "16",
            "--output", runDir, "--threads", "1", "--env-threads", "1", "--eval-episodes", "4");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains($"PIPELINE_RUN_DIR={runDir}", stdout);
        var metrics = MetricsReader.Read(runDir)!;
        foreach (var key in new[] { "success_rate", "termination_rate", "episode_length_mean", "episode_reward_mean" })
            Assert.True(metrics.Values.ContainsKey(key), key);
        Assert.True(File.Exists(Path.Combine(runDir, "checkpoints", "final_agent.ckpt")));
        Assert.DoesNotContain(Directory.GetDirectories(runDir), d => Path.GetFileName(d).StartsWith("train-", StringComparison.Ordinal));
    }

    private static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rltune.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
