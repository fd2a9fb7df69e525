using System.Text.Json.Nodes;

namespace RlTune.Dashboard;

// The JSON the API returns (docs/dashboard.md documents every field; names go out in snake_case).
// Times are ISO 8601 UTC, durations in seconds, a missing value is null.

/// <summary>One row of <c>GET /api/studies</c>.</summary>
public sealed record StudySummaryView(
    string Name,
    string Direction,
    string? Mode,
    string? Status,
    string? StopReason,
    int Trials,
    int Finished,
    int? TargetTrials,
    int Complete,
    int Running,
    int Waiting,
    int Failed,
    int Pruned,
    int? BestTrial,
    double? BestScore,
    double? BestScoreStd,
    int? BestSeeds,
    DateTimeOffset CreatedAt,
    double? ElapsedSeconds,
    double? BudgetSeconds,
    double? BudgetLeftSeconds);

/// <summary>A parameter of the study's search space.</summary>
public sealed record ParamView(string Name, string Kind, string Section, string? Category, double? Low, double? High, bool Log, IReadOnlyList<JsonNode?>? Values);

/// <summary><c>GET /api/studies/{name}</c>: the summary plus the study's set-up and best configuration.</summary>
public sealed record StudyDetailView(
    StudySummaryView Summary,
    string Env,
    string? Objective,
    string? SearchMethod,
    int? SeedsPerTrial,
    string? BestChosenBy,
    JsonObject? BestParams,
    string? AuditAtDefaults,
    string? FinalStatus,
    IReadOnlyList<ParamView> Params,
    IReadOnlyDictionary<string, List<int>> Devices,
    IReadOnlyList<string> CurveMetrics,
    bool ActionsAllowed,
    double PollSeconds);

/// <summary>A reward-hacking flag raised by one seed's curves.</summary>
public sealed record FlagView(string Kind, int Seed, string Evidence);

/// <summary>One row of <c>GET /api/studies/{name}/trials</c>.</summary>
public sealed record TrialView(
    int Number,
    string State,
    string? Origin,
    JsonObject Params,
    double? Score,
    double? ScoreStd,
    IReadOnlyList<int> Seeds,
    string? Device,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    double? DurationSeconds,
    string? Worker,
    double? HeartbeatAgeSeconds,
    long? LastStep,
    IReadOnlyList<FlagView> Flags,
    string? Error,
    StageView? Stage);

/// <summary>Where a trial stands in a PBT population or on an ASHA/Hyperband ladder (null fields: not that kind of study).</summary>
public sealed record StageView(string? Text, int? PbtMember, int? PbtGeneration, int? PbtCopiedMember, int? Rung, int? Rungs, long? RungSteps, int? Bracket, string? Paused);

/// <summary>A file under a trial's directory, its path relative to the study dir (what <c>/files?path=</c> takes).</summary>
public sealed record FileView(string Path, long Bytes);

/// <summary>One seed's run of a trial.</summary>
public sealed record SeedRunView(int Seed, double? Score, IReadOnlyDictionary<string, double> Metrics, string? Error, string? RunDir, bool RunDirServed, string? ConfigFile);

/// <summary><c>GET /api/studies/{name}/trials/{number}</c>.</summary>
public sealed record TrialDetailView(
    TrialView Trial,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<SeedRunView> SeedRuns,
    JsonNode? Config,
    string? ConfigFile,
    IReadOnlyList<double[]> Intermediate,
    IReadOnlyDictionary<string, string> MetricNotes,
    AuditTrialView? Audit,
    IReadOnlyList<FileView> Files);

/// <summary>One seed's learning curve of a metric from the trainer's PROGRESS lines.</summary>
public sealed record CurveView(int Trial, int Seed, string State, IReadOnlyList<double[]> Points);

/// <summary><c>GET /api/studies/{name}/curves?metric=NAME</c>.</summary>
public sealed record CurveSetView(string Metric, IReadOnlyList<CurveView> Curves);

/// <summary>One parameter's importance (share of the summed main effects, fANOVA over a random forest).</summary>
public sealed record ImportanceParamView(string Parameter, double Importance, double ImportanceStd, string? Section, string? Category);

/// <summary>The summed importance of a category (or section when a parameter has no category).</summary>
public sealed record ImportanceCategoryView(string Category, double Importance);

/// <summary><c>GET /api/studies/{name}/importance</c>.</summary>
public sealed record ImportanceView(string Metric, int UsedTrials, string? Note, string? Caution, IReadOnlyList<ImportanceParamView> Parameters, IReadOnlyList<ImportanceCategoryView> Categories);

/// <summary>The reward-budget audit of one trial's reward weights.</summary>
public sealed record AuditTrialView(int Number, bool Passed, double Arrival, double PerStepPerEpisode, int EpisodeLength, string Message);

/// <summary><c>GET /api/studies/{name}/audit</c>.</summary>
public sealed record AuditView(bool Available, string? Reason, string? AtDefaults, string? Policy, IReadOnlyList<AuditTrialView> Trials);

/// <summary>What an action did.</summary>
public sealed record ActionResultView(string Action, string Study, int? Trial, string Message);

/// <summary>Every error the API returns: one sentence.</summary>
public sealed record ErrorView(string Error);
