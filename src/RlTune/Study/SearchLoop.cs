using System.Globalization;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>Everything one search round needs.</summary>
public sealed record SearchRound
{
    public required IStudyStore Store { get; init; }
    public required StudyRecord Study { get; init; }
    public required SearchSpace Space { get; init; }
    public required ISampler Sampler { get; init; }
    public required TrialExecutor Executor { get; init; }
    public required TrialTemplate Template { get; init; }
    public required StudyBudget Budget { get; init; }
    public required StudyProjections Projections { get; init; }
    public required IStudyObserver Observer { get; init; }
    public required string WorkerId { get; init; }
    public required int StudySeed { get; init; }
    public required int TargetTrials { get; init; }
    public required int Parallel { get; init; }
    public IReadOnlyList<Dictionary<string, object>> EnqueuedConfigs { get; init; } = [];
    public RewardBudgetAudit? Audit { get; init; }
    public required AuditPolicy AuditPolicy { get; init; }
    /// <summary>Env steps of training to keep time for after the search (a stage's full training).</summary>
    public long ReserveSteps { get; init; }
    /// <summary>A running trial without a heartbeat this long lost its worker (null: <see cref="WorkerId.StaleAfter"/>).</summary>
    public TimeSpan? StaleAfter { get; init; }
    /// <summary>Whether a trial that lost its worker runs again (true) or is failed.</summary>
    public bool RequeueStale { get; init; } = true;
    /// <summary>Extra seeds for promising configurations before the sampler is asked (null: none).</summary>
    public Intensification? Intensify { get; init; }
    /// <summary>How the best configuration is chosen (null: the best mean over seeds).</summary>
    public SelectionRule? Selection { get; init; }
    /// <summary>The study stops when this run's first this-many trials all fail the same way (0: never).</summary>
    public int FailFastTrials { get; init; } = 3;
    /// <summary>Devices the slots own: slot k runs its trials on device k mod the count, one trial at a time (none: no device).</summary>
    public IReadOnlyList<string>? Devices { get; init; }
    /// <summary>Proposes the trials in place of the sampler (null: the sampler does).</summary>
    public ITrialSchedule? Schedule { get; init; }
    /// <summary>The share of a whole trial's time that must fit the budget for one to start (ASHA: its first rung's, as a trial the hard stop cuts later is paused, not lost).</summary>
    public double StartShare { get; init; } = 1;
}

/// <summary>
/// The trial loop: P slots each take the next trial (a waiting one first, else a new suggestion),
/// run it through the <see cref="TrialExecutor"/>, record the result and refresh the projections,
/// until the target number of trials is reached, the grid is exhausted, the budget ends or the
/// user interrupts. Returns why it stopped.
/// </summary>
public sealed partial class SearchLoop(SearchRound round)
{
    public const string AuditSkipOrigin = "audit-skip";
    private const int MaxConsecutiveAuditSkips = 50;
    private const int MaxStartFailuresInARow = 3;

    private readonly SemaphoreSlim _pick = new(1, 1);
    private readonly List<TimeSpan> _seedRunDurations = [];
    private string? _stopReason;
    private DateTime _nextStaleCheck = DateTime.MinValue;
    private static readonly TimeSpan OthersPoll = TimeSpan.FromSeconds(1);
    private int _startFailuresInARow;
    private readonly List<TrialFinish> _firstFinished = [];
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    public async Task<string> RunAsync(CancellationToken cancel)
    {
        var r = round;
        RecoverInterruptedTrials();
        foreach (var config in r.EnqueuedConfigs)
            r.Store.AddTrial(r.Study.Id, TrialState.Waiting, config, r.StudySeed, "enqueued", "enqueued:" + ParamValues.Canonical(config), null);
        LearnDurationsFromHistory();
        r.Projections.Refresh("running", null);

        using var deadline = r.Budget.DeadlineSource();
        // a slot owns its device and runs one trial at a time on it, so a trial's device is free (its process tree ended) before the slot's next trial takes it
        var slots = Enumerable.Range(0, r.Parallel)
            .Select(k => r.Devices is { Count: > 0 } devices ? devices[k % devices.Count] : null)
            .Select(device => Task.Run(() => SlotAsync(device, deadline.Token, cancel), CancellationToken.None)).ToList();
        await Task.WhenAll(slots);
        var reason = cancel.IsCancellationRequested ? "interrupted by the user; resume with --resume" : _stopReason ?? "finished";
        r.Projections.Refresh("stopped", reason);
        return reason;
    }

