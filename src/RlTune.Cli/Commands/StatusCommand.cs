using System.ComponentModel;
using System.Text.Json;
using RlTune.Cli.Display;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

public sealed class StatusCommand : AsyncCommand<StatusCommand.Settings>
{
    public sealed class Settings : StudyOptions
    {
        [CommandOption("--watch"), Description("Refresh every 2 s until the study stops.")]
        public bool Watch { get; init; }
        [CommandOption("--json"), Description("Print the status as JSON.")]
        public bool Json { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(s.OutputDir);
        var (store, study) = StudyOptions.OpenStudy(output, s.Storage, s.Study);
        using var _ = store;
        var loaded = Analysis.StudyContext.Load(store, study, output);
        if (s.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(Snapshot(store, study, loaded.Space)));
            return 0;
        }
        // only the text shows reward-hacking flags, which need the episode limit
        var episodeLimit = loaded.EpisodeLimit;
        var space = loaded.Space;
        if (!s.Watch)
        {
            Console.WriteLine(Text(store, study, Path.Combine(output, study.Name), episodeLimit, space));
            return 0;
        }
        string? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var text = Text(store, study, Path.Combine(output, study.Name), episodeLimit, space);
            if (text != last)
            {
                if (StudyDisplay.IsInteractive) AnsiConsole.Clear();
                Console.WriteLine(text);
                if (!StudyDisplay.IsInteractive) Console.WriteLine();
                last = text;
            }
            if (store.GetStudyAttrs(study.Id).GetValueOrDefault(StudyAttributes.Status) == "stopped") break;
            try
            {
                await Task.Delay(2000, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return 0;
    }

    private static Dictionary<string, object?> Snapshot(IStudyStore store, StudyRecord study, SearchSpace? space)
    {
        var trials = store.GetTrials(study.Id);
        var attrs = store.GetStudyAttrs(study.Id);
        var settings = AutomlPipeline.ParseSettings(attrs.GetValueOrDefault(StudyAttributes.Settings) ?? study.SettingsJson);
        var rule = SelectionRule.Of(settings, study.Direction == "minimize" ? ObjectiveDirection.Minimize : ObjectiveDirection.Maximize);
        var best = BestConfig.Choose(trials, rule, space);
        return new Dictionary<string, object?>
        {
            ["study"] = study.Name,
            ["status"] = attrs.GetValueOrDefault(StudyAttributes.Status),
            ["stop_reason"] = attrs.GetValueOrDefault(StudyAttributes.StopReason),
            ["mode"] = attrs.GetValueOrDefault(StudyAttributes.Mode),
            ["direction"] = study.Direction,
            ["elapsed_seconds"] = StudyAttributes.Elapsed(attrs),
            ["complete"] = trials.Count(t => t.State == TrialState.Complete),
            ["running"] = trials.Count(t => t.State == TrialState.Running),
            ["waiting"] = trials.Count(t => t.State == TrialState.Waiting),
            ["failed"] = trials.Count(t => t.State == TrialState.Failed && t.Origin != SearchLoop.AuditSkipOrigin),
            ["pruned"] = trials.Count(t => t.State == TrialState.Pruned),
            ["skipped_by_audit"] = trials.Count(t => t.Origin == SearchLoop.AuditSkipOrigin),
            ["audit"] = attrs.GetValueOrDefault(StudyAttributes.AuditDefaults),
            ["extra_seeds"] = trials.Count(t => t.Origin == Intensification.Origin),
            ["configurations"] = ConfigEvidence.Group(trials).Count,
            ["best_trial"] = best?.Trial.Number,
            ["best_score"] = best?.Config.Aggregate?.Mean,
            ["best_score_std"] = best?.Config.Aggregate?.Std,
            ["best_seeds"] = best?.Config.Seeds,
            ["best_trials"] = best?.Config.Trials.Where(t => t.State == TrialState.Complete).Select(t => t.Number).ToList(),
            ["best_chosen_by"] = best?.How,
            ["best_params"] = best?.Trial.Params.ToDictionary(kv => kv.Key, kv => ParamValues.ToJson(kv.Value)?.ToJsonString()),
            ["devices"] = TrialNotes.DeviceTrials(trials.Select(t => t.Number), attrs) is { Count: > 0 } byDevice ? byDevice : null,
            ["stages"] = trials.Select(t => (t.Number, Fields: TrialStage.Of(t, attrs).Fields())).Where(x => x.Fields is not null)
                .ToDictionary(x => x.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), x => x.Fields) is { Count: > 0 } stages ? stages : null,
        };
    }

