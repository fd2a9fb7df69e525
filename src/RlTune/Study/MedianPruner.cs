using System.Globalization;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>Which pruner stops unpromising trials early.</summary>
public enum PrunerKind
{
    None,
    /// <summary>The median stopping rule.</summary>
    Median,
    /// <summary>Asynchronous successive halving over env steps (<see cref="RungPruner"/>).</summary>
    Asha,
    /// <summary>Successive halving in brackets of different first rungs (<see cref="RungPruner"/>).</summary>
    Hyperband,
}

/// <summary>
/// The pruner's settings: the intermediate metric it watches (a name from the trainer's PROGRESS
/// lines, e.g. success or reward) and whether higher is better; no trial is pruned before
/// <see cref="WarmupTrials"/> trials have completed, nor before env step <see cref="WarmupSteps"/>.
/// </summary>
public sealed record PrunerSettings(PrunerKind Kind, string Metric, ObjectiveDirection Direction, int WarmupTrials, long WarmupSteps)
{
    /// <summary>One line for state.yaml and the report.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Kind.ToString().ToLowerInvariant()} on {Metric} ({(Direction == ObjectiveDirection.Maximize ? "higher" : "lower")} is better), after {WarmupTrials} completed trials and {WarmupSteps} env steps");
}

/// <summary>
/// The median stopping rule: a running trial whose intermediate value at env step s is worse than
/// the median of the completed trials' values at s is stopped. A completed trial's value at s is
/// the last one it reported at or before s (trials sampled with other rollout sizes report at other
/// steps), averaged over its seeds. The completed trials' curves are read from the store once per
/// seed run and again when older than <see cref="RefreshInterval"/>, so other workers' trials count too.
/// </summary>
public sealed class MedianPruner(IStudyStore store, long studyId, PrunerSettings settings, Action<string>? note = null, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private int _missingMetricNoted;

    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    public PrunerSettings Settings => settings;

    /// <summary>Says once per study that the trainer's progress lines lack the watched metric (a likely misconfiguration).</summary>
    private void NoteMissingMetric(int number, IEnumerable<string> present)
    {
        if (Interlocked.Exchange(ref _missingMetricNoted, 1) != 0) return;
        var names = string.Join(", ", present);
        note?.Invoke($"pruner: trial {number}'s progress lines carry no '{settings.Metric}' ({(names.Length == 0 ? "no values" : "only " + names)}), so the pruner stops nothing; choose another with --pruning-metric");
    }

    /// <summary>A pruning check for one seed's run of a trial (its progress lines arrive on one thread).</summary>
    public Session Start(int number, int seed) => new(this, number, seed);

    /// <summary>Completed trials' curves of the metric: per trial, per seed, (step, value) in step order.</summary>
    private List<List<List<(long Step, double Value)>>> LoadReference(int exceptTrial)
    {
        var complete = store.GetTrials(studyId).Where(t => t.State == TrialState.Complete && t.Number != exceptTrial).Select(t => t.Number).ToHashSet();
        return store.GetIntermediateMetrics(studyId, settings.Metric)
            .Where(v => complete.Contains(v.Number))
            .GroupBy(v => v.Number)
            .Select(trial => trial.GroupBy(v => v.Seed).Select(seed => seed.Select(v => (v.Step, v.Value)).ToList()).ToList())
            .ToList();
    }

    /// <summary>The median over completed trials of their value at <paramref name="step"/>, and how many trials had one.</summary>
    internal static (double Median, int Trials)? MedianAt(IEnumerable<List<List<(long Step, double Value)>>> reference, long step)
    {
        var values = new List<double>();
        foreach (var trial in reference)
        {
            double sum = 0;
            var seeds = 0;
            foreach (var curve in trial)
            {
                var last = curve.LastOrDefault(p => p.Step <= step, (-1, double.NaN));
                if (last.Step < 0) continue;
                sum += last.Value;
                seeds++;
            }
            if (seeds > 0) values.Add(sum / seeds);
        }
        if (values.Count == 0) return null;
        values.Sort();
        var n = values.Count;
        return ((n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2])), n);
    }

    public sealed class Session(MedianPruner pruner, int number, int seed)
    {
        private List<List<List<(long Step, double Value)>>>? _reference;
        private long _loadedAt;

        /// <summary>Why the trial should stop at this progress line, or null to let it run on.</summary>
        public string? Check(long step, long of, IReadOnlyDictionary<string, double> values)
        {
            var s = pruner.Settings;
            if (!values.TryGetValue(s.Metric, out var value))
            {
                pruner.NoteMissingMetric(number, values.Keys);
                return null;
            }
            if (step < s.WarmupSteps || !double.IsFinite(value)) return null;
            if (_reference is null || pruner._clock.GetElapsedTime(_loadedAt) > RefreshInterval)
            {
                _reference = pruner.LoadReference(number);
                _loadedAt = pruner._clock.GetTimestamp();
            }
            if (_reference.Count < Math.Max(1, s.WarmupTrials)) return null;
            if (MedianAt(_reference, step) is not { } m) return null;
            var worse = s.Direction == ObjectiveDirection.Maximize ? value < m.Median : value > m.Median;
            if (!worse) return null;
            return string.Create(CultureInfo.InvariantCulture,
                $"pruned at step {step} of {of} (seed {seed}): {s.Metric} {value:G4} is {(s.Direction == ObjectiveDirection.Maximize ? "below" : "above")} the median {m.Median:G4} of {m.Trials} completed trial{(m.Trials == 1 ? "" : "s")} at that step");
        }
    }
}