    private async Task SlotAsync(string? device, CancellationToken hardStop, CancellationToken cancel)
    {
        var r = round;
        while (!cancel.IsCancellationRequested && !hardStop.IsCancellationRequested)
        {
            TrialRecord? trial;
            await _pick.WaitAsync(CancellationToken.None);
            try
            {
                trial = NextTrial();
            }
            finally
            {
                _pick.Release();
            }
            if (trial is null)
            {
                if (_stopReason is not null) return;
                // the study's trials are all taken, but another worker's may still come back (re-queued): keep watching
                using var either = CancellationTokenSource.CreateLinkedTokenSource(hardStop, cancel);
                try
                {
                    await Task.Delay(OthersPoll, either.Token);
                }
                catch (OperationCanceledException)
                {
                }
                continue;
            }

            var finish = await r.Executor.RunAsync(trial, r.Schedule?.TemplateFor(trial, r.Template) ?? r.Template, hardStop, cancel, device);
            if (finish is null) continue; // interrupted (re-queued) or taken over by another worker
            r.Store.FinishTrial(r.Study.Id, trial.Number, finish.State, finish.Metrics, finish.Score, finish.ScoreStd, finish.Error);
            if (finish.State == TrialState.Complete)
                lock (_seedRunDurations) _seedRunDurations.Add(finish.Duration / r.Template.Seeds.Count);
            if (finish.Error is { } err && err.Contains("could not start the trainer", StringComparison.Ordinal))
            {
                if (Interlocked.Increment(ref _startFailuresInARow) >= MaxStartFailuresInARow)
                    Stop($"the trainer could not be started {MaxStartFailuresInARow} times in a row ({err}); check --trainer-command");
            }
            else Interlocked.Exchange(ref _startFailuresInARow, 0);
            FailFast(finish);
            var record = r.Store.GetTrial(r.Study.Id, trial.Number) ?? trial;
            r.Observer.TrialFinished(record, IsBest(record));
            r.Projections.Refresh("running", null, record.Number);
        }
        if (hardStop.IsCancellationRequested && !cancel.IsCancellationRequested)
            Stop($"hard stop at the budget limit of {Hours(r.Budget.Limit)} h");
    }

    /// <summary>
    /// Stops the study when this run's first <see cref="SearchRound.FailFastTrials"/> finished trials all
    /// failed for the same reason (the same sentence but for numbers and paths) and none completed:
    /// a trainer that cannot produce a score should not burn the budget.
    /// </summary>
    private void FailFast(TrialFinish finish)
    {
        var n = round.FailFastTrials;
        lock (_firstFinished)
        {
            if (n <= 0 || _firstFinished.Count >= n) return;
            _firstFinished.Add(finish);
            if (_firstFinished.Count < n || _firstFinished.Any(f => f.State != TrialState.Failed || f.Error is null)) return;
            if (_firstFinished.Select(f => FailureKind(f.Error!)).Distinct().Count() != 1) return;
        }
        Stop($"fail-fast: the first {n} trials all failed the same way, none complete: {_firstFinished[0].Error}");
    }

    private static string FailureKind(string error) => Digits().Replace(PathLike().Replace(error, "PATH"), "N");

    [System.Text.RegularExpressions.GeneratedRegex(@"\S*[/\\]\S+")]
    private static partial System.Text.RegularExpressions.Regex PathLike();

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+")]
    private static partial System.Text.RegularExpressions.Regex Digits();

    private void Stop(string reason)
    {
        lock (_seedRunDurations) _stopReason ??= reason;
    }

