using RlTune.Envs;
using ScottPlot;

namespace RlTune.Envs.VbotNavLite;

/// <summary>How an episode ended.</summary>
public enum EpisodeOutcome { Running, Success, Fall, LeftPlatform, Timeout }

/// <summary>One robot's path over its first episode, from spawn to where it ended; for a fall, the body just before it.</summary>
public sealed record RobotPath(IReadOnlyList<(float X, float Y)> Points, EpisodeOutcome Outcome, FallState? Fall = null);

/// <summary>
/// The body on the step before a fall: planar speed, the episode's top speed, and the tilt split
/// into pitch (fore-aft: speeding up, braking, a stumble) and roll (sideways: turning at speed).
/// </summary>
public sealed record FallState(float Speed, float TopSpeed, float Roll, float Pitch)
{
    public bool Sideways => MathF.Abs(Roll) > MathF.Abs(Pitch);

    /// <summary>One line about a set of falls, e.g. for `rltune play`.</summary>
    public static string Summary(IReadOnlyList<FallState> falls)
    {
        if (falls.Count == 0) return "no falls";
        int fast = falls.Count(f => f.Speed > BodyModel.ComfortSpeed), sideways = falls.Count(f => f.Sideways);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{falls.Count} falls: speed just before {falls.Average(f => f.Speed):0.00} m/s on average ({fast} above the {BodyModel.ComfortSpeed} m/s stumbling speed), " +
            $"episode top speed {falls.Average(f => f.TopSpeed):0.00} m/s; {falls.Count - sideways} tipped fore-aft (accelerating, braking, stumbling), {sideways} sideways (turning at speed)");
    }
}

/// <summary>A policy as the recorder needs it: observations [envs x obs] in, actions [envs x act] out.</summary>
public delegate void PolicyFunction(ReadOnlySpan<float> observations, Span<float> actions);

/// <summary>Records robots' paths under a policy and draws them on the platform (the picture a person reads).</summary>
public static class Trajectories
{
    /// <summary>
    /// Runs <paramref name="policy"/> on every env from <c>Reset(seed)</c> until the first
    /// <paramref name="robots"/> envs have each finished one episode; returns their paths.
    /// </summary>
    public static IReadOnlyList<RobotPath> Record(VbotNavLiteEnv env, PolicyFunction policy, int robots, int seed, int everySteps = 2)
    {
        env.Reset(seed);
        return RecordFromCurrentState(env, policy, robots, everySteps);
    }

    /// <summary>As <see cref="Record"/>, from wherever the envs are now (their episodes may be under way).</summary>
    public static IReadOnlyList<RobotPath> RecordFromCurrentState(VbotNavLiteEnv env, PolicyFunction policy, int robots, int everySteps = 2)
    {
        robots = Math.Min(robots, env.NumEnvs);
        var points = Enumerable.Range(0, robots).Select(_ => new List<(float X, float Y)>()).ToArray();
        var outcome = new EpisodeOutcome[robots];
        var before = new BodyLane[robots];
        var topSpeed = new float[robots];
        var falls = new FallState?[robots];
        for (int r = 0; r < robots; r++) points[r].Add(env.Position(r));
        var actions = new float[env.NumEnvs * env.ActDim];
        var rewards = new float[env.NumEnvs];
        var terminated = new bool[env.NumEnvs];
        var truncated = new bool[env.NumEnvs];
        int running = robots;
        for (int step = 1; running > 0 && step <= 2 * env.MaxEpisodeSteps + 10; step++)
        {
            policy(env.Observations, actions);
            for (int r = 0; r < robots; r++)
            {
                if (outcome[r] != EpisodeOutcome.Running) continue;
                before[r] = env.GetBody(r);
                topSpeed[r] = MathF.Max(topSpeed[r], Speed(before[r]));
            }
            env.Step(actions, rewards, terminated, truncated);
            for (int r = 0; r < robots; r++)
            {
                if (outcome[r] != EpisodeOutcome.Running) continue;
                if (terminated[r] || truncated[r])
                {
                    points[r].Add(env.FinalPosition(r));
                    outcome[r] = env.FinalOutcome(r);
                    if (outcome[r] == EpisodeOutcome.Fall) falls[r] = new FallState(Speed(before[r]), topSpeed[r], before[r].Roll, before[r].Pitch);
                    running--;
                }
                else if (step % everySteps == 0) points[r].Add(env.Position(r));
            }
        }
        return points.Select((p, r) => new RobotPath(p, outcome[r], falls[r])).ToArray();
    }

