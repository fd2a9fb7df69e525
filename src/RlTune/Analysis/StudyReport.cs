using System.Globalization;
using System.Net;
using System.Text;
using RlTune.Search;
using RlTune.Study;
using RlTune.TensorBoard;

namespace RlTune.Analysis;

/// <summary>What the report is built from.</summary>
public sealed record ReportInputs
{
    public required string Study { get; init; }
    public required IReadOnlyList<TrialRecord> Trials { get; init; }
    public required MetricChoice Metric { get; init; }
    /// <summary>The study's directory (<c>&lt;output&gt;/&lt;study&gt;</c>); the report and <c>analysis/</c> go there.</summary>
    public required string StudyDir { get; init; }
    public SearchSpace? Space { get; init; }
    public int Top { get; init; } = 5;
    /// <summary>Episode limit in steps, for the lazy-robot check (null: the longest logged mean stands in).</summary>
    public double? EpisodeLimit { get; init; }
    /// <summary>The study's env (the best policy's trajectories are drawn for vbot-nav-lite).</summary>
    public string EnvName { get; init; } = "vbot-nav-lite";
}

/// <summary>A trial's reward-hacking flags, with the seed whose curves raised each.</summary>
public sealed record TrialFlags(int TrialNumber, IReadOnlyList<(int Seed, RewardHackingFlag Flag)> Flags);

/// <summary>What was written.</summary>
public sealed record ReportOutput(string MarkdownPath, string HtmlPath, string YamlPath, IReadOnlyList<string> Pictures, StudyAnalysisResult Analysis, IReadOnlyList<TrialFlags> Flags, string? Message);

/// <summary>
/// Builds a study's analysis: <c>analysis/hyperparameter_importance.yaml</c>, the PNG pictures in
/// <c>analysis/</c>, <c>analysis/report.md</c> (linking them) and one self-contained
/// <c>report.html</c> (pictures embedded as base64) in the study directory.
/// </summary>
public static class StudyReport
{
    public const string AnalysisDir = "analysis";
    public const string HtmlName = "report.html";
    public const string MarkdownName = "report.md";