    // A finished trial's curves no longer change, so its reward-hacking flags are read once per process.
    private static readonly Dictionary<(string Dir, int Trial), string> FlagCache = [];

    private static string Text(IStudyStore store, StudyRecord study, string studyDir, double? episodeLimit, SearchSpace? space)
    {
        var snap = Snapshot(store, study, space);
        var trials = store.GetTrials(study.Id);
        var lines = new List<string>
        {
            $"study {study.Name} ({snap["mode"] ?? "?"}, {study.Direction}): {snap["status"] ?? "unknown"}{(snap["stop_reason"] is string r ? $" - {r}" : "")}",
            $"trials: {snap["complete"]} complete, {snap["running"]} running, {snap["waiting"]} waiting, {snap["failed"]} failed, {snap["pruned"]} pruned, {snap["skipped_by_audit"]} skipped by the audit" +
            (snap["extra_seeds"] is > 0 ? $"; {snap["configurations"]} configurations, {snap["extra_seeds"]} of the trials extra seeds of intensification" : ""),
            $"elapsed: {(snap["elapsed_seconds"] is double e ? StudyDisplay.Clock(TimeSpan.FromSeconds(e)) : "-")}",
            $"reward-budget audit: {snap["audit"] ?? "-"}",
        };
        var attrs = store.GetStudyAttrs(study.Id);
        foreach (var (k, v) in StudyAttributes.StageProgress(attrs))
            lines.Add($"{k}: {v}");
        var stages = trials.ToDictionary(t => t.Number, t => TrialStage.Of(t, attrs));
        if (TrialStage.StudyLine(trials.Select(t => (t, stages[t.Number]))) is { } schedule) lines.Add("schedule: " + schedule);
        if (attrs.GetValueOrDefault(StudyAttributes.FinalStatus) is { } fs) lines.Add($"full training: {fs}{(attrs.GetValueOrDefault(StudyAttributes.FinalCheckpoint) is { } ck ? $", checkpoint {ck}" : "")}");
        if (snap["best_trial"] is int bestTrial && trials.FirstOrDefault(t => t.Number == bestTrial) is { } best)
            lines.Add($"best: trial {bestTrial}'s configuration, score {StudyDisplay.Num((double?)snap["best_score"])}{(snap["best_seeds"] is > 1 ? $" ± {StudyDisplay.Num((double?)snap["best_score_std"])}" : "")} over {snap["best_seeds"]} seed(s) ({snap["best_chosen_by"]}): {StudyDisplay.Params(best.Params, 12)}");
        foreach (var t in trials.Where(t => t.State is TrialState.Complete or TrialState.Pruned))
        {
            if (!FlagCache.TryGetValue((studyDir, t.Number), out var flags))
                FlagCache[(studyDir, t.Number)] = flags = string.Join("; ", TrialFlags.Of(t.Number, Analysis.StudyReport.ReadLogs(t, studyDir), episodeLimit)
                    .Flags.Select(f => $"{f.Flag.Kind} (seed {f.Seed}): {f.Flag.Evidence}"));
            if (flags.Length > 0) lines.Add($"flag: trial {t.Number}: {flags}");
        }
        string At(int trial) => stages[trial].Text is { } text ? $" ({text})" : "";
        foreach (var t in trials.Where(t => t.State == TrialState.Pruned))
            lines.Add($"pruned: trial {t.Number}{At(t.Number)}: {t.Error ?? "-"}");
        foreach (var t in trials.Where(t => stages[t.Number].Paused is not null))
            lines.Add($"paused: trial {t.Number}{At(t.Number)}: {stages[t.Number].Paused}");
        if (TrialNotes.DeviceTrials(trials.Select(t => t.Number), attrs) is { Count: > 0 } byDevice)
            lines.Add("devices: " + string.Join("; ", byDevice.Select(kv => $"{kv.Key}: trials {string.Join(", ", kv.Value)}")));
        foreach (var t in trials.Where(t => t.State == TrialState.Running))
            lines.Add($"running: trial {t.Number}{At(t.Number)} on {t.WorkerId}{(TrialNotes.Get(attrs, t.Number, TrialNotes.Device) is { } d ? $", device {d}" : "")}, heartbeat {(t.Heartbeat is { } h ? $"{(DateTimeOffset.UtcNow - h).TotalSeconds:F0} s ago" : "-")}");
        return string.Join(Environment.NewLine, lines);
    }
}
