using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>How an automl run ended: the study, why it stopped, where its files are, and how many of its runs ended how.</summary>
public sealed record AutomlResult(string Study, string StopReason, string StudyDir, string ReportFile, string? BestSummary, double? BestScore)
{
    public TrialCounts Counts { get; init; } = new(0, 0, 0);
}

/// <summary>Trials (eval: evaluation runs) that completed, failed and were pruned; a study with none complete did not succeed.</summary>
public sealed record TrialCounts(int Complete, int Failed, int Pruned, string Noun = "trials")
{
    public static TrialCounts Of(IEnumerable<TrialRecord> trials)
    {
        var list = trials.Where(t => t.Origin != SearchLoop.AuditSkipOrigin).ToList();
        return new(list.Count(t => t.State == TrialState.Complete), list.Count(t => t.State == TrialState.Failed), list.Count(t => t.State == TrialState.Pruned));
    }

    public override string ToString() => $"{Noun}: {Complete} complete, {Failed} failed, {Pruned} pruned";
}

/// <summary>
/// <c>rltune automl</c> and <c>rltune worker</c>: opens the store, creates, resumes or joins the study, and
/// runs its mode (<see cref="HpSearchMode"/>, <see cref="StageMode"/>, <see cref="FullMode"/>,
/// <see cref="EvalMode"/>) in an <see cref="AutomlSession"/>, which keeps the budget and leaves state.yaml,
/// index.yaml, summaries and report.md under the output dir.
/// </summary>
public sealed class AutomlPipeline(StudySettings settings, IStudyObserver observer)
{
    private static readonly JsonSerializerOptions SettingsJson = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>How long a running trial may go without a heartbeat before it counts as abandoned by its worker.</summary>
    public TimeSpan StaleAfter { get; init; } = WorkerId.StaleAfter;

    /// <summary>Whether an abandoned trial runs again (true) or is failed.</summary>
    public bool RequeueStale { get; init; } = true;

    /// <summary>The clock of the budget, trial durations and the pruner (tests give a fake one so that load does not decide what they see).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public async Task<AutomlResult> RunAsync(CancellationToken cancel)
    {
        var (s, output, store) = Open();
        using (store)
        {
            var study = CreateOrResume(store, s, output);
            IAutomlMode mode = s.Mode switch
            {
                StudyMode.HpSearch => new HpSearchMode(),
                StudyMode.Stage => new StageMode(),
                StudyMode.Full => new FullMode(),
                StudyMode.Pbt => new PbtMode(),
                _ => new EvalMode(),
            };
            return await mode.RunAsync(Session(store, s, output, study, cancel), study);
        }
    }

    /// <summary>
    /// <c>rltune worker</c>: joins the existing study's search as one more worker, with the settings
    /// it was created with (its trials' run dirs under this worker's output); the study's own
    /// settings and mode are left as they are.
    /// </summary>
    public async Task<AutomlResult> JoinAsync(CancellationToken cancel)
    {
        var (s, output, store) = Open();
        using (store)
        {
            var study = store.FindStudy(s.StudyName ?? "")
                        ?? throw new UserError($"--study: there is no study '{s.StudyName}' to join; create it with rltune automl --study {s.StudyName}.");
            if (s.Space is not null && !File.Exists(s.Space) && store.GetStudyAttrs(study.Id).GetValueOrDefault(StudyAttributes.SpaceYaml) is { } yaml)
            {
                var local = Path.Combine(new StudyPaths(output, study.Name).StudyDir, "space.yaml");
                Directory.CreateDirectory(Path.GetDirectoryName(local)!);
                File.WriteAllText(local, yaml);
                s = s with { Space = local };
            }
            s = s with { SeedConfigs = s.Mode == StudyMode.Pbt ? s.SeedConfigs : [] }; // a search's are enqueued by the study's creator already; pbt's start members
            IAutomlMode mode = s.Mode == StudyMode.Pbt ? new PbtMode() : new HpSearchMode();
            return await mode.RunAsync(Session(store, s, output, study, cancel), study);
        }
    }

    /// <summary>The set-up automl and worker share: the settings validated, the output dir made and its store opened.</summary>
    private (StudySettings Settings, string Output, IStudyStore Store) Open()
    {
        var s = settings.Validated("settings");
        var output = WritableDirectory.Ensure(s.Output, "--output");
        return (s, output, StoreFactory.Open(s.Storage, output));
    }

