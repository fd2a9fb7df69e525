using RlTune.Storage;

namespace RlTune.Study;

/// <summary>hp-search: the search alone; <c>rltune worker</c> joins a study's search this way, whatever the study's mode.</summary>
public sealed class HpSearchMode : IAutomlMode
{
    public async Task<AutomlResult> RunAsync(AutomlSession session, StudyRecord study)
    {
        var s = session.Settings;
        var search = await session.SearchAsync(study, new SearchOptions(s.EnvOverrides, s.Checkpoint, s.HpTrials, ReserveSteps: 0));
        return session.Result(study, search.Projections, search.Reason);
    }
}
