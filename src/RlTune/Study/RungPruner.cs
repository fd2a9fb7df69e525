using System.Globalization;
using System.Text.Json;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>What the rung rule does with a trial whose curves look like a lazy robot's.</summary>
public enum LazyRobotPolicy
{
    Off,
    /// <summary>Note it on the trial and let the rung rule decide.</summary>
    Flag,
    /// <summary>Stop the trial at the rung.</summary>
    Prune,
}

/// <summary>
/// Successive halving over env steps. <see cref="Ladder"/> is the rungs, e.g. 1M, 3M, 9M (the last is
/// the whole budget). ASHA runs every trial up the one ladder; Hyperband spreads trials over brackets,
/// bracket b starting at rung b (Li et al.; Optuna's HyperbandPruner), and compares a trial only with
/// its own bracket. <see cref="JudgeMetric"/> null: rungs judge on the objective's score.
/// </summary>
public sealed record RungSettings(PrunerKind Kind, int ReductionFactor, IReadOnlyList<long> Ladder, ObjectiveDirection Direction)
{
    /// <summary>The metrics.json metric rungs judge on in place of the score (success_rate when the objective is a reward and weights are searched).</summary>
    public string? JudgeMetric { get; init; }
    /// <summary>Below this many env steps a trial whose success is still rising is never stopped.</summary>
    public long MinSteps { get; init; }
    public LazyRobotPolicy LazyRobot { get; init; } = LazyRobotPolicy.Flag;
    /// <summary>The trainer continues a checkpoint (<c>resume: true</c>); else a promoted trial restarts with the larger budget.</summary>
    public bool TrainerResumes { get; init; }
    /// <summary>The built-in trainer: it takes <c>schedule_env_steps</c>, so a trial's linear schedules span the whole ladder.</summary>
    public bool BuiltInTrainer { get; init; }

    public int Brackets => Kind == PrunerKind.Hyperband ? Ladder.Count : 1;

    /// <summary>The ladder index of a trial's first rung (its bracket; trials take brackets in turn).</summary>
    public int FirstRungOf(int trial) => trial % Brackets;

    /// <summary>
    /// Rungs as geometric steps from <paramref name="firstRung"/> by <paramref name="factor"/>, ending at <paramref name="budget"/>;
    /// a rung within 1 % of the budget is the budget (budget / 9 rounded down, times 9, is not a rung of its own).
    /// </summary>
    public static IReadOnlyList<long> LadderOf(long firstRung, long budget, int factor)
    {
        var ladder = new List<long>();
        for (double r = firstRung; r < budget * 0.99; r *= factor) ladder.Add((long)Math.Round(r));
        ladder.Add(budget);
        return ladder;
    }

    public string Describe()
    {
        var brackets = Brackets > 1 ? $", {Brackets} brackets" : "";
        var floor = MinSteps > 0 ? $", rising trials kept below {Steps(MinSteps)}" : "";
        var promoted = TrainerResumes ? "continue from their rung checkpoint" : "restart with the larger budget (the trainer does not resume)";
        return $"{Kind.ToString().ToLowerInvariant()}: rungs {string.Join(" -> ", Ladder.Select(Steps))} env steps, reduction factor {ReductionFactor}{brackets}, " +
               $"judged on {JudgeMetric ?? "the objective's score"}{floor}, lazy robots: {LazyRobot.ToString().ToLowerInvariant()}, promoted trials {promoted}";
    }

