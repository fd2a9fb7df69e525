using System.Globalization;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>How one trial ended, as recorded in the store.</summary>
public sealed record TrialFinish(TrialState State, IReadOnlyDictionary<string, double> Metrics, double? Score, double? ScoreStd, string? Error, TimeSpan Duration);

/// <summary>
/// Runs one trial: each of its seeds through the <see cref="SeedRunner"/> (with a heartbeat to the store, its
/// progress recorded for pruning) and each seed run recorded; then aggregates over seeds. A trial fails when
/// any of its seeds fails (a configuration that crashes on one seed is not a good one).
/// </summary>
public sealed partial class TrialExecutor(
    IStudyStore store,
    StudyRecord study,
    StudyPaths paths,
    SeedRunner runner,
    SeedRanking ranking,
    string workerId,
    IStudyObserver observer,
    MedianPruner? pruner = null,
    RungPruner? rungs = null,
    TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>PROGRESS fields that describe speed, not learning: not stored as intermediate values.</summary>
    private static readonly HashSet<string> NotLearningMetrics = ["steps_per_s"];

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    public ObjectiveDirection Direction => runner.Objective.Direction;

    /// <summary>
    /// Runs every seed of the trial. <paramref name="hardStop"/> is the budget's deadline: a trial
    /// it cuts short is pruned, not failed. <paramref name="cancel"/> is the user's interrupt: the
    /// trial is put back to waiting so a resume re-runs it, and null is returned. <paramref name="device"/> is the
    /// device its trainer may use (recorded for status and the report).
    /// </summary>
    public async Task<TrialFinish?> RunAsync(TrialRecord trial, TrialTemplate template, CancellationToken hardStop, CancellationToken cancel, string? device = null)
    {
        if (device is not null) TrialNotes.Set(store, study.Id, trial.Number, TrialNotes.Device, device);
        var started = _clock.GetTimestamp();
        var scores = new List<double>();
        var metrics = new List<IReadOnlyDictionary<string, double>>();
        string? failure = null;
        var state = TrialState.Complete;
        using var lost = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(hardStop, cancel, lost.Token);
        using var heartbeat = StartHeartbeat(trial.Number, lost, linked.Token);
        var seeds = SeedsOf(trial, template);
        if (rungs is not null)
            return await RunRungsAsync(trial, template, seeds, device, hardStop, cancel, lost, linked.Token, started);
        foreach (var seed in seeds)
        {
            var job = Job(trial, template, seed, paths.SeedRunDir(trial.Number, seed), paths.ConfigFile(trial.Number, seed), device);
            var pruning = pruner?.Start(trial.Number, seed);
            var run = await RunSeedAsync(job, pruning, linked.Token);
            var (result, scored) = (run.Outcome.Run, run.Outcome.Score);

            if (result.Outcome == TrialRunOutcome.Cancelled)
            {
                if (Interrupted(trial, cancel, lost)) return null;
                state = TrialState.Pruned;
                if (run.PruneReason is not null && !hardStop.IsCancellationRequested)
                {
                    failure = run.PruneReason;
                    store.AddSeedRun(study.Id, trial.Number, new SeedRun(seed, run.LastValues, null, result.RunDir, run.PruneReason));
                }
                else if (PbtStep.Parse(trial.Origin) is { } step)
                    return Paused(trial, $"in member {step.Member}'s interval {step.Generation} (seed {seed.ToString(CultureInfo.InvariantCulture)})");
                else failure = HardStop(seed, result);
                break;
            }
            if (result.Metrics is { Notes.Count: > 0 } read) TrialNotes.SetMetricNotes(store, study.Id, trial.Number, read.Notes);
            if (scored.Score is { } v)
            {
                scores.Add(v);
                metrics.Add(result.Metrics!.Values);
            }
            store.AddSeedRun(study.Id, trial.Number, new SeedRun(seed, result.Metrics?.Values ?? new Dictionary<string, double>(), scored.Score, result.RunDir, scored.Failure));
            if (scored.Failure is { } error)
            {
                state = TrialState.Failed;
                failure = seeds.Count > 1 ? $"seed {seed}: {error}" : error;
                break;
            }
        }
        var duration = _clock.GetElapsedTime(started);
        if (state != TrialState.Complete)
            return new TrialFinish(state, metrics.Count > 0 ? SeedAggregate.MeanMetrics(metrics) : new Dictionary<string, double>(), null, null, failure, duration);
        var agg = SeedAggregate.Of(scores);
        return new TrialFinish(TrialState.Complete, SeedAggregate.MeanMetrics(metrics), agg.RankValue(ranking, Direction), agg.Std, null, duration);
    }

    private SeedJob Job(TrialRecord trial, TrialTemplate template, int seed, string runDir, string configPath, string? device) =>
        new(trial.Params, template, seed, trial.Number, $"{study.Name}_{StudyPaths.TrialName(trial.Number)}_seed_{seed.ToString(CultureInfo.InvariantCulture)}", runDir, configPath, device);

    /// <summary>One seed's run, its progress recorded for status and pruning; <paramref name="pruning"/> may stop it.</summary>
    private async Task<SeedRunResult> RunSeedAsync(SeedJob job, MedianPruner.Session? pruning, CancellationToken stop)
    {
        int number = job.Trial!.Value, seed = job.Seed;
        observer.TrialStarted(number, seed, job.Parameters);
        using var prune = new CancellationTokenSource();
        using var seedStop = CancellationTokenSource.CreateLinkedTokenSource(stop, prune.Token);
        string? pruneReason = null;
        IReadOnlyDictionary<string, double> lastValues = new Dictionary<string, double>();
        void OnProgress(TrialProgress p)
        {
            // runs on the trainer's stdout reader: it must never throw, or the pipe would stop being drained
            try
            {
                observer.TrialProgress(number, seed, p);
                lastValues = p.Values.Where(kv => !NotLearningMetrics.Contains(kv.Key) && double.IsFinite(kv.Value)).ToDictionary();
                store.ReportIntermediateMetrics(study.Id, number, seed, p.Step, lastValues);
                if (pruning is not null && pruneReason is null && pruning.Check(p.Step, p.Of, p.Values) is { } why)
                {
                    pruneReason = why;
                    prune.Cancel();
                }
            }
            catch (Exception e)
            {
                observer.Note($"trial {number}: progress not recorded: {e.Message}");
            }
        }
        var outcome = await runner.RunAsync(job, OnProgress, seedStop.Token);
        return new SeedRunResult(outcome, pruneReason, lastValues);
    }

    private sealed record SeedRunResult(SeedOutcome Outcome, string? PruneReason, IReadOnlyDictionary<string, double> LastValues);

    /// <summary>True (and the trial re-queued unless another worker took it) when the user interrupted or the trial was lost.</summary>
    private bool Interrupted(TrialRecord trial, CancellationToken cancel, CancellationTokenSource lost)
    {
        if (!cancel.IsCancellationRequested && !lost.IsCancellationRequested) return false;
        if (!lost.IsCancellationRequested) store.RequeueTrial(study.Id, trial.Number);
        return true;
    }

    /// <summary>
    /// A rung piece or a PBT interval cut by the budget's hard limit is paused, not pruned: it goes back to waiting, so
    /// <c>--resume</c> continues it (finished pieces and checkpoints are kept) instead of losing the trial or its member's lineage.
    /// </summary>
    private TrialFinish? Paused(TrialRecord trial, string where)
    {
        var note = $"paused at the budget's hard limit {where}; --resume continues it";
        if (store.RequeueTrial(study.Id, trial.Number)) TrialNotes.Set(store, study.Id, trial.Number, TrialNotes.Paused, note);
        observer.Note($"trial {trial.Number}: {note}");
        return null;
    }

    private static string HardStop(int seed, TrialRunResult result) => $"seed {seed}: stopped at the budget's hard limit after {result.Elapsed.TotalSeconds:F0} s";

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
