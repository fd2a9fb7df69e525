using System.Globalization;
using System.Text.Json;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>An ASHA/Hyperband trial's rung: the ladder index it trains to (or stopped or ended at), the ladder's env steps and its bracket.</summary>
public sealed record RungReached(int Rung, IReadOnlyList<long> Ladder, int Bracket)
{
    public long Steps => Ladder[Rung];
}

/// <summary>
/// Where a trial stands in its study's schedule, as status, the dashboard and the report show it: a PBT interval's
/// member and generation (and the member whose checkpoint it copied), an ASHA/Hyperband trial's rung, and why a waiting
/// trial waits when the budget paused it. Read from the trial's origin and its notes, so every reader sees the same.
/// </summary>
public sealed record TrialStage(PbtStep? Pbt, RungReached? Rung, string? Paused)
{
    public bool IsEmpty => Pbt is null && Rung is null && Paused is null;

    public static TrialStage Of(TrialRecord trial, IReadOnlyDictionary<string, string> attrs) =>
        new(PbtStep.Parse(trial.Origin), ReadRung(TrialNotes.Get(attrs, trial.Number, TrialNotes.Rung)),
            trial.State == TrialState.Waiting ? TrialNotes.Get(attrs, trial.Number, TrialNotes.Paused) : null);

    /// <summary>"member 2, generation 1, copied member 0" or "rung 2/3 (3k)"; null when the trial is neither.</summary>
    public string? Text
    {
        get
        {
            var parts = new List<string>();
            if (Pbt is { } p)
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"member {p.Member}, generation {p.Generation}") + (p.Copied ? $", copied member {p.ParentMember}" : ""));
            if (Rung is { } r)
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"rung {r.Rung + 1}/{r.Ladder.Count} ({RungSettings.Steps(r.Steps)})") + (r.Bracket > 0 ? $", bracket {r.Bracket}" : ""));
            return parts.Count == 0 ? null : string.Join("; ", parts);
        }
    }

    /// <summary>The stage's fields for JSON and YAML (only those the trial has); null when it has none.</summary>
    public Dictionary<string, object?>? Fields()
    {
        if (IsEmpty) return null;
        var d = new Dictionary<string, object?>();
        if (Pbt is { } p)
        {
            d["pbt_member"] = p.Member;
            d["pbt_generation"] = p.Generation;
            if (p.Copied) d["pbt_copied_member"] = p.ParentMember;
        }
        if (Rung is { } r)
        {
            d["rung"] = r.Rung + 1;
            d["rungs"] = r.Ladder.Count;
            d["rung_steps"] = r.Steps;
            d["bracket"] = r.Bracket;
        }
        if (Paused is not null) d["paused"] = Paused;
        return d;
    }

    /// <summary>A line summing up a study's stages: how many trials reached each rung, the population's latest generation and copies; null when none.</summary>
    public static string? StudyLine(IEnumerable<(TrialRecord Trial, TrialStage Stage)> stages)
    {
        var list = stages.Where(s => s.Trial.Origin != SearchLoop.AuditSkipOrigin).ToList();
        var parts = new List<string>();
        var rungs = list.Where(s => s.Stage.Rung is not null).Select(s => s.Stage.Rung!).ToList();
        if (rungs.Count > 0)
        {
            var ladder = rungs.MaxBy(r => r.Ladder.Count)!.Ladder;
            parts.Add("trials that reached each rung: " + string.Join(", ", ladder.Select((steps, k) =>
                string.Create(CultureInfo.InvariantCulture, $"{RungSettings.Steps(steps)} {rungs.Count(r => r.Rung >= k)}"))));
        }
        var pbt = list.Where(s => s.Stage.Pbt is not null).Select(s => s.Stage.Pbt!).ToList();
        if (pbt.Count > 0)
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"population: {pbt.Select(p => p.Member).Distinct().Count()} members, latest generation {pbt.Max(p => p.Generation)}, {pbt.Count(p => p.Copied)} copies"));
        var paused = list.Count(s => s.Stage.Paused is not null);
        if (paused > 0) parts.Add($"{paused} paused by the budget (--resume continues them)");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    public static string RungNote(RungReached rung) => JsonSerializer.Serialize(rung);

    private static RungReached? ReadRung(string? json)
    {
        if (json is null) return null;
        try
        {
            return JsonSerializer.Deserialize<RungReached>(json) is { Ladder: { } ladder } r && r.Rung >= 0 && r.Rung < ladder.Count ? r : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
