using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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

/// <summary>The outcome of a full training of one configuration (a stage's final run).</summary>
public sealed record FinalTraining(double? Score, IReadOnlyDictionary<string, double> Metrics, string? Checkpoint, string RunDir, string? Failure);

/// <summary>
/// <c>rltune automl</c>: the search (hp-search), the search plus full training of the best
/// configuration (stage), the curriculum of stages with warm starts (full), or the evaluation of a
/// configuration or checkpoint (eval). Opens the store, resumes what was interrupted, keeps the
/// budget, and leaves state.yaml, index.yaml, summaries and report.md under the output dir.
/// </summary>
public sealed class AutomlPipeline(StudySettings settings, IStudyObserver observer)
{
    private static readonly JsonSerializerOptions SettingsJson = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly string _workerId = WorkerId.New();

    /// <summary>How long a running trial may go without a heartbeat before it counts as abandoned by its worker.</summary>
    public TimeSpan StaleAfter { get; init; } = WorkerId.StaleAfter;

    /// <summary>Whether an abandoned trial runs again (true) or is failed.</summary>
    public bool RequeueStale { get; init; } = true;

    /// <summary>Study attribute holding the search space's YAML, so workers on other machines need not have the file.</summary>
    public const string SpaceYamlAttr = "space_yaml";

    /// <summary>
    /// <c>rltune worker</c>: joins the existing study's search as one more worker, with the settings
    /// it was created with (its trials' run dirs under this worker's output); the study's own
    /// settings and mode are left as they are.
    /// </summary>
    public async Task<AutomlResult> JoinAsync(CancellationToken cancel)
    {
        var s = settings.Validated("settings");
        var output = WritableDirectory.Ensure(s.Output, "--output");
        using var store = StoreFactory.Open(s.Storage, output);
        var study = store.FindStudy(s.StudyName ?? "")
                    ?? throw new UserError($"--study: there is no study '{s.StudyName}' to join; create it with rltune automl --study {s.StudyName}.");
        var attrs = store.GetStudyAttrs(study.Id);
        if (s.Space is not null && !File.Exists(s.Space) && attrs.GetValueOrDefault(SpaceYamlAttr) is { } yaml)
        {
            var local = Path.Combine(new StudyPaths(output, study.Name).StudyDir, "space.yaml");
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            File.WriteAllText(local, yaml);
            s = s with { Space = local };
        }
        s = s with { SeedConfigs = [] }; // enqueued by the study's creator already
        var objective = s.BuildObjective();
        var spent = double.TryParse(attrs.GetValueOrDefault("elapsed_seconds"), NumberStyles.Float, CultureInfo.InvariantCulture, out var sec) ? sec : 0;
        var budget = new StudyBudget(s.BudgetHours is { } h ? TimeSpan.FromHours(h) : null, TimeSpan.FromSeconds(spent));
        var ctx = new Context(store, s, objective, budget, output, cancel);
        var (reason, projections, _) = await Search(ctx, study, s.EnvOverrides, s.Checkpoint, s.HpTrials, reserveSteps: 0);
        return Result(ctx, study, projections, reason);
    }

    public static string SerializeSettings(StudySettings s) => JsonSerializer.Serialize(s, SettingsJson);

    /// <summary>The settings a study was last run with (for <c>--resume</c> without a config); null when the study is unknown.</summary>
    public static StudySettings? LoadStoredSettings(string output, string? storage, string? study)
    {
        using var store = StoreFactory.Open(storage, Path.GetFullPath(output));
        var record = study is null ? store.ListStudies().MaxBy(s => s.CreatedAt) : store.FindStudy(study);
        if (record is null) return null;
        var json = store.GetStudyAttrs(record.Id).GetValueOrDefault("settings") ?? record.SettingsJson;
        return ParseSettings(json) is { } s ? s with { StudyName = record.Name } : null;
    }

