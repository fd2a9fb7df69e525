using System.Globalization;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>
/// pbt: population-based training (<see cref="PbtPopulation"/>) over the one trial path: each member's interval
/// of steps_per_trial env steps is one trial, warm-started from the checkpoint it continues, so the store, resume,
/// workers, the budget and several seeds per member work as in a search. Leaves pbt/lineage.yaml (every member's
/// intervals and copies, and the best member's schedule of parameters); export-best writes that schedule and
/// train-one replays it.
/// </summary>
public sealed class PbtMode : IAutomlMode
{
    public async Task<AutomlResult> RunAsync(AutomlSession session, StudyRecord study)
    {
        var (s, store) = (session.Settings, session.Store);
        var space = AutomlSession.LoadSpace(s);
        Check(s, space, session.Objective);
        var audit = s.Audit == AuditPolicy.Skip ? RewardBudgetAudit.ForEnv(s.Env, s.EnvOverrides, s.AuditEpisodeLength) : null;
        var initial = s.SeedConfigs.SelectMany(f => SeedConfigs.Load(f, space)).ToList();
        var population = new PbtPopulation(store, study.Id, space, s.Pbt, session.Objective.Direction, s.Seed, s.SeedsPerTrial, initial,
            audit is null ? null : p => audit.Check(AutomlSession.RewardScales(space, p)).Passed)
        {
            TrainerResumes = s.TrainerCommand is null || s.TrainerResumes,
            ScheduleSpan = s.TrainerCommand is null ? s.StepsPerTrial * s.Pbt.Generations : null,
        };
        var options = new SearchOptions(s.EnvOverrides, s.Checkpoint, s.Pbt.Population * s.Pbt.Generations, ReserveSteps: 0)
        {
            Schedule = population,
            MethodText = $"pbt ({s.Pbt.Describe()}, {s.StepsPerTrial} env steps per interval)",
        };
        var search = await session.SearchAsync(study, options);
        var lineage = PbtLineage.Of(store.GetTrials(study.Id));
        WriteLineage(session.Paths(study), lineage, session.Objective.Direction, s.StepsPerTrial);
        var result = session.Result(study, search.Projections, search.Reason);
        if (lineage.Best(session.Objective.Direction) is not { } best) return result with { BestSummary = null, BestScore = null };
        return result with
        {
            BestSummary = search.Projections.Paths.TrialSummaryFile(best.Trial.Number),
            BestScore = best.Trial.Score,
            StopReason = result.StopReason + string.Create(CultureInfo.InvariantCulture, $"; best member {best.Step.Member} (trial {best.Trial.Number}, generation {best.Step.Generation})"),
        };
    }

    /// <summary>
    /// What pbt refuses before the study is stored: ranking members on a reward when the reward weights are searched
    /// (a member with larger weights would win for its scale, not its walking).
    /// </summary>
    public static void Check(StudySettings s, SearchSpace space, Objective objective)
    {
        if (objective is MetricObjective m && m.Metric.Contains("reward", StringComparison.OrdinalIgnoreCase) && space.Params.Any(p => p.Section == ParamSection.RewardWeights))
            throw new UserError($"--objective: pbt ranks members whose reward weights differ, so their '{m.Metric}' values are not comparable; rank them by success_rate, the navigation1 score (the default) or another metric the weights do not scale.");
    }

    public static string LineageFile(StudyPaths paths) => Path.Combine(paths.StudyDir, "pbt", "lineage.yaml");

    private static void WriteLineage(StudyPaths paths, PbtLineage lineage, ObjectiveDirection direction, long intervalSteps)
    {
        var file = LineageFile(paths);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        AtomicFile.WriteAllText(file, new YamlDotNet.Serialization.SerializerBuilder().DisableAliases().Build().Serialize(lineage.ToData(direction, intervalSteps)));
    }
}
