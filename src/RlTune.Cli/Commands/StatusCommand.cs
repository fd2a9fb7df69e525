using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using RlTune.Cli.Display;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
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
        if (s.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(Snapshot(store, study)));
            return 0;
        }
        // only the text shows reward-hacking flags, which need the episode limit
        var episodeLimit = Analysis.StudyContext.Load(store, study, output).EpisodeLimit;
        if (!s.Watch)
        {
            Console.WriteLine(Text(store, study, Path.Combine(output, study.Name), episodeLimit));
            return 0;
        }
        string? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var text = Text(store, study, Path.Combine(output, study.Name), episodeLimit);
            if (text != last)
            {
                if (StudyDisplay.IsInteractive) AnsiConsole.Clear();
                Console.WriteLine(text);
                if (!StudyDisplay.IsInteractive) Console.WriteLine();
                last = text;
            }
            if (store.GetStudyAttrs(study.Id).GetValueOrDefault("status") == "stopped") break;
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

    private static Dictionary<string, object?> Snapshot(IStudyStore store, StudyRecord study)
    {
        var trials = store.GetTrials(study.Id);
        var attrs = store.GetStudyAttrs(study.Id);
        var direction = study.Direction == "minimize" ? ObjectiveDirection.Minimize : ObjectiveDirection.Maximize;
        var best = StudyProjections.BestOf(trials, direction);
        return new Dictionary<string, object?>
        {
            ["study"] = study.Name,
            ["status"] = attrs.GetValueOrDefault("status"),
            ["stop_reason"] = attrs.GetValueOrDefault("stop_reason"),
            ["mode"] = attrs.GetValueOrDefault("mode"),
            ["direction"] = study.Direction,
            ["elapsed_seconds"] = double.TryParse(attrs.GetValueOrDefault("elapsed_seconds"), NumberStyles.Float, CultureInfo.InvariantCulture, out var e) ? e : null,
            ["complete"] = trials.Count(t => t.State == TrialState.Complete),
            ["running"] = trials.Count(t => t.State == TrialState.Running),
            ["waiting"] = trials.Count(t => t.State == TrialState.Waiting),
            ["failed"] = trials.Count(t => t.State == TrialState.Failed && t.Origin != SearchLoop.AuditSkipOrigin),
            ["pruned"] = trials.Count(t => t.State == TrialState.Pruned),
            ["skipped_by_audit"] = trials.Count(t => t.Origin == SearchLoop.AuditSkipOrigin),
            ["audit"] = attrs.GetValueOrDefault("audit_defaults"),
            ["best_trial"] = best?.Number,
            ["best_score"] = best?.Score,
            ["best_params"] = best?.Params.ToDictionary(kv => kv.Key, kv => ParamValues.ToJson(kv.Value)?.ToJsonString()),
        };
    }

    // A finished trial's curves no longer change, so its reward-hacking flags are read once per process.
    private static readonly Dictionary<(string Dir, int Trial), string> FlagCache = [];

    private static string Text(IStudyStore store, StudyRecord study, string studyDir, double? episodeLimit)
    {
        var snap = Snapshot(store, study);
        var trials = store.GetTrials(study.Id);
        var lines = new List<string>
        {
            $"study {study.Name} ({snap["mode"] ?? "?"}, {study.Direction}): {snap["status"] ?? "unknown"}{(snap["stop_reason"] is string r ? $" - {r}" : "")}",
            $"trials: {snap["complete"]} complete, {snap["running"]} running, {snap["waiting"]} waiting, {snap["failed"]} failed, {snap["pruned"]} pruned, {snap["skipped_by_audit"]} skipped by the audit",
            $"elapsed: {(snap["elapsed_seconds"] is double e ? StudyDisplay.Clock(TimeSpan.FromSeconds(e)) : "-")}",
            $"reward-budget audit: {snap["audit"] ?? "-"}",
        };
        var attrs = store.GetStudyAttrs(study.Id);
        foreach (var (k, v) in attrs.Where(kv => kv.Key.StartsWith("stage_", StringComparison.Ordinal) && !kv.Key.EndsWith("_checkpoint", StringComparison.Ordinal)).OrderBy(kv => kv.Key))
            lines.Add($"{k}: {v}");
        if (attrs.GetValueOrDefault("final_status") is { } fs) lines.Add($"full training: {fs}{(attrs.GetValueOrDefault("final_checkpoint") is { } ck ? $", checkpoint {ck}" : "")}");
        var direction = study.Direction == "minimize" ? ObjectiveDirection.Minimize : ObjectiveDirection.Maximize;
        if (StudyProjections.BestOf(trials, direction) is { } best)
            lines.Add($"best: trial {best.Number}, score {StudyDisplay.Num(best.Score)}{(best.SeedRuns.Count > 1 ? $" ± {StudyDisplay.Num(best.ScoreStd)}" : "")}: {StudyDisplay.Params(best.Params, 12)}");
        foreach (var t in trials.Where(t => t.State is TrialState.Complete or TrialState.Pruned))
        {
            if (!FlagCache.TryGetValue((studyDir, t.Number), out var flags))
                FlagCache[(studyDir, t.Number)] = flags = string.Join("; ", Analysis.TrialFlags.Of(t.Number, Analysis.StudyReport.ReadLogs(t, studyDir), episodeLimit)
                    .Flags.Select(f => $"{f.Flag.Kind} (seed {f.Seed}): {f.Flag.Evidence}"));
            if (flags.Length > 0) lines.Add($"flag: trial {t.Number}: {flags}");
        }
        foreach (var t in trials.Where(t => t.State == TrialState.Pruned))
            lines.Add($"pruned: trial {t.Number}: {t.Error ?? "-"}");
        foreach (var t in trials.Where(t => t.State == TrialState.Running))
            lines.Add($"running: trial {t.Number} on {t.WorkerId}, heartbeat {(t.Heartbeat is { } h ? $"{(DateTimeOffset.UtcNow - h).TotalSeconds:F0} s ago" : "-")}");
        return string.Join(Environment.NewLine, lines);
    }
}