    /// <summary>The next trial to run, already marked running for this worker; null (with a stop reason) when there is none.</summary>
    private TrialRecord? NextTrial()
    {
        var r = round;
        if (_stopReason is not null) return null;
        if (r.Store.GetStudyAttrs(r.Study.Id).GetValueOrDefault(StudyAttributes.StopRequestedAt) is { } asked
            && DateTimeOffset.TryParse(asked, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var askedAt) && askedAt > _startedAt)
        {
            Stop($"stop asked for at {asked}; resume with --resume");
            return null;
        }
        var whole = TrialEstimate();
        var estimate = whole * r.StartShare;
        var reserve = whole is { } est && r.ReserveSteps > 0 ? est / r.Template.Seeds.Count * ((double)r.ReserveSteps / r.Template.Steps) : TimeSpan.Zero;
        if (r.Budget.Limit is not null && !r.Budget.Fits(estimate + reserve))
        {
            Stop(estimate is { } e
                ? $"budget: {Minutes(r.Budget.Remaining)} min left, a trial{(r.StartShare < 1 ? "'s first rung" : "")} takes about {Minutes(e)} min{(reserve > TimeSpan.Zero ? $" and {Minutes(reserve)} min are kept for full training" : "")}"
                : "budget exhausted");
            return null;
        }
        RecoverStaleTrialsWhenDue();
        var claimed = r.Store.ClaimWaitingTrial(r.Study.Id, r.WorkerId);
        if (claimed is not null) return claimed;

        // one worker at a time reads the history, asks the sampler and adds the trial, across machines
        using var studyLock = r.Store.LockStudy(r.Study.Id, TimeSpan.FromMinutes(10));
        var skips = 0;
        for (var attempt = 0; attempt < 20 + MaxConsecutiveAuditSkips; attempt++)
        {
            var history = r.Store.GetTrials(r.Study.Id);
            var counted = history.Count(t => t.Origin != AuditSkipOrigin);
            if (counted >= r.TargetTrials)
            {
                if (OthersMayStillNeedHelp(history)) return null;
                // "completed" only when a trial did: a study of failures must not read as a success
                Stop(history.Any(t => t.State == TrialState.Complete) ? $"completed: {r.TargetTrials} trials" : $"all {r.TargetTrials} trials ended without a complete one");
                return null;
            }
            if (r.Schedule is { } schedule)
            {
                var step = schedule.Next(history);
                if (step.Trial is not { } next)
                {
                    if (step.StopReason is { } why) Stop(why);
                    return null; // the slot waits for the running trials the schedule needs
                }
                var scheduled = r.Store.AddTrial(r.Study.Id, TrialState.Running, next.Params, next.Seed, next.Origin, next.UniqueKey, r.WorkerId);
                if (scheduled is not null && next.Note is not null) r.Observer.Note($"trial {scheduled.Number}: {next.Note}");
                if (scheduled is not null) return scheduled;
                continue; // another worker added it: read the history again
            }
            if (r.Intensify?.Next(history) is { } extra)
            {
                var repeat = r.Store.AddTrial(r.Study.Id, TrialState.Running, extra.Params, extra.Seed, Intensification.Origin, extra.UniqueKey, r.WorkerId);
                if (repeat is not null)
                {
                    r.Observer.Note($"trial {repeat.Number}: seed {extra.Seed} of a configuration already run, which {extra.Why}");
                    return repeat;
                }
                continue; // another worker took that seed: read the history again
            }
            var seen = r.Sampler.AveragesRepeats ? ConfigEvidence.MeanPerConfiguration(history) : history;
            var suggestion = r.Sampler.Suggest(r.Space, seen, new SamplerContext(r.StudySeed, history.Count, r.Executor.Direction));
            if (suggestion is null)
            {
                if (OthersMayStillNeedHelp(history)) return null;
                Stop($"the {r.Sampler.Name} sampler has nothing left to propose (grid exhausted after {counted} trials)");
                return null;
            }
            if (r.Audit is not null && r.AuditPolicy == AuditPolicy.Skip)
            {
                var finding = r.Audit.Check(RewardScales(suggestion.Params));
                if (!finding.Passed)
                {
                    // Recorded as failed so the sampler learns the region is bad; not counted as a trial.
                    var skipped = r.Store.AddTrial(r.Study.Id, TrialState.Running, suggestion.Params, r.StudySeed, AuditSkipOrigin, suggestion.UniqueKey, r.WorkerId);
                    if (skipped is not null)
                        r.Store.FinishTrial(r.Study.Id, skipped.Number, TrialState.Failed, new Dictionary<string, double>(), null, null, "reward-budget audit: " + finding.Message);
                    if (++skips >= MaxConsecutiveAuditSkips)
                    {
                        Stop($"the reward-budget audit rejected {skips} configurations in a row; widen arrival_bonus or narrow the per-step bonuses, or use --audit warn");
                        return null;
                    }
                    continue;
                }
            }
            var added = r.Store.AddTrial(r.Study.Id, TrialState.Running, suggestion.Params, r.StudySeed, "sampler:" + r.Sampler.Name, suggestion.UniqueKey, r.WorkerId);
            if (added is not null && suggestion.Note is not null) r.Observer.Note($"trial {added.Number}: {r.Sampler.Name} {suggestion.Note}");
            if (added is not null) return added;
            // the unique key was taken (a grid point another worker ran): ask again with the new history
        }
        Stop("the sampler kept proposing configurations that were already run");
        return null;
    }