    /// <summary>Settings as <see cref="SerializeSettings"/> stored them; null when unreadable. A study stored before intensification existed ran without it.</summary>
    public static StudySettings? ParseSettings(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            var s = JsonSerializer.Deserialize<StudySettings>(json, SettingsJson);
            return s is null ? null : json.Contains("\"Intensify\"", StringComparison.Ordinal) ? s : s with { Intensify = IntensifyMode.Off };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task<AutomlResult> RunAsync(CancellationToken cancel)
    {
        var s = settings.Validated("settings");
        var output = WritableDirectory.Ensure(s.Output, "--output");
        using var store = StoreFactory.Open(s.Storage, output);
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
        store.SetStudyAttr(study.Id, "settings", SerializeSettings(s));
        store.SetStudyAttr(study.Id, "mode", StudySettings.ModeText(s.Mode));
        if (s.Space is not null && File.Exists(s.Space)) store.SetStudyAttr(study.Id, SpaceYamlAttr, File.ReadAllText(s.Space));
        var spent = double.TryParse(store.GetStudyAttrs(study.Id).GetValueOrDefault("elapsed_seconds"), NumberStyles.Float, CultureInfo.InvariantCulture, out var sec) ? sec : 0;
        var budget = new StudyBudget(s.BudgetHours is { } h ? TimeSpan.FromHours(h) : null, TimeSpan.FromSeconds(spent));
        var ctx = new Context(store, s, objective, budget, output, cancel);

        return s.Mode switch
        {
            StudyMode.HpSearch => await SearchOnly(ctx, study),
            StudyMode.Stage => await StageMode(ctx, study),
            StudyMode.Full => await Curriculum(ctx, study),
            _ => await Evaluate(ctx, study),
        };
    }

    private sealed record Context(IStudyStore Store, StudySettings Settings, Objective Objective, StudyBudget Budget, string Output, CancellationToken Cancel);

    private static string ResolveStudyName(IStudyStore store, StudySettings s, string output)
    {
        if (s.StudyName is not null) return s.StudyName;
        if (s.Resume)
            return store.ListStudies().MaxBy(x => x.CreatedAt)?.Name
                   ?? throw new UserError($"--resume: there is no study in {output} to resume.");
        return "automl-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    }

    // ---------------------------------------------------------------- hp-search

    private async Task<AutomlResult> SearchOnly(Context c, StudyRecord study)
    {
        var (reason, projections, _) = await Search(c, study, c.Settings.EnvOverrides, c.Settings.Checkpoint, c.Settings.HpTrials, reserveSteps: 0);
        return Result(c, study, projections, reason);
    }

    private AutomlResult Result(Context c, StudyRecord study, StudyProjections projections, string reason)
    {
        var best = projections.Best(c.Store.GetTrials(study.Id));
        observer.SearchStopped(c.Store, study, c.Output);
        return new AutomlResult(study.Name, reason, projections.Paths.StudyDir, projections.Paths.ReportFile,
            best is null ? null : projections.Paths.TrialSummaryFile(best.Trial.Number), best?.Config.Aggregate?.Mean) { Counts = TrialCounts.Of(c.Store.GetTrials(study.Id)) };
    }

    /// <summary>
    /// What every trial would trip over, checked before the study is stored (so the corrected command
    /// is not refused as "already exists"): the space and that it has a feasible point, the
    /// configurations to run first, and for the built-in trainer the env, its overrides and the space's reward terms.
    /// </summary>
    private void Preflight(StudySettings s)
    {
        var space = LoadSpace(s);
        new RandomSampler().Suggest(space, [], new SamplerContext(s.Seed, 0));
        foreach (var f in s.SeedConfigs) SeedConfigs.Load(f, space);
        if (s.TrainerCommand is not null) return;
        var scales = space.ToTrialSections(space.Defaults()).RewardScales
            .Where(kv => ParamValues.AsDouble(kv.Value) is not null).ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value)!.Value, StringComparer.Ordinal);
        try
        {
            Envs.EnvRegistry.Create(s.Env, new Envs.EnvOptions(1, scales, s.EnvOverrides)).Dispose();
        }
        catch (UserError e) when (e.Message.StartsWith("reward_scales.", StringComparison.Ordinal))
        {
            throw new UserError($"{space.Source}: {e.Message}");
        }
    }

