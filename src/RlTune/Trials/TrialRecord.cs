namespace RlTune.Trials;

/// <summary>One seed's run of a trial's configuration.</summary>
public sealed record SeedRun(int Seed, IReadOnlyDictionary<string, double> Metrics, double? Score, string? RunDir, string? Error);

/// <summary>
/// A trial: one sampled configuration (PPO parameters and reward weights together), run with one
/// or more seeds. <see cref="Metrics"/> holds the mean over seeds, <see cref="Score"/> the
/// objective used for ranking (already aggregated over seeds).
/// </summary>
public sealed record TrialRecord
{
    public required long StudyId { get; init; }
    public required int Number { get; init; }
    public required TrialState State { get; init; }
    /// <summary>Flat map of every sampled (and enqueued) parameter value; see <see cref="ParamValues"/>.</summary>
    public required IReadOnlyDictionary<string, object> Params { get; init; }
    public int Seed { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public double? Score { get; init; }
    public double? ScoreStd { get; init; }
    public IReadOnlyList<SeedRun> SeedRuns { get; init; } = [];
    /// <summary>Intermediate objective values by training step (for pruning and learning curves).</summary>
    public IReadOnlyList<(long Step, double Value)> Intermediate { get; init; } = [];
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public string? WorkerId { get; init; }
    public DateTimeOffset? Heartbeat { get; init; }
    public string? Error { get; init; }
    /// <summary>Where the trial came from: "sampler:tpe", "grid", "enqueued", "defaults", ...</summary>
    public string? Origin { get; init; }
}
