using RlTune.Envs;
using RlTune.Envs.VbotNavLite;
using RlTune.Learning;
using RlTune.Trials;
using ScottPlot;

namespace RlTune.Analysis;

/// <summary>How an episode ended.</summary>
public enum EpisodeOutcome
{
    /// <summary>Reached the target and held still there: an episode the success rate counts.</summary>
    ReachedAndStopped,
    /// <summary>Reached the target but did not stop on it (no success).</summary>
    ReachedOnly,
    FellOrLeft,
    TimedOut,
}

/// <summary>One episode's path on the platform (metres) and how it ended.</summary>
public sealed record Trajectory(IReadOnlyList<(double X, double Y)> Path, EpisodeOutcome Outcome);

/// <summary>Episodes of a trained policy on the platform, and their picture.</summary>
public sealed record PlatformTrajectories(IReadOnlyList<Trajectory> Episodes, double TargetX, double TargetY, double PlatformRadius, double SpawnInner, double SpawnOuter);

/// <summary>
/// Rolls a checkpoint's deterministic policy out on <c>vbot-nav-lite</c> from several spawn
/// points and draws the paths on the platform: the "render" of a trained policy on machines
/// without a graphics window.
/// </summary>
public static unsafe class PolicyTrajectories
{
    /// <summary>
    /// The checkpoint a trial's first seed run left (<c>checkpoints/final_agent.ckpt</c>, else
    /// <c>best_agent.ckpt</c>), or null.
    /// </summary>
    public static string? CheckpointOf(IEnumerable<string?> runDirs)
    {
        foreach (var dir in runDirs)
        {
            if (dir is null) continue;
            foreach (var name in new[] { "final_agent.ckpt", "best_agent.ckpt" })
            {
                var path = Path.Combine(dir, "checkpoints", name);
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }

    /// <summary>Runs <paramref name="episodes"/> episodes in parallel envs (one each) until every one has ended once; null for envs other than vbot-nav-lite.</summary>
    public static PlatformTrajectories? Record(string checkpointPath, TrialConfig config, int episodes = 12, int seed = 2024)
    {
        if (config.EnvName != VbotNavLiteEnv.EnvName) return null;
        var checkpoint = Checkpoint.Load(checkpointPath);
        using var env = EnvRegistry.Create(config.EnvName, new EnvOptions(episodes, config.RewardScales, config.EnvOverrides));
        if (env is not VbotNavLiteEnv nav) return null;
        if (env.ObsDim != checkpoint.Model.Observations)
            throw new UserError($"checkpoint '{checkpointPath}' expects {checkpoint.Model.Observations} observations but {config.EnvName} gives {env.ObsDim}.");
        using var trainer = new PpoTrainer(checkpoint.Config with { NumEnvs = episodes, MiniBatches = 1 }, env, threads: 1, model: checkpoint.Model);
        checkpoint.Restore(trainer);
        var scaler = trainer.Config.StatePreprocessor ? trainer.StateScaler : null;

        var paths = Enumerable.Range(0, episodes).Select(_ => new List<(double, double)>()).ToArray();
        var outcomes = new EpisodeOutcome?[episodes];
        var actions = new AlignedBuffer(episodes * env.ActDim);
        var rewards = new float[episodes];
        var terminated = new bool[episodes];
        var truncated = new bool[episodes];
        var metricNames = env.EpisodeMetricNames;
        var successIndex = metricNames.ToList().IndexOf("success");
        var episodeMetrics = new double[metricNames.Count];
        env.Reset(seed);
        for (var step = 0; step <= env.MaxEpisodeSteps && outcomes.Any(o => o is null); step++)
        {
            for (var i = 0; i < episodes; i++)
                if (outcomes[i] is null)
                {
                    var (x, y) = nav.Position(i);
                    paths[i].Add((x, y));
                }
            fixed (float* obs = env.Observations)
                trainer.Runner.Run(obs, episodes, scaler, actions.Pointer, null);
            env.Step(actions.Span, rewards, terminated, truncated);
            for (var i = 0; i < episodes; i++)
            {
                if (outcomes[i] is not null || !(terminated[i] || truncated[i])) continue;
                var reached = env.FinalObservations[i * env.ObsDim + NavLiteObservation.ReachedFlag] > 0.5f;
                env.FinalEpisodeMetrics(i, episodeMetrics);
                var success = successIndex >= 0 && episodeMetrics[successIndex] > 0.5;
                outcomes[i] = success ? EpisodeOutcome.ReachedAndStopped : reached ? EpisodeOutcome.ReachedOnly
                    : terminated[i] ? EpisodeOutcome.FellOrLeft : EpisodeOutcome.TimedOut;
            }
        }
        env.DrainEpisodes();
        var s = nav.Settings;
        return new PlatformTrajectories(
            paths.Select((p, i) => new Trajectory(p, outcomes[i] ?? EpisodeOutcome.TimedOut)).ToList(),
            s.TargetX, s.TargetY, BodyModel.PlatformRadius, s.SpawnInnerRadius, s.SpawnOuterRadius);
    }

    /// <summary>Draws the platform, spawn ring, target and every path coloured by its outcome.</summary>
    public static void Plot(PlatformTrajectories t, string title, string path)
    {
        var plt = new Plot();
        plt.Font.Set("DejaVu Sans");
        plt.Title(title);
        plt.Axes.Title.Label.FontSize = 17;
        plt.XLabel("x (m)");
        plt.YLabel("y (m)");
        var platform = plt.Add.Circle(0, 0, t.PlatformRadius);
        platform.FillColor = Color.FromHex("#f3efe6");
        platform.LineColor = Color.FromHex("#8c7b5e");
        platform.LineWidth = 2;
        foreach (var r in new[] { t.SpawnInner, t.SpawnOuter })
        {
            var ring = plt.Add.Circle(0, 0, r);
            ring.LineColor = Colors.Gray.WithAlpha(0.6);
            ring.LinePattern = LinePattern.Dashed;
            ring.FillColor = Colors.Transparent;
        }
        var colors = new Dictionary<EpisodeOutcome, (Color Color, string Label)>
        {
            [EpisodeOutcome.ReachedAndStopped] = (Color.FromHex("#2ca02c"), "reached and stopped"),
            [EpisodeOutcome.ReachedOnly] = (Color.FromHex("#ff7f0e"), "reached only (did not stop)"),
            [EpisodeOutcome.FellOrLeft] = (Color.FromHex("#d62728"), "fell (or left the platform)"),
            [EpisodeOutcome.TimedOut] = (Color.FromHex("#7f7f7f"), "timed out"),
        };
        var labelled = new HashSet<EpisodeOutcome>();
        foreach (var e in t.Episodes.Where(e => e.Path.Count > 0))
        {
            var (color, label) = colors[e.Outcome];
            var line = plt.Add.ScatterLine(e.Path.Select(p => p.X).ToArray(), e.Path.Select(p => p.Y).ToArray(), color);
            line.LineWidth = 2;
            if (labelled.Add(e.Outcome)) line.LegendText = $"{label} ({t.Episodes.Count(x => x.Outcome == e.Outcome)})";
            plt.Add.Markers(new[] { e.Path[0].X }, new[] { e.Path[0].Y }, MarkerShape.FilledCircle, 7, color);
        }
        var target = plt.Add.Markers(new[] { t.TargetX }, new[] { t.TargetY }, MarkerShape.FilledDiamond, 16, Colors.Black);
        target.LegendText = "target";
        plt.ShowLegend(Alignment.UpperRight);
        var edge = t.PlatformRadius * 1.08;
        plt.Axes.SetLimits(-edge, edge, -edge, edge);
        plt.Axes.SquareUnits();
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(4);
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(4);
        plt.SavePng(path, 720, 680);
    }
}