    public static ReportOutput Build(ReportInputs input)
    {
        var analysisDir = Path.Combine(input.StudyDir, AnalysisDir);
        Directory.CreateDirectory(analysisDir);
        foreach (var old in Directory.EnumerateFiles(analysisDir, "*.png")) File.Delete(old); // pictures of parameters no longer shown must not linger
        var trials = input.Trials;
        var metric = input.Metric;
        var analysis = StudyAnalysis.Analyze(input.Study, trials, metric, input.Space, input.Top);
        var yamlPath = ImportanceYaml.Write(input.StudyDir, analysis, input.Top);

        string? message = null;
        var complete = metric.Rank(trials.Where(t => t.State == TrialState.Complete));
        if (trials.Count == 0) message = $"Study '{input.Study}' has no trials yet, so there is nothing to analyse; run `rltune automl --study {input.Study}` first.";
        else if (complete.Count == 0) message = $"Study '{input.Study}' has {trials.Count} trial(s) but none completed with '{metric.Name}' ({analysis.FailedTrials} failed, {analysis.PrunedTrials} pruned), so there is no best configuration yet.";

        var pictures = new List<(string Title, string Path, string Caption)>();
        if (trials.Any(t => t.State.IsFinished()))
        {
            var p = Path.Combine(analysisDir, "history.png");
            StudyPlots.OptimizationHistory(trials, metric, p);
            pictures.Add(("Optimization history", p, $"Each complete trial's {metric.Name} by trial number; the red line is the best so far."));
        }
        if (analysis.Ranking.Count > 0 && analysis.ImportanceNote is null)
        {
            var p = Path.Combine(analysisDir, "importance.png");
            StudyPlots.Importance(analysis.Ranking, p);
            pictures.Add(("Parameter importance", p, $"fANOVA over a 64-tree random forest fitted to {analysis.UsedTrials} complete trials; bars are shares of the summed main effects, whiskers the spread over trees."));
            foreach (var s in StudyPlots.Slices(trials, analysis.Ranking, metric, input.Space, analysisDir))
                pictures.Add(($"Slice: {Path.GetFileNameWithoutExtension(s)["slice_".Length..]}", s, $"{metric.Name} of every complete trial against this parameter; the ringed point is the best trial."));
            var top = complete.Take(Math.Max(2, Math.Min(10, complete.Count))).ToList();
            if (top.Count >= 2)
            {
                var pc = Path.Combine(analysisDir, "parallel_coordinates.png");
                StudyPlots.ParallelCoordinates(top, analysis.Ranking, metric, input.Space, pc);
                pictures.Add(("Parallel coordinates", pc, $"The top {top.Count} trials; each axis spans the values those trials took (ends labelled), brighter lines rank higher."));
            }
        }

        var topTrials = complete.Take(Math.Min(5, complete.Count)).ToList();
        var logs = new Dictionary<int, List<(int Seed, ScalarLog Log)>>();
        foreach (var t in trials.Where(t => t.State is TrialState.Complete or TrialState.Pruned))
            logs[t.Number] = ReadLogs(t, input.StudyDir);
        foreach (var (tags, file, plotTitle, plotLabel) in new[]
                 {
                     (TrainingCurves.RewardTags, "learning_reward.png", "Learning curves: mean episode reward", "mean episode reward"),
                     (TrainingCurves.ReachedTags, "learning_reached.png", "Learning curves: reached fraction", "reached fraction"),
                 })
        {
            var (title, yLabel) = (plotTitle, plotLabel);
            var curves = topTrials.Select(t => new TrialCurves($"trial {t.Number}",
                logs[t.Number].Select(l => FirstTag(l.Log, tags)).Where(c => c is not null).Select(c => c!).ToList())).Where(c => c.Seeds.Count > 0).ToList();
            if (curves.Count == 0 && file == "learning_reward.png")
            {
                // no event files: the objective's intermediate values are the learning curve the store has
                curves = topTrials.Where(t => t.Intermediate.Count > 1).Select(t => new TrialCurves($"trial {t.Number}", [new Curve(t.Intermediate)])).ToList();
                (title, yLabel) = ("Learning curves: intermediate objective values", "intermediate value");
            }
            if (curves.Count == 0) continue;
            var p = Path.Combine(analysisDir, file);
            StudyPlots.LearningCurves(curves, title, yLabel, p);
            pictures.Add((title, p, $"The top {curves.Count} trials by {metric.Name}; every seed in its trial's colour."));
        }
        string? trajectoryNote = null;
        if (complete.Count > 0)
        {
            var best = complete[0];
            var checkpoint = PolicyTrajectories.CheckpointOf(best.SeedRuns.Select(r => r.RunDir is { } d && !Path.IsPathRooted(d) && !Directory.Exists(d) ? Path.Combine(input.StudyDir, d) : r.RunDir));
            if (checkpoint is null) trajectoryNote = $"trial {best.Number} left no checkpoint, so its policy's trajectories are not drawn";
            else
            {
                try
                {
                    var config = BestConfigExport.ConfigFor(input.Study, best, input.StudyDir, input.Space, input.EnvName, null);
                    var recorded = PolicyTrajectories.Record(checkpoint, config);
                    if (recorded is null) trajectoryNote = $"trajectories are drawn for vbot-nav-lite only (this study's env is {config.EnvName})";
                    else
                    {
                        var p = Path.Combine(analysisDir, "trajectories.png");
                        PolicyTrajectories.Plot(recorded, $"Best policy (trial {best.Number}) on the platform", p);
                        pictures.Add(("Best policy on the platform", p,
                            $"{recorded.Episodes.Count} deterministic episodes of trial {best.Number}'s policy ({Path.GetFileName(checkpoint)}) from spawn points on the dashed ring; dots mark the starts."));
                    }
                }
                catch (UserError e)
                {
                    trajectoryNote = "trajectories not drawn: " + e.Message;
                }
            }
        }

        var flags = logs.Select(kv => new TrialFlags(kv.Key, kv.Value
                .SelectMany(l => RewardHackingDetector.Detect(TrainingCurves.FromLog(l.Log, input.EpisodeLimit)).Select(f => (l.Seed, f))).ToList()))
            .Where(f => f.Flags.Count > 0).OrderBy(f => f.TrialNumber).ToList();

        var md = Markdown(input, analysis, complete, flags, pictures, message, analysisDir, trajectoryNote);
        var mdPath = Path.Combine(analysisDir, MarkdownName);
        File.WriteAllText(mdPath, md);
        var htmlPath = Path.Combine(input.StudyDir, HtmlName);
        File.WriteAllText(htmlPath, Html(input, analysis, complete, flags, pictures, message, trajectoryNote));
        return new ReportOutput(mdPath, htmlPath, yamlPath, pictures.Select(p => p.Path).ToList(), analysis, flags, message);
    }

