using System.Globalization;
using RlTune.Search;
using RlTune.Study;
using RlTune.Trials;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace RlTune.Analysis;

/// <summary>A learning curve of one trial: one curve per seed, drawn in one colour.</summary>
public sealed record TrialCurves(string Label, IReadOnlyList<Curve> Seeds);

/// <summary>The study's pictures as PNG files (ScottPlot 5): history, importance, slices, parallel coordinates, learning curves.</summary>
public static class StudyPlots
{
    private const string FontName = "DejaVu Sans";
    private static readonly Color Ppo = Color.FromHex("#1f77b4");
    private static readonly Color RewardUncategorised = Color.FromHex("#17becf");
    private static readonly Color[] CategoryColors =
        [Color.FromHex("#2ca02c"), Color.FromHex("#ff7f0e"), Color.FromHex("#9467bd"), Color.FromHex("#d62728"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#bcbd22")];
    private static readonly string[] KnownCategories = ["navigation", "stability", "efficiency", "terminal"];
    private static readonly Color[] SeriesColors =
        [Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#9467bd"), Color.FromHex("#ff7f0e"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f")];

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plt = new Plot();
        plt.Font.Set(FontName);
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        plt.Axes.Title.Label.FontSize = 18;
        plt.Axes.Bottom.Label.FontSize = 15;
        plt.Axes.Left.Label.FontSize = 15;
        plt.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plt.Axes.Left.TickLabelStyle.FontSize = 13;
        plt.Legend.FontSize = 13;
        return plt;
    }

    /// <summary>The category a parameter is drawn in: "PPO", the reward weight's category, or "reward weight".</summary>
    public static string CategoryOf(ParameterImportance p) =>
        p.Section == ParamSection.RewardWeights ? p.Category ?? "reward weight"
        : p.Section == ParamSection.PpoParams ? "PPO"
        : p.Category ?? "parameter";

    private static Color ColorOf(string category, IReadOnlyList<string> rewardCategories)
    {
        if (category == "PPO" || category == "parameter") return Ppo;
        if (category == "reward weight") return RewardUncategorised;
        var known = Array.IndexOf(KnownCategories, category);
        var index = known >= 0 ? known : KnownCategories.Length + rewardCategories.Where(c => !KnownCategories.Contains(c)).ToList().IndexOf(category);
        return CategoryColors[Math.Max(0, index) % CategoryColors.Length];
    }

    /// <summary>Every finished trial's metric by trial number, with the best-so-far line; pruned trials marked apart, failed ones counted in the title.</summary>
    public static void OptimizationHistory(IReadOnlyList<TrialRecord> trials, MetricChoice metric, string path)
    {
        var complete = trials.Where(t => t.State == TrialState.Complete && metric.ValueOf(t) is not null).OrderBy(t => t.Number).ToList();
        var pruned = trials.Where(t => t.State == TrialState.Pruned && metric.ValueOf(t) is not null).OrderBy(t => t.Number).ToList();
        var failed = trials.Count(t => t.State == TrialState.Failed);
        var title = $"Optimization history ({complete.Count} complete" + (pruned.Count > 0 ? $", {pruned.Count} pruned" : "") + (failed > 0 ? $", {failed} failed" : "") + ")";
        var plt = NewPlot(title, "trial number", metric.Name);
        if (complete.Count > 0)
        {
            var xs = complete.Select(t => (double)t.Number).ToArray();
            var ys = complete.Select(t => metric.ValueOf(t)!.Value).ToArray();
            var dots = plt.Add.Markers(xs, ys, MarkerShape.FilledCircle, 8, Ppo.WithAlpha(0.75));
            dots.LegendText = "complete trial";
            var best = new double[ys.Length];
            for (var i = 0; i < ys.Length; i++)
                best[i] = i == 0 ? ys[0] : metric.Descending ? Math.Max(best[i - 1], ys[i]) : Math.Min(best[i - 1], ys[i]);
            // extend the best line to the last trial of any state so it spans the run
            var lastNumber = trials.Max(t => t.Number);
            var bx = xs.Append(Math.Max(lastNumber, xs[^1])).ToArray();
            var by = best.Append(best[^1]).ToArray();
            var line = plt.Add.ScatterLine(bx, by, Color.FromHex("#d62728"));
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2.5f;
            line.LegendText = "best so far";
        }
        if (pruned.Count > 0)
        {
            var m = plt.Add.Markers(pruned.Select(t => (double)t.Number).ToArray(), pruned.Select(t => metric.ValueOf(t)!.Value).ToArray(), MarkerShape.Eks, 8, Color.FromHex("#7f7f7f"));
            m.LegendText = "pruned (partial value)";
        }
        if (complete.Count + pruned.Count > 0)
            plt.ShowLegend(metric.Descending ? Alignment.LowerRight : Alignment.UpperRight);
        plt.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        plt.SavePng(path, 900, 480);
    }

    /// <summary>
    /// A PBT study's population: each member's score after every interval as a line in its colour; where a member
    /// copied another's checkpoint, its segment starts dashed at the point it copied (the parent's score) instead of its own.
    /// </summary>
    public static void PbtPopulation(Study.PbtLineage lineage, MetricChoice metric, string path)
    {
        var plt = NewPlot($"Population-based training ({lineage.Members.Count()} members, copies dashed)", "interval (generation + 1)", metric.Name);
        var at = lineage.Intervals.ToDictionary(i => (i.Step.Generation, i.Step.Member));
        double? Value(Study.PbtInterval i) => i.Trial.State == TrialState.Complete ? metric.ValueOf(i.Trial) : null;
        bool copyShown = false;
        foreach (var m in lineage.Members)
        {
            var color = SeriesColors[m % SeriesColors.Length];
            var own = lineage.Member(m);
            var first = true;
            foreach (var i in own)
            {
                if (Value(i) is not { } y) continue;
                double x = i.Step.Generation + 1;
                var marker = plt.Add.Marker(x, y, MarkerShape.FilledCircle, 8, color);
                if (first) marker.LegendText = $"member {m}";
                first = false;
                if (i.Step.FromTrial is not { } from || lineage.ByTrial(from) is not { } source || Value(source) is not { } y0) continue;
                var segment = plt.Add.ScatterLine(new[] { x - 1, x }, new[] { y0, y }, color);
                segment.LineWidth = 2;
                if (!i.Step.Copied) continue;
                segment.LinePattern = LinePattern.Dashed;
                if (!copyShown) segment.LegendText = "copied a top member";
                copyShown = true;
            }
        }
        plt.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        plt.ShowLegend(Alignment.UpperLeft);
        plt.Legend.FontSize = 11;
        plt.SavePng(path, 900, 520);
    }

    /// <summary>Horizontal bars of importance (± std over trees), most important on top, coloured by category.</summary>
    public static void Importance(IReadOnlyList<ParameterImportance> ranking, string path, int maxBars = 20)
    {
        var shown = ranking.Take(maxBars).ToList();
        var categories = shown.Select(CategoryOf).Distinct().ToList();
        var rewardCategories = categories.Where(c => c is not "PPO" and not "parameter" and not "reward weight").ToList();
        var plt = NewPlot("Parameter importance (fANOVA)", "importance (share of main effects, ± std over trees)", "");
        var bars = new List<Bar>();
        for (var i = 0; i < shown.Count; i++)
        {
            var p = shown[i];
            bars.Add(new Bar
            {
                Position = shown.Count - 1 - i,
                Value = p.Importance,
                Error = p.ImportanceStd,
                FillColor = ColorOf(CategoryOf(p), rewardCategories),
                LineWidth = 1.5f,
                LineColor = Colors.Black.WithAlpha(0.7),
                Size = 0.7,
                Orientation = Orientation.Horizontal,
                ErrorSize = 0.25,
            });
        }
        if (bars.Count > 0)
        {
            var bp = plt.Add.Bars(bars);
            bp.Horizontal = true;
            for (var i = 0; i < shown.Count; i++)
            {
                var label = plt.Add.Text(shown[i].Importance.ToString("0.000", CultureInfo.InvariantCulture), shown[i].Importance + shown[i].ImportanceStd, shown.Count - 1 - i);
                label.LabelFontSize = 12;
                label.LabelFontName = FontName;
                label.LabelAlignment = Alignment.MiddleLeft;
                label.OffsetX = 6;
            }
            plt.Axes.Left.TickGenerator = new NumericManual(
                Enumerable.Range(0, shown.Count).Select(i => (double)(shown.Count - 1 - i)).ToArray(),
                shown.Select(p => p.Parameter).ToArray());
            plt.Axes.Left.MajorTickStyle.Length = 0;
            var maxX = shown.Max(p => p.Importance + p.ImportanceStd);
            plt.Axes.SetLimits(0, Math.Max(0.05, maxX * 1.15), -0.6, shown.Count - 0.4);
            foreach (var c in categories)
                plt.Legend.ManualItems.Add(new LegendItem { LabelText = c, FillColor = ColorOf(c, rewardCategories) });
            plt.ShowLegend(Alignment.LowerRight);
        }
        plt.Grid.YAxisStyle.MajorLineStyle.Width = 0;
        plt.SavePng(path, 900, Math.Max(260, 110 + 34 * shown.Count));
    }

    /// <summary>One PNG per parameter: the metric of every complete trial against the parameter's value (best trial ringed).</summary>
    public static IReadOnlyList<string> Slices(IReadOnlyList<TrialRecord> trials, IReadOnlyList<ParameterImportance> ranking, MetricChoice metric, SearchSpace? space, string directory, int maxParams = 6)
    {
        var complete = metric.Rank(trials.Where(t => t.State == TrialState.Complete));
        var paths = new List<string>();
        if (complete.Count == 0) return paths;
        var best = complete[0];
        foreach (var p in ranking.Where(r => r.Importance >= 0.01).Take(maxParams))
        {
            var withParam = complete.Where(t => t.Params.ContainsKey(p.Parameter)).ToList();
            if (withParam.Count == 0) continue;
            var axis = ValueAxis.For(p.Parameter, withParam.Select(t => t.Params[p.Parameter]).ToList(), space?.Find(p.Parameter));
            var plt = NewPlot($"{p.Parameter}  (importance {p.Importance:0.00})", p.Parameter + (axis.Log ? " (log scale)" : "") + $"; red ring: best trial {best.Number}", metric.Name);
            var xs = withParam.Select(t => axis.Position(t.Params[p.Parameter], t.Number)).ToArray();
            var ys = withParam.Select(t => metric.ValueOf(t)!.Value).ToArray();
            plt.Add.Markers(xs, ys, MarkerShape.FilledCircle, 9, Ppo.WithAlpha(0.7));
            var ring = plt.Add.Markers(new[] { axis.Position(best.Params[p.Parameter], best.Number) }, new[] { metric.ValueOf(best)!.Value }, MarkerShape.OpenCircle, 18, Color.FromHex("#d62728"));
            ring.MarkerLineWidth = 2.5f;
            axis.Apply(plt);
            var file = Path.Combine(directory, $"slice_{Safe(p.Parameter)}.png");
            plt.SavePng(file, 560, 400);
            paths.Add(file);
        }
        return paths;
    }

    /// <summary>Parallel coordinates: the top trials across the most important parameters and the metric, coloured by rank.</summary>
    public static void ParallelCoordinates(IReadOnlyList<TrialRecord> topTrials, IReadOnlyList<ParameterImportance> ranking, MetricChoice metric, SearchSpace? space, string path, int maxParams = 7)
    {
        var names = ranking.Where(r => r.Importance > 0).Take(maxParams).Select(r => r.Parameter)
            .Where(n => topTrials.All(t => t.Params.ContainsKey(n))).ToList();
        var plt = NewPlot($"Top {topTrials.Count} trials across the {names.Count} most important parameters", $"thick line: best (trial {topTrials[0].Number}); colour: {metric.Name} (bar on the right)", "");
        var axes = names.Select(n => ValueAxis.For(n, topTrials.Select(t => t.Params[n]).ToList(), space?.Find(n))).ToList();
        var values = topTrials.Select(t => metric.ValueOf(t) ?? double.NaN).ToList();
        double vMin = values.Min(), vMax = values.Max();
        var columns = names.Count + 1;

        // axis lines with their end labels
        for (var c = 0; c < columns; c++)
        {
            var line = plt.Add.Line(c, 0, c, 1);
            line.LineColor = Colors.Black.WithAlpha(0.6);
            line.LineWidth = 1.5f;
            string lowText, highText;
            if (c < names.Count) (lowText, highText) = axes[c].EndLabels();
            else (lowText, highText) = (DisplayText.Number(vMin), DisplayText.Number(vMax));
            AddText(plt, highText, c, 1, Alignment.LowerCenter, 12, offsetY: -4);
            AddText(plt, lowText, c, 0, Alignment.UpperCenter, 12, offsetY: 4);
            var name = c < names.Count ? names[c] : metric.Name;
            var title = AddText(plt, Wrap(name, 16), c, 0, Alignment.UpperCenter, 13, offsetY: 26);
            title.LabelBold = true;
        }

        // best last so it is drawn on top; a line's colour is its metric value, read off the colour bar
        var colormap = new ScottPlot.Colormaps.Viridis();
        for (var i = topTrials.Count - 1; i >= 0; i--)
        {
            var t = topTrials[i];
            var ys = new double[columns];
            for (var c = 0; c < names.Count; c++) ys[c] = axes[c].Normalized(t.Params[names[c]], t.Number);
            ys[^1] = vMax > vMin ? (values[i] - vMin) / (vMax - vMin) : 0.5;
            var color = colormap.GetColor(ys[^1]);
            var s = plt.Add.ScatterLine(Enumerable.Range(0, columns).Select(x => (double)x).ToArray(), ys, color);
            s.LineWidth = i == 0 ? 4 : 2;
            s.MarkerShape = MarkerShape.FilledCircle;
            s.MarkerSize = 7;
        }
        plt.Axes.Bottom.TickGenerator = new EmptyTickGenerator();
        plt.Axes.Left.TickGenerator = new EmptyTickGenerator();
        plt.Axes.SetLimits(-0.5, columns - 0.5, -0.3, 1.1);
        plt.HideGrid();
        var bar = new ScottPlot.Panels.ColorBar(new MetricColorAxis(colormap, vMin, vMax), Edge.Right) { Label = metric.Name };
        plt.Axes.AddPanel(bar);
        plt.SavePng(path, Math.Max(700, 150 * columns), 560);
    }

    private sealed class MetricColorAxis(IColormap colormap, double min, double max) : IHasColorAxis
    {
        public IColormap Colormap => colormap;
        public ScottPlot.Range GetRange() => new(min, max);
    }

    /// <summary>
    /// Mean over a centred window of about a tenth of the curve: per-update values of a rate jump between
    /// 0 and 1 while few episodes end, so the raw points are drawn faint and the trend over them.
    /// </summary>
    public static double[] Smoothed(IReadOnlyList<double> values)
    {
        var half = Math.Max(0, values.Count / 20);
        var result = new double[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            int from = Math.Max(0, i - half), to = Math.Min(values.Count - 1, i + half);
            double sum = 0;
            for (var j = from; j <= to; j++) sum += values[j];
            result[i] = sum / (to - from + 1);
        }
        return result;
    }

    /// <summary>Learning curves of the top trials: every seed of a trial in that trial's colour, smoothed over its raw points; the legend beside the plot.</summary>
    public static void LearningCurves(IReadOnlyList<TrialCurves> trials, string title, string yLabel, string path)
    {
        var plt = NewPlot(title, "environment steps", yLabel);
        for (var i = 0; i < trials.Count; i++)
        {
            var color = SeriesColors[i % SeriesColors.Length];
            var first = true;
            foreach (var curve in trials[i].Seeds)
            {
                // values logged before any episode ended are NaN; they are gaps, not points
                var points = curve.Points.Where(p => double.IsFinite(p.Value)).ToList();
                if (points.Count == 0) continue;
                var xs = points.Select(p => (double)p.Step).ToArray();
                var raw = plt.Add.ScatterPoints(xs, points.Select(p => p.Value).ToArray(), color.WithAlpha(0.25));
                raw.MarkerSize = 4;
                var s = plt.Add.ScatterLine(xs, Smoothed(points.Select(p => p.Value).ToList()), color.WithAlpha(trials[i].Seeds.Count > 1 ? 0.8 : 1));
                s.LineWidth = 2.5f;
                if (first) s.LegendText = trials[i].Label + (trials[i].Seeds.Count > 1 ? $" ({trials[i].Seeds.Count} seeds)" : "");
                first = false;
            }
        }
        plt.Axes.Bottom.TickGenerator = new NumericAutomatic { LabelFormatter = Steps };
        plt.ShowLegend(Edge.Right); // beside the plot, never over the curves
        plt.SavePng(path, 1100, 480);
    }

    private static string Steps(double x) =>
        Math.Abs(x) >= 1e6 ? (x / 1e6).ToString("0.###", CultureInfo.InvariantCulture) + "M"
        : Math.Abs(x) >= 1e3 ? (x / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k"
        : x.ToString("0", CultureInfo.InvariantCulture);

    private static ScottPlot.Plottables.Text AddText(Plot plt, string text, double x, double y, Alignment alignment, float size, float offsetY = 0)
    {
        var t = plt.Add.Text(text, x, y);
        t.LabelFontSize = size;
        t.LabelFontName = FontName;
        t.LabelAlignment = alignment;
        t.OffsetY = offsetY;
        return t;
    }

    // Long snake_case names break after an underscore so neighbouring axis titles do not collide.
    private static string Wrap(string name, int width)
    {
        if (name.Length <= width) return name;
        var lines = new List<string>();
        var line = "";
        foreach (var part in name.Split('_'))
        {
            var piece = line.Length == 0 ? part : "_" + part;
            if (line.Length > 0 && line.Length + piece.Length > width) { lines.Add(line + "_"); line = part; }
            else line += piece;
        }
        lines.Add(line);
        return string.Join("\n", lines);
    }

    internal static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' ? c : '_'));

    /// <summary>How a parameter's values map onto a plot axis: numeric (log when sampled so) or categories at integer positions.</summary>
    private sealed record ValueAxis(bool Log, IReadOnlyList<string> Categories, double Low, double High)
    {
        /// <summary>Spread points of a few-valued numeric parameter sideways a little so they do not hide each other.</summary>
        public bool Jitter { get; init; }

        private static double JitterOf(int trialNumber) => ((trialNumber * 7919) % 11) / 10.0 - 0.5;

        public static ValueAxis For(string name, IReadOnlyList<object> values, ParamSpec? spec)
        {
            var numeric = values.All(v => v is not bool && ParamValues.AsDouble(v) is not null);
            if (!numeric || spec?.Kind == ParamKind.Categorical)
            {
                var cats = (spec?.Kind == ParamKind.Categorical ? spec.Values : values).Select(ParamValues.Canonical).Distinct().ToList();
                return new ValueAxis(false, cats, 0, cats.Count - 1);
            }
            var xs = values.Select(v => ParamValues.AsDouble(v)!.Value).ToList();
            var log = spec is not null ? (spec.Kind == ParamKind.LogUniform || spec.Log) && xs.All(x => x > 0) : xs.Min() > 0 && xs.Max() / xs.Min() >= 20;
            var discrete = spec?.Kind == ParamKind.Choice || xs.Distinct().Count() <= 8;
            return new ValueAxis(log, [], xs.Min(), xs.Max()) { Jitter = discrete };
        }

        private double Raw(object v) => Log ? Math.Log10(ParamValues.AsDouble(v)!.Value) : ParamValues.AsDouble(v)!.Value;

        // Categories get a small deterministic jitter so coincident points stay visible.
        public double Position(object v, int trialNumber)
        {
            if (Categories.Count > 0) return Categories.ToList().IndexOf(ParamValues.Canonical(v)) + 0.18 * JitterOf(trialNumber);
            if (!Jitter) return Raw(v);
            double lo = Log ? Math.Log10(Low) : Low, hi = Log ? Math.Log10(High) : High;
            return Raw(v) + 0.03 * (hi - lo) * JitterOf(trialNumber);
        }

        public double Normalized(object v, int trialNumber)
        {
            if (Categories.Count > 0) return Categories.Count > 1 ? Categories.ToList().IndexOf(ParamValues.Canonical(v)) / (double)(Categories.Count - 1) : 0.5;
            double lo = Log ? Math.Log10(Low) : Low, hi = Log ? Math.Log10(High) : High;
            return hi > lo ? (Raw(v) - lo) / (hi - lo) : 0.5;
        }

        public (string Low, string High) EndLabels() =>
            Categories.Count > 0 ? (Categories[0], Categories[^1]) : (DisplayText.Number(Low), DisplayText.Number(High));

        public void Apply(Plot plt)
        {
            if (Categories.Count > 0)
            {
                plt.Axes.Bottom.TickGenerator = new NumericManual(Enumerable.Range(0, Categories.Count).Select(i => (double)i).ToArray(), Categories.ToArray());
                plt.Axes.SetLimitsX(-0.5, Categories.Count - 0.5);
            }
            else if (Log)
            {
                plt.Axes.Bottom.TickGenerator = new NumericAutomatic { LabelFormatter = x => DisplayText.Number(Math.Pow(10, x)), MinorTickGenerator = new LogMinorTickGenerator() };
            }
        }
    }
}