    private SearchSpace LoadSpace(StudySettings s) =>
        s.Space is not null ? SearchSpace.Load(s.Space) : Presets.Resolve(s.Preset ?? s.DefaultPreset);

    private (TrainerCommand Command, string Text) Trainer(StudySettings s)
    {
        if (s.TrainerCommand is not null) return (new TrainerCommand(s.TrainerCommand), s.TrainerCommand);
        // The built-in trainer runs the built-in envs only: say so before any trial starts.
        Envs.EnvRegistry.Create(s.Env, new Envs.EnvOptions(1, null, s.EnvOverrides)).Dispose();
        var builtIn = TrainerCommand.BuiltIn(Threads(s));
        return (builtIn, "rltune train-one (built-in)");
    }

    private static TrialRunner Runner(StudySettings s, TrainerCommand command) => new(command) { MetricMap = s.MetricMap };

    private static int Threads(StudySettings s) => s.ThreadsPerTrial ?? Math.Max(1, Environment.ProcessorCount / s.EffectiveParallel);

    private Dictionary<string, string> ChildEnvironment(StudySettings s)
    {
        var threads = Threads(s);
        if (s.EffectiveParallel * threads > Environment.ProcessorCount)
            observer.Note($"{s.EffectiveParallel} parallel trials x {threads} threads exceed the {Environment.ProcessorCount} cores; trials will slow each other down");
        var t = threads.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string> { ["RLTUNE_THREADS"] = t, ["OMP_NUM_THREADS"] = t, ["OPENBLAS_NUM_THREADS"] = t, ["MKL_NUM_THREADS"] = t };
    }