    /// <summary>The event files of each seed run of a trial (run dirs that do not exist are skipped).</summary>
    public static List<(int Seed, ScalarLog Log)> ReadLogs(TrialRecord trial, string studyDir)
    {
        var result = new List<(int, ScalarLog)>();
        foreach (var run in trial.SeedRuns)
        {
            if (run.RunDir is not { } dir) continue;
            var resolved = Path.IsPathRooted(dir) ? dir : Directory.Exists(dir) ? dir : Path.Combine(studyDir, dir);
            if (!Directory.Exists(resolved)) continue;
            var log = EventFileReader.ReadDirectory(resolved);
            if (log.Scalars.Count > 0) result.Add((run.Seed, log));
        }
        return result;
    }

    private static Curve? FirstTag(ScalarLog log, IReadOnlyList<string> tags)
    {
        foreach (var tag in tags)
            if (log.Scalars.TryGetValue(tag, out var points) && points.Count > 0) return Curve.From(points);
        return null;
    }

    private static string F(double d) => StudyPlots.Fmt(d);

    /// <summary>The flag kinds raised for a trial ("lazy_robot (2 seeds)"), or empty.</summary>
    public static string FlagText(IReadOnlyList<TrialFlags> flags, int trialNumber) =>
        string.Join(", ", flags.Where(f => f.TrialNumber == trialNumber).SelectMany(f => f.Flags).GroupBy(f => f.Flag.Kind)
            .Select(g => g.Count() > 1 ? $"{g.Key} ({g.Count()} seeds)" : g.Key));

    private static string V(object? v) => v switch
    {
        null => "-",
        double d => F(d),
        _ => ParamValues.Canonical(v),
    };

    private static string MetricText(TopConfig c) => F(c.MetricValue) + (c.MetricStd is { } s ? " ± " + F(s) : "");

