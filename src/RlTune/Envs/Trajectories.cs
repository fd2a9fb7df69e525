using ScottPlot;

namespace RlTune.Envs;

/// <summary>How an episode ended.</summary>
public enum EpisodeOutcome { Running, Success, Fall, LeftPlatform, Timeout }

/// <summary>How a recorded episode reads on the platform picture and in the study report.</summary>
public enum PathClass { ReachedAndStopped, ReachedOnly, Fell, TimedOut }

/// <summary>
/// The platform a navigation env's robots walk on, as the recorder and the picture need it: spawn
/// ring, target, episode limit, the success radius, the control step, and the speed above which the
/// gait stumbles where the env models one (vbot-nav-lite's body model; null for the full body).
/// </summary>
public sealed record PlatformLayout(double SpawnInnerRadius, double SpawnOuterRadius, double TargetX, double TargetY, int MaxEpisodeSteps,
    double SuccessRadius, double ControlDt, double? ComfortSpeed)
{
    public const double PlatformRadius = 12.5;
    public const double InnerFenceRadius = 0.75;
    /// <summary>Metres from the target within which a robot is arriving (slowing to stop) rather than cruising.</summary>
    public const float NearTargetRadius = 2.0f;
}

/// <summary>A robot's trunk on the platform: position (m), planar velocity (m/s), yaw rate (rad/s), roll and pitch (rad).</summary>
public readonly record struct PlatformBody(float X, float Y, float Vx, float Vy, float YawRate, float Roll, float Pitch);

/// <summary>A navigation env whose robots' paths can be recorded and drawn (vbot-nav-lite, vbot-nav).</summary>
public interface IPlatformEnv : IVecEnv
{
    PlatformLayout Layout { get; }
    /// <summary>Env i's robot now.</summary>
    PlatformBody Body(int i);
    /// <summary>Where env i's robot was when its episode ended in the last step, before the reset.</summary>
    (float X, float Y) FinalPosition(int i);
    /// <summary>How env i's episode ended, for an env that ended in the last step.</summary>
    EpisodeOutcome FinalOutcome(int i);
    /// <summary>Steps env i's running episode has taken.</summary>
    int EpisodeSteps(int i);
}

/// <summary>
/// One robot's path over its first episode, from spawn to where it ended; for a fall, the body just
/// before it; for an episode that hit the limit, what the robot was doing in its last second.
/// </summary>
public sealed record RobotPath(IReadOnlyList<(float X, float Y)> Points, EpisodeOutcome Outcome, FallState? Fall = null, TimeoutState? Timeout = null,
    SpeedState? Speed = null)
{
    /// <summary>Whether the robot came within the success radius at some step.</summary>
    public bool Reached { get; init; }

    public PathClass Class => Outcome switch
    {
        EpisodeOutcome.Success => PathClass.ReachedAndStopped,
        EpisodeOutcome.Fall or EpisodeOutcome.LeftPlatform => PathClass.Fell,
        _ => Reached ? PathClass.ReachedOnly : PathClass.TimedOut,
    };
}

/// <summary>
/// How fast a robot walked over its episode: steps and summed planar speed while at least
/// <see cref="SpeedState.CruiseDistance"/> from the target (its cruise), and steps above the
/// comfortable speed where the gait stumbles (anywhere).
/// </summary>
public sealed record SpeedState(int CruiseSteps, double CruiseSpeedSum, int Steps, int StepsAboveComfort)
{
    /// <summary>Metres from the target beyond which a robot counts as cruising (outside the near-target zone).</summary>
    public const float CruiseDistance = PlatformLayout.NearTargetRadius;

