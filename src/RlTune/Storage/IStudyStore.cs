using RlTune.Study;

namespace RlTune.Storage;

/// <summary>A study as stored: its name, objective direction and free-form settings (JSON).</summary>
public sealed record StudyRecord(long Id, string Name, string Direction, string SettingsJson, DateTimeOffset CreatedAt);

/// <summary>
/// The one storage interface. SQLite (embedded default) and PostgreSQL (many machines) implement
/// it; every method is atomic on its own, so several processes may share one study.
/// </summary>
public interface IStudyStore : IDisposable
{
    /// <summary>Opens the study, creating it with these settings when it does not exist yet.</summary>
    StudyRecord CreateOrOpenStudy(string name, string direction, string settingsJson);
    StudyRecord? FindStudy(string name);
    IReadOnlyList<StudyRecord> ListStudies();

    /// <summary>
    /// Adds a trial with the next number. When <paramref name="uniqueKey"/> is given and a trial
    /// of the study already carries it (a grid point, an enqueued config), nothing is added and
    /// null is returned.
    /// </summary>
    TrialRecord? AddTrial(long studyId, TrialState state, IReadOnlyDictionary<string, object> parameters, int seed, string origin, string? uniqueKey, string? workerId);

    /// <summary>Atomically moves the oldest waiting trial to running for this worker; null when none waits.</summary>
    TrialRecord? ClaimWaitingTrial(long studyId, string workerId);

    void Heartbeat(long studyId, int number, string workerId);
    void ReportIntermediate(long studyId, int number, long step, double value);
    void AddSeedRun(long studyId, int number, SeedRun run);

    /// <summary>Ends a trial (complete, pruned or failed) with its aggregated metrics and score.</summary>
    void FinishTrial(long studyId, int number, TrialState state, IReadOnlyDictionary<string, double> metrics, double? score, double? scoreStd, string? error);

    /// <summary>Puts a running trial back to waiting (its worker died and re-queueing was chosen).</summary>
    void RequeueTrial(long studyId, int number);

    IReadOnlyList<TrialRecord> GetTrials(long studyId);
    TrialRecord? GetTrial(long studyId, int number);

    /// <summary>Study-level key/value attributes (stop reason, stage, budget start, ...).</summary>
    void SetStudyAttr(long studyId, string key, string value);
    IReadOnlyDictionary<string, string> GetStudyAttrs(long studyId);
}