    private static string Markdown(ReportInputs input, StudyAnalysisResult a, IReadOnlyList<TrialRecord> complete, IReadOnlyList<TrialFlags> flags,
        IReadOnlyList<(string Title, string Path, string Caption)> pictures, string? message, string analysisDir, string? trajectoryNote)
    {
        var sb = new StringBuilder();
        sb.Append("# Analysis of study ").Append(input.Study).Append("\n\n");
        sb.Append("The same with the pictures embedded: [report.html](../").Append(HtmlName).Append("); the study's live status, refreshed as trials end: [report.md](../").Append(MarkdownName).Append(").\n\n");
        sb.Append($"- trials: {a.TotalTrials} ({a.CompleteTrials} complete, {a.PrunedTrials} pruned, {a.FailedTrials} failed)\n");
        sb.Append($"- ranked by: {a.Metric.Name} ({(a.Metric.Descending ? "higher is better" : "lower is better")})\n");
        if (message is not null) sb.Append("\n**").Append(message).Append("**\n");
        if (complete.Count > 0)
        {
            var best = complete[0];
            sb.Append($"\n## Best: trial {best.Number}, {a.Metric.Name} {MetricText(a.TopConfigs[0])} over {a.TopConfigs[0].Seeds} seed(s)\n\n");
            sb.Append("Export it with `rltune export-best --study ").Append(input.Study).Append(" --out best.json`.\n\n| parameter | value |\n|---|---|\n");
            foreach (var (k, v) in best.Params) sb.Append("| ").Append(k).Append(" | ").Append(V(v)).Append(" |\n");
        }
        if (a.TopConfigs.Count > 0)
        {
            sb.Append($"\n## Top {a.TopConfigs.Count} configurations\n\n| rank | config | {a.Metric.Name} | seeds | flags |\n|---|---|---|---|---|\n");
            for (var i = 0; i < a.TopConfigs.Count; i++)
                sb.Append($"| {i + 1} | {a.TopConfigs[i].ConfigId} | {MetricText(a.TopConfigs[i])} | {a.TopConfigs[i].Seeds} | {FlagText(flags, a.TopConfigs[i].TrialNumber)} |\n");
        }
        sb.Append("\n## Parameter importance (fANOVA)\n\n");
        if (a.ImportanceNote is not null) sb.Append("Not computed: ").Append(a.ImportanceNote).Append(".\n");
        if (a.Ranking.Count > 0)
        {
            sb.Append("| parameter | category | importance | ± std | best value |\n|---|---|---|---|---|\n");
            foreach (var p in a.Ranking)
                sb.Append($"| {p.Parameter} | {StudyPlots.CategoryOf(p)} | {p.Importance:0.000} | {p.ImportanceStd:0.000} | {V(p.BestValue)} |\n");
            var strong = a.Interactions.Where(i => i.VarianceFraction >= 0.02).ToList();
            if (strong.Count > 0)
            {
                sb.Append("\nInteractions among the most important parameters (share of variance beyond both main effects):\n\n");
                foreach (var i in strong) sb.Append($"- {i.A} × {i.B}: {i.VarianceFraction:0.000}\n");
            }
        }
        sb.Append("\n## Reward-hacking flags\n\n");
        if (flags.Count == 0) sb.Append("None raised").Append(complete.Count > 0 ? " (checked every complete and pruned trial with TensorBoard curves).\n" : ".\n");
        foreach (var f in flags)
            foreach (var (seed, flag) in f.Flags)
                sb.Append($"- trial {f.TrialNumber}, seed {seed}: **{flag.Kind}**: {flag.Evidence}\n");
        foreach (var (title, path, caption) in pictures)
            sb.Append("\n## ").Append(title).Append("\n\n").Append(caption).Append("\n\n![").Append(title).Append("](")
              .Append(Path.GetRelativePath(analysisDir, path).Replace('\\', '/')).Append(")\n");
        if (trajectoryNote is not null) sb.Append("\n(").Append(trajectoryNote).Append(".)\n");
        return sb.ToString();
    }

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string Html(ReportInputs input, StudyAnalysisResult a, IReadOnlyList<TrialRecord> complete, IReadOnlyList<TrialFlags> flags,
        IReadOnlyList<(string Title, string Path, string Caption)> pictures, string? message, string? trajectoryNote)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>RlTune study ").Append(H(input.Study)).Append("</title>\n<style>\n")
          .Append("body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}")
          .Append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f2f2f2}")
          .Append("td.num{text-align:right;font-variant-numeric:tabular-nums}.note{background:#fff4d6;border-left:4px solid #e0a800;padding:.6em 1em}")
          .Append(".flag{color:#b00020;font-weight:bold}figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:.9em}")
          .Append(".grid{display:flex;flex-wrap:wrap;gap:12px}.grid figure{flex:1 1 520px;max-width:560px}\n</style></head><body>\n");
        sb.Append("<h1>Study ").Append(H(input.Study)).Append("</h1>\n<p>")
          .Append($"{a.TotalTrials} trials: {a.CompleteTrials} complete, {a.PrunedTrials} pruned, {a.FailedTrials} failed. Ranked by <b>{H(a.Metric.Name)}</b> ({(a.Metric.Descending ? "higher is better" : "lower is better")}).</p>\n");
        sb.Append("<p>Beside this file: <a href=\"").Append(MarkdownName).Append("\">report.md</a>, the study's live status refreshed as trials end, and <a href=\"")
          .Append(AnalysisDir).Append('/').Append(MarkdownName).Append("\">analysis/report.md</a>, this analysis in Markdown with its pictures in analysis/.</p>\n");
        if (message is not null) sb.Append("<p class=\"note\">").Append(H(message)).Append("</p>\n");
        if (complete.Count > 0)
        {
            var best = complete[0];
            sb.Append($"<h2>Best: trial {best.Number}, {H(a.Metric.Name)} {H(MetricText(a.TopConfigs[0]))} over {a.TopConfigs[0].Seeds} seed(s)</h2>\n");
            sb.Append("<p>Export it with <code>rltune export-best --study ").Append(H(input.Study)).Append(" --out best.json</code>.</p>\n<table><tr><th>parameter</th><th>value</th></tr>\n");
            foreach (var (k, v) in best.Params) sb.Append("<tr><td>").Append(H(k)).Append("</td><td class=\"num\">").Append(H(V(v))).Append("</td></tr>\n");
            sb.Append("</table>\n");
        }
        if (a.TopConfigs.Count > 0)
        {
            sb.Append($"<h2>Top {a.TopConfigs.Count} configurations</h2>\n<table><tr><th>rank</th><th>config</th><th>{H(a.Metric.Name)}</th><th>seeds</th><th>flags</th></tr>\n");
            for (var i = 0; i < a.TopConfigs.Count; i++)
                sb.Append($"<tr><td class=\"num\">{i + 1}</td><td>{H(a.TopConfigs[i].ConfigId)}</td><td class=\"num\">{H(MetricText(a.TopConfigs[i]))}</td><td class=\"num\">{a.TopConfigs[i].Seeds}</td><td class=\"flag\">{H(FlagText(flags, a.TopConfigs[i].TrialNumber))}</td></tr>\n");
            sb.Append("</table>\n");
        }
        sb.Append("<h2>Parameter importance (fANOVA)</h2>\n");
        if (a.ImportanceNote is not null) sb.Append("<p class=\"note\">Not computed: ").Append(H(a.ImportanceNote)).Append(".</p>\n");
        if (a.Ranking.Count > 0)
        {
            sb.Append("<table><tr><th>parameter</th><th>category</th><th>importance</th><th>± std</th><th>best value</th></tr>\n");
            foreach (var p in a.Ranking)
                sb.Append($"<tr><td>{H(p.Parameter)}</td><td>{H(StudyPlots.CategoryOf(p))}</td><td class=\"num\">{p.Importance:0.000}</td><td class=\"num\">{p.ImportanceStd:0.000}</td><td class=\"num\">{H(V(p.BestValue))}</td></tr>\n");
            sb.Append("</table>\n");
            var strong = a.Interactions.Where(i => i.VarianceFraction >= 0.02).ToList();
            if (strong.Count > 0)
            {
                sb.Append("<p>Interactions among the most important parameters (share of variance beyond both main effects):</p><ul>\n");
                foreach (var i in strong) sb.Append($"<li>{H(i.A)} × {H(i.B)}: {i.VarianceFraction:0.000}</li>\n");
                sb.Append("</ul>\n");
            }
        }
        sb.Append("<h2>Reward-hacking flags</h2>\n");
        if (flags.Count == 0) sb.Append("<p>None raised.</p>\n");
        else
        {
            sb.Append("<ul>\n");
            foreach (var f in flags)
                foreach (var (seed, flag) in f.Flags)
                    sb.Append($"<li>trial {f.TrialNumber}, seed {seed}: <span class=\"flag\">{H(flag.Kind)}</span>: {H(flag.Evidence)}</li>\n");
            sb.Append("</ul>\n");
        }
        var slices = pictures.Where(p => p.Title.StartsWith("Slice: ", StringComparison.Ordinal)).ToList();
        foreach (var pic in pictures)
        {
            if (slices.Count > 0 && pic == slices[0])
            {
                sb.Append("<h2>Slices</h2>\n<p>").Append(H(pic.Caption)).Append("</p>\n<div class=\"grid\">\n");
                foreach (var s in slices) sb.Append("<figure>").Append(Img(s.Path, s.Title)).Append("</figure>\n");
                sb.Append("</div>\n");
                continue;
            }
            if (slices.Contains(pic)) continue;
            sb.Append("<h2>").Append(H(pic.Title)).Append("</h2>\n<figure>").Append(Img(pic.Path, pic.Title)).Append("<figcaption>").Append(H(pic.Caption)).Append("</figcaption></figure>\n");
        }
        if (trajectoryNote is not null) sb.Append("<p>(").Append(H(trajectoryNote)).Append(".)</p>\n");
        sb.Append("<p style=\"color:#777;font-size:.85em\">Written by <code>rltune report</code> on ")
          .Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append(".</p>\n</body></html>\n");
        return sb.ToString();
    }

    private static string Img(string path, string alt) =>
        $"<img alt=\"{H(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(path))}\">";
}
