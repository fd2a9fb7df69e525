using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>What the study loop tells the display (the live Spectre.Console view, or plain lines) and the analysis.</summary>
public interface IStudyObserver
{
    void StudyStarted(string study, string description, int targetTrials, StudyBudget budget);
    void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters);
    void TrialProgress(int number, int seed, TrialProgress progress);
    void TrialFinished(TrialRecord record, bool isBest);
    void Note(string message);

    /// <summary>The search a run ends with has stopped: its trials are final in <paramref name="store"/>, its files under <paramref name="output"/>.</summary>
    void SearchStopped(IStudyStore store, StudyRecord study, string output) { }
}

/// <summary>An observer that shows nothing (tests, library use).</summary>
public sealed class SilentObserver : IStudyObserver
{
    public static readonly SilentObserver Instance = new();
    public void StudyStarted(string study, string description, int targetTrials, StudyBudget budget) { }
    public void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters) { }
    public void TrialProgress(int number, int seed, TrialProgress progress) { }
    public void TrialFinished(TrialRecord record, bool isBest) { }
    public void Note(string message) { }
}
