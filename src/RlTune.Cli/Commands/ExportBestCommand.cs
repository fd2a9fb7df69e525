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
        if (PbtLineage.Of(study.Trials) is { IsEmpty: false } lineage) return ExportSchedule(s, study, lineage);
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

    /// <summary>A PBT study: the best member of the latest generation (or --trial) with the schedule of parameters that led to it.</summary>
    private static int ExportSchedule(Settings s, OpenedStudy study, PbtLineage lineage)
    {
        var direction = study.Context.Selection.Direction;   // members were ranked by the study's score, whatever --metric shows
        PbtInterval chosen;
        if (s.Trial is { } n)
        {
            chosen = lineage.ByTrial(n) ?? throw new UserError($"--trial: study '{study.Record.Name}' has no trial {n} in its population.");
            if (chosen.Trial.State != TrialState.Complete)
                throw new UserError($"--trial: trial {n} of study '{study.Record.Name}' is {chosen.Trial.State.ToText()}, not complete; only measured configurations can be exported.");
        }
        else
            chosen = lineage.Best(direction) ?? throw new UserError($"--study: study '{study.Record.Name}' has no complete interval yet, so there is no best member to export.");
        var config = BestConfigExport.ScheduleFor(study.Record.Name, lineage, chosen.Trial, study.StudyDir, study.Space, study.EnvName, study.StepsPerTrial);
        var measured = Measurement.FromTrial(study.Record.Name, chosen.Trial);
        var jsonPath = Path.GetFullPath(BestConfigExport.Write(s.Out!, config, measured));
        var value = chosen.Trial.Score is { } v ? DisplayText.MeanStd(v, chosen.Trial.ScoreStd is { } sd && chosen.Trial.SeedRuns.Count > 1 ? sd : null) : "-";
        Console.WriteLine($"wrote {jsonPath}: member {chosen.Step.Member}'s schedule of {config.Schedule.Count} intervals ({config.MaxEnvSteps} env steps) ending in trial {chosen.Trial.Number} of study {study.Record.Name}, score {value}");
        Console.WriteLine($"replay it: {measured.TrainCommand(jsonPath)}");
        return 0;
    }
}
