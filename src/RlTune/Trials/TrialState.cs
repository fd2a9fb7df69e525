namespace RlTune.Trials;

/// <summary>Life cycle of a trial: waiting (enqueued) -> running -> complete | pruned | failed.</summary>
public enum TrialState
{
    Waiting,
    Running,
    Complete,
    Pruned,
    Failed,
}

public static class TrialStateNames
{
    public static string ToText(this TrialState s) => s.ToString().ToLowerInvariant();

    public static TrialState Parse(string text) => text switch
    {
        "waiting" => TrialState.Waiting,
        "running" => TrialState.Running,
        "complete" => TrialState.Complete,
        "pruned" => TrialState.Pruned,
        "failed" => TrialState.Failed,
        _ => throw new FormatException($"unknown trial state '{text}' (expected waiting, running, complete, pruned or failed)"),
    };

    public static bool IsFinished(this TrialState s) => s is TrialState.Complete or TrialState.Pruned or TrialState.Failed;
}