    private static float Speed(BodyLane b) => MathF.Sqrt(b.Vx * b.Vx + b.Vy * b.Vy);

    /// <summary>Draws the platform, spawn ring, target, inner fence and every path (falls marked) into a PNG.</summary>
    public static void SavePng(IReadOnlyList<RobotPath> paths, NavLiteSettings settings, string file, string title, int size = 900)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("x (m)");
        plot.YLabel("y (m)");

        var platform = plot.Add.Circle(0, 0, BodyModel.PlatformRadius);
        platform.FillColor = Colors.LightGray.WithAlpha(0.35);
        platform.LineColor = Colors.DimGray;
        platform.LineWidth = 2;
        platform.LegendText = $"platform (r = {BodyModel.PlatformRadius} m)";
        foreach (double r in new[] { settings.SpawnInnerRadius, settings.SpawnOuterRadius })
        {
            var ring = plot.Add.Circle(0, 0, r);
            ring.FillColor = Colors.Transparent;
            ring.LineColor = Colors.SteelBlue.WithAlpha(0.6);
            ring.LinePattern = LinePattern.Dashed;
            if (r == settings.SpawnOuterRadius) ring.LegendText = $"spawn ring {settings.SpawnInnerRadius:0.#}-{settings.SpawnOuterRadius:0.#} m";
        }
        var fence = plot.Add.Circle(settings.TargetX, settings.TargetY, BodyModel.InnerFenceRadius);
        fence.FillColor = Colors.Transparent;
        fence.LineColor = Colors.DarkOrange;
        fence.LegendText = $"inner fence ({BodyModel.InnerFenceRadius} m)";

        var color = new Dictionary<EpisodeOutcome, Color>
        {
            [EpisodeOutcome.Success] = Colors.SeaGreen, [EpisodeOutcome.Fall] = Colors.Crimson,
            [EpisodeOutcome.LeftPlatform] = Colors.Purple, [EpisodeOutcome.Timeout] = Colors.DarkGoldenRod,
            [EpisodeOutcome.Running] = Colors.Gray,
        };
        var counted = paths.GroupBy(p => p.Outcome).ToDictionary(g => g.Key, g => g.Count());
        var labelled = new HashSet<EpisodeOutcome>();
        foreach (var path in paths)
        {
            double[] xs = path.Points.Select(p => (double)p.X).ToArray();
            double[] ys = path.Points.Select(p => (double)p.Y).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, color[path.Outcome].WithAlpha(0.75));
            line.LineWidth = 1.5f;
            if (labelled.Add(path.Outcome)) line.LegendText = $"{Describe(path.Outcome)} ({counted[path.Outcome]} of {paths.Count})";
            var start = plot.Add.Marker(xs[0], ys[0], MarkerShape.OpenCircle, 6, Colors.Black.WithAlpha(0.6));
            start.LineWidth = 1;
            if (path.Outcome is EpisodeOutcome.Fall or EpisodeOutcome.LeftPlatform)
            {
                var end = plot.Add.Marker(xs[^1], ys[^1], MarkerShape.Eks, 14, color[path.Outcome]);
                end.LineWidth = 3;
            }
        }
        var starts = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.OpenCircle, 6, Colors.Black.WithAlpha(0.6));
        starts.LegendText = "spawn point";
        if (paths.Any(p => p.Outcome is EpisodeOutcome.Fall or EpisodeOutcome.LeftPlatform))
        {
            var falls = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.Eks, 14, Colors.Crimson);
            falls.LegendText = "fall / left platform";
        }
        var target = plot.Add.Marker(settings.TargetX, settings.TargetY, MarkerShape.FilledDiamond, 14, Colors.Black);
        target.LegendText = "target";

        plot.Axes.SquareUnits();
        double lim = BodyModel.PlatformRadius + 0.8;
        plot.Axes.SetLimits(-lim, lim, -lim, lim);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Legend.FontSize = 11;
        string? dir = Path.GetDirectoryName(Path.GetFullPath(file));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(file, size, size);
    }

    private static string Describe(EpisodeOutcome o) => o switch
    {
        EpisodeOutcome.Success => "reached and stopped",
        EpisodeOutcome.Fall => "fell",
        EpisodeOutcome.LeftPlatform => "left the platform",
        EpisodeOutcome.Timeout => "episode limit",
        _ => "running",
    };
}
