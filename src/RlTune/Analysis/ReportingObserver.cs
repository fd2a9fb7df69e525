using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>
/// Passes everything on to <paramref name="display"/> and, when a search stops, rebuilds the study's
/// analysis report (importance, pictures, report.html); a report that cannot be written is told, it never fails the study.
/// </summary>
public sealed class ReportingObserver(IStudyObserver display) : IStudyObserver
{
    /// <summary>The report.html written when the search stopped (null before, or when it could not be written).</summary>
    public string? HtmlReport { get; private set; }

    public void StudyStarted(string study, string description, int targetTrials, StudyBudget budget) => display.StudyStarted(study, description, targetTrials, budget);
    public void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters) => display.TrialStarted(number, seed, parameters);
    public void TrialProgress(int number, int seed, TrialProgress progress) => display.TrialProgress(number, seed, progress);
    public void TrialFinished(TrialRecord record, bool isBest) => display.TrialFinished(record, isBest);
    public void Note(string message) => display.Note(message);

    public void SearchStopped(IStudyStore store, StudyRecord study, string output)
    {
        display.SearchStopped(store, study, output);
        try
        {
            var report = StudyContext.Regenerate(store, study, output);
            HtmlReport = report.HtmlPath;
            display.Note($"analysis: {report.HtmlPath} ({report.Pictures.Count} pictures), {report.YamlPath}");
        }
        catch (Exception e) when (e is UserError or IOException or InvalidOperationException or ArgumentException)
        {
            display.Note($"analysis report not written: {e.Message}");
        }
    }
}
