using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>Which search a mode runs: the env overrides and warm start of its trials, how many trials, and the steps to keep time for after it.</summary>
public sealed record SearchOptions(JsonObject EnvOverrides, string? Checkpoint, int TargetTrials, long ReserveSteps)
{
    /// <summary>Proposes the trials in place of the sampler (pbt); the search method, seed configurations and intensification then do not apply.</summary>
    public ITrialSchedule? Schedule { get; init; }
    /// <summary>How the search is described in the study's files and log (null: the search method).</summary>
    public string? MethodText { get; init; }
}

/// <summary>The search a mode ran: why it stopped, the study's projections, and the loop (for its speed).</summary>
public sealed record SearchOutcome(string Reason, StudyProjections Projections, SearchLoop Loop);

/// <summary>One automl mode (hp-search, stage, full, eval, pbt), run on a study in a session.</summary>
public interface IAutomlMode
{
    Task<AutomlResult> RunAsync(AutomlSession session, StudyRecord study);
}

/// <summary>
/// What every mode of one automl run works with: the store, the validated settings, the objective, the
/// budget, the output dir, the observer and the user's interrupt; and what the modes share: the search
/// round, the trainer, the seed runner and the result.
/// </summary>
public sealed class AutomlSession(IStudyStore store, StudySettings settings, Objective objective, StudyBudget budget, string output,
    IStudyObserver observer, TimeSpan staleAfter, bool requeueStale, CancellationToken cancel)
{
    public IStudyStore Store => store;
    public StudySettings Settings => settings;
    public Objective Objective => objective;
    public StudyBudget Budget => budget;
    public string Output => output;
    public IStudyObserver Observer => observer;
    public CancellationToken Cancel => cancel;

    /// <summary>This orchestrator process in the store.</summary>
    public string WorkerId { get; } = Study.WorkerId.New();

    public const string BuiltInTrainerText = "rltune train-one (built-in)";

    public StudyPaths Paths(StudyRecord study) => new(output, study.Name);

    public static SearchSpace LoadSpace(StudySettings s) =>
        s.Space is not null ? SearchSpace.Load(s.Space) : Presets.Resolve(s.Preset ?? s.DefaultPreset);

    /// <summary>The numeric reward weights of a configuration.</summary>
    public static Dictionary<string, double> RewardScales(SearchSpace space, IReadOnlyDictionary<string, object> parameters) =>
        space.ToTrialSections(parameters).RewardScales.Where(kv => ParamValues.AsDouble(kv.Value) is not null)
            .ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value)!.Value, StringComparer.Ordinal);

    /// <summary>The trainer command and how it is shown; the built-in trainer runs the built-in envs only, said before any trial starts.</summary>
    public (TrainerCommand Command, string Text) Trainer()
    {
        if (settings.TrainerCommand is not null) return (new TrainerCommand(settings.TrainerCommand), settings.TrainerCommand);
        Envs.Builtin.EnvRegistry.Create(settings.Env, new Envs.EnvOptions(1, null, settings.EnvOverrides)).Dispose();
        return (TrainerCommand.BuiltIn(Threads()), BuiltInTrainerText);
    }

    /// <summary>The one path every seed of a trial, full training and eval run goes through.</summary>
    public SeedRunner SeedRunner(StudyRecord study, SearchSpace space, TrainerCommand command) =>
        new(study.Name, space, new TrialRunner(command) { MetricMap = settings.MetricMap }, objective,
            new TrialTimeout(TimeSpan.FromSeconds(settings.TimeoutStartupSeconds), settings.TimeoutMinStepsPerSecond), ChildEnvironment());

    private int Threads() => settings.ThreadsPerTrial ?? Math.Max(1, Environment.ProcessorCount / settings.EffectiveParallel);

    private Dictionary<string, string> ChildEnvironment()
    {
        var threads = Threads();
        if (settings.EffectiveParallel * threads > Environment.ProcessorCount)
            observer.Note($"{settings.EffectiveParallel} parallel trials x {threads} threads exceed the {Environment.ProcessorCount} cores; trials will slow each other down");
        var t = threads.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string> { ["RLTUNE_THREADS"] = t, ["OMP_NUM_THREADS"] = t, ["OPENBLAS_NUM_THREADS"] = t, ["MKL_NUM_THREADS"] = t };
    }

    /// <summary>Runs a search round on <paramref name="study"/>: audits the space's defaults, describes the study, and runs the trial loop until it stops.</summary>
    public async Task<SearchOutcome> SearchAsync(StudyRecord study, SearchOptions options)
    {
        var s = settings;
        var space = LoadSpace(s);
        var (command, trainerText) = Trainer();
        var paths = Paths(study);
        var template = new TrialTemplate(s.Env, s.StepsPerTrial, Enumerable.Range(s.Seed, s.SeedsPerTrial).ToList(), s.NumEnvs,
            options.EnvOverrides, options.Checkpoint, s.FreezePreprocessor, new Dictionary<string, object>());
        var audit = Audit(study, space, options.EnvOverrides);
        var selection = SelectionRule.Of(s, objective.Direction);
        var description = new StudyDescription
        {
            Mode = StudySettings.ModeText(s.Mode), Objective = objective.Describe(), Direction = objective.Direction, SearchMethod = options.MethodText ?? s.SearchMethod,
            Space = space.Id, Env = s.Env, Trainer = trainerText, StepsPerTrial = s.StepsPerTrial, SeedsPerTrial = s.SeedsPerTrial,
            Parallel = s.EffectiveParallel, TargetTrials = options.TargetTrials, AuditPolicy = s.Audit.ToString().ToLowerInvariant(), Audit = audit,
            RewardScales = p => RewardScales(space, p), Pruner = s.BuildRungSettings(space.Params.Any(p => p.Section == ParamSection.RewardWeights))?.Describe() ?? s.BuildPrunerSettings()?.Describe() ?? "none", Intensify = options.Schedule is not null ? "off" : IntensifyText(s),
            Selection = selection, SearchSpace = space, Devices = s.Devices, TrialsPerDevice = s.TrialsPerDevice,
        };
        var projections = new StudyProjections(store, study, paths, description, budget);
        var searchesWeights = space.Params.Any(p => p.Section == ParamSection.RewardWeights);
        var rungSettings = s.BuildRungSettings(searchesWeights, observer.Note);
        var pruner = rungSettings is null && s.BuildPrunerSettings() is { } ps ? new MedianPruner(store, study.Id, ps, observer.Note, budget.Clock) : null;
        if (pruner?.Settings.Metric == "reward" && searchesWeights)
            observer.Note("pruner: the training reward of trials with different reward weights is not comparable (bench/automl_pruning.py saw it prune the best trial); success is");
        var executor = new TrialExecutor(store, study, paths, SeedRunner(study, space, command), s.RankBy, WorkerId, observer, pruner,
            rungSettings is null ? null : new RungPruner(store, study.Id, rungSettings), budget.Clock);
        var sampler = Samplers.Create(s.SearchMethod, s.GridPoints, warmupTrials: s.EffectiveWarmupTrials);
        var round = new SearchRound
        {
            Store = store, Study = study, Space = space, Sampler = sampler, Executor = executor, Template = template, Budget = budget,
            Projections = projections, Observer = observer, WorkerId = WorkerId, StudySeed = s.Seed, TargetTrials = options.TargetTrials,
            Parallel = s.EffectiveParallel, EnqueuedConfigs = options.Schedule is not null ? [] : s.SeedConfigs.SelectMany(f => SeedConfigs.Load(f, space)).ToList(),
            Audit = audit, AuditPolicy = s.Audit, ReserveSteps = options.ReserveSteps, StaleAfter = staleAfter, RequeueStale = requeueStale,
            Intensify = options.Schedule is not null ? null : Intensification.For(s, objective.Direction), Selection = selection, FailFastTrials = s.FailFastTrials, Devices = s.Devices,
            Schedule = options.Schedule,
            StartShare = rungSettings is null ? 1 : (double)rungSettings.Ladder[0] / rungSettings.Ladder[^1],
        };
        observer.StudyStarted(study.Name, $"{description.Mode}: {description.SearchMethod} search of {space.Id} ({space.Params.Count} parameters) on {s.Env}, {description.Objective}", options.TargetTrials, budget);
        var loop = new SearchLoop(round);
        try
        {
            return new SearchOutcome(await loop.RunAsync(cancel), projections, loop);
        }
        catch (UserError e)
        {
            projections.Refresh("stopped", e.Message); // not left "running"
            throw;
        }
    }

    /// <summary>The reward-budget audit of the env's terms (null: off, or not applicable), with its verdict on the space's defaults stored on the study.</summary>
    private RewardBudgetAudit? Audit(StudyRecord study, SearchSpace space, JsonObject envOverrides)
    {
        var s = settings;
        var audit = s.Audit == AuditPolicy.Off ? null : RewardBudgetAudit.ForEnv(s.Env, envOverrides, s.AuditEpisodeLength);
        var note = s.Audit == AuditPolicy.Off ? "off" : $"not available: env '{s.Env}' is not built in, so its reward terms are unknown";
        if (audit is not null && s.TrainerCommand is not null
            && !space.Params.Any(p => p.Section == ParamSection.RewardWeights && audit.Terms.Any(t => t.Name == p.Name)))
        {
            // An external trainer whose space weights none of the env's terms is not training that env's reward.
            audit = null;
            note = $"not applicable: the search space sets none of {s.Env}'s reward terms";
        }
        if (audit is not null)
        {
            var finding = audit.Check(RewardScales(space, space.Defaults()));
            store.SetStudyAttr(study.Id, StudyAttributes.AuditDefaults, (finding.Passed ? "passed at the space's defaults: " : "FAILED at the space's defaults: ") + finding.Message);
            if (!finding.Passed) observer.Note("reward-budget audit: " + finding.Message);
        }
        else store.SetStudyAttr(study.Id, StudyAttributes.AuditDefaults, note);
        return audit;
    }

    private static string IntensifyText(StudySettings s) => s.IntensifyActive
        ? string.Create(CultureInfo.InvariantCulture, $"{(s.Intensify == IntensifyMode.Auto ? "auto (on while the objective depends on the seed)" : "on")}, racing in the last {s.HpTrials - s.RaceFromTrial} of {s.HpTrials} trials, up to {s.MaxSeedsPerConfig} seeds per configuration, best chosen by the mean over {s.EffectiveMinSeedsForBest} seeds, missing ones counted at the mean of all configurations")
        : $"off, best chosen by the mean over {s.EffectiveMinSeedsForBest} seed(s), missing ones counted at the mean of all configurations";

    /// <summary>The result of a run that ends with a search on <paramref name="study"/>; the observers are told the search stopped (the analysis report is written then).</summary>
    public AutomlResult Result(StudyRecord study, StudyProjections projections, string reason)
    {
        var best = projections.Best(store.GetTrials(study.Id));
        observer.SearchStopped(store, study, output);
        return new AutomlResult(study.Name, reason, projections.Paths.StudyDir, projections.Paths.ReportFile,
            best is null ? null : projections.Paths.TrialSummaryFile(best.Trial.Number), best?.Config.Aggregate?.Mean) { Counts = TrialCounts.Of(store.GetTrials(study.Id)) };
    }
}
