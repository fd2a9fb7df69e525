namespace RlTune.Envs;

/// <summary>How a reward term behaves, for the reward-budget audit.</summary>
public enum RewardTermKind
{
    /// <summary>Paid every step while its condition holds (alive_bonus, position_tracking, ...).</summary>
    PerStepPositive,
    /// <summary>Paid once per episode (arrival_bonus, inner_fence_bonus).</summary>
    OneTime,
    /// <summary>A cost: its weight is normally negative (orientation, action_rate, termination).</summary>
    Penalty,
}

/// <summary>
/// A reward term the env computes. The env multiplies the raw term by its weight from
/// <c>reward_scales</c>; <see cref="MaxRawPerStep"/> bounds the raw value for the audit, and
/// <see cref="MaxStepsPerEpisode"/>, when set, bounds how many steps of an episode can pay it
/// (e.g. a term paid only during a success hold that ends the episode); null: any step.
/// <see cref="MaxRawPerEpisode"/>, when set, bounds the raw term's sum over an episode (e.g. the
/// velocity toward the target sums to at most the distance walked toward it); null: no such bound.
/// </summary>
public sealed record RewardTermInfo(string Name, RewardTermKind Kind, double DefaultWeight, double MaxRawPerStep, string Category, string Description,
    int? MaxStepsPerEpisode = null, double? MaxRawPerEpisode = null);

/// <summary>
/// Means over the episodes that ended since the last call to <see cref="IVecEnv.DrainEpisodes"/>.
/// <see cref="TermMeans"/>: per reward term, the mean weighted per-step value (logged as
/// <c>Reward Instant / name (mean)</c>); <see cref="MetricMeans"/>: the env's own metrics
/// (success, fall, reached_fraction, distance_to_target, mean_speed, ...).
/// </summary>
public sealed record EpisodeReport(int Episodes, double ReturnMean, double ReturnStd, double LengthMean,
    IReadOnlyDictionary<string, double> TermMeans, IReadOnlyDictionary<string, double> MetricMeans);

/// <summary>
/// A batch of environments stepped together, structure of arrays, auto-resetting. Implemented
/// by the body-level <c>vbot-nav-lite</c> and, later, a MuJoCo full-body VBot.
/// </summary>
public interface IVecEnv : IDisposable
{
    string Name { get; }
    int NumEnvs { get; }
    int ObsDim { get; }
    int ActDim { get; }
    /// <summary>Episode limit in steps (for time-limit bootstrapping and scoring).</summary>
    int MaxEpisodeSteps { get; }
    IReadOnlyList<RewardTermInfo> RewardTerms { get; }

    /// <summary>Resets every env from this seed; observations are then in <see cref="Observations"/>.</summary>
    void Reset(int seed);

    /// <summary>Current observations, row-major [NumEnvs x ObsDim].</summary>
    ReadOnlySpan<float> Observations { get; }

    /// <summary>
    /// Steps every env with actions [NumEnvs x ActDim] (clipped to [-1, 1] by the env). Envs that
    /// end are reset at once; their last observation before the reset is kept in
    /// <see cref="FinalObservations"/> (rows of other envs are unspecified).
    /// </summary>
    void Step(ReadOnlySpan<float> actions, Span<float> rewards, Span<bool> terminated, Span<bool> truncated);

    /// <summary>Observations of the envs that ended in the last step, before their reset.</summary>
    ReadOnlySpan<float> FinalObservations { get; }

    EpisodeReport DrainEpisodes();

    /// <summary>Names of the env's own per-episode metrics (success, fall, ...), in the order <see cref="FinalEpisodeMetrics"/> writes them.</summary>
    IReadOnlyList<string> EpisodeMetricNames => [];

    /// <summary>
    /// The metrics of env <paramref name="env"/>'s episode that ended in the last step, so an
    /// evaluation can count each env's first episode alone (valid only for envs that ended).
    /// </summary>
    void FinalEpisodeMetrics(int env, Span<double> values) { }
}

/// <summary>
/// An env whose envs can start training part-way through their first episode (legged_gym's
/// init_at_random_ep_len), so episode ends spread over the rollouts instead of every env ending
/// together: with all envs in step, the spawn states leave the training data for a whole episode.
/// </summary>
public interface IStaggeredEpisodes
{
    /// <summary>Sets every env's step count within its running episode uniformly in [0, episode limit), from this seed.</summary>
    void StaggerEpisodes(int seed);
}

/// <summary>
/// An env whose whole state (bodies, episode counters, random streams, observations) can be saved
/// and restored between rollouts, so a paused training continues its running episodes exactly.
/// </summary>
public interface IEnvSnapshot
{
    /// <summary>The state as bytes; valid between <see cref="IVecEnv.DrainEpisodes"/> and the next step.</summary>
    byte[] SaveState();

    /// <summary>Puts back a state from <see cref="SaveState"/> of an env built with the same settings; false when it does not fit.</summary>
    bool RestoreState(ReadOnlySpan<byte> state);
}
