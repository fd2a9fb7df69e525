using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Analysis;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Dashboard;

/// <summary>A study the API was asked about and the store does not hold.</summary>
public sealed class StudyNotFound(string message) : Exception(message);

/// <summary>
/// Builds the API's views from the study store and the run root, with the library's own readers
/// (<see cref="StudyContext"/>, <see cref="BestConfig"/>, <see cref="StudyAnalysis"/>,
/// <see cref="TrialFlags"/>, <see cref="RewardBudgetAudit"/>): the dashboard adds no second way to
/// read a study. Every call reads the store afresh, so studies run by other processes or machines
/// show as they are; only what cannot change is cached (a finished trial's flags, a study's
/// set-up, the importance of one set of complete trials).
/// </summary>
public sealed class StudyReader(IStudyStore store, string output, DashboardOptions options)
{
    /// <summary>The intermediate metrics a trainer's PROGRESS lines carry by name (the protocol's two; any other is asked for by name).</summary>
    public static readonly IReadOnlyList<string> ProtocolCurveMetrics = ["reward", "success"];

    public string Output { get; } = Path.GetFullPath(output);

    /// <summary>The store the views are read from.</summary>
    public IStudyStore Store => store;

    private readonly ConcurrentDictionary<(long Study, string Settings), StudyContext> _contexts = new();
    private readonly ConcurrentDictionary<(long Study, string Settings), RewardBudgetAudit?> _audits = new();
    private readonly ConcurrentDictionary<(long Study, int Trial, DateTimeOffset? Ended), IReadOnlyList<FlagView>> _flags = new();
    private readonly ConcurrentDictionary<(long Study, string Complete), ImportanceView> _importance = new();
    private readonly ConcurrentDictionary<(long Study, string Metric), bool> _reportedMetrics = new();

    public IReadOnlyList<StudySummaryView> Studies() =>
        store.ListStudies().OrderByDescending(s => s.CreatedAt).Select(s => Summary(Load(s))).ToList();

    public StudyDetailView Detail(string name)
    {
        var s = Load(Find(name));
        var best = s.Best;
        var attrs = s.Attrs;
        var settings = s.Context.Settings;
        var pruningMetric = settings?.PruningMetric;
        // a metric once reported stays reported, so each is looked for only until it is found
        var curveMetrics = ProtocolCurveMetrics.Concat(pruningMetric is null ? [] : [pruningMetric]).Distinct()
            .Where(m => _reportedMetrics.ContainsKey((s.Record.Id, m)) || (store.GetIntermediateMetrics(s.Record.Id, m).Count > 0 && _reportedMetrics.TryAdd((s.Record.Id, m), true))).ToList();
        return new StudyDetailView(
            Summary(s),
            s.Context.EnvName,
            settings?.ObjectiveMetric ?? (settings is null ? null : "navigation1"),
            settings?.SearchMethod,
            settings?.SeedsPerTrial,
            best?.How,
            best is null ? null : ParamsJson(best.Trial.Params),
            attrs.GetValueOrDefault(StudyAttributes.AuditDefaults),
            attrs.GetValueOrDefault(StudyAttributes.FinalStatus),
            s.Context.Space?.Params.Select(ParamOf).ToList() ?? [],
            TrialNotes.DeviceTrials(s.Trials.Select(t => t.Number), attrs),
            curveMetrics.Count > 0 ? curveMetrics : ProtocolCurveMetrics,
            options.AllowActions,
            options.PollInterval.TotalSeconds);
    }

    public IReadOnlyList<TrialView> Trials(string name, string? state)
    {
        var s = Load(Find(name));
        var only = StateFilter(state);
        var steps = LatestSteps(s);
        return s.Trials.Where(t => only is null || t.State == only).Select(t => TrialOf(s, t, steps)).ToList();
    }

    // A running trial's progress: the latest env step of its trainer's PROGRESS lines (whichever protocol metric it reports).
    private Dictionary<int, long> LatestSteps(Snapshot s)
    {
        var steps = new Dictionary<int, long>();
        if (!s.Trials.Any(t => t.State == TrialState.Running)) return steps;
        foreach (var metric in ProtocolCurveMetrics)
            foreach (var v in store.GetIntermediateMetrics(s.Record.Id, metric))
                steps[v.Number] = Math.Max(steps.GetValueOrDefault(v.Number), v.Step);
        return steps;
    }

