using System.Globalization;
using RlTune.Envs;
using RlTune.Envs.VbotNavLite;

namespace RlTune.Bench;

/// <summary>
/// `rltune-bench nav-lite-scripted --speed V [--turn-gain K] [--brake A]`: drives vbot-nav-lite with
/// a hand-written go-to-target controller (cruise speed V m/s, yaw gain K, braking deceleration A)
/// and prints success, fall and length. It calibrates the body model (what a careful driver and a
/// reckless one get); it is not how the behaviours are shown (those are learned, see env-behaviours.sh).
/// </summary>
public static class NavLiteScriptedBench
{
    public static int Run(string[] args)
    {
        double speed = 1.5, turnGain = 2.0, brake = 1.5;
        int envs = 1024, steps = 3000, seed = 1;
        string? png = null;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--png") { png = args[i + 1]; continue; }
            double v = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--speed": speed = v; break;
                case "--turn-gain": turnGain = v; break;
                case "--brake": brake = v; break;
                case "--envs": envs = (int)v; break;
                case "--steps": steps = (int)v; break;
                case "--seed": seed = (int)v; break;
                default: Console.Error.WriteLine($"nav-lite-scripted: unknown option {args[i]}"); return 1;
            }
        }
        using var env = (VbotNavLiteEnv)EnvRegistry.Create("vbot-nav-lite", new EnvOptions(envs));
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
            Trajectories.SavePng(paths, env.Settings, png, string.Create(CultureInfo.InvariantCulture, $"vbot-nav-lite, scripted driver at {speed} m/s"));
            Console.WriteLine($"wrote {png}");
        }
        env.Reset(seed);
        for (int s = 0; s < steps; s++)
        {
            Drive(env.Observations, actions);
            env.Step(actions, rewards, term, trunc);
        }
        var r = env.DrainEpisodes();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"speed={speed} turn_gain={turnGain} brake={brake} episodes={r.Episodes} success={r.MetricMeans.GetValueOrDefault("success"):F3} fall={r.MetricMeans.GetValueOrDefault("fall"):F3} left={r.MetricMeans.GetValueOrDefault("left_platform"):F3} length={r.LengthMean:F0} return={r.ReturnMean:F1}"));
        foreach (var (k, v) in r.TermMeans) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {k,-24} {v,10:F4}"));
        return 0;
    }
}