    private async Task<(string Reason, StudyProjections Projections, SearchLoop Loop)> Search(
        Context c, StudyRecord study, JsonObject envOverrides, string? checkpoint, int targetTrials, long reserveSteps)
    {
        var s = c.Settings;
        var space = LoadSpace(s);
        var (command, trainerText) = Trainer(s);
        var paths = new StudyPaths(c.Output, study.Name);
        var template = new TrialTemplate(s.Env, s.StepsPerTrial, Enumerable.Range(s.Seed, s.SeedsPerTrial).ToList(), s.NumEnvs,
            envOverrides, checkpoint, s.FreezePreprocessor, new Dictionary<string, object>());
        var audit = s.Audit == AuditPolicy.Off ? null : RewardBudgetAudit.ForEnv(s.Env, envOverrides, s.AuditEpisodeLength);
        Dictionary<string, double> Rewards(IReadOnlyDictionary<string, object> p) =>
            space.ToTrialSections(p).RewardScales.Where(kv => ParamValues.AsDouble(kv.Value) is not null)
                .ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value)!.Value, StringComparer.Ordinal);
        var auditNote = s.Audit == AuditPolicy.Off ? "off" : $"not available: env '{s.Env}' is not built in, so its reward terms are unknown";
        if (audit is not null && s.TrainerCommand is not null
            && !space.Params.Any(p => p.Section == ParamSection.RewardWeights && audit.Terms.Any(t => t.Name == p.Name)))
        {
            // An external trainer whose space weights none of the env's terms is not training that env's reward.
            audit = null;
            auditNote = $"not applicable: the search space sets none of {s.Env}'s reward terms";
        }
        if (audit is not null)
        {
            var finding = audit.Check(Rewards(space.Defaults()));
            c.Store.SetStudyAttr(study.Id, "audit_defaults", (finding.Passed ? "passed at the space's defaults: " : "FAILED at the space's defaults: ") + finding.Message);
            if (!finding.Passed) observer.Note("reward-budget audit: " + finding.Message);
        }
        else c.Store.SetStudyAttr(study.Id, "audit_defaults", auditNote);

        var description = new StudyDescription(StudySettings.ModeText(s.Mode), c.Objective.Describe(), c.Objective.Direction, s.SearchMethod, space.Id, s.Env,
            trainerText, s.StepsPerTrial, s.SeedsPerTrial, s.EffectiveParallel, targetTrials, s.Audit.ToString().ToLowerInvariant(), audit, p => Rewards(p),
            s.BuildPrunerSettings()?.Describe() ?? "none", IntensifyText(s), SelectionRule.Of(s, c.Objective.Direction), space)
            { Devices = s.Devices, TrialsPerDevice = s.TrialsPerDevice };
        var projections = new StudyProjections(c.Store, study, paths, description, c.Budget);
        var runner = Runner(s, command);
        var timeout = new TrialTimeout(TimeSpan.FromSeconds(s.TimeoutStartupSeconds), s.TimeoutMinStepsPerSecond);
        var pruner = s.BuildPrunerSettings() is { } ps ? new MedianPruner(c.Store, study.Id, ps, observer.Note) : null;
        if (pruner?.Settings.Metric == "reward" && space.Params.Any(p => p.Section == ParamSection.RewardWeights))
            observer.Note("pruner: the training reward of trials with different reward weights is not comparable (bench/automl_pruning.py saw it prune the best trial); success is");
        var executor = new TrialExecutor(c.Store, study, space, paths, runner, c.Objective, s.RankBy, timeout, _workerId, observer, ChildEnvironment(s), pruner);
        var sampler = Samplers.Create(s.SearchMethod, s.GridPoints, warmupTrials: s.EffectiveWarmupTrials);
        var enqueued = s.SeedConfigs.SelectMany(f => SeedConfigs.Load(f, space)).ToList();
        var round = new SearchRound(c.Store, study, space, sampler, executor, template, c.Budget, projections, observer, _workerId, s.Seed,
            targetTrials, s.EffectiveParallel, enqueued, audit, s.Audit, reserveSteps, StaleAfter, RequeueStale,
            Intensification.For(s, c.Objective.Direction), SelectionRule.Of(s, c.Objective.Direction), s.FailFastTrials, s.Devices);
        observer.StudyStarted(study.Name, $"{description.Mode}: {s.SearchMethod} search of {space.Id} ({space.Params.Count} parameters) on {s.Env}, {description.Objective}", targetTrials, c.Budget);
        var loop = new SearchLoop(round);
        string reason;
        try
        {
            reason = await loop.RunAsync(c.Cancel);
        }
        catch (UserError e)
        {
            projections.Refresh("stopped", e.Message); // not left "running"
            throw;
        }
        return (reason, projections, loop);
    }

    private static string IntensifyText(StudySettings s) => s.IntensifyActive
        ? string.Create(CultureInfo.InvariantCulture, $"{(s.Intensify == IntensifyMode.Auto ? "auto (on while the objective depends on the seed)" : "on")}, up to {s.MaxSeedsPerConfig} seeds per configuration, best chosen among those with {s.EffectiveMinSeedsForBest} or more")
        : $"off, best chosen among configurations with {s.EffectiveMinSeedsForBest} or more seed(s)";

    // ---------------------------------------------------------------- stage

    private async Task<AutomlResult> StageMode(Context c, StudyRecord study)
    {
        var (reason, projections, loop) = await Search(c, study, c.Settings.EnvOverrides, c.Settings.Checkpoint, c.Settings.HpTrials, c.Settings.FullTrainSteps);
        if (c.Cancel.IsCancellationRequested) return Result(c, study, projections, reason);
        var final = await FinalTrain(c, study, projections, loop, c.Settings.EnvOverrides, c.Settings.Checkpoint);
        var stop = final is null ? reason : reason + "; " + FinalText(final);
        projections.Refresh("stopped", stop);
        return Result(c, study, projections, stop);
    }

    private static string FinalText(FinalTraining f) => f.Failure is not null
        ? $"full training failed: {f.Failure}"
        : $"full training done (score {f.Score?.ToString("G4", CultureInfo.InvariantCulture)}, checkpoint {f.Checkpoint ?? "none found"})";

    // a NaN or infinite metric is kept as "NaN"/"Infinity", never stored as a number it was not
    private static readonly JsonSerializerOptions FinalMetricsJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Trains the study's best configuration for full_train_steps, evaluates it and exports its checkpoint.</summary>
    private async Task<FinalTraining?> FinalTrain(Context c, StudyRecord study, StudyProjections projections, SearchLoop loop, JsonObject envOverrides, string? warmStart)
    {
        var s = c.Settings;
        var best = projections.Best(c.Store.GetTrials(study.Id))?.Trial;
        if (best is null)
        {
            c.Store.SetStudyAttr(study.Id, "final_status", "not run: no trial completed");
            return null;
        }
        if (loop.SecondsPerStep() is { } perStep && !c.Budget.Fits(perStep * s.FullTrainSteps))
        {
            c.Store.SetStudyAttr(study.Id, "final_status", $"not run: the budget has {c.Budget.Remaining?.TotalMinutes:F1} min left, full training takes about {(perStep * s.FullTrainSteps).TotalMinutes:F1} min");
            return null;
        }
        var paths = projections.Paths;
        var (command, _) = Trainer(s);
        var template = new TrialTemplate(s.Env, s.FullTrainSteps, [s.Seed], s.NumEnvs, envOverrides, warmStart, s.FreezePreprocessor, new Dictionary<string, object>());
        var space = LoadSpace(s);
        var runDir = paths.FinalDir;
        TrialRunner.KillOrphan(runDir);
        if (Directory.Exists(runDir)) Directory.Delete(runDir, true);
        var config = TrialConfigs.Build(space, best.Params, template, s.Seed, study.Name, best.Number, $"{study.Name}_final", runDir);
        var configPath = Path.Combine(paths.ConfigsDir, "final.json");
        config.Save(configPath);
        c.Store.SetStudyAttr(study.Id, "final_status", $"running: trial {best.Number}'s configuration for {s.FullTrainSteps} steps");
        projections.Refresh("running", null);
        observer.Note($"full training of trial {best.Number}'s configuration for {s.FullTrainSteps} steps in {runDir}");
        using var deadline = c.Budget.DeadlineSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, c.Cancel);
        var timeout = new TrialTimeout(TimeSpan.FromSeconds(s.TimeoutStartupSeconds), s.TimeoutMinStepsPerSecond);
        var result = await Runner(s, command).RunAsync(
            new TrialRunRequest(configPath, runDir, runDir, best.Number, s.Seed, timeout.For(s.FullTrainSteps), ChildEnvironment(s), TerminationWeights.Of(config), s.Devices.FirstOrDefault()),
            p => observer.TrialProgress(-1, s.Seed, p), linked.Token);
        FinalTraining final;
        if (!result.Succeeded)
            final = new FinalTraining(null, result.Metrics?.Values ?? new Dictionary<string, double>(), null, result.RunDir, result.Failure);
        else
        {
            var score = c.Objective.Score(result.Metrics!);
            var checkpoint = ExportCheckpoint(result.RunDir, paths.StudyDir);
            final = new FinalTraining(score.Score, result.Metrics!.Values, checkpoint, result.RunDir, score.Failure);
        }
        c.Store.SetStudyAttr(study.Id, "final_status", final.Failure is null ? "done" : "failed: " + final.Failure);
        if (final.Score is { } sc) c.Store.SetStudyAttr(study.Id, "final_score", sc.ToString("R", CultureInfo.InvariantCulture));
        if (final.Checkpoint is not null) c.Store.SetStudyAttr(study.Id, "final_checkpoint", final.Checkpoint);
        c.Store.SetStudyAttr(study.Id, "final_run_dir", final.RunDir);
        c.Store.SetStudyAttr(study.Id, "final_metrics", JsonSerializer.Serialize(final.Metrics.OrderBy(kv => kv.Key).ToDictionary(), FinalMetricsJson));
        return final;
    }

    /// <summary>
    /// Copies the trained checkpoint of a run dir to <c>&lt;study&gt;/best_checkpoint...</c>: the final
    /// checkpoint when there is one, else the best, else the newest (skrl keeps them in checkpoints/).
    /// </summary>
    public static string? ExportCheckpoint(string runDir, string studyDir)
    {
        if (!Directory.Exists(runDir)) return null;
        var files = Directory.EnumerateFiles(runDir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetDirectoryName(f)!.Split(Path.DirectorySeparatorChar).Contains("checkpoints") || Path.GetFileName(f).Contains("checkpoint", StringComparison.OrdinalIgnoreCase))
            .Where(f => !Path.GetFileName(f).StartsWith(".", StringComparison.Ordinal))
            .ToList();
        if (files.Count == 0) return null;
        var chosen = files.FirstOrDefault(f => Path.GetFileName(f).Contains("final", StringComparison.OrdinalIgnoreCase))
                     ?? files.FirstOrDefault(f => Path.GetFileName(f).Contains("best", StringComparison.OrdinalIgnoreCase))
                     ?? files.MaxBy(File.GetLastWriteTimeUtc)!;
        var target = Path.Combine(studyDir, "best_checkpoint" + Path.GetExtension(chosen));
        File.Copy(chosen, target + ".tmp", overwrite: true);
        File.Move(target + ".tmp", target, overwrite: true);
        return target;
    }

    // ---------------------------------------------------------------- full (curriculum)

    private async Task<AutomlResult> Curriculum(Context c, StudyRecord parent)
    {
        var s = c.Settings;
        var paths = new StudyPaths(c.Output, parent.Name);
        var warmStart = s.Checkpoint;
        string reason = "curriculum finished: every stage promoted";
        StudyProjections? last = null;
        var parentProjections = new StudyProjections(c.Store, parent, paths,
            new StudyDescription("full", c.Objective.Describe(), c.Objective.Direction, s.SearchMethod, s.Space ?? s.Preset ?? s.DefaultPreset, s.Env,
                s.TrainerCommand ?? "rltune train-one (built-in)", s.StepsPerTrial, s.SeedsPerTrial, s.EffectiveParallel, s.HpTrials, s.Audit.ToString().ToLowerInvariant(), null, null),
            c.Budget);
        for (var i = 0; i < s.Stages.Count; i++)
        {
            var stage = s.Stages[i];
            var key = $"stage_{i + 1}";
            var attrs = c.Store.GetStudyAttrs(parent.Id);
            if (attrs.GetValueOrDefault(key + "_status") == "promoted")
            {
                warmStart = attrs.GetValueOrDefault(key + "_checkpoint") ?? warmStart;
                continue; // done before a resume
            }
            var overrides = (JsonObject)s.EnvOverrides.DeepClone();
            foreach (var (k, v) in stage.EnvOverrides) overrides[k] = v?.DeepClone();
            var stageName = $"{parent.Name}-stage{i + 1}-{stage.Name}";
            var stageStudy = c.Store.FindStudy(stageName) ?? c.Store.CreateOrOpenStudy(stageName, c.Objective.Direction.ToText(), SerializeSettings(s));
            var promoted = false;
            for (var attempt = 1; attempt <= s.StageAttempts && !promoted; attempt++)
            {
                c.Store.SetStudyAttr(parent.Id, key, $"{stage.Name}: attempt {attempt}, searching (study {stageName})");
                parentProjections.Refresh("running", null);
                var (stageReason, projections, loop) = await Search(c, stageStudy, overrides, warmStart, s.HpTrials * attempt, s.FullTrainSteps);
                last = projections;
                if (c.Cancel.IsCancellationRequested) return Result(c, stageStudy, projections, stageReason);
                var final = await FinalTrain(c, stageStudy, projections, loop, overrides, warmStart);
                if (final is null || final.Failure is not null)
                {
                    reason = $"stage {i + 1} ({stage.Name}): {(final is null ? c.Store.GetStudyAttrs(stageStudy.Id).GetValueOrDefault("final_status") ?? stageReason : "full training failed: " + final.Failure)}";
                    c.Store.SetStudyAttr(parent.Id, key, reason);
                    c.Store.SetStudyAttr(parent.Id, key + "_status", "stopped");
                    parentProjections.Refresh("stopped", reason);
                    projections.Refresh("stopped", reason);
                    return Result(c, stageStudy, projections, reason);
                }
                var success = final.Metrics.GetValueOrDefault("success_rate", double.NaN);
                promoted = success >= stage.SuccessThreshold;
                if (final.Checkpoint is not null) warmStart = final.Checkpoint;
                var verdict = $"{stage.Name}: attempt {attempt}, success {success.ToString("G3", CultureInfo.InvariantCulture)} {(promoted ? ">=" : "<")} {stage.SuccessThreshold.ToString("G3", CultureInfo.InvariantCulture)}: {(promoted ? "promoted" : "not promoted")}";
                c.Store.SetStudyAttr(parent.Id, key, verdict);
                if (final.Checkpoint is not null) c.Store.SetStudyAttr(parent.Id, key + "_checkpoint", final.Checkpoint);
                projections.Refresh("stopped", stageReason + "; " + verdict);
                observer.Note(verdict);
                if (c.Budget.IsExhausted) break;
            }
            if (!promoted)
            {
                reason = $"stage {i + 1} ({stage.Name}) did not reach success {stage.SuccessThreshold} in {s.StageAttempts} attempts{(c.Budget.IsExhausted ? " before the budget ended" : "")}";
                c.Store.SetStudyAttr(parent.Id, key + "_status", "not promoted");
                parentProjections.Refresh("stopped", reason);
                return Result(c, stageStudy, last!, reason);
            }
            c.Store.SetStudyAttr(parent.Id, key + "_status", "promoted");
        }
        if (warmStart is not null) c.Store.SetStudyAttr(parent.Id, "final_checkpoint", warmStart);
        parentProjections.Refresh("stopped", reason);
        return new AutomlResult(parent.Name, reason, paths.StudyDir, paths.ReportFile, null, null)
        {
            Counts = TrialCounts.Of(c.Store.ListStudies().Where(x => x.Name.StartsWith(parent.Name + "-stage", StringComparison.Ordinal)).SelectMany(x => c.Store.GetTrials(x.Id))),
        };
    }

    // ---------------------------------------------------------------- eval

    /// <summary>
    /// Evaluates a configuration (the first --seed-configs entry, else the study's best trial,
    /// else the space's defaults) over several seeds: with --checkpoint the trainer only
    /// evaluates (rl_overrides eval_only and eval_episodes), otherwise it trains for
    /// steps_per_trial and evaluates. Results go to eval/summary.yaml and the report.
    /// </summary>
    private async Task<AutomlResult> Evaluate(Context c, StudyRecord study)
    {
        var s = c.Settings;
        var space = LoadSpace(s);
        var paths = new StudyPaths(c.Output, study.Name);
        IReadOnlyDictionary<string, object> parameters;
        string source;
        if (s.SeedConfigs.Count > 0)
        {
            parameters = SeedConfigs.Load(s.SeedConfigs[0], space)[0];
            source = s.SeedConfigs[0];
        }
        else if (BestConfig.Choose(c.Store.GetTrials(study.Id), SelectionRule.Of(s, c.Objective.Direction), space) is { } best)
        {
            parameters = best.Trial.Params;
            source = $"trial {best.Trial.Number}'s configuration of study {study.Name}";
        }
        else
        {
            parameters = space.Defaults();
            source = $"the defaults of {space.Id}";
        }
        var (command, trainerText) = Trainer(s);
        // the built-in trainer and an external one are told the same in rl_overrides (MotrixLab's train_one.py rejects these keys: docs/external-trainers.md)
        var extra = new Dictionary<string, object>(StringComparer.Ordinal) { ["eval_episodes"] = (long)s.EvalEpisodes };
        if (s.Checkpoint is not null) extra["eval_only"] = true;
        var steps = s.StepsPerTrial;
        var seeds = Enumerable.Range(s.Seed, s.SeedsPerTrial).ToList();
        var template = new TrialTemplate(s.Env, steps, seeds, s.NumEnvs, s.EnvOverrides, s.Checkpoint, s.FreezePreprocessor, extra);
        var timeout = new TrialTimeout(TimeSpan.FromSeconds(s.TimeoutStartupSeconds), s.TimeoutMinStepsPerSecond);
        var runner = Runner(s, command);
        var runs = new List<Dictionary<string, object?>>();
        var scores = new List<double>();
        var metrics = new List<IReadOnlyDictionary<string, double>>();
        observer.StudyStarted(study.Name, $"eval of {source} over seeds {string.Join(", ", seeds)}", seeds.Count, c.Budget);
        using var deadline = c.Budget.DeadlineSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, c.Cancel);
        foreach (var seed in seeds)
        {
            var runDir = Path.Combine(paths.EvalDir, "seed_" + seed.ToString(CultureInfo.InvariantCulture));
            if (Directory.Exists(runDir)) Directory.Delete(runDir, true);
            var config = TrialConfigs.Build(space, parameters, template, seed, study.Name, null, $"{study.Name}_eval_seed_{seed}", runDir);
            var configPath = Path.Combine(paths.ConfigsDir, $"eval_seed_{seed.ToString(CultureInfo.InvariantCulture)}.json");
            config.Save(configPath);
            var result = await runner.RunAsync(new TrialRunRequest(configPath, runDir, runDir, 0, seed, timeout.For(steps), ChildEnvironment(s), TerminationWeights.Of(config), s.Devices.FirstOrDefault()),
                p => observer.TrialProgress(0, seed, p), linked.Token);
            var score = result.Succeeded ? c.Objective.Score(result.Metrics!) : ScoreResult.Fail(result.Failure ?? "failed");
            if (score.Score is { } v)
            {
                scores.Add(v);
                metrics.Add(result.Metrics!.Values);
            }
            runs.Add(new Dictionary<string, object?>
            {
                ["seed"] = seed, ["score"] = score.Score, ["error"] = score.Failure, ["run_dir"] = result.RunDir,
                ["metrics"] = (result.Metrics?.Values ?? new Dictionary<string, double>()).OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            });
            observer.Note($"eval seed {seed}: {(score.Score is { } sc ? "score " + sc.ToString("G4", CultureInfo.InvariantCulture) : "failed: " + score.Failure)}");
            if (linked.IsCancellationRequested) break;
        }
        var agg = scores.Count > 0 ? SeedAggregate.Of(scores) : (SeedAggregate?)null;
        var mean = SeedAggregate.MeanMetrics(metrics);
        var summary = new Dictionary<string, object?>
        {
            ["study"] = study.Name,
            ["evaluated"] = source,
            ["checkpoint"] = s.Checkpoint,
            ["trainer"] = trainerText,
            ["objective"] = c.Objective.Describe(),
            ["eval_episodes"] = s.EvalEpisodes,
            ["seeds"] = seeds.Count,
            ["succeeded"] = scores.Count,
            ["score_mean"] = agg?.Mean,
            ["score_std"] = agg?.Std,
            ["metrics_mean"] = mean.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["params"] = parameters.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["runs"] = runs,
        };
        var file = Path.Combine(paths.EvalDir, "summary.yaml");
        AtomicFile.WriteAllText(file, new YamlDotNet.Serialization.SerializerBuilder().DisableAliases().Build().Serialize(summary));
        var reason = c.Cancel.IsCancellationRequested ? "interrupted by the user"
            : agg is { } a ? $"evaluated over {a.Count} of {seeds.Count} seeds: score {a.Mean.ToString("G4", CultureInfo.InvariantCulture)} ± {a.Std.ToString("G3", CultureInfo.InvariantCulture)}"
            : "every evaluation run failed";
        c.Store.SetStudyAttr(study.Id, "eval_result", reason);
        return new AutomlResult(study.Name, reason, paths.StudyDir, file, null, agg?.Mean) { Counts = new TrialCounts(scores.Count, runs.Count - scores.Count, 0, "eval runs") };
    }
}
