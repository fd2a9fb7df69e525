using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Storage;

namespace RlTune.Study;

/// <summary>
/// full: the curriculum of stages, each a study of its own (&lt;study&gt;-stageN-NAME) searched and fully
/// trained, warm-started from the checkpoint of the stage before, promoted when its success rate reaches
/// the stage's threshold within its attempts; a resume skips the stages already promoted.
/// </summary>
public sealed class FullMode : IAutomlMode
{
    public async Task<AutomlResult> RunAsync(AutomlSession session, StudyRecord parent)
    {
        var (s, store) = (session.Settings, session.Store);
        var paths = session.Paths(parent);
        var warmStart = s.Checkpoint;
        var reason = "curriculum finished: every stage promoted";
        SearchOutcome? last = null;
        var parentProjections = new StudyProjections(store, parent, paths, new StudyDescription
        {
            Mode = "full", Objective = session.Objective.Describe(), Direction = session.Objective.Direction, SearchMethod = s.SearchMethod,
            Space = s.Space ?? s.Preset ?? s.DefaultPreset, Env = s.Env, Trainer = s.TrainerCommand ?? AutomlSession.BuiltInTrainerText,
            StepsPerTrial = s.StepsPerTrial, SeedsPerTrial = s.SeedsPerTrial, Parallel = s.EffectiveParallel, TargetTrials = s.HpTrials,
            AuditPolicy = s.Audit.ToString().ToLowerInvariant(),
        }, session.Budget);
        for (var i = 0; i < s.Stages.Count; i++)
        {
            var stage = s.Stages[i];
            var number = i + 1;
            var attrs = store.GetStudyAttrs(parent.Id);
            if (attrs.GetValueOrDefault(StudyAttributes.StageStatus(number)) == "promoted")
            {
                warmStart = attrs.GetValueOrDefault(StudyAttributes.StageCheckpoint(number)) ?? warmStart;
                continue; // done before a resume
            }
            var overrides = (JsonObject)s.EnvOverrides.DeepClone();
            foreach (var (k, v) in stage.EnvOverrides) overrides[k] = v?.DeepClone();
            var stageName = $"{parent.Name}-stage{number}-{stage.Name}";
            var stageStudy = store.FindStudy(stageName) ?? store.CreateOrOpenStudy(stageName, session.Objective.Direction.ToText(), AutomlPipeline.SerializeSettings(s));
            var promoted = false;
            for (var attempt = 1; attempt <= s.StageAttempts && !promoted; attempt++)
            {
                store.SetStudyAttr(parent.Id, StudyAttributes.Stage(number), $"{stage.Name}: attempt {attempt}, searching (study {stageName})");
                parentProjections.Refresh("running", null);
                var search = await session.SearchAsync(stageStudy, new SearchOptions(overrides, warmStart, s.HpTrials * attempt, s.FullTrainSteps));
                last = search;
                if (session.Cancel.IsCancellationRequested) return session.Result(stageStudy, search.Projections, search.Reason);
                var final = await FinalTraining.RunAsync(session, stageStudy, search, overrides, warmStart);
                if (final is null || final.Failure is not null)
                {
                    reason = $"stage {number} ({stage.Name}): {(final is null ? store.GetStudyAttrs(stageStudy.Id).GetValueOrDefault(StudyAttributes.FinalStatus) ?? search.Reason : "full training failed: " + final.Failure)}";
                    store.SetStudyAttr(parent.Id, StudyAttributes.Stage(number), reason);
                    store.SetStudyAttr(parent.Id, StudyAttributes.StageStatus(number), "stopped");
                    parentProjections.Refresh("stopped", reason);
                    search.Projections.Refresh("stopped", reason);
                    return session.Result(stageStudy, search.Projections, reason);
                }
                var success = final.Metrics.GetValueOrDefault("success_rate", double.NaN);
                promoted = success >= stage.SuccessThreshold;
                if (final.Checkpoint is not null) warmStart = final.Checkpoint;
                var verdict = $"{stage.Name}: attempt {attempt}, success {success.ToString("G3", CultureInfo.InvariantCulture)} {(promoted ? ">=" : "<")} {stage.SuccessThreshold.ToString("G3", CultureInfo.InvariantCulture)}: {(promoted ? "promoted" : "not promoted")}";
                store.SetStudyAttr(parent.Id, StudyAttributes.Stage(number), verdict);
                if (final.Checkpoint is not null) store.SetStudyAttr(parent.Id, StudyAttributes.StageCheckpoint(number), final.Checkpoint);
                search.Projections.Refresh("stopped", search.Reason + "; " + verdict);
                session.Observer.Note(verdict);
                if (session.Budget.IsExhausted) break;
            }
            if (!promoted)
            {
                reason = $"stage {number} ({stage.Name}) did not reach success {stage.SuccessThreshold} in {s.StageAttempts} attempts{(session.Budget.IsExhausted ? " before the budget ended" : "")}";
                store.SetStudyAttr(parent.Id, StudyAttributes.StageStatus(number), "not promoted");
                parentProjections.Refresh("stopped", reason);
                return session.Result(stageStudy, last!.Projections, reason);
            }
            store.SetStudyAttr(parent.Id, StudyAttributes.StageStatus(number), "promoted");
        }
        if (warmStart is not null) store.SetStudyAttr(parent.Id, StudyAttributes.FinalCheckpoint, warmStart);
        parentProjections.Refresh("stopped", reason);
        return new AutomlResult(parent.Name, reason, paths.StudyDir, paths.ReportFile, null, null)
        {
            Counts = TrialCounts.Of(store.ListStudies().Where(x => x.Name.StartsWith(parent.Name + "-stage", StringComparison.Ordinal)).SelectMany(x => store.GetTrials(x.Id))),
        };
    }
}
