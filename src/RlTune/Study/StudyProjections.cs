using System.Globalization;
using System.Text;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;
using YamlDotNet.Serialization;

namespace RlTune.Study;

/// <summary>
/// The human-readable projections of a study's store, refreshed as trials end, each written
/// atomically (write then rename): state.yaml (status, why it stopped, counts, best), index.yaml
/// (every trial in a line), trials/trial_N/summary.yaml (one trial in full) and report.md.
/// </summary>
public sealed class StudyProjections(IStudyStore store, StudyRecord study, StudyPaths paths, StudyDescription description, StudyBudget budget)
{
    private static readonly ISerializer Yaml = new SerializerBuilder().DisableAliases().Build();
    private readonly Lock _lock = new();

    public StudyPaths Paths => paths;

    /// <summary>Rewrites state.yaml, index.yaml and report.md, and the summary of <paramref name="trialNumber"/> when given.</summary>
    public void Refresh(string status, string? stopReason, int? trialNumber = null)
    {
        lock (_lock)
        {
            var trials = store.GetTrials(study.Id);
            if (stopReason is not null) store.SetStudyAttr(study.Id, StudyAttributes.StopReason, stopReason);
            store.SetStudyAttr(study.Id, StudyAttributes.Status, status);
            store.SetStudyAttr(study.Id, StudyAttributes.ElapsedSeconds, budget.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture));
            var attrs = store.GetStudyAttrs(study.Id);
            if (trialNumber is { } n && trials.FirstOrDefault(t => t.Number == n) is { } trial)
                AtomicFile.WriteAllText(paths.TrialSummaryFile(n), Yaml.Serialize(TrialSummary(trial, attrs)));
            else if (trialNumber is null)
                foreach (var t in trials.Where(t => t.State.IsFinished() && !File.Exists(paths.TrialSummaryFile(t.Number))))
                    AtomicFile.WriteAllText(paths.TrialSummaryFile(t.Number), Yaml.Serialize(TrialSummary(t, attrs)));
            AtomicFile.WriteAllText(paths.StateFile, Yaml.Serialize(State(trials, attrs)));
            AtomicFile.WriteAllText(paths.IndexFile, Yaml.Serialize(Index(trials, attrs)));
            AtomicFile.WriteAllText(paths.ReportFile, Report(trials, attrs));
        }
    }

    /// <summary>The study's best configuration, chosen by evidence (<see cref="BestConfig.Choose"/>).</summary>
    public BestConfig? Best(IReadOnlyList<TrialRecord> trials) => BestConfig.Choose(trials, description.Selection ?? new SelectionRule(description.Direction), description.SearchSpace);

    private Dictionary<string, object?> State(IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<string, string> attrs)
    {
        var best = Best(trials);
        var state = new Dictionary<string, object?>
        {
            ["study"] = study.Name,
            ["status"] = attrs.GetValueOrDefault(StudyAttributes.Status),
            ["stop_reason"] = attrs.GetValueOrDefault(StudyAttributes.StopReason),
            ["mode"] = description.Mode,
            ["objective"] = description.Objective,
            ["direction"] = description.Direction.ToText(),
            ["search_method"] = description.SearchMethod,
            ["search_space"] = description.Space,
            ["env"] = description.Env,
            ["trainer"] = description.Trainer,
            ["steps_per_trial"] = description.StepsPerTrial,
            ["seeds_per_trial"] = description.SeedsPerTrial,
            ["parallel"] = description.Parallel,
            ["devices"] = description.Devices.Count > 0 ? description.Devices.ToList() : null,
            ["trials_per_device"] = description.Devices.Count > 0 ? description.TrialsPerDevice : null,
            ["target_trials"] = description.TargetTrials,
            ["pruner"] = description.Pruner,
            ["budget_hours"] = budget.Limit?.TotalHours,
            ["elapsed_seconds"] = Math.Round(budget.Elapsed.TotalSeconds, 1),
            ["updated_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["trials"] = new Dictionary<string, object?>
            {
                ["total"] = trials.Count(t => t.Origin != SearchLoop.AuditSkipOrigin),
                ["complete"] = trials.Count(t => t.State == TrialState.Complete),
                ["failed"] = trials.Count(t => t.State == TrialState.Failed && t.Origin != SearchLoop.AuditSkipOrigin),
                ["pruned"] = trials.Count(t => t.State == TrialState.Pruned),
                ["running"] = trials.Count(t => t.State == TrialState.Running),
                ["waiting"] = trials.Count(t => t.State == TrialState.Waiting),
                ["skipped_by_audit"] = trials.Count(t => t.Origin == SearchLoop.AuditSkipOrigin),
                ["extra_seeds"] = trials.Count(t => t.Origin == Intensification.Origin),
            },
            ["intensify"] = description.Intensify,
            ["audit"] = new Dictionary<string, object?>
            {
                ["policy"] = description.AuditPolicy,
                ["defaults"] = attrs.GetValueOrDefault(StudyAttributes.AuditDefaults),
                ["trials_warned"] = trials.Count(t => t.Origin != SearchLoop.AuditSkipOrigin && AuditNote(t) is { Passed: false }),
            },
        };
        foreach (var (k, v) in attrs.Where(kv => kv.Key.StartsWith("stage", StringComparison.Ordinal) || kv.Key.StartsWith("final", StringComparison.Ordinal)))
            state[k] = v;
        if (best is not null)
            state["best"] = new Dictionary<string, object?>
            {
                ["trial"] = best.Trial.Number,
                ["trials"] = best.Config.Trials.Where(t => t.State == TrialState.Complete).Select(t => (object?)t.Number).ToList(),
                ["score"] = best.Config.Aggregate?.Mean,
                ["score_std"] = best.Config.Aggregate?.Std,
                ["seeds"] = best.Config.Seeds,
                ["chosen_by"] = best.How,
                ["params"] = ParamsForYaml(best.Trial.Params),
                ["metrics"] = best.Config.MeanMetrics().OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
                ["summary"] = Relative(paths.TrialSummaryFile(best.Trial.Number)),
            };
        return state;
    }

    private Dictionary<string, object?> Index(IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<string, string> attrs) => new()
    {
        ["study"] = study.Name,
        ["trials"] = trials.OrderBy(t => t.Number).Select(t => new Dictionary<string, object?>
        {
            ["number"] = t.Number,
            ["state"] = t.State.ToText(),
            ["device"] = TrialNotes.Get(attrs, t.Number, TrialNotes.Device),
            ["score"] = t.Score,
            ["score_std"] = t.ScoreStd,
            ["origin"] = t.Origin,
            ["stage"] = TrialStage.Of(t, attrs).Fields(),
            ["seconds"] = t.StartedAt is { } s && t.EndedAt is { } e ? Math.Round((e - s).TotalSeconds, 1) : null,
            ["error"] = t.Error,
            ["summary"] = t.State.IsFinished() ? Relative(paths.TrialSummaryFile(t.Number)) : null,
        }).ToList(),
    };

    private Dictionary<string, object?> TrialSummary(TrialRecord t, IReadOnlyDictionary<string, string> attrs)
    {
        var notes = TrialNotes.GetMetricNotes(attrs, t.Number);
        var audit = AuditNote(t);
        return new Dictionary<string, object?>
        {
            ["study"] = study.Name,
            ["trial"] = t.Number,
            ["state"] = t.State.ToText(),
            ["origin"] = t.Origin,
            ["stage"] = TrialStage.Of(t, attrs).Fields(),
            ["device"] = TrialNotes.Get(attrs, t.Number, TrialNotes.Device),
            ["score"] = t.Score,
            ["score_std"] = t.ScoreStd,
            ["error"] = t.Error,
            ["started_at"] = t.StartedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["ended_at"] = t.EndedAt?.ToString("O", CultureInfo.InvariantCulture),
            ["params"] = ParamsForYaml(t.Params),
            ["metrics"] = t.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["derived_metrics"] = notes.Count > 0 ? notes : null,
            ["reward_budget_audit"] = audit?.Message,
            ["seeds"] = t.SeedRuns.Select(s => new Dictionary<string, object?>
            {
                ["seed"] = s.Seed,
                ["score"] = s.Score,
                ["error"] = s.Error,
                ["run_dir"] = s.RunDir,
                ["config"] = Relative(paths.ConfigFile(t.Number, s.Seed)),
                ["metrics"] = s.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            }).ToList(),
        };
    }

    private AuditFinding? AuditNote(TrialRecord t) => description.Audit is { } a && description.RewardScales is { } f ? a.Check(f(t.Params)) : null;

    private string Report(IReadOnlyList<TrialRecord> trials, IReadOnlyDictionary<string, string> attrs)
    {
        var sb = new StringBuilder();
        var best = Best(trials);
        sb.Append("# Study ").Append(study.Name).Append("\n\n");
        sb.Append("Full analysis with pictures, rebuilt when the study stops and by `rltune report`: [report.html](report.html) ([analysis/report.md](analysis/report.md)).\n\n");
        sb.Append("- status: **").Append(attrs.GetValueOrDefault(StudyAttributes.Status) ?? "?").Append("**");
        if (attrs.GetValueOrDefault(StudyAttributes.StopReason) is { } why) sb.Append(" (").Append(why).Append(')');
        sb.Append('\n');
        sb.Append("- mode: ").Append(description.Mode).Append(", search: ").Append(description.SearchMethod).Append(", space: ").Append(description.Space).Append('\n');
        sb.Append("- env: ").Append(description.Env).Append(", trainer: `").Append(description.Trainer).Append("`\n");
        sb.Append("- objective: ").Append(description.Objective).Append(" (").Append(description.Direction.ToText()).Append(")\n");
        sb.Append("- steps per trial: ").Append(description.StepsPerTrial).Append(", seeds per trial: ").Append(description.SeedsPerTrial).Append(", parallel: ").Append(description.Parallel).Append('\n');
        sb.Append("- pruner: ").Append(description.Pruner).Append('\n');
        sb.Append("- intensification: ").Append(description.Intensify).Append(", ").Append(trials.Count(t => t.Origin == Intensification.Origin)).Append(" extra seed(s) run\n");
        if (TrialNotes.DeviceTrials(trials.Select(t => t.Number), attrs) is { Count: > 0 } byDevice)
            sb.Append("- devices (").Append(description.TrialsPerDevice).Append(" trial(s) at a time on each): ")
              .Append(string.Join("; ", byDevice.Select(kv => $"{kv.Key}: trials {string.Join(", ", kv.Value)}"))).Append('\n');
        sb.Append("- elapsed: ").Append(F(budget.Elapsed.TotalMinutes)).Append(" min");
        if (budget.Limit is { } l) sb.Append(" of ").Append(F(l.TotalMinutes)).Append(" min budget");
        sb.Append('\n');
        sb.Append("- trials: ").Append(trials.Count(t => t.State == TrialState.Complete)).Append(" complete, ")
            .Append(trials.Count(t => t.State == TrialState.Failed && t.Origin != SearchLoop.AuditSkipOrigin)).Append(" failed, ")
            .Append(trials.Count(t => t.State == TrialState.Pruned)).Append(" pruned, ")
            .Append(trials.Count(t => t.State == TrialState.Running)).Append(" running, ")
            .Append(trials.Count(t => t.State == TrialState.Waiting)).Append(" waiting, ")
            .Append(trials.Count(t => t.Origin == SearchLoop.AuditSkipOrigin)).Append(" skipped by the reward-budget audit\n");
        var stages = trials.ToDictionary(t => t.Number, t => TrialStage.Of(t, attrs));
        if (TrialStage.StudyLine(trials.Select(t => (t, stages[t.Number]))) is { } schedule) sb.Append("- schedule: ").Append(schedule).Append('\n');
        sb.Append("- reward-budget audit (").Append(description.AuditPolicy).Append("): ").Append(attrs.GetValueOrDefault(StudyAttributes.AuditDefaults) ?? "not available").Append('\n');
        foreach (var (k, v) in attrs.Where(kv => kv.Key.StartsWith("stage", StringComparison.Ordinal) || kv.Key.StartsWith("final", StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append("- ").Append(k).Append(": ").Append(v).Append('\n');

        if (best is not null)
        {
            var agg = best.Config.Aggregate!.Value;
            sb.Append("\n## Best: trial ").Append(best.Trial.Number).Append("'s configuration, score ").Append(F(agg.Mean));
            if (agg.Count > 1) sb.Append(" ± ").Append(F(agg.Std));
            sb.Append(" over ").Append(agg.Count).Append(" seed(s)\n\n");
            sb.Append("Chosen by ").Append(best.How).Append(". Seeds: ")
              .Append(string.Join(", ", best.Config.SeedScores.Select(x => $"{x.Seed}: {F(x.Score)}"))).Append(".\n");
            if (ConfigEvidence.Luckiest(ConfigEvidence.Group(trials), description.Direction) is { } lucky && lucky.Trial.Number != best.Trial.Number)
                sb.Append("The luckiest single run was trial ").Append(lucky.Trial.Number).Append(" (seed ").Append(lucky.Seed).Append(", score ").Append(F(lucky.Score))
                  .Append(lucky.Config.Seeds > 1 ? $"; its configuration's mean over {lucky.Config.Seeds} seeds is {F(lucky.Config.Aggregate!.Value.Mean)}" : "; its configuration ran on that seed only").Append(").\n");
            if (WinnersCurse.Of(trials, best, description.Direction) is { } curse) sb.Append("Winner's curse: ").Append(curse.Text()).Append('\n');
            sb.Append("\n| parameter | value |\n|---|---|\n");
            foreach (var (k, v) in best.Trial.Params.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.Append("| ").Append(k).Append(" | ").Append(V(v)).Append(" |\n");
            sb.Append("\n| metric (mean over seeds) | value |\n|---|---|\n");
            var notes = TrialNotes.GetMetricNotes(attrs, best.Trial.Number);
            foreach (var (k, v) in best.Config.MeanMetrics().OrderBy(kv => kv.Key, StringComparer.Ordinal))
                sb.Append("| ").Append(k).Append(" | ").Append(F(v)).Append(notes.ContainsKey(k) ? " (derived)" : "").Append(" |\n");
            foreach (var (k, how) in notes) sb.Append("\n").Append(k).Append(": ").Append(how).Append('\n');
        }

        var ranked = trials.Where(t => t.State == TrialState.Complete && t.Score is not null)
            .OrderBy(t => description.Direction == ObjectiveDirection.Maximize ? -t.Score!.Value : t.Score!.Value).Take(10).ToList();
        if (ranked.Count > 0)
        {
            sb.Append("\n## Top trials\n\n| rank | trial | score | std | origin | stage | seconds |\n|---|---|---|---|---|---|---|\n");
            for (var i = 0; i < ranked.Count; i++)
            {
                var t = ranked[i];
                sb.Append("| ").Append(i + 1).Append(" | ").Append(t.Number).Append(" | ").Append(F(t.Score!.Value)).Append(" | ").Append(F(t.ScoreStd ?? 0))
                  .Append(" | ").Append(t.Origin).Append(" | ").Append(stages[t.Number].Text ?? "").Append(" | ").Append(t.StartedAt is { } s && t.EndedAt is { } e ? F((e - s).TotalSeconds) : "").Append(" |\n");
            }
        }
        var failed = trials.Where(t => t.State is TrialState.Failed or TrialState.Pruned && t.Origin != SearchLoop.AuditSkipOrigin).OrderBy(t => t.Number).ToList();
        if (failed.Count > 0)
        {
            sb.Append("\n## Failed and pruned trials\n\n");
            foreach (var t in failed)
                sb.Append("- trial ").Append(t.Number).Append(" (").Append(t.State.ToText()).Append(stages[t.Number].Text is { } at ? ", " + at : "").Append("): ").Append(t.Error).Append('\n');
        }
        var paused = trials.Where(t => stages[t.Number].Paused is not null).ToList();
        if (paused.Count > 0)
        {
            sb.Append("\n## Paused trials\n\n");
            foreach (var t in paused) sb.Append("- trial ").Append(t.Number).Append(": ").Append(stages[t.Number].Paused).Append('\n');
        }
        sb.Append("\nFiles: `state.yaml`, `index.yaml`, `trials/trial_NNNN/summary.yaml`, trial configs in `configs/`.\n");
        return sb.ToString();
    }

    private string Relative(string path) => Path.GetRelativePath(paths.StudyDir, path);

    private static Dictionary<string, object?> ParamsForYaml(IReadOnlyDictionary<string, object> p) =>
        p.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (object?)(kv.Value is List<object> l ? l.Select(x => x).ToList() : kv.Value));

    private static string F(double v) => v.ToString("G5", CultureInfo.InvariantCulture);

    private static string V(object v) => v is double d ? F(d) : ParamValues.Canonical(v);
}

/// <summary>What the projections say about the study's set-up.</summary>
public sealed record StudyDescription
{
    public required string Mode { get; init; }
    public required string Objective { get; init; }
    public required ObjectiveDirection Direction { get; init; }
    public required string SearchMethod { get; init; }
    /// <summary>The search space's id (its file or preset).</summary>
    public required string Space { get; init; }
    public required string Env { get; init; }
    public required string Trainer { get; init; }
    public required long StepsPerTrial { get; init; }
    public required int SeedsPerTrial { get; init; }
    public required int Parallel { get; init; }
    public required int TargetTrials { get; init; }
    public required string AuditPolicy { get; init; }
    public RewardBudgetAudit? Audit { get; init; }
    /// <summary>The reward weights of a configuration, for the audit's verdict on it.</summary>
    public Func<IReadOnlyDictionary<string, object>, IReadOnlyDictionary<string, double>>? RewardScales { get; init; }
    public string Pruner { get; init; } = "none";
    public string Intensify { get; init; } = "off";
    public SelectionRule? Selection { get; init; }
    public SearchSpace? SearchSpace { get; init; }
    /// <summary>The devices the trials run on (empty: none given), and how many trials share one.</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];
    public int TrialsPerDevice { get; init; } = 1;
}
