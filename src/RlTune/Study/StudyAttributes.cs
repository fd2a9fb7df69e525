using System.Globalization;

namespace RlTune.Study;

/// <summary>
/// The study attributes automl keeps in the store beside the trials (string key, string value per study):
/// every key, and how the ones that are not plain text are read, in one place for the pipeline, the
/// projections, <c>status</c> and the analysis.
/// </summary>
public static class StudyAttributes
{
    /// <summary>JSON of the <see cref="StudySettings"/> the study was last run with.</summary>
    public const string Settings = "settings";

    /// <summary>hp-search, stage, full, eval or pbt.</summary>
    public const string Mode = "mode";

    /// <summary>The search space's YAML, so workers on other machines need not have the file.</summary>
    public const string SpaceYaml = "space_yaml";

    /// <summary>running or stopped.</summary>
    public const string Status = "status";

    public const string StopReason = "stop_reason";

    /// <summary>When a stop was asked for (ISO 8601, e.g. by the dashboard); a run started before then starts no new trial.</summary>
    public const string StopRequestedAt = "stop_requested_at";

    /// <summary>Seconds the study has run over all its runs (a resumed budget goes on from there).</summary>
    public const string ElapsedSeconds = "elapsed_seconds";

    /// <summary>What the reward-budget audit found at the space's defaults, or why it did not run.</summary>
    public const string AuditDefaults = "audit_defaults";

    /// <summary>The full training of the best configuration (stage and full modes): how it went, its score, checkpoint, run dir and metrics (JSON).</summary>
    public const string FinalStatus = "final_status";
    public const string FinalScore = "final_score";
    public const string FinalCheckpoint = "final_checkpoint";
    public const string FinalRunDir = "final_run_dir";
    public const string FinalMetrics = "final_metrics";

    /// <summary>The eval mode's result in a sentence.</summary>
    public const string EvalResult = "eval_result";

    /// <summary>Prefix of a curriculum stage's attributes: stage_N (its progress), stage_N_status, stage_N_checkpoint.</summary>
    public const string StagePrefix = "stage_";

    /// <summary>A curriculum stage's progress in a sentence (stages count from 1).</summary>
    public static string Stage(int number) => StagePrefix + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>promoted, not promoted or stopped.</summary>
    public static string StageStatus(int number) => Stage(number) + "_status";

    /// <summary>The checkpoint a stage's full training left, the warm start of the next.</summary>
    public static string StageCheckpoint(int number) => Stage(number) + CheckpointSuffix;

    private const string CheckpointSuffix = "_checkpoint";

    /// <summary>The curriculum's stage attributes a person reads (progress and status, not checkpoints), in key order.</summary>
    public static IEnumerable<KeyValuePair<string, string>> StageProgress(IReadOnlyDictionary<string, string> attrs) =>
        attrs.Where(kv => kv.Key.StartsWith(StagePrefix, StringComparison.Ordinal) && !kv.Key.EndsWith(CheckpointSuffix, StringComparison.Ordinal))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal);

    /// <summary>A fact about one trial the store has no column for (<see cref="TrialNotes"/>): trial.N.KIND.</summary>
    public static string Trial(int trial, string kind) => $"trial.{trial.ToString(CultureInfo.InvariantCulture)}.{kind}";

    /// <summary>The seconds the study has run; null when not recorded.</summary>
    public static double? Elapsed(IReadOnlyDictionary<string, string> attrs) =>
        double.TryParse(attrs.GetValueOrDefault(ElapsedSeconds), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
}
