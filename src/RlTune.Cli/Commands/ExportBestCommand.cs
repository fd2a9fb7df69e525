using System.ComponentModel;
using RlTune.Analysis;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary><c>rltune export-best</c>: the best trial as a train-ready config with the metrics and seeds it was measured on.</summary>
public sealed class ExportBestCommand : Command<ExportBestCommand.Settings>
{
    public sealed class Settings : MetricOptions
    {
        [CommandOption("--out <FILE>"), Description("Where to write the train-ready config: best.json, or best.yaml for a YAML copy to read plus best.json beside it for trainers.")]
        public string? Out { get; init; }
        [CommandOption("--trial <N>"), Description("Export this trial instead of the best.")]
        public int? Trial { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(s.Out)) throw new UserError("--out: missing; expected a file such as best.json or best.yaml.");
        if (!s.Out.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !BestConfigExport.IsYaml(s.Out))
            throw new UserError($"--out: '{s.Out}' has no .json, .yaml or .yml extension, which decides the format.");
        using var study = OpenedStudy.Open(s);
        var metric = study.Metric(s);
        var configs = ConfigEvidence.Group(study.Trials, metric.Name == MetricChoice.Score ? null : metric.Name);
        ConfigEvidence chosen;
        string how;
        if (s.Trial is { } n)
        {
            var trial = study.Trials.FirstOrDefault(t => t.Number == n) ?? throw new UserError($"--trial: study '{study.Record.Name}' has no trial {n}.");
            if (trial.State != TrialState.Complete)
                throw new UserError($"--trial: trial {n} of study '{study.Record.Name}' is {trial.State.ToText()}, not complete; only measured configurations can be exported.");
            chosen = configs.First(c => c.Trials.Contains(trial));
            how = "as asked";
        }
        else
        {
            var rule = study.Context.Selection with { Direction = metric.Descending ? Search.ObjectiveDirection.Maximize : Search.ObjectiveDirection.Minimize };
            var best = (metric.Name == MetricChoice.Score ? BestConfig.Choose(study.Trials, rule, study.Space) : BestConfig.Choose(configs, rule))
                       ?? throw new UserError($"--study: study '{study.Record.Name}' has no complete trial with '{metric.Name}' yet, so there is no best configuration to export.");
            (chosen, how) = (best.Config, best.How);
        }
        var config = BestConfigExport.ConfigFor(study.Record.Name, chosen.First, study.StudyDir, study.Space, study.EnvName, study.StepsPerTrial);
        var measured = Measurement.FromConfig(study.Record.Name, chosen);
        var jsonPath = Path.GetFullPath(BestConfigExport.Write(s.Out, config, measured));
        var written = BestConfigExport.IsYaml(s.Out) ? $"{Path.GetFullPath(s.Out)} and {jsonPath}" : jsonPath;
        var value = chosen.Aggregate is { } a ? DisplayText.MeanStd(a.Mean, a.Count > 1 ? a.Std : null) : "-";
        Console.WriteLine($"wrote {written}: trial {chosen.First.Number}'s configuration of study {study.Record.Name}, {metric.Name} {value} over {Math.Max(1, chosen.Seeds)} seed(s), {how}" +
                          (config.Source.EndsWith(".json", StringComparison.Ordinal) ? " (from the config it ran with)" : " (rebuilt from the search space)"));
        Console.WriteLine($"train it: {measured.TrainCommand(jsonPath)}");
        return 0;
    }
}