    public static string Steps(long n) => n >= 1_000_000 && n % 100_000 == 0 ? (n / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M"
        : n >= 1000 && n % 100 == 0 ? (n / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k" : n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A trial's judgement at one rung, as stored (study attribute <c>trial.N.rung_K</c>) so every worker and a resume see it.</summary>
public sealed record RungRecord(int Bracket, long Steps, double Value, bool Promoted, string Why);

/// <summary>
/// The asynchronous successive-halving rule (ASHA; Li et al. 2020, as Optuna's SuccessiveHalvingPruner
/// and Ray Tune's ASHA apply it): a trial reaching rung k is promoted when its value is among the
/// best max(1, ⌊n/η⌋) of the n values its bracket has recorded at k, itself included; no slot waits for
/// a rung to fill. Then the guard rails: a trial below <see cref="RungSettings.MinSteps"/> whose success
/// is still rising is kept, and a lazy robot (reward rising, success flat, episodes at the limit) is
/// flagged or stopped. Records live in the store, so workers on other machines judge against them too.
/// </summary>
public sealed class RungPruner(IStudyStore store, long studyId, RungSettings settings)
{
    /// <summary>Success counts as still rising when the mean of its last quarter beats the quarter before by this much.</summary>
    public const double RisingBy = 0.01;

    public RungSettings Settings => settings;

    private static string Kind(int rung) => "rung_" + rung.ToString(CultureInfo.InvariantCulture);

    /// <summary>The judgement stored for a trial at a rung (a resumed trial keeps it), or null.</summary>
    public RungRecord? Recorded(int trial, int rung) =>
        TrialNotes.Get(store.GetStudyAttrs(studyId), trial, Kind(rung)) is { } json ? Parse(json) : null;

    /// <summary>Judges a trial at ladder rung <paramref name="rung"/> on its value there and its progress curves (per seed), and records the judgement.</summary>
    public RungRecord Judge(int trial, int rung, double value, IReadOnlyList<TrainingCurves> curves)
    {
        var bracket = settings.FirstRungOf(trial);
        var steps = settings.Ladder[rung];
        var suffix = "." + Kind(rung);
        var others = store.GetStudyAttrs(studyId)
            .Where(kv => kv.Key.StartsWith("trial.", StringComparison.Ordinal) && kv.Key.EndsWith(suffix, StringComparison.Ordinal) && kv.Key != StudyAttributes.Trial(trial, Kind(rung)))
            .Select(kv => Parse(kv.Value)).OfType<RungRecord>().Where(r => r.Bracket == bracket).Select(r => r.Value).ToList();
        var (promoted, why) = Promotable(value, others, settings.ReductionFactor, settings.Direction);
        if (!promoted && steps < settings.MinSteps && SuccessRise(curves) is { } rise && rise > RisingBy)
            (promoted, why) = (true, string.Create(CultureInfo.InvariantCulture, $"{why}, but kept: its success is still rising (+{rise:0.###} over the last quarter of its progress) and {RungSettings.Steps(steps)} is below --min-steps {RungSettings.Steps(settings.MinSteps)}"));
        if (settings.LazyRobot != LazyRobotPolicy.Off && LazyRobot(curves) is { } lazy)
        {
            TrialNotes.Set(store, studyId, trial, RewardHackingFlag.LazyRobot, lazy);
            if (settings.LazyRobot == LazyRobotPolicy.Prune) (promoted, why) = (false, "stopped as a lazy robot: " + lazy);
            else why += "; flagged as a lazy robot: " + lazy;
        }
        var record = new RungRecord(bracket, steps, value, promoted, (promoted ? "promoted" : "stopped") + $" at rung {RungSettings.Steps(steps)}: " + why);
        TrialNotes.Set(store, studyId, trial, Kind(rung), JsonSerializer.Serialize(record));
        return record;
    }

    /// <summary>Optuna's rule: among the best max(1, ⌊n/η⌋) of the n values (<paramref name="others"/> and this one).</summary>
    public static (bool Promoted, string Why) Promotable(double value, IReadOnlyList<double> others, int factor, ObjectiveDirection direction)
    {
        var all = others.Append(value).OrderBy(v => direction == ObjectiveDirection.Maximize ? -v : v).ToList();
        var top = Math.Max(1, all.Count / factor);
        var cutoff = all[top - 1];
        var promoted = direction == ObjectiveDirection.Maximize ? value >= cutoff : value <= cutoff;
        return (promoted, string.Create(CultureInfo.InvariantCulture,
            $"{value:G4} {(promoted ? "is" : "is not")} among the best {top} of {all.Count} at this rung (cut-off {cutoff:G4})"));
    }

    /// <summary>The mean over seeds of how much success rose from the second-last to the last quarter of its progress; null with too few points.</summary>
    internal static double? SuccessRise(IReadOnlyList<TrainingCurves> curves)
    {
        var rises = new List<double>();
        foreach (var c in curves)
        {
            if (c.ReachedFraction is not { Count: >= 8 } s) continue;
            var q = s.Count / 4;
            var late = s.Points.Skip(s.Count - q).Average(p => p.Value);
            var before = s.Points.Skip(s.Count - 2 * q).Take(q).Average(p => p.Value);
            rises.Add(late - before);
        }
        return rises.Count == 0 ? null : rises.Average();
    }

    /// <summary>The lazy-robot evidence when at least half the seeds' curves show it, else null.</summary>
    internal static string? LazyRobot(IReadOnlyList<TrainingCurves> curves)
    {
        var flagged = curves.Select(c => RewardHackingDetector.Detect(c).FirstOrDefault(f => f.Kind == RewardHackingFlag.LazyRobot)).OfType<RewardHackingFlag>().ToList();
        return curves.Count > 0 && flagged.Count * 2 >= curves.Count ? flagged[0].Evidence : null;
    }

    /// <summary>A seed's training curves from its PROGRESS lines as stored (reward, success, episode length).</summary>
    public IReadOnlyList<TrainingCurves> ProgressCurves(int trial, IReadOnlyList<int> seeds)
    {
        Dictionary<int, Curve> Read(string metric) => store.GetIntermediateMetrics(studyId, metric).Where(v => v.Number == trial)
            .GroupBy(v => v.Seed).ToDictionary(g => g.Key, g => new Curve(g.OrderBy(v => v.Step).Select(v => (v.Step, v.Value)).ToList()));
        var (reward, success, length) = (Read("reward"), Read("success"), Read("length"));
        return seeds.Select(seed => new TrainingCurves
        {
            Reward = reward.GetValueOrDefault(seed), ReachedFraction = success.GetValueOrDefault(seed), EpisodeLength = length.GetValueOrDefault(seed),
        }).ToList();
    }

    private static RungRecord? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<RungRecord>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
