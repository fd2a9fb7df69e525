namespace RlTune.Study;

/// <summary>
/// The study's time budget. Time already spent in earlier runs of the study (before a resume)
/// counts against it. Nothing starts that is not expected to finish before the deadline; the
/// deadline token is the hard stop. Time is read from <see cref="Clock"/> (the system's unless a test gives its own).
/// </summary>
public sealed class StudyBudget
{
    private readonly long _start;

    public StudyBudget(TimeSpan? limit, TimeSpan spentBefore, TimeProvider? clock = null)
    {
        Limit = limit;
        SpentBefore = spentBefore;
        Clock = clock ?? TimeProvider.System;
        _start = Clock.GetTimestamp();
    }

    /// <summary>The study's clock: the budget, trial durations and the pruner's refresh all read it.</summary>
    public TimeProvider Clock { get; }
    public TimeSpan? Limit { get; }
    public TimeSpan SpentBefore { get; }
    public TimeSpan Elapsed => SpentBefore + Clock.GetElapsedTime(_start);
    public TimeSpan? Remaining => Limit is { } l ? l - Elapsed : null;
    public bool IsExhausted => Remaining is { } r && r <= TimeSpan.Zero;

    /// <summary>True when work expected to take <paramref name="estimate"/> (null: unknown) fits in the time left.</summary>
    public bool Fits(TimeSpan? estimate) => Remaining is not { } r || (r > TimeSpan.Zero && (estimate is not { } e || e <= r));

    /// <summary>A token that fires at the hard stop (never when there is no limit).</summary>
    public CancellationTokenSource DeadlineSource()
    {
        if (Remaining is not { } r) return new CancellationTokenSource();
        return new CancellationTokenSource(r > TimeSpan.Zero ? r : TimeSpan.Zero, Clock);
    }
}