    /// <summary>Trials of other workers still running (their worker may die and the trial come back) or waiting: not done yet.</summary>
    private bool OthersMayStillNeedHelp(IReadOnlyList<TrialRecord> history) =>
        history.Any(t => t.State == TrialState.Waiting || (t.State == TrialState.Running && t.WorkerId != round.WorkerId));

    /// <summary>Every so often, running trials whose worker stopped beating are re-queued or failed (the study never stalls on a dead machine).</summary>
    private void RecoverStaleTrialsWhenDue()
    {
        var r = round;
        var staleAfter = r.StaleAfter ?? WorkerId.StaleAfter;
        if (DateTime.UtcNow < _nextStaleCheck) return;
        _nextStaleCheck = DateTime.UtcNow + TimeSpan.FromTicks(Math.Max(staleAfter.Ticks / 4, TimeSpan.TicksPerSecond));
        foreach (var t in r.Store.RecoverStaleTrials(r.Study.Id, staleAfter, r.RequeueStale))
            r.Observer.Note($"trial {t.Number} lost its worker (no heartbeat for {staleAfter.TotalSeconds:F0} s); {(r.RequeueStale ? "it will be run again" : "marked failed")}");
    }

    internal Dictionary<string, double> RewardScales(IReadOnlyDictionary<string, object> parameters)
    {
        var (_, reward) = round.Space.ToTrialSections(parameters);
        return reward.Where(kv => ParamValues.AsDouble(kv.Value) is not null).ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value)!.Value, StringComparer.Ordinal);
    }

    /// <summary>The slowest recent seed run's time per env step (null before any run finished).</summary>
    public TimeSpan? SecondsPerStep()
    {
        lock (_seedRunDurations) return _seedRunDurations.Count == 0 ? null : _seedRunDurations.TakeLast(5).Max() / round.Template.Steps;
    }

    private TimeSpan? TrialEstimate()
    {
        lock (_seedRunDurations)
        {
            if (_seedRunDurations.Count == 0) return null;
            // the slowest of the recent seed runs plus a fifth (a shared machine slows down at any moment): budgets are better kept than optimistic
            return _seedRunDurations.TakeLast(5).Max() * round.Template.Seeds.Count * 1.2;
        }
    }

    private void LearnDurationsFromHistory()
    {
        foreach (var t in round.Store.GetTrials(round.Study.Id))
            if (t.State == TrialState.Complete && t.StartedAt is { } s && t.EndedAt is { } e && e > s)
                _seedRunDurations.Add((e - s) / Math.Max(1, t.SeedRuns.Count));
    }

    /// <summary>
    /// Running trials whose worker is gone (this host's process no longer exists, or the
    /// heartbeat went stale) are put back to waiting, so they are re-run from scratch.
    /// </summary>
    private void RecoverInterruptedTrials()
    {
        var r = round;
        foreach (var t in r.Store.GetTrials(r.Study.Id))
        {
            if (t.State != TrialState.Running || t.WorkerId == r.WorkerId) continue;
            if (WorkerId.IsDeadLocalWorker(t.WorkerId) && r.Store.RequeueTrial(r.Study.Id, t.Number))
                r.Observer.Note($"trial {t.Number} was interrupted (its orchestrator {t.WorkerId} is gone); it will be run again");
        }
        RecoverStaleTrialsWhenDue();
    }

    private bool IsBest(TrialRecord record)
    {
        if (record.State != TrialState.Complete) return false;
        var best = BestConfig.Choose(round.Store.GetTrials(round.Study.Id), round.Selection ?? new SelectionRule(round.Executor.Direction), round.Space);
        return best is not null && best.Config.Trials.Any(t => t.Number == record.Number);
    }

    private static string Minutes(TimeSpan? t) => t is { } v ? v.TotalMinutes.ToString("F1", CultureInfo.InvariantCulture) : "?";
    private static string Hours(TimeSpan? t) => t is { } v ? v.TotalHours.ToString("G4", CultureInfo.InvariantCulture) : "?";
}

/// <summary>Names this orchestrator process in the store (host:pid:nonce), and tells whether a named one is gone.</summary>
public static class WorkerId
{
    /// <summary>A running trial whose heartbeat is older than this has lost its worker.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(60);

    public static string New() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>True when the worker ran on this host and its process no longer exists.</summary>
    public static bool IsDeadLocalWorker(string? workerId)
    {
        if (workerId is null) return false;
        var parts = workerId.Split(':');
        if (parts.Length != 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out var pid)) return false;
        if (pid == Environment.ProcessId) return false;
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