    /// <summary>
    /// One line about the robots' speed, e.g. for `rltune play`: the mean cruising speed and how
    /// much of the walking was above the stumbling speed (a policy that holds its speed close to
    /// the edge wanders over it and falls now and then), at the env's <paramref name="comfortSpeed"/> (<see cref="PlatformLayout.ComfortSpeed"/>).
    /// </summary>
    public static string Summary(IReadOnlyList<SpeedState> speeds, double comfortSpeed)
    {
        if (speeds.Count == 0) return "no robots";
        int cruise = speeds.Sum(s => s.CruiseSteps), steps = speeds.Sum(s => s.Steps), above = speeds.Sum(s => s.StepsAboveComfort);
        double mean = cruise == 0 ? 0 : speeds.Sum(s => s.CruiseSpeedSum) / cruise;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"speed: {mean:0.00} m/s on average while {CruiseDistance} m or more from the target; {100.0 * above / Math.Max(1, steps):0.0} % of all steps " +
            $"above the {comfortSpeed:0.##} m/s stumbling speed, by {speeds.Count(s => s.StepsAboveComfort > 0)} of {speeds.Count} robots");
    }
}

/// <summary>
/// The body on the step before a fall: planar speed, the episode's top speed, and the tilt split
/// into pitch (fore-aft: speeding up, braking, a stumble) and roll (sideways: turning at speed).
/// </summary>
public sealed record FallState(float Speed, float TopSpeed, float Roll, float Pitch)
{
    public bool Sideways => MathF.Abs(Roll) > MathF.Abs(Pitch);

    /// <summary>One line about a set of falls, e.g. for `rltune play`, at the env's <paramref name="comfortSpeed"/> (<see cref="PlatformLayout.ComfortSpeed"/>).</summary>
    public static string Summary(IReadOnlyList<FallState> falls, double comfortSpeed)
    {
        if (falls.Count == 0) return "no falls";
        int fast = falls.Count(f => f.Speed > comfortSpeed), sideways = falls.Count(f => f.Sideways);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{falls.Count} falls: speed just before {falls.Average(f => f.Speed):0.00} m/s on average ({fast} above the {comfortSpeed:0.##} m/s stumbling speed), " +
            $"episode top speed {falls.Average(f => f.TopSpeed):0.00} m/s; {falls.Count - sideways} tipped fore-aft (accelerating, braking, stumbling), {sideways} sideways (turning at speed)");
    }
}

/// <summary>
/// An episode that ran to the limit: the step it first came within the success radius (null if
/// never), and its mean distance to the target, planar speed and |yaw rate| over its last second.
/// </summary>
public sealed record TimeoutState(int? FirstReachStep, float Distance, float Speed, float YawRate)
{
    /// <summary>One line about a set of episodes that hit the limit, e.g. for `rltune play`.</summary>
    public static string Summary(IReadOnlyList<TimeoutState> timeouts)
    {
        if (timeouts.Count == 0) return "no episode hit the limit";
        var reached = timeouts.Where(t => t.FirstReachStep is not null).ToList();
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        string Last(IReadOnlyList<TimeoutState> ts) => string.Create(ci,
            $"{ts.Average(t => t.Distance):0.00} m from the target, {ts.Average(t => t.Speed):0.00} m/s, yaw rate {ts.Average(t => t.YawRate):0.00} rad/s");
        string line = $"{timeouts.Count} hit the episode limit: {reached.Count} had reached the target";
        if (reached.Count > 0)
            line += string.Create(ci, $" (first at step {reached.Average(t => t.FirstReachStep!.Value):0} on average) and never stopped there; in their last second {Last(reached)}");
        if (reached.Count < timeouts.Count)
            line += $"; {timeouts.Count - reached.Count} never reached it, in their last second {Last(timeouts.Where(t => t.FirstReachStep is null).ToList())}";
        return line;
    }
}

/// <summary>A policy as the recorder needs it: observations [envs x obs] in, actions [envs x act] out.</summary>
public delegate void PolicyFunction(ReadOnlySpan<float> observations, Span<float> actions);

/// <summary>Records robots' paths under a policy and draws them on the platform (the picture a person reads), for every platform env.</summary>
public static class Trajectories
{
    /// <summary>
    /// Runs <paramref name="policy"/> on every env from <c>Reset(seed)</c> until the first
    /// <paramref name="robots"/> envs have each finished one episode; returns their paths.
    /// </summary>
    public static IReadOnlyList<RobotPath> Record(IPlatformEnv env, PolicyFunction policy, int robots, int seed, int everySteps = 2)
    {
        env.Reset(seed);
        return RecordFromCurrentState(env, policy, robots, everySteps);
    }