    public TrialDetailView Trial(string name, int number)
    {
        var s = Load(Find(name));
        var t = s.Trials.FirstOrDefault(x => x.Number == number) ?? throw new StudyNotFound($"study {name} has no trial {number} (it has {s.Trials.Count}).");
        var paths = new StudyPaths(Output, s.Record.Name);
        var studyDir = StudyFiles.StudyDir(Output, s.Record.Name);
        var seeds = t.SeedRuns.Select(r =>
        {
            var dir = r.RunDir is null ? null : Path.GetFullPath(Path.IsPathRooted(r.RunDir) ? r.RunDir : Path.Combine(studyDir, r.RunDir));
            var served = dir is not null && StudyFiles.Relative(studyDir, dir) is not null;
            var config = StudyFiles.Relative(studyDir, paths.ConfigFile(t.Number, r.Seed));
            return new SeedRunView(r.Seed, Finite(r.Score), r.Metrics, r.Error, served ? StudyFiles.Relative(studyDir, dir!) : r.RunDir, served,
                config is not null && File.Exists(paths.ConfigFile(t.Number, r.Seed)) ? config : null);
        }).ToList();
        var configPath = paths.ConfigFile(t.Number, t.SeedRuns.FirstOrDefault()?.Seed ?? t.Seed);
        JsonNode? config = null;
        if (File.Exists(configPath))
        {
            try
            {
                config = JsonNode.Parse(File.ReadAllText(configPath));
            }
            catch (System.Text.Json.JsonException)
            {
                // a config a trainer rewrote badly is shown as missing; the file itself is still listed
            }
        }
        return new TrialDetailView(
            TrialOf(s, t, LatestSteps(s)),
            t.Metrics,
            seeds,
            config,
            config is null ? null : StudyFiles.Relative(studyDir, configPath),
            t.Intermediate.Select(p => new[] { p.Step, p.Value }).ToList(),
            TrialNotes.GetMetricNotes(s.Attrs, t.Number),
            AuditOf(s, t),
            StudyFiles.List(studyDir, [paths.TrialDir(t.Number), .. seeds.Where(r => r.RunDirServed).Select(r => Path.Combine(studyDir, r.RunDir!))]));
    }

    public CurveSetView Curves(string name, string? metric, string? state)
    {
        var s = Load(Find(name));
        var which = string.IsNullOrWhiteSpace(metric) ? ProtocolCurveMetrics[0] : metric.Trim();
        var states = s.Trials.ToDictionary(t => t.Number, t => t.State);
        var only = StateFilter(state);
        var curves = store.GetIntermediateMetrics(s.Record.Id, which)
            .GroupBy(v => (v.Number, v.Seed))
            .Where(g => only is null || states.GetValueOrDefault(g.Key.Number) == only)
            .Select(g => new CurveView(g.Key.Number, g.Key.Seed, states.TryGetValue(g.Key.Number, out var st) ? st.ToText() : "unknown",
                g.Select(v => new[] { v.Step, v.Value }).ToList()))
            .ToList();
        return new CurveSetView(which, curves);
    }

    public ImportanceView Importance(string name)
    {
        var s = Load(Find(name));
        var complete = s.Trials.Where(t => t.State == TrialState.Complete).ToList();
        // the forest is refitted only when the set of complete trials changed
        var key = string.Join(",", complete.Select(t => t.Number.ToString(CultureInfo.InvariantCulture)));
        return _importance.GetOrAdd((s.Record.Id, key), _ =>
        {
            var metric = MetricChoice.Resolve(null, null, s.Record.Direction);
            var a = StudyAnalysis.Analyze(s.Record.Name, s.Trials, metric, s.Context.Space, top: 0, selection: s.Context.Selection);
            var parameters = a.Ranking.Select(p => new ImportanceParamView(p.Parameter, p.Importance, p.ImportanceStd, SectionText(p.Section), p.Category)).ToList();
            var categories = parameters.GroupBy(p => p.Category ?? p.Section ?? "uncategorized")
                .Select(g => new ImportanceCategoryView(g.Key, g.Sum(p => p.Importance))).OrderByDescending(c => c.Importance).ToList();
            return new ImportanceView(metric.Name, a.UsedTrials, a.ImportanceNote, a.ImportanceCaution, parameters, categories);
        });
    }

