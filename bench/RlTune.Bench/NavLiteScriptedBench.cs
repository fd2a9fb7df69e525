using System.Globalization;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNavLite;

namespace RlTune.Bench;

/// <summary>
/// `rltune-bench nav-lite-scripted --speed V[,V2,...] [--turn-gain K] [--brake A] [--scales name=w,...] [--discount G]`:
/// drives vbot-nav-lite with a hand-written go-to-target controller (cruise speed V m/s, yaw gain K,
/// braking deceleration A) and prints success, fall, length and the mean discounted return-to-go
/// (what PPO at that discount would value a state at) over the states it visits (value@G) and from
/// spawn (spawn_value: what a policy choosing its cruise speed weighs). Sweeping the speed under a
/// weight table shows which cruise speed the table pays most for, falls included. It calibrates the
/// body model and the weights; it is not how the behaviours are shown (those are learned, see env-behaviours.sh).
/// </summary>
public static class NavLiteScriptedBench
{
    public static int Run(string[] args)
    {
        double turnGain = 2.0, brake = 1.5, discount = 0.99;
        double[] speeds = [1.5];
        int envs = 1024, steps = 3000, seed = 1;
        string? png = null;
        var scales = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--png") { png = args[i + 1]; continue; }
            if (args[i] == "--speed") { speeds = args[i + 1].Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray(); continue; }
            if (args[i] == "--scales")
            {
                foreach (var kv in args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = kv.Split('=');
                    // BenchMain prints a UserError as one sentence: a weight that is not a number is the same mistake as a missing '='
                    if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double weight))
                        throw new UserError($"--scales takes name=weight,... with a number for each weight, not '{kv}'.");
                    scales[parts[0]] = weight;
                }
                continue;
            }
            double v = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--discount": discount = v; break;
                case "--turn-gain": turnGain = v; break;
                case "--brake": brake = v; break;
                case "--envs": envs = (int)v; break;
                case "--steps": steps = (int)v; break;
                case "--seed": seed = (int)v; break;
                default: Console.Error.WriteLine($"nav-lite-scripted: unknown option {args[i]}"); return 1;
            }
        }
        foreach (double speed in speeds)
            RunAt(speed, turnGain, brake, discount, envs, steps, seed, scales, speeds.Length == 1 ? png : null, printTerms: speeds.Length == 1);
        return 0;
    }

    private static void RunAt(double speed, double turnGain, double brake, double discount, int envs, int steps, int seed,
        Dictionary<string, double> scales, string? png, bool printTerms)
    {
        using var env = (VbotNavLiteEnv)EnvRegistry.Create("vbot-nav-lite", new EnvOptions(envs, scales.Count > 0 ? scales : null));
        var actions = new float[envs * 3];
        var rewards = new float[envs];
        var term = new bool[envs];
        var trunc = new bool[envs];
        void Drive(ReadOnlySpan<float> obs, Span<float> actions)
        {
            for (int e = 0; e < obs.Length / NavLiteObservation.Dim; e++)
            {
                var o = obs.Slice(e * NavLiteObservation.Dim, NavLiteObservation.Dim);
                double ex = o[NavLiteObservation.PositionError] / NavLiteObservation.PositionScale;
                double ey = o[NavLiteObservation.PositionError + 1] / NavLiteObservation.PositionScale;
                double d = Math.Sqrt(ex * ex + ey * ey);
                double err = Math.Atan2(ey, ex);
                double v = Math.Min(speed, Math.Sqrt(2 * brake * Math.Max(0, d - 0.1)));
                double vx = d < 0.6 ? ex * 2 : v * Math.Max(0, Math.Cos(err));
                double vy = d < 0.6 ? ey * 2 : 0;
                double wz = d < 0.6 ? 0 : turnGain * err;
                actions[e * 3] = (float)Math.Clamp(vx >= 0 ? vx / BodyModel.MaxForwardSpeed : vx / BodyModel.MaxBackwardSpeed, -1, 1);
                actions[e * 3 + 1] = (float)Math.Clamp(vy / BodyModel.MaxLateralSpeed, -1, 1);
                actions[e * 3 + 2] = (float)Math.Clamp(wz / BodyModel.MaxYawRate, -1, 1);
            }
        }
        if (png is not null)
        {
            var paths = Trajectories.Record(env, Drive, 24, seed);
            Trajectories.SavePng(paths, env.Layout, png, string.Create(CultureInfo.InvariantCulture, $"vbot-nav-lite, scripted driver at {speed} m/s"));
            Console.WriteLine($"wrote {png}");
        }
        env.Reset(seed);
        // every step's reward and whether it ended an episode (a fall ends it with nothing after; a
        // truncation is bootstrapped by PPO, so the return-to-go is cut there as an approximation)
        var rewardLog = new float[steps, envs];
        var doneLog = new bool[steps, envs];
        for (int s = 0; s < steps; s++)
        {
            Drive(env.Observations, actions);
            env.Step(actions, rewards, term, trunc);
            for (int e = 0; e < envs; e++) { rewardLog[s, e] = rewards[e]; doneLog[s, e] = term[e] || trunc[e]; }
        }
        var r = env.DrainEpisodes();
        // mean discounted return-to-go over the visited states, leaving out the last steps whose
        // return-to-go the run's end would cut short
        int horizon = (int)Math.Min(steps / 2, 5 / (1 - Math.Min(discount, 0.999)));
        double valueSum = 0, spawnSum = 0;
        long valueCount = 0, spawnCount = 0;
        for (int e = 0; e < envs; e++)
        {
            double g = 0;
            for (int s = steps - 1; s >= 0; s--)
            {
                g = rewardLog[s, e] + (doneLog[s, e] ? 0 : discount * g);
                if (s >= steps - horizon) continue;
                valueSum += g; valueCount++;
                if (s == 0 || doneLog[s - 1, e]) { spawnSum += g; spawnCount++; }
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"speed={speed} turn_gain={turnGain} brake={brake} episodes={r.Episodes} success={r.MetricMeans.GetValueOrDefault("success"):F3} fall={r.MetricMeans.GetValueOrDefault("fall"):F3} left={r.MetricMeans.GetValueOrDefault("left_platform"):F3} length={r.LengthMean:F0} return={r.ReturnMean:F1} value@{discount}={valueSum / valueCount:F3} spawn_value={spawnSum / Math.Max(1, spawnCount):F3}"));
        if (printTerms)
            foreach (var (k, v) in r.TermMeans) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {k,-24} {v,10:F4}"));
    }
}
