using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Analysis;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary><c>rltune analyze</c>: importance ranking, top configurations and reward-hacking flags; writes analysis/hyperparameter_importance.yaml.</summary>
public sealed class AnalyzeCommand : Command<AnalyzeCommand.Settings>
{
    public sealed class Settings : RankingOptions
    {
        [CommandOption("--json"), Description("Print the result as JSON instead of tables.")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.Top < 1) throw new UserError($"--top: {s.Top} is not a count; expected 1 or more.");
        using var study = OpenedStudy.Open(s);
        var metric = study.Metric(s);
        var result = StudyAnalysis.Analyze(study.Record.Name, study.Trials, metric, study.Space, s.Top, selection: study.Context.Selection);
        var yamlPath = ImportanceYaml.Write(study.StudyDir, result, s.Top);
        var flags = Flags(study);

        if (s.Json)
        {
            var obj = new JsonObject
            {
                ["study"] = result.Study,
                ["metric"] = metric.Name,
                ["sort"] = metric.Descending ? "descending" : "ascending",
                ["yaml"] = yamlPath,
                ["importance_note"] = result.ImportanceNote,
                ["importance_caution"] = result.ImportanceCaution,
                ["importance_ranking"] = new JsonArray(result.Ranking.Select(p => (JsonNode)new JsonObject
                {
                    ["parameter"] = p.Parameter, ["category"] = StudyPlots.CategoryOf(p), ["importance"] = p.Importance, ["std"] = p.ImportanceStd,
                    ["best_value"] = p.BestValue is null ? null : ParamValues.ToJson(p.BestValue),
                }).ToArray()),
                ["top_configs"] = new JsonArray(result.TopConfigs.Select(c => (JsonNode)new JsonObject
                {
                    ["config_id"] = c.ConfigId, ["trial"] = c.TrialNumber, [metric.Name] = c.MetricValue, ["std"] = c.MetricStd, ["seeds"] = c.Seeds,
                    ["params"] = JsonNode.Parse(ParamValues.ToJsonText(c.Params)),
                }).ToArray()),
                ["chosen"] = result.Chosen is { } chosen ? new JsonObject
                {
                    ["trial"] = chosen.Trial.Number, ["trials"] = new JsonArray(chosen.Config.Trials.Select(t => (JsonNode)t.Number).ToArray()),
                    [metric.Name] = chosen.Config.Aggregate!.Value.Mean, ["std"] = chosen.Config.Aggregate!.Value.Std, ["seeds"] = chosen.Config.Seeds, ["chosen_by"] = chosen.How,
                } : null,
                ["luckiest_run"] = result.Luckiest is { } lucky ? new JsonObject { ["trial"] = lucky.Trial.Number, ["seed"] = lucky.Seed, [metric.Name] = lucky.Score } : null,
                ["winners_curse"] = result.Curse is { } curse ? new JsonObject
                {
                    ["chosen_on_seeds"] = new JsonArray(curse.ChosenOn.Select(x => (JsonNode)x.Seed).ToArray()), ["chosen_on_mean"] = curse.ChosenMean,
                    ["after_seeds"] = new JsonArray(curse.After.Select(x => (JsonNode)x.Seed).ToArray()), ["after_mean"] = curse.AfterMean,
                } : null,
                ["flags"] = new JsonArray(flags.SelectMany(f => f.Flags.Select(x => (JsonNode)new JsonObject
                {
                    ["trial"] = f.TrialNumber, ["seed"] = x.Seed, ["kind"] = x.Flag.Kind, ["evidence"] = x.Flag.Evidence,
                })).ToArray()),
            };
            Console.WriteLine(obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }

        var console = Terminal.Console();
        console.WriteLine($"Study {result.Study}: {result.TotalTrials} trials ({result.CompleteTrials} complete, {result.PrunedTrials} pruned, {result.FailedTrials} failed); ranked by {metric.Name}, {(metric.Descending ? "descending" : "ascending")}.");
        if (result.ImportanceNote is not null) console.WriteLine($"Importance not computed: {result.ImportanceNote}.");
        if (result.Ranking.Count > 0)
        {
            var table = new Table().Title("Parameter importance (fANOVA)").AddColumns("parameter", "category", "importance", "± std", "", "best value");
            table.Columns[2].RightAligned();
            table.Columns[3].RightAligned();
            foreach (var p in result.Ranking)
                table.AddRow(Markup.Escape(p.Parameter), Markup.Escape(StudyPlots.CategoryOf(p)), p.Importance.ToString("0.000", CultureInfo.InvariantCulture),
                    p.ImportanceStd.ToString("0.000", CultureInfo.InvariantCulture), new string('█', (int)Math.Round(p.Importance * 20)), Markup.Escape(DisplayText.Value(p.BestValue)));
            console.Write(table);
            foreach (var i in result.Interactions.Where(i => i.VarianceFraction >= 0.02))
                console.WriteLine($"interaction {i.A} x {i.B}: {i.VarianceFraction:0.000} of the variance beyond both main effects");
            if (result.ImportanceCaution is not null) console.WriteLine($"Caution: {result.ImportanceCaution}.");
        }
        if (result.TopConfigs.Count > 0)
        {
            var shown = result.Ranking.Take(4).Select(r => r.Parameter).ToList();
            var table = new Table().Title($"Top {result.TopConfigs.Count} configurations").AddColumns(["rank", "config", metric.Name, "seeds", .. shown.Select(Markup.Escape), "flags"]);
            for (var i = 0; i < result.TopConfigs.Count; i++)
            {
                var c = result.TopConfigs[i];
                var metricText = DisplayText.MeanStd(c.MetricValue, c.MetricStd);
                table.AddRow([(i + 1).ToString(CultureInfo.InvariantCulture), c.ConfigId, metricText, c.Seeds.ToString(CultureInfo.InvariantCulture),
                    .. shown.Select(n => Markup.Escape(DisplayText.Value(c.Params.GetValueOrDefault(n)))), Markup.Escape(TrialFlags.Text(flags, c.TrialNumber))]);
            }
            console.Write(table);
        }
        if (result.Chosen is { } best)
        {
            var agg = best.Config.Aggregate!.Value;
            console.WriteLine($"Chosen: trial {best.Trial.Number}'s configuration, {metric.Name} {DisplayText.MeanStd(agg.Mean, agg.Count > 1 ? agg.Std : null)} over {agg.Count} seed(s) ({best.How}).");
            foreach (var line in StudyReport.EvidenceLines(result)) console.WriteLine(line);
        }
        foreach (var f in flags)
            foreach (var (seed, flag) in f.Flags)
                console.WriteLine($"flag: trial {f.TrialNumber} seed {seed}: {flag.Kind}: {flag.Evidence}");
        console.WriteLine($"wrote {yamlPath}");
        return 0;
    }

    internal static IReadOnlyList<TrialFlags> Flags(OpenedStudy study) =>
        study.Trials.Where(t => t.State is TrialState.Complete or TrialState.Pruned)
            .Select(t => TrialFlags.Of(t.Number, StudyReport.ReadLogs(t, study.StudyDir), study.EpisodeLimit))
            .Where(f => f.Flags.Count > 0).ToList();
}
