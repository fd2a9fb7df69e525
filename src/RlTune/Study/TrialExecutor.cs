using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>How one trial ended, as recorded in the store.</summary>
public sealed record TrialFinish(TrialState State, IReadOnlyDictionary<string, double> Metrics, double? Score, double? ScoreStd, string? Error, TimeSpan Duration);

/// <summary>What a trial is trained with besides its sampled parameters (the same for every trial of a search).</summary>
public sealed record TrialTemplate(
    string Env,
    long Steps,
    IReadOnlyList<int> Seeds,
    int? NumEnvs,
    JsonObject EnvOverrides,
    string? Checkpoint,
    bool FreezePreprocessor,
    IReadOnlyDictionary<string, object> ExtraRlOverrides);

/// <summary>
/// Runs one trial: for each seed, writes the trial config, runs the trainer as a child process
/// (with a heartbeat to the store), scores its metrics and records the seed run; then aggregates
/// over seeds. A trial fails when any of its seeds fails (a configuration that crashes on one seed is not a good one).
/// </summary>
public sealed class TrialExecutor(
    IStudyStore store,
    StudyRecord study,
    SearchSpace? space,
    StudyPaths paths,
    TrialRunner runner,
    Objective objective,
    SeedRanking ranking,
    TrialTimeout timeout,
    string workerId,
    IStudyObserver observer,
    IReadOnlyDictionary<string, string>? childEnvironment = null,
    MedianPruner? pruner = null)
{
    /// <summary>PROGRESS fields that describe speed, not learning: not stored as intermediate values.</summary>
    private static readonly HashSet<string> NotLearningMetrics = ["steps_per_s"];

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    public ObjectiveDirection Direction => objective.Direction;

    public TrialConfig BuildConfig(TrialRecord trial, TrialTemplate template, int seed) =>
        TrialConfigs.Build(space, trial.Params, template, seed, study.Name, trial.Number,
            $"{study.Name}_{StudyPaths.TrialName(trial.Number)}_seed_{seed.ToString(CultureInfo.InvariantCulture)}", paths.SeedRunDir(trial.Number, seed));

    /// <summary>
    /// Runs every seed of the trial. <paramref name="hardStop"/> is the budget's deadline: a trial
    /// it cuts short is pruned, not failed. <paramref name="cancel"/> is the user's interrupt: the
    /// trial is put back to waiting so a resume re-runs it, and null is returned. <paramref name="device"/> is the
    /// device its trainer may use (recorded for status and the report).
    /// </summary>
    public async Task<TrialFinish?> RunAsync(TrialRecord trial, TrialTemplate template, CancellationToken hardStop, CancellationToken cancel, string? device = null)
    {
        if (device is not null) TrialNotes.Set(store, study.Id, trial.Number, TrialNotes.Device, device);
        var started = DateTimeOffset.UtcNow;
        var scores = new List<double>();
        var metrics = new List<IReadOnlyDictionary<string, double>>();
        string? failure = null;
        var state = TrialState.Complete;
        using var lost = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(hardStop, cancel, lost.Token);
        using var heartbeat = StartHeartbeat(trial.Number, lost, linked.Token);
        var seeds = SeedsOf(trial, template);
        foreach (var seed in seeds)
        {
            var runDir = paths.SeedRunDir(trial.Number, seed);
            TrialRunner.KillOrphan(runDir);
            if (Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true); // a re-run starts clean
            var config = BuildConfig(trial, template, seed);
            var configPath = paths.ConfigFile(trial.Number, seed);
            config.Save(configPath);
            observer.TrialStarted(trial.Number, seed, trial.Params);
            var request = new TrialRunRequest(configPath, runDir, runDir, trial.Number, seed, timeout.For(template.Steps), childEnvironment, TerminationWeights.Of(config), device);
            using var prune = new CancellationTokenSource();
            using var seedStop = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, prune.Token);
            var pruning = pruner?.Start(trial.Number, seed);
            string? pruneReason = null;
            IReadOnlyDictionary<string, double> lastValues = new Dictionary<string, double>();
            void OnProgress(TrialProgress p)
            {
                // runs on the trainer's stdout reader: it must never throw, or the pipe would stop being drained
                try
                {
                    observer.TrialProgress(trial.Number, seed, p);
                    lastValues = p.Values.Where(kv => !NotLearningMetrics.Contains(kv.Key) && double.IsFinite(kv.Value)).ToDictionary();
                    store.ReportIntermediateMetrics(study.Id, trial.Number, seed, p.Step, lastValues);
                    if (pruning is not null && pruneReason is null && pruning.Check(p.Step, p.Of, p.Values) is { } why)
                    {
                        pruneReason = why;
                        prune.Cancel();
                    }
                }
                catch (Exception e)
                {
                    observer.Note($"trial {trial.Number}: progress not recorded: {e.Message}");
                }
            }
            var result = await runner.RunAsync(request, OnProgress, seedStop.Token);

            if (result.Outcome == TrialRunOutcome.Cancelled)
            {
                if (cancel.IsCancellationRequested || lost.IsCancellationRequested)
                {
                    if (!lost.IsCancellationRequested) store.RequeueTrial(study.Id, trial.Number);
                    return null;
                }
                state = TrialState.Pruned;
                if (pruneReason is not null && !hardStop.IsCancellationRequested)
                {
                    failure = pruneReason;
                    store.AddSeedRun(study.Id, trial.Number, new SeedRun(seed, lastValues, null, result.RunDir, pruneReason));
                }
                else failure = $"seed {seed}: stopped at the budget's hard limit after {result.Elapsed.TotalSeconds:F0} s";
                break;
            }
            double? score = null;
            string? error = result.Failure;
            if (result.Metrics is { Notes.Count: > 0 } read) TrialNotes.SetMetricNotes(store, study.Id, trial.Number, read.Notes);
            if (result.Succeeded)
            {
                var s = objective.Score(result.Metrics!);
                if (s.Score is { } v && double.IsFinite(v))
                {
                    score = v;
                    scores.Add(v);
                    metrics.Add(result.Metrics!.Values);
                }
                else error = s.Failure ?? $"the score is {s.Score}";
            }
            store.AddSeedRun(study.Id, trial.Number, new SeedRun(seed, result.Metrics?.Values ?? new Dictionary<string, double>(), score, result.RunDir, error));
            if (error is not null)
            {
                state = TrialState.Failed;
                failure = seeds.Count > 1 ? $"seed {seed}: {error}" : error;
                break;
            }
        }
        var duration = DateTimeOffset.UtcNow - started;
        if (state != TrialState.Complete)
            return new TrialFinish(state, metrics.Count > 0 ? SeedAggregate.MeanMetrics(metrics) : new Dictionary<string, double>(), null, null, failure, duration);
        var agg = SeedAggregate.Of(scores);
        return new TrialFinish(TrialState.Complete, SeedAggregate.MeanMetrics(metrics), agg.RankValue(ranking, objective.Direction), agg.Std, null, duration);
    }

    /// <summary>The template's seeds, shifted to start at the trial's own seed (an extra seed of intensification starts further on).</summary>
    public static IReadOnlyList<int> SeedsOf(TrialRecord trial, TrialTemplate template) =>
        template.Seeds.Count == 0 || trial.Seed == template.Seeds[0] ? template.Seeds : template.Seeds.Select(s => s - template.Seeds[0] + trial.Seed).ToList();

    private IDisposable StartHeartbeat(int number, CancellationTokenSource lost, CancellationToken stop)
    {
        var timer = new Timer(_ =>
        {
            if (stop.IsCancellationRequested) return;
            try
            {
                // Another worker (or a resume) took the trial over: stop running it here.
                if (!store.Heartbeat(study.Id, number, workerId)) lost.Cancel();
            }
            catch (Exception e)
            {
                observer.Note($"heartbeat of trial {number} failed: {e.Message}");
            }
        }, null, HeartbeatInterval, HeartbeatInterval);
        return timer;
    }
}