    public AuditView Audit(string name)
    {
        var s = Load(Find(name));
        var audit = AuditFor(s);
        var atDefaults = s.Attrs.GetValueOrDefault(StudyAttributes.AuditDefaults);
        var policy = s.Context.Settings?.Audit.ToString().ToLowerInvariant();
        if (audit is null)
            return new AuditView(false, $"env {s.Context.EnvName} is not built in, so its reward terms' bounds are unknown", atDefaults, policy, []);
        if (s.Context.Space is null)
            return new AuditView(false, "the study's search space could not be loaded, so trial parameters cannot be split into reward weights", atDefaults, policy, []);
        return new AuditView(true, null, atDefaults, policy, s.Trials.Select(t => AuditOf(s, t)!).ToList());
    }

    private static TrialState? StateFilter(string? state)
    {
        if (string.IsNullOrEmpty(state)) return null;
        try
        {
            return TrialStateNames.Parse(state);
        }
        catch (FormatException e)
        {
            throw new UserError($"state: {e.Message}.");
        }
    }

    /// <summary>The store's record of a study; <see cref="StudyNotFound"/> naming the studies there.</summary>
    public StudyRecord Find(string name) =>
        store.FindStudy(name) ?? throw new StudyNotFound($"there is no study '{name}' in this store; " +
                                                         (store.ListStudies() is { Count: > 0 } all ? "its studies are " + string.Join(", ", all.Select(x => x.Name).Order(StringComparer.Ordinal)) : "it holds no study yet") + ".");

    /// <summary>One read of a study: its trials and attributes now, its set-up from the cache.</summary>
    internal sealed record Snapshot(StudyRecord Record, StudyContext Context, IReadOnlyList<TrialRecord> Trials, IReadOnlyDictionary<string, string> Attrs)
    {
        public BestConfig? Best { get; } = BestConfig.Choose(Trials, Context.Selection, Context.Space);
    }

    internal Snapshot Load(StudyRecord record)
    {
        var attrs = store.GetStudyAttrs(record.Id);
        var settingsKey = attrs.GetValueOrDefault(StudyAttributes.Settings) ?? record.SettingsJson;
        var context = _contexts.GetOrAdd((record.Id, settingsKey), _ => StudyContext.Load(store, record, Output));
        var trials = store.GetTrials(record.Id);
        return new Snapshot(record, context with { Trials = trials }, trials, attrs);
    }

    private StudySummaryView Summary(Snapshot s)
    {
        var counted = s.Trials.Where(t => t.Origin != SearchLoop.AuditSkipOrigin).ToList();
        var elapsed = StudyAttributes.Elapsed(s.Attrs);
        var budget = s.Context.Settings?.BudgetHours * 3600;
        var aggregate = s.Best?.Config.Aggregate;
        return new StudySummaryView(
            s.Record.Name,
            s.Record.Direction,
            s.Attrs.GetValueOrDefault(StudyAttributes.Mode),
            s.Attrs.GetValueOrDefault(StudyAttributes.Status),
            s.Attrs.GetValueOrDefault(StudyAttributes.StopReason),
            counted.Count,
            counted.Count(t => t.State.IsFinished()),
            s.Context.Settings?.HpTrials,
            counted.Count(t => t.State == TrialState.Complete),
            counted.Count(t => t.State == TrialState.Running),
            counted.Count(t => t.State == TrialState.Waiting),
            counted.Count(t => t.State == TrialState.Failed),
            counted.Count(t => t.State == TrialState.Pruned),
            s.Best?.Trial.Number,
            Finite(aggregate?.Mean),
            aggregate is { Count: > 1 } ? Finite(aggregate.Value.Std) : null,
            s.Best?.Config.Seeds,
            s.Record.CreatedAt,
            elapsed,
            budget,
            budget is { } b ? Math.Max(0, b - (elapsed ?? 0)) : null);
    }

