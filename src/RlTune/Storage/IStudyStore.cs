using RlTune.Trials;

namespace RlTune.Storage;

/// <summary>A study as stored: its name, objective direction and free-form settings (JSON).</summary>
public sealed record StudyRecord(long Id, string Name, string Direction, string SettingsJson, DateTimeOffset CreatedAt);

/// <summary>One intermediate value of a trial's training: a named metric (success, reward, ...) of one seed's run at an env step.</summary>
public sealed record IntermediateValue(int Number, int Seed, long Step, string Metric, double Value);

/// <summary>
/// The one storage interface. SQLite (embedded default) and PostgreSQL (many machines) implement
/// it; every method is atomic on its own, so several processes may share one study. Times
/// (start, end, heartbeat) come from the store's clock (the database server's for PostgreSQL),
/// so heartbeats compare correctly across machines. A NaN score is stored as no score (null).
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>Opens the study, creating it with these settings when it does not exist yet.</summary>
    StudyRecord CreateOrOpenStudy(string name, string direction, string settingsJson);

    /// <summary>Creates the study; null when one of that name exists already (decided atomically, so of two creators at the same instant one gets null).</summary>
    StudyRecord? CreateStudy(string name, string direction, string settingsJson);
    StudyRecord? FindStudy(string name);
    IReadOnlyList<StudyRecord> ListStudies();

    /// <summary>
    /// Adds a trial with the next number (0, 1, 2, ... per study, contiguous). When
    /// <paramref name="uniqueKey"/> is given and a trial of the study already carries it (a grid
    /// point, an enqueued config), nothing is added and null is returned. A trial added as
    /// running starts now and has a heartbeat now.
    /// </summary>
    TrialRecord? AddTrial(long studyId, TrialState state, IReadOnlyDictionary<string, object> parameters, int seed, string origin, string? uniqueKey, string? workerId);

    /// <summary>Atomically moves the oldest waiting trial to running for this worker; null when none waits.</summary>
    TrialRecord? ClaimWaitingTrial(long studyId, string workerId);

    /// <summary>
    /// Records that the worker is alive. False when the trial is no longer running for this
    /// worker (it was failed or re-queued as stale): the worker should stop it.
    /// </summary>
    bool Heartbeat(long studyId, int number, string workerId);
    void ReportIntermediate(long studyId, int number, long step, double value);

    /// <summary>
    /// Records a running trial's named intermediate metrics (from its trainer's progress lines) for one
    /// seed's run at an env step; non-finite values are skipped, a metric reported again at the same step keeps its last value.
    /// </summary>
    void ReportIntermediateMetrics(long studyId, int number, int seed, long step, IReadOnlyDictionary<string, double> values);

    /// <summary>Every intermediate value of <paramref name="metric"/> in the study, ordered by trial, seed and step.</summary>
    IReadOnlyList<IntermediateValue> GetIntermediateMetrics(long studyId, string metric);
    void AddSeedRun(long studyId, int number, SeedRun run);

    /// <summary>
    /// Ends a waiting or running trial (complete, pruned or failed) with its aggregated metrics and
    /// score. False (and nothing changes) when the trial had already ended: a result is recorded once.
    /// </summary>
    bool FinishTrial(long studyId, int number, TrialState state, IReadOnlyDictionary<string, double> metrics, double? score, double? scoreStd, string? error);

    /// <summary>
    /// Puts a running trial back to waiting (its worker died and re-queueing was chosen), dropping
    /// its partial seed runs and intermediate values. False when it was not running.
    /// </summary>
    bool RequeueTrial(long studyId, int number);

    /// <summary>Running trials whose last heartbeat is older than <paramref name="olderThan"/> (dead or stuck workers).</summary>
    IReadOnlyList<TrialRecord> GetStaleRunningTrials(long studyId, TimeSpan olderThan);

    /// <summary>
    /// Atomically fails (or, with <paramref name="requeue"/>, re-queues) every running trial whose
    /// heartbeat is older than <paramref name="olderThan"/>; a trial that beats again meanwhile is
    /// left alone. Returns the trials changed, as they are now.
    /// </summary>
    IReadOnlyList<TrialRecord> RecoverStaleTrials(long studyId, TimeSpan olderThan, bool requeue);

    /// <summary>
    /// Takes the study's exclusive lock, across processes and machines, until disposed. A worker holds
    /// it while it reads the history, asks the sampler and adds the trial, so no two workers suggest
    /// from the same history. Throws TimeoutException after <paramref name="timeout"/>.
    /// </summary>
    IDisposable LockStudy(long studyId, TimeSpan timeout);

    IReadOnlyList<TrialRecord> GetTrials(long studyId);
    TrialRecord? GetTrial(long studyId, int number);

    /// <summary>Study-level key/value attributes (stop reason, stage, budget start, ...).</summary>
    void SetStudyAttr(long studyId, string key, string value);
    IReadOnlyDictionary<string, string> GetStudyAttrs(long studyId);
}