    /// <summary>A session on the study, its budget going on from the time the study has already run.</summary>
    private AutomlSession Session(IStudyStore store, StudySettings s, string output, StudyRecord study, CancellationToken cancel)
    {
        var spent = StudyAttributes.Elapsed(store.GetStudyAttrs(study.Id)) ?? 0;
        var budget = new StudyBudget(s.BudgetHours is { } h ? TimeSpan.FromHours(h) : null, TimeSpan.FromSeconds(spent), Clock);
        return new AutomlSession(store, s, s.BuildObjective(), budget, output, observer, StaleAfter, RequeueStale, cancel);
    }

    private static StudyRecord CreateOrResume(IStudyStore store, StudySettings s, string output)
    {
        var name = ResolveStudyName(store, s, output);
        var existing = store.FindStudy(name);
        UserError Exists() => new($"--study: study '{name}' already exists in {output}; add --resume to continue it, or choose another --study name.");
        if (existing is not null && !s.Resume) throw Exists();
        if (existing is null && s.Resume)
            throw new UserError($"--resume: there is no study '{name}' in {output} to resume.");

        var objective = s.BuildObjective();
        Preflight(s);
        // created atomically: of two runs starting one new study at the same instant, the second is refused
        var study = existing ?? store.CreateStudy(name, objective.Direction.ToText(), SerializeSettings(s)) ?? throw Exists();
        store.SetStudyAttr(study.Id, StudyAttributes.Settings, SerializeSettings(s));
        store.SetStudyAttr(study.Id, StudyAttributes.Mode, StudySettings.ModeText(s.Mode));
        if (s.Space is not null && File.Exists(s.Space)) store.SetStudyAttr(study.Id, StudyAttributes.SpaceYaml, File.ReadAllText(s.Space));
        return study;
    }

    private static string ResolveStudyName(IStudyStore store, StudySettings s, string output)
    {
        if (s.StudyName is not null) return s.StudyName;
        if (s.Resume)
            return store.ListStudies().MaxBy(x => x.CreatedAt)?.Name
                   ?? throw new UserError($"--resume: there is no study in {output} to resume.");
        return "automl-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// What every trial would trip over, checked before the study is stored (so the corrected command
    /// is not refused as "already exists"): the space and that it has a feasible point, the
    /// configurations to run first, and for the built-in trainer the env, its overrides and the space's reward terms.
    /// </summary>
    private static void Preflight(StudySettings s)
    {
        var space = AutomlSession.LoadSpace(s);
        new RandomSampler().Suggest(space, [], new SamplerContext(s.Seed, 0));
        foreach (var f in s.SeedConfigs) SeedConfigs.Load(f, space);
        if (s.Mode == StudyMode.Pbt) PbtMode.Check(s, space, s.BuildObjective());
        if (s.TrainerCommand is not null) return;
        try
        {
            Envs.Builtin.EnvRegistry.Create(s.Env, new Envs.EnvOptions(1, AutomlSession.RewardScales(space, space.Defaults()), s.EnvOverrides)).Dispose();
        }
        catch (UserError e) when (e.Message.StartsWith("reward_scales.", StringComparison.Ordinal))
        {
            throw new UserError($"{space.Source}: {e.Message}");
        }
    }

    public static string SerializeSettings(StudySettings s) => JsonSerializer.Serialize(s, SettingsJson);

    /// <summary>The settings a study was last run with (for <c>--resume</c> without a config); null when the study is unknown.</summary>
    public static StudySettings? LoadStoredSettings(string output, string? storage, string? study)
    {
        using var store = StoreFactory.Open(storage, Path.GetFullPath(output));
        var record = study is null ? store.ListStudies().MaxBy(s => s.CreatedAt) : store.FindStudy(study);
        if (record is null) return null;
        var json = store.GetStudyAttrs(record.Id).GetValueOrDefault(StudyAttributes.Settings) ?? record.SettingsJson;
        return ParseSettings(json) is { } s ? s with { StudyName = record.Name } : null;
    }

    /// <summary>Settings as <see cref="SerializeSettings"/> stored them; null when unreadable. A study stored before intensification existed ran without it, one stored before its share existed raced from the start.</summary>
    public static StudySettings? ParseSettings(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            var s = JsonSerializer.Deserialize<StudySettings>(json, SettingsJson);
            if (s is null) return null;
            if (!json.Contains("\"IntensifyShare\"", StringComparison.Ordinal)) s = s with { IntensifyShare = 1 };
            return json.Contains("\"Intensify\"", StringComparison.Ordinal) ? s : s with { Intensify = IntensifyMode.Off };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