    private TrialView TrialOf(Snapshot s, TrialRecord t, IReadOnlyDictionary<int, long> latestSteps)
    {
        var now = DateTimeOffset.UtcNow;
        double? duration = t.StartedAt is { } start ? ((t.EndedAt ?? (t.State == TrialState.Running ? now : start)) - start).TotalSeconds : null;
        return new TrialView(
            t.Number,
            t.State.ToText(),
            t.Origin,
            ParamsJson(t.Params),
            Finite(t.Score),
            Finite(t.ScoreStd),
            t.SeedRuns.Where(r => r.Error is null).Select(r => r.Seed).ToList(),
            TrialNotes.Get(s.Attrs, t.Number, TrialNotes.Device),
            t.StartedAt,
            t.EndedAt,
            duration,
            t.WorkerId,
            t.State == TrialState.Running && t.Heartbeat is { } h ? Math.Max(0, (now - h).TotalSeconds) : null,
            latestSteps.TryGetValue(t.Number, out var step) ? step : t.Intermediate.Count > 0 ? t.Intermediate[^1].Step : null,
            FlagsOf(s, t),
            t.Error,
            StageOf(TrialStage.Of(t, s.Attrs)));
    }

    private static StageView? StageOf(TrialStage stage) => stage.IsEmpty ? null : new StageView(
        stage.Text, stage.Pbt?.Member, stage.Pbt?.Generation, stage.Pbt is { Copied: true } p ? p.ParentMember : null,
        stage.Rung is { } r ? r.Rung + 1 : null, stage.Rung?.Ladder.Count, stage.Rung?.Steps, stage.Rung?.Bracket, stage.Paused);

    // A finished trial's curves no longer change, so its flags are read from its event files once.
    private IReadOnlyList<FlagView> FlagsOf(Snapshot s, TrialRecord t)
    {
        if (t.State is not (TrialState.Complete or TrialState.Pruned)) return [];
        return _flags.GetOrAdd((s.Record.Id, t.Number, t.EndedAt), _ =>
            TrialFlags.Of(t.Number, StudyReport.ReadLogs(t, StudyFiles.StudyDir(Output, s.Record.Name)), s.Context.EpisodeLimit)
                .Flags.Select(f => new FlagView(f.Flag.Kind, f.Seed, f.Flag.Evidence)).ToList());
    }

    private RewardBudgetAudit? AuditFor(Snapshot s) =>
        _audits.GetOrAdd((s.Record.Id, s.Attrs.GetValueOrDefault(StudyAttributes.Settings) ?? s.Record.SettingsJson), _ =>
        {
            var settings = s.Context.Settings;
            try
            {
                return RewardBudgetAudit.ForEnv(s.Context.EnvName, settings?.EnvOverrides.DeepClone().AsObject(), settings?.AuditEpisodeLength);
            }
            catch (UserError)
            {
                return RewardBudgetAudit.ForEnv(s.Context.EnvName, null, settings?.AuditEpisodeLength); // overrides the env no longer takes
            }
        });

    private AuditTrialView? AuditOf(Snapshot s, TrialRecord t)
    {
        if (AuditFor(s) is not { } audit || s.Context.Space is not { } space) return null;
        var (_, reward) = space.ToTrialSections(t.Params);
        var scales = reward.Where(kv => ParamValues.AsDouble(kv.Value) is not null).ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value)!.Value, StringComparer.Ordinal);
        var f = audit.Check(scales);
        return new AuditTrialView(t.Number, f.Passed, f.Arrival, f.PerStepPerEpisode, f.EpisodeLength, f.Message);
    }

    private static ParamView ParamOf(ParamSpec p) => new(
        p.Name,
        p.Kind.ToString().ToLowerInvariant(),
        SectionText(p.Section)!,
        p.Category,
        p.IsIndexed ? null : p.Low,
        p.IsIndexed ? null : p.High,
        p.Log,
        p.IsIndexed ? p.Values.Select(ParamValues.ToJson).ToList() : null);

    private static string? SectionText(ParamSection? section) => section switch
    {
        ParamSection.PpoParams => "ppo_params",
        ParamSection.RewardWeights => "reward_weights",
        _ => null,
    };

    internal static JsonObject ParamsJson(IReadOnlyDictionary<string, object> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = ParamValues.ToJson(v);
        return o;
    }

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
}