    /// <summary>As <see cref="Record"/>, from wherever the envs are now (their episodes may be under way).</summary>
    public static IReadOnlyList<RobotPath> RecordFromCurrentState(IPlatformEnv env, PolicyFunction policy, int robots, int everySteps = 2)
    {
        var layout = env.Layout;
        robots = Math.Min(robots, env.NumEnvs);
        var points = Enumerable.Range(0, robots).Select(_ => new List<(float X, float Y)>()).ToArray();
        var outcome = new EpisodeOutcome[robots];
        var before = new PlatformBody[robots];
        var topSpeed = new float[robots];
        var falls = new FallState?[robots];
        var timeouts = new TimeoutState?[robots];
        var firstReach = new int?[robots];
        var speeds = new (int CruiseSteps, double CruiseSpeedSum, int Steps, int StepsAboveComfort)[robots];
        var lastSecond = new (double Distance, double Speed, double YawRate, int Steps)[robots];
        int lastSecondFrom = layout.MaxEpisodeSteps - (int)Math.Round(1 / layout.ControlDt);
        float targetX = (float)layout.TargetX, targetY = (float)layout.TargetY;
        float comfort = layout.ComfortSpeed is { } c ? (float)c : float.PositiveInfinity;
        for (int r = 0; r < robots; r++) points[r].Add(Position(env.Body(r)));
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
                before[r] = env.Body(r);
                float distance = MathF.Sqrt((before[r].X - targetX) * (before[r].X - targetX) + (before[r].Y - targetY) * (before[r].Y - targetY));
                int episodeStep = env.EpisodeSteps(r); // the env's own count: recording may start mid-episode
                if (firstReach[r] is null && distance < layout.SuccessRadius) firstReach[r] = episodeStep;
                float speed = Speed(before[r]);
                topSpeed[r] = MathF.Max(topSpeed[r], speed);
                ref var sp = ref speeds[r];
                if (distance >= SpeedState.CruiseDistance) { sp.CruiseSteps++; sp.CruiseSpeedSum += speed; }
                sp.Steps++;
                if (speed > comfort) sp.StepsAboveComfort++;
                if (episodeStep >= lastSecondFrom)
                {
                    var l = lastSecond[r];
                    lastSecond[r] = (l.Distance + distance, l.Speed + speed, l.YawRate + MathF.Abs(before[r].YawRate), l.Steps + 1);
                }
            }
            env.Step(actions, rewards, terminated, truncated);
            for (int r = 0; r < robots; r++)
            {
                if (outcome[r] != EpisodeOutcome.Running) continue;
                if (terminated[r] || truncated[r])
                {
                    var end = env.FinalPosition(r);
                    points[r].Add(end);
                    float ex = end.X - targetX, ey = end.Y - targetY;
                    if (firstReach[r] is null && MathF.Sqrt(ex * ex + ey * ey) < layout.SuccessRadius) firstReach[r] = env.EpisodeSteps(r);
                    outcome[r] = env.FinalOutcome(r);
                    if (outcome[r] == EpisodeOutcome.Fall) falls[r] = new FallState(Speed(before[r]), topSpeed[r], before[r].Roll, before[r].Pitch);
                    if (outcome[r] == EpisodeOutcome.Timeout)
                    {
                        var l = lastSecond[r];
                        int n = Math.Max(1, l.Steps);
                        timeouts[r] = new TimeoutState(firstReach[r], (float)(l.Distance / n), (float)(l.Speed / n), (float)(l.YawRate / n));
                    }
                    running--;
                }
                else if (step % everySteps == 0) points[r].Add(Position(env.Body(r)));
            }
        }
        return points.Select((p, r) => new RobotPath(p, outcome[r], falls[r], timeouts[r],
            new SpeedState(speeds[r].CruiseSteps, speeds[r].CruiseSpeedSum, speeds[r].Steps, speeds[r].StepsAboveComfort))
        { Reached = firstReach[r] is not null || outcome[r] == EpisodeOutcome.Success }).ToArray();
    }

    private static float Speed(PlatformBody b) => MathF.Sqrt(b.Vx * b.Vx + b.Vy * b.Vy);

    private static (float X, float Y) Position(PlatformBody b) => (b.X, b.Y);

    /// <summary>Draws the platform, spawn ring, target, inner fence and every path coloured by its class (falls marked) into a PNG.</summary>
    public static void SavePng(IReadOnlyList<RobotPath> paths, PlatformLayout layout, string file, string title, int size = 900)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(title);
        plot.XLabel("x (m)");
        plot.YLabel("y (m)");

        var platform = plot.Add.Circle(0, 0, PlatformLayout.PlatformRadius);
        platform.FillColor = Colors.LightGray.WithAlpha(0.35);
        platform.LineColor = Colors.DimGray;
        platform.LineWidth = 2;
        platform.LegendText = $"platform (r = {PlatformLayout.PlatformRadius} m)";
        foreach (double r in new[] { layout.SpawnInnerRadius, layout.SpawnOuterRadius })
        {
            var ring = plot.Add.Circle(layout.TargetX, layout.TargetY, r);
            ring.FillColor = Colors.Transparent;
            ring.LineColor = Colors.SteelBlue.WithAlpha(0.6);
            ring.LinePattern = LinePattern.Dashed;
            if (r == layout.SpawnOuterRadius) ring.LegendText = $"spawn ring {layout.SpawnInnerRadius:0.#}-{layout.SpawnOuterRadius:0.#} m";
        }
        var fence = plot.Add.Circle(layout.TargetX, layout.TargetY, PlatformLayout.InnerFenceRadius);
        fence.FillColor = Colors.Transparent;
        fence.LineColor = Colors.DarkOrange;
        fence.LegendText = $"inner fence ({PlatformLayout.InnerFenceRadius} m)";

        var color = new Dictionary<PathClass, Color>
        {
            [PathClass.ReachedAndStopped] = Colors.SeaGreen, [PathClass.ReachedOnly] = Colors.DarkOrange,
            [PathClass.Fell] = Colors.Crimson, [PathClass.TimedOut] = Colors.Gray,
        };
        var counted = paths.GroupBy(p => p.Class).ToDictionary(g => g.Key, g => g.Count());
        var labelled = new HashSet<PathClass>();
        foreach (var path in paths)
        {
            double[] xs = path.Points.Select(p => (double)p.X).ToArray();
            double[] ys = path.Points.Select(p => (double)p.Y).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, color[path.Class].WithAlpha(0.75));
            line.LineWidth = 1.5f;
            if (labelled.Add(path.Class)) line.LegendText = $"{Describe(path.Class)} ({counted[path.Class]} of {paths.Count})";
            var start = plot.Add.Marker(xs[0], ys[0], MarkerShape.OpenCircle, 6, Colors.Black.WithAlpha(0.6));
            start.LineWidth = 1;
            if (path.Class == PathClass.Fell)
            {
                var end = plot.Add.Marker(xs[^1], ys[^1], MarkerShape.Eks, 14, color[path.Class]);
                end.LineWidth = 3;
            }
        }
        var starts = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.OpenCircle, 6, Colors.Black.WithAlpha(0.6));
        starts.LegendText = "spawn point";
        if (paths.Any(p => p.Class == PathClass.Fell))
        {
            var falls = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.Eks, 14, Colors.Crimson);
            falls.LegendText = "fall / left platform";
        }
        var target = plot.Add.Marker(layout.TargetX, layout.TargetY, MarkerShape.FilledDiamond, 14, Colors.Black);
        target.LegendText = "target";

        plot.Axes.SquareUnits();
        double lim = PlatformLayout.PlatformRadius + 0.8;
        plot.Axes.SetLimits(-lim, lim, -lim, lim);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Legend.FontSize = 11;
        string? dir = Path.GetDirectoryName(Path.GetFullPath(file));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(file, size, size);
    }

    public static string Describe(PathClass c) => c switch
    {
        PathClass.ReachedAndStopped => "reached and stopped",
        PathClass.ReachedOnly => "reached only (did not stop)",
        PathClass.Fell => "fell (or left the platform)",
        _ => "timed out",
    };
}
