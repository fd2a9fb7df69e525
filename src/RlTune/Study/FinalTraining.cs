using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RlTune.Storage;

namespace RlTune.Study;

/// <summary>The outcome of a full training of one configuration (a stage's final run).</summary>
public sealed record FinalTraining(double? Score, IReadOnlyDictionary<string, double> Metrics, string? Checkpoint, string RunDir, string? Failure)
{
    // a NaN or infinite metric is kept as "NaN"/"Infinity", never stored as a number it was not
    private static readonly JsonSerializerOptions MetricsJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string Text => Failure is not null
        ? $"full training failed: {Failure}"
        : $"full training done (score {Score?.ToString("G4", CultureInfo.InvariantCulture)}, checkpoint {Checkpoint ?? "none found"})";

    /// <summary>
    /// Trains the search's best configuration for full_train_steps with the study's seed, evaluates it and
    /// exports its checkpoint; null when there is no best or the budget cannot fit it (final_status says which).
    /// </summary>
    public static async Task<FinalTraining?> RunAsync(AutomlSession session, StudyRecord study, SearchOutcome search, JsonObject envOverrides, string? warmStart)
    {
        var (s, store) = (session.Settings, session.Store);
        var best = search.Projections.Best(store.GetTrials(study.Id))?.Trial;
        if (best is null)
        {
            store.SetStudyAttr(study.Id, StudyAttributes.FinalStatus, "not run: no trial completed");
            return null;
        }
        if (search.Loop.SecondsPerStep() is { } perStep && !session.Budget.Fits(perStep * s.FullTrainSteps))
        {
            store.SetStudyAttr(study.Id, StudyAttributes.FinalStatus, $"not run: the budget has {session.Budget.Remaining?.TotalMinutes:F1} min left, full training takes about {(perStep * s.FullTrainSteps).TotalMinutes:F1} min");
            return null;
        }
        var paths = search.Projections.Paths;
        var (command, _) = session.Trainer();
        var template = new TrialTemplate(s.Env, s.FullTrainSteps, [s.Seed], s.NumEnvs, envOverrides, warmStart, s.FreezePreprocessor, new Dictionary<string, object>());
        var runner = session.SeedRunner(study, AutomlSession.LoadSpace(s), command);
        store.SetStudyAttr(study.Id, StudyAttributes.FinalStatus, $"running: trial {best.Number}'s configuration for {s.FullTrainSteps} steps");
        search.Projections.Refresh("running", null);
        session.Observer.Note($"full training of trial {best.Number}'s configuration for {s.FullTrainSteps} steps in {paths.FinalDir}");
        using var deadline = session.Budget.DeadlineSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, session.Cancel);
        var job = new SeedJob(best.Params, template, s.Seed, best.Number, $"{study.Name}_final", paths.FinalDir, Path.Combine(paths.ConfigsDir, "final.json"), s.Devices.FirstOrDefault());
        var (run, score) = await runner.RunAsync(job, p => session.Observer.TrialProgress(-1, s.Seed, p), linked.Token);
        var final = run.Succeeded
            ? new FinalTraining(score.Score, run.Metrics!.Values, ExportCheckpoint(run.RunDir, paths.StudyDir), run.RunDir, score.Failure)
            : new FinalTraining(null, run.Metrics?.Values ?? new Dictionary<string, double>(), null, run.RunDir, run.Failure);
        store.SetStudyAttr(study.Id, StudyAttributes.FinalStatus, final.Failure is null ? "done" : "failed: " + final.Failure);
        if (final.Score is { } sc) store.SetStudyAttr(study.Id, StudyAttributes.FinalScore, sc.ToString("R", CultureInfo.InvariantCulture));
        if (final.Checkpoint is not null) store.SetStudyAttr(study.Id, StudyAttributes.FinalCheckpoint, final.Checkpoint);
        store.SetStudyAttr(study.Id, StudyAttributes.FinalRunDir, final.RunDir);
        store.SetStudyAttr(study.Id, StudyAttributes.FinalMetrics, JsonSerializer.Serialize(final.Metrics.OrderBy(kv => kv.Key).ToDictionary(), MetricsJson));
        return final;
    }

    /// <summary>Copies the trained checkpoint of a run dir (<see cref="Trials.RunCheckpoints.Find"/>) to <c>&lt;study&gt;/best_checkpoint...</c>.</summary>
    private static string? ExportCheckpoint(string runDir, string studyDir)
    {
        if (Trials.RunCheckpoints.Find(runDir) is not { } chosen) return null;
        var target = Path.Combine(studyDir, "best_checkpoint" + Path.GetExtension(chosen));
        File.Copy(chosen, target + ".tmp", overwrite: true);
        File.Move(target + ".tmp", target, overwrite: true);
        return target;
    }
}
