using System.Globalization;
using RlTune.Numerics;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>
/// Population-based training as a trial schedule. Generation 0 starts every member from the study's
/// warm start with the first seed configurations, then random draws. A later generation starts once
/// the one before has ended (synchronous, so every worker and every resume decides the same): members are
/// ranked by their trial's score, the objective's, never the training reward, whose scale differs with the
/// reward weights; the bottom quantile (and every member whose interval failed) copies the checkpoint of a
/// top member drawn at random and explores its parameters (<see cref="Explore"/>); the rest continue their own.
/// All draws come from the study seed, the generation and the member.
/// </summary>
public sealed class PbtPopulation(IStudyStore store, long studyId, SearchSpace space, PbtSettings pbt, ObjectiveDirection direction,
    int studySeed, int seedsPerTrial, IReadOnlyList<Dictionary<string, object>> initial, Func<IReadOnlyDictionary<string, object>, bool>? acceptable = null)
    : ITrialSchedule
{
    /// <summary>
    /// Parameters a continued checkpoint fixes, so they are inherited, never explored: the network's shape (a checkpoint
    /// only loads into the same network) and the rollout buffer's (a continued run keeps its num_envs and rollouts).
    /// </summary>
    public static readonly IReadOnlySet<string> Inherited = new HashSet<string>(StringComparer.Ordinal)
        { "policy_hidden_layer_sizes", "value_hidden_layer_sizes", "activation", "num_envs", "rollouts" };

    /// <summary>
    /// The trainer continues a checkpoint (<c>resume: true</c>: counters, learning-rate schedule, optimizer, sampling
    /// stream and env state carry on, a member's interval g trains to (g + 1) x steps_per_trial); else each interval
    /// is a warm start of steps_per_trial steps from the checkpoint's weights, optimizer and scalers.
    /// </summary>
    public bool TrainerResumes { get; init; }

    /// <summary>Env steps of the whole schedule, the span of the built-in trainer's linear schedules (schedule_env_steps); null: each run's own.</summary>
    public long? ScheduleSpan { get; init; }

    private const ulong ExplorePurpose = 0x9B7;
    private const int ExploreTries = 50;

    public ScheduleStep Next(IReadOnlyList<TrialRecord> history)
    {
        var lineage = PbtLineage.Of(history);
        var at = lineage.Intervals.ToDictionary(i => (i.Step.Generation, i.Step.Member));
        for (var g = 0; g < pbt.Generations; g++)
        {
            var missing = Enumerable.Range(0, pbt.Population).Where(m => !at.ContainsKey((g, m))).ToList();
            if (missing.Count == 0) continue;
            if (g == 0) return new ScheduleStep(Fresh(missing[0]));
            var previous = Enumerable.Range(0, pbt.Population).Select(m => at[(g - 1, m)].Trial).ToList();
            if (previous.Any(t => t.State is TrialState.Waiting or TrialState.Running)) return ScheduleStep.Wait;
            return Decide(g, previous, missing[0]);
        }
        return new ScheduleStep(null, $"completed: {pbt.Population} members trained {pbt.Generations} generations");
    }

    private ScheduledTrial Fresh(int member)
    {
        var parameters = member < initial.Count
            ? new Dictionary<string, object>(initial[member], StringComparer.Ordinal)
            : RandomSampler.DrawFeasible(space, Rng.For(studySeed, member, purpose: 1));
        var step = new PbtStep(member, 0, null, null);
        return new ScheduledTrial(parameters, SeedOf(step), step.Origin, step.UniqueKey, $"pbt member {member} starts{(member < initial.Count ? " from a seed configuration" : "")}");
    }

    /// <summary>The first training seed of a member's interval: distinct for every interval, so no two replay the same episodes.</summary>
    private int SeedOf(PbtStep step) => studySeed + (step.Generation * pbt.Population + step.Member) * seedsPerTrial;

    /// <summary>Generation <paramref name="g"/>'s plan for <paramref name="member"/>, from how generation g-1 ranked.</summary>
    private ScheduleStep Decide(int g, IReadOnlyList<TrialRecord> previous, int member)
    {
        var complete = previous.Select((t, m) => (Trial: t, Member: m)).Where(x => x.Trial.State == TrialState.Complete && x.Trial.Score is not null).ToList();
        if (complete.Count == 0) return new ScheduleStep(null, $"pbt: every member's interval {g - 1} failed, so no checkpoint is left to copy (see the trials' errors)");
        var ranked = (direction == ObjectiveDirection.Maximize ? complete.OrderByDescending(x => x.Trial.Score) : complete.OrderBy(x => x.Trial.Score))
            .ThenBy(x => x.Member).Select(x => x.Member).ToList();
        var top = ranked.Take(Math.Min(pbt.Replaced, ranked.Count)).ToList();
        foreach (var t in top.Select(m => previous[m]))
            if (MissingCheckpoint(t) is { } dir)
                return new ScheduleStep(null, $"pbt continues members from their checkpoints, but trial {t.Number}'s run dir {dir} holds none; make the trainer save its checkpoint there (e.g. under checkpoints/)");
        var failed = Enumerable.Range(0, pbt.Population).Where(m => !ranked.Contains(m)).ToList();
        var bottom = failed.Concat(ranked.AsEnumerable().Reverse().Take(Math.Max(0, pbt.Replaced - failed.Count)).Where(m => !top.Contains(m))).ToHashSet();
        var own = previous[member];
        if (!bottom.Contains(member))
        {
            if (MissingCheckpoint(own) is { } dir)
                return new ScheduleStep(null, $"pbt continues members from their checkpoints, but trial {own.Number}'s run dir {dir} holds none; make the trainer save its checkpoint there (e.g. under checkpoints/)");
            var kept = new PbtStep(member, g, own.Number, member);
            return new ScheduleStep(new ScheduledTrial(new Dictionary<string, object>(own.Params, StringComparer.Ordinal), SeedOf(kept), kept.Origin, kept.UniqueKey));
        }
        var rng = Rng.For(studySeed, g * pbt.Population + member, ExplorePurpose);
        var parentMember = top[rng.NextInt(top.Count)];
        var parent = previous[parentMember];
        var (explored, changes) = Explore(parent.Params, rng);
        var step = new PbtStep(member, g, parent.Number, parentMember);
        var why = own.State == TrialState.Complete ? $"score {Score(own)} in the bottom {pbt.Replaced}" : $"its interval {own.State.ToText()}";
        return new ScheduleStep(new ScheduledTrial(explored, SeedOf(step), step.Origin, step.UniqueKey,
            $"pbt member {member} ({why}) copies member {parentMember} (trial {parent.Number}, score {Score(parent)}) and explores: {changes}"));
    }

    private static string Score(TrialRecord t) => t.Score?.ToString("G4", CultureInfo.InvariantCulture) ?? "none";

    /// <summary>The run dir of a seed run of <paramref name="trial"/> that holds no checkpoint; null when every one holds one.</summary>
    private static string? MissingCheckpoint(TrialRecord trial) =>
        trial.SeedRuns.Where(r => r.Error is null).Select(r => r.RunDir).FirstOrDefault(d => d is null || RunCheckpoints.Find(d) is null) is { } missing ? missing : null;

    /// <summary>
    /// Ray Tune's explore: each parameter (PPO and reward weight alike; the network's shape is inherited) is drawn
    /// afresh with the resample probability, else a float or integer is multiplied by one of the factors and kept in
    /// its domain, and a choice moves to a neighbouring value. A draw that breaks a constraint (or fails the audit
    /// under --audit skip) is drawn again; after 50 the parent's values are kept.
    /// </summary>
    public (Dictionary<string, object> Params, string Changes) Explore(IReadOnlyDictionary<string, object> parent, Rng rng)
    {
        for (var attempt = 0; attempt < ExploreTries; attempt++)
        {
            var next = new Dictionary<string, object>(parent, StringComparer.Ordinal);
            foreach (var p in space.Params)
            {
                if (Inherited.Contains(p.Name) || !parent.TryGetValue(p.Name, out var value)) continue;
                next[p.Name] = rng.NextDouble() < pbt.ResampleProbability ? Draw(p, rng) : Perturb(p, value, rng);
            }
            if (space.IsFeasible(next) && (acceptable?.Invoke(next) ?? true))
                return (next, Describe(parent, next));
        }
        return (new Dictionary<string, object>(parent, StringComparer.Ordinal), $"no feasible change in {ExploreTries} draws, the parent's values kept");
    }

    // the random sampler's draw of one parameter: uniform on its natural axis (log-uniform for log kinds), uniform among a list's values
    private static object Draw(ParamSpec p, Rng rng) => new ParamAxis(p, new TransformOptions()).DrawValue(rng);

    private object Perturb(ParamSpec p, object value, Rng rng)
    {
        if (p.IsIndexed)
        {
            var index = p.IndexOf(value);
            if (index < 0) return value;
            return p.Values[Math.Clamp(index + (rng.NextInt(2) == 0 ? -1 : 1), 0, p.Values.Count - 1)];
        }
        var x = ParamValues.AsDouble(value);
        if (x is not { } v) return value;
        var scaled = v * pbt.PerturbFactors[rng.NextInt(pbt.PerturbFactors.Count)];
        return p.Kind == ParamKind.Int ? p.SnapInt(scaled) : Math.Clamp(scaled, p.Low, p.High);
    }

    private static string Describe(IReadOnlyDictionary<string, object> before, IReadOnlyDictionary<string, object> after)
    {
        var changed = after.Where(kv => !before.TryGetValue(kv.Key, out var b) || ParamValues.Canonical(b) != ParamValues.Canonical(kv.Value))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key} {Show(before.GetValueOrDefault(kv.Key))} -> {Show(kv.Value)}").ToList();
        return changed.Count == 0 ? "no value changed" : string.Join(", ", changed);
    }

    private static string Show(object? v) => v is double d ? d.ToString("G4", CultureInfo.InvariantCulture) : v is null ? "-" : ParamValues.Canonical(v);

    public TrialTemplate TemplateFor(TrialRecord trial, TrialTemplate template)
    {
        if (PbtStep.Parse(trial.Origin) is not { } step) return template;
        if (ScheduleSpan is { } span)
            template = template with { ExtraRlOverrides = new Dictionary<string, object>(template.ExtraRlOverrides, StringComparer.Ordinal) { ["schedule_env_steps"] = span } };
        if (step.FromTrial is not { } from) return template;
        var source = store.GetTrial(studyId, from) ?? throw new InvalidOperationException($"trial {trial.Number} continues trial {from}, which the study does not hold");
        var seeds = TrialExecutor.SeedsOf(trial, template);
        var sourceSeeds = TrialExecutor.SeedsOf(source, template);
        var checkpoints = new Dictionary<int, string>();
        for (var i = 0; i < seeds.Count; i++)
        {
            var run = source.SeedRuns.FirstOrDefault(r => r.Seed == sourceSeeds[i]);
            // a checkpoint that is gone makes the trainer fail the interval with its own message, rather than start it from scratch
            checkpoints[seeds[i]] = run?.RunDir is { } dir ? RunCheckpoints.Find(dir) ?? Path.Combine(dir, "checkpoints", "missing") : $"(trial {from} has no run of seed {sourceSeeds[i]})";
        }
        return TrainerResumes
            ? template with { SeedCheckpoints = checkpoints, Resume = true, Steps = template.Steps * (step.Generation + 1) }
            : template with { SeedCheckpoints = checkpoints };
    }
}
