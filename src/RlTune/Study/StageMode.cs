using RlTune.Storage;

namespace RlTune.Study;

/// <summary>stage: the search, then the full training of its best configuration (time for it is kept from the budget).</summary>
public sealed class StageMode : IAutomlMode
{
    public async Task<AutomlResult> RunAsync(AutomlSession session, StudyRecord study)
    {
        var s = session.Settings;
        var search = await session.SearchAsync(study, new SearchOptions(s.EnvOverrides, s.Checkpoint, s.HpTrials, s.FullTrainSteps));
        if (session.Cancel.IsCancellationRequested) return session.Result(study, search.Projections, search.Reason);
        var final = await FinalTraining.RunAsync(session, study, search, s.EnvOverrides, s.Checkpoint);
        var stop = final is null ? search.Reason : search.Reason + "; " + final.Text;
        search.Projections.Refresh("stopped", stop);
        return session.Result(study, search.Projections, stop);
    }
}
