using RlTune.Trials;

namespace RlTune.Study;

/// <summary>A trial a schedule wants added: its configuration, first seed, origin (which says what it continues) and unique key.</summary>
public sealed record ScheduledTrial(Dictionary<string, object> Params, int Seed, string Origin, string UniqueKey, string? Note = null);

/// <summary>What a schedule says next: a trial to add; or none yet (trials still running must end first); or none ever (why the study stops).</summary>
public sealed record ScheduleStep(ScheduledTrial? Trial, string? StopReason = null)
{
    public static readonly ScheduleStep Wait = new((ScheduledTrial?)null);
}

/// <summary>
/// Proposes a study's trials in place of the sampler, for a mode whose trials depend on each other
/// (population-based training: a member's next interval continues a checkpoint of the one before).
/// Like a sampler it keeps no state: every answer comes from the history, so resumes and workers agree.
/// </summary>
public interface ITrialSchedule
{
    /// <summary>Asked under the study's lock with every trial of the study.</summary>
    ScheduleStep Next(IReadOnlyList<TrialRecord> history);

    /// <summary>The template <paramref name="trial"/> runs with (its own warm starts).</summary>
    TrialTemplate TemplateFor(TrialRecord trial, TrialTemplate template);
}