/// <summary>Builds the trial config JSON a trainer receives from a configuration and the round's template.</summary>
public static class TrialConfigs
{
    public static TrialConfig Build(SearchSpace? space, IReadOnlyDictionary<string, object> parameters, TrialTemplate template, int seed,
        string study, int? trialNumber, string runTag, string runDir)
    {
        Dictionary<string, object> rl, reward;
        if (space is not null) (rl, reward) = space.ToTrialSections(parameters);
        else (rl, reward) = (new Dictionary<string, object>(parameters, StringComparer.Ordinal), new Dictionary<string, object>(StringComparer.Ordinal));
        foreach (var (k, v) in template.ExtraRlOverrides) rl[k] = v;
        rl["max_env_steps"] = template.Steps;
        rl["seed"] = (long)seed;
        if (template.NumEnvs is { } n) rl["num_envs"] = (long)n;
        return new TrialConfig
        {
            RunTag = runTag,
            EnvName = template.Env,
            RewardScales = reward.ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value) ?? throw new UserError($"reward weight '{kv.Key}' must be numeric, got {ParamValues.Canonical(kv.Value)}."), StringComparer.Ordinal),
            RlOverrides = rl,
            Checkpoint = template.Checkpoint,
            FreezePreprocessor = template.FreezePreprocessor,
            EnvOverrides = (JsonObject)template.EnvOverrides.DeepClone(),
            Study = study,
            Trial = trialNumber,
            RunDir = runDir,
            Params = parameters,
        };
    }
}
