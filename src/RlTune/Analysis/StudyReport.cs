using System.Globalization;
using RlTune.Search;
using RlTune.Study;
using RlTune.TensorBoard;
using RlTune.Trials;

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
    /// <summary>How the study chooses its best configuration (null: the best mean over seeds).</summary>
    public SelectionRule? Selection { get; init; }
}

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
        var analysis = StudyAnalysis.Analyze(input.Study, trials, metric, input.Space, input.Top, selection: input.Selection);
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
        if (Study.PbtLineage.Of(trials) is { IsEmpty: false } lineage)
        {
            var p = Path.Combine(analysisDir, "pbt_population.png");
            StudyPlots.PbtPopulation(lineage, metric, p);
            pictures.Add(("Population", p, $"Each PBT member's {metric.Name} after every interval; a dashed segment is a copy: the member took that top member's checkpoint and explored its parameters."));
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
                logs[t.Number].Select(l => TrainingCurves.First(l.Log, tags)).Where(c => c is not null).Select(c => c!).ToList())).Where(c => c.Seeds.Count > 0).ToList();
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
            var best = analysis.Chosen?.Trial ?? complete[0];
            var checkpoint = PolicyTrajectories.CheckpointOf(best.SeedRuns.Select(r => r.RunDir is { } d && !Path.IsPathRooted(d) && !Directory.Exists(d) ? Path.Combine(input.StudyDir, d) : r.RunDir));
            if (checkpoint is null) trajectoryNote = $"trial {best.Number} left no checkpoint, so its policy's trajectories are not drawn";
            else
            {
                try
                {
                    var config = BestConfigExport.ConfigFor(input.Study, best, input.StudyDir, input.Space, input.EnvName, null);
                    var recorded = PolicyTrajectories.Record(checkpoint, config);
                    if (recorded is null) trajectoryNote = $"trajectories are drawn for the platform envs (vbot-nav-lite, vbot-nav) only; this study's env is {config.EnvName}";
                    else
                    {
                        var p = Path.Combine(analysisDir, "trajectories.png");
                        PolicyTrajectories.Plot(recorded, $"Best policy (trial {best.Number}) on the platform", p);
                        pictures.Add(("Best policy on the platform", p,
                            $"{recorded.Episodes.Count} deterministic episodes of trial {best.Number}'s policy ({Path.GetFileName(checkpoint)}) from spawn points on the dashed ring; circles mark the starts, crosses the falls."));
                    }
                }
                catch (UserError e)
                {
                    trajectoryNote = "trajectories not drawn: " + e.Message;
                }
            }
        }

        var flags = logs.Select(kv => TrialFlags.Of(kv.Key, kv.Value, input.EpisodeLimit)).Where(f => f.Flags.Count > 0).OrderBy(f => f.TrialNumber).ToList();

        var mdPath = Path.Combine(analysisDir, MarkdownName);
        var htmlPath = Path.Combine(input.StudyDir, HtmlName);
        var doc = Document(input, analysis, complete, flags, pictures, message, trajectoryNote, htmlPath, mdPath);
        File.WriteAllText(mdPath, ReportRendering.Markdown(doc, mdPath));
        File.WriteAllText(htmlPath, ReportRendering.Html(doc, htmlPath));
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

    private static ReportDocument Document(ReportInputs input, StudyAnalysisResult a, IReadOnlyList<TrialRecord> complete, IReadOnlyList<TrialFlags> flags,
        IReadOnlyList<(string Title, string Path, string Caption)> pictures, string? message, string? trajectoryNote, string htmlPath, string markdownPath)
    {
        var blocks = new List<ReportBlock>();
        // each rendering drops the link to itself, so report.md and report.html point at each other and at the live report.md
        var links = new List<string>
        {
            $"[report.html]({htmlPath}): the whole report in one file, pictures embedded",
            $"[report.md]({Path.Combine(input.StudyDir, MarkdownName)}): the study's live status, refreshed as trials end",
            $"[analysis/report.md]({markdownPath}): this analysis in Markdown, pictures beside it",
        };
        blocks.Add(new ReportParagraph($"{a.TotalTrials} trials: {a.CompleteTrials} complete, {a.PrunedTrials} pruned, {a.FailedTrials} failed. " +
                                       $"Ranked by **{a.Metric.Name}** ({(a.Metric.Descending ? "higher is better" : "lower is better")})."));
        blocks.Add(new ReportLinks(links));
        if (message is not null) blocks.Add(new ReportParagraph(message, Note: true));
        if (a.Chosen is { } chosen)
        {
            var agg = chosen.Config.Aggregate!.Value;
            blocks.Add(new ReportHeading($"Best: trial {chosen.Trial.Number}'s configuration, {a.Metric.Name} {DisplayText.MeanStd(agg.Mean, agg.Count > 1 ? agg.Std : null)} over {agg.Count} seed(s)"));
            blocks.Add(new ReportParagraph($"Chosen by {chosen.How}; each seed: {string.Join(", ", chosen.Config.SeedScores.Select(x => $"{x.Seed}: {DisplayText.Number(x.Score)}"))}. " +
                                           $"Export it with `rltune export-best --study {input.Study} --out best.json`."));
            foreach (var line in EvidenceLines(a)) blocks.Add(new ReportParagraph(line));
            blocks.Add(new ReportTable(["parameter", "value"], chosen.Trial.Params.Select(kv => (IReadOnlyList<string>)[kv.Key, DisplayText.Value(kv.Value)]).ToList(), new HashSet<int> { 1 }));
        }
        if (a.TopConfigs.Count > 0)
        {
            blocks.Add(new ReportHeading($"Top {a.TopConfigs.Count} configurations"));
            blocks.Add(new ReportTable(["rank", "config", a.Metric.Name, "seeds", "flags"],
                a.TopConfigs.Select((c, i) => (IReadOnlyList<string>)[(i + 1).ToString(CultureInfo.InvariantCulture), c.ConfigId, MetricText(c), c.Seeds.ToString(CultureInfo.InvariantCulture), TrialFlags.Text(flags, c.TrialNumber)]).ToList(),
                new HashSet<int> { 0, 2, 3 }, Flag: 4));
        }
        blocks.Add(new ReportHeading("Parameter importance (fANOVA)"));
        if (a.ImportanceNote is not null) blocks.Add(new ReportParagraph($"Not computed: {a.ImportanceNote}.", Note: true));
        if (a.ImportanceCaution is not null) blocks.Add(new ReportParagraph($"Caution: {a.ImportanceCaution}.", Note: true));
        if (a.Ranking.Count > 0)
        {
            blocks.Add(new ReportTable(["parameter", "category", "importance", "± std", "best value"],
                a.Ranking.Select(p => (IReadOnlyList<string>)[p.Parameter, StudyPlots.CategoryOf(p), p.Importance.ToString("0.000", CultureInfo.InvariantCulture),
                    p.ImportanceStd.ToString("0.000", CultureInfo.InvariantCulture), DisplayText.Value(p.BestValue)]).ToList(),
                new HashSet<int> { 2, 3, 4 }));
            var strong = a.Interactions.Where(i => i.VarianceFraction >= 0.02).ToList();
            if (strong.Count > 0)
            {
                blocks.Add(new ReportParagraph("Interactions among the most important parameters (share of variance beyond both main effects):"));
                blocks.Add(new ReportList(strong.Select(i => $"{i.A} × {i.B}: {i.VarianceFraction.ToString("0.000", CultureInfo.InvariantCulture)}").ToList()));
            }
        }
        blocks.Add(new ReportHeading("Reward-hacking flags"));
        if (flags.Count == 0) blocks.Add(new ReportParagraph("None raised" + (complete.Count > 0 ? " (checked every complete and pruned trial with TensorBoard curves)." : ".")));
        else blocks.Add(new ReportList(flags.SelectMany(f => f.Flags.Select(x => $"trial {f.TrialNumber}, seed {x.Seed}: **{x.Flag.Kind}**: {x.Flag.Evidence}")).ToList()));
        var slices = pictures.Where(p => p.Title.StartsWith("Slice: ", StringComparison.Ordinal)).ToList();
        foreach (var pic in pictures)
        {
            if (slices.Count > 0 && pic == slices[0])
                blocks.Add(new ReportFigureGroup("Slices", pic.Caption, slices.Select(x => new ReportFigure(x.Title, x.Path, x.Caption)).ToList()));
            else if (!slices.Contains(pic))
                blocks.Add(new ReportFigure(pic.Title, pic.Path, pic.Caption));
        }
        if (trajectoryNote is not null) blocks.Add(new ReportParagraph($"({trajectoryNote}.)"));
        blocks.Add(new ReportParagraph($"Written {ReportRendering.Stamp(DateTime.UtcNow)}; rebuild it with `rltune report --study {input.Study}`."));
        return new ReportDocument($"Analysis of study {input.Study}", blocks);
    }

    /// <summary>The luckiest single run beside the chosen configuration, and the winner's curse (analyze prints the same lines).</summary>
    public static IEnumerable<string> EvidenceLines(StudyAnalysisResult a)
    {
        if (a.Luckiest is { } lucky && a.Chosen is { } chosen)
            yield return $"Luckiest single run: trial {lucky.Trial.Number} (seed {lucky.Seed}), {a.Metric.Name} {DisplayText.Number(lucky.Score)}" +
                         (lucky.Config.Key == chosen.Config.Key ? ", of the chosen configuration." :
                             lucky.Config.Seeds > 1 ? $"; its configuration's mean over {lucky.Config.Seeds} seeds is {DisplayText.Number(lucky.Config.Aggregate!.Value.Mean)}." : "; its configuration ran on that seed only.");
        if (a.Curse is { } curse) yield return "Winner's curse: " + curse.Text();
    }

    private static string MetricText(TopConfig c) => DisplayText.MeanStd(c.MetricValue, c.MetricStd);
}
