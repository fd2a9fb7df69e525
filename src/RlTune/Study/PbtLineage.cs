using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>One PBT trial: the interval it trained and the step it records.</summary>
public sealed record PbtInterval(TrialRecord Trial, PbtStep Step);

/// <summary>
/// The population of a PBT study as its trials record it: each member's intervals, which checkpoint each
/// continued (its own, or a top member's it copied), the best member of the latest generation and the
/// schedule of parameters that led to it.
/// </summary>
public sealed class PbtLineage
{
    private readonly Dictionary<int, PbtInterval> _byTrial;

    private PbtLineage(IReadOnlyList<PbtInterval> intervals)
    {
        Intervals = intervals;
        _byTrial = intervals.ToDictionary(i => i.Trial.Number);
    }

    /// <summary>Every PBT interval of the study, by generation then member.</summary>
    public IReadOnlyList<PbtInterval> Intervals { get; }

    public static PbtLineage Of(IEnumerable<TrialRecord> trials) =>
        new(trials.Select(t => PbtStep.Parse(t.Origin) is { } step ? new PbtInterval(t, step) : null).OfType<PbtInterval>()
            .OrderBy(i => i.Step.Generation).ThenBy(i => i.Step.Member).ToList());

    public bool IsEmpty => Intervals.Count == 0;

    public IEnumerable<int> Members => Intervals.Select(i => i.Step.Member).Distinct().Order();

    /// <summary>The member's intervals in generation order.</summary>
    public IReadOnlyList<PbtInterval> Member(int member) => Intervals.Where(i => i.Step.Member == member).ToList();

    public PbtInterval? ByTrial(int number) => _byTrial.GetValueOrDefault(number);

    /// <summary>The best complete interval of the latest generation that has one (members of one generation have trained equally long); null before any completed.</summary>
    public PbtInterval? Best(ObjectiveDirection direction)
    {
        var complete = Intervals.Where(i => i.Trial.State == TrialState.Complete && i.Trial.Score is not null).ToList();
        if (complete.Count == 0) return null;
        var latest = complete.Max(i => i.Step.Generation);
        var candidates = complete.Where(i => i.Step.Generation == latest);
        return direction == ObjectiveDirection.Maximize
            ? candidates.OrderByDescending(i => i.Trial.Score).ThenBy(i => i.Step.Member).First()
            : candidates.OrderBy(i => i.Trial.Score).ThenBy(i => i.Step.Member).First();
    }

    /// <summary>The intervals whose checkpoints led to trial <paramref name="number"/>, generation 0 first: its training history, copies followed.</summary>
    public IReadOnlyList<PbtInterval> Chain(int number)
    {
        var chain = new List<PbtInterval>();
        for (var at = ByTrial(number); at is not null; at = at.Step.FromTrial is { } from ? ByTrial(from) : null)
            chain.Add(at);
        chain.Reverse();
        return chain;
    }

    /// <summary>The lineage as plain data for <c>pbt/lineage.yaml</c>: every member's intervals, and the best member's schedule.</summary>
    public Dictionary<string, object?> ToData(ObjectiveDirection direction, long intervalSteps)
    {
        var best = Best(direction);
        var data = new Dictionary<string, object?>
        {
            ["interval_steps"] = intervalSteps,
            ["best"] = best is null ? null : new Dictionary<string, object?>
            {
                ["member"] = best.Step.Member, ["generation"] = best.Step.Generation, ["trial"] = best.Trial.Number, ["score"] = best.Trial.Score,
                ["schedule"] = Chain(best.Trial.Number).Select(i => new Dictionary<string, object?>
                {
                    ["from_step"] = i.Step.Generation * intervalSteps, ["trial"] = i.Trial.Number, ["member"] = i.Step.Member,
                    ["params"] = i.Trial.Params.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
                }).ToList(),
            },
            ["members"] = Members.Select(m => new Dictionary<string, object?>
            {
                ["member"] = m,
                ["intervals"] = Member(m).Select(i => new Dictionary<string, object?>
                {
                    ["generation"] = i.Step.Generation, ["trial"] = i.Trial.Number, ["state"] = i.Trial.State.ToText(), ["score"] = i.Trial.Score,
                    ["continued"] = i.Step.FromTrial is null ? "fresh start" : i.Step.Copied ? $"copied member {i.Step.ParentMember} (trial {i.Step.FromTrial})" : $"own (trial {i.Step.FromTrial})",
                }).ToList(),
            }).ToList(),
        };
        return data;
    }
}
