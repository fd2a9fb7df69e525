using System.Globalization;
using System.Text.Json;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>
/// One seed's finished piece of a trial up to a rung, written to <c>seed_S/rung_K.json</c> when it ends so
/// a re-run of the trial (kill -9, --resume, another worker) starts after it instead of training it again.
/// <see cref="ContinuedFrom"/>: the env step the piece continued from (0: trained from the start).
/// </summary>
public sealed record RungSegment(int Rung, long Steps, Dictionary<string, double> Metrics, double? Score, string RunDir, string? Checkpoint, long ContinuedFrom)
{
    public static string FileOf(string seedDir, int rung) => Path.Combine(seedDir, $"rung_{rung.ToString(CultureInfo.InvariantCulture)}.json");

    public static RungSegment? Read(string seedDir, int rung)
    {
        var file = FileOf(seedDir, rung);
        if (!File.Exists(file)) return null;
        try
        {
            return JsonSerializer.Deserialize<RungSegment>(File.ReadAllText(file));
        }
        catch (JsonException)
        {
            return null; // half-written by a killed run: train the piece again
        }
    }

    public void Write(string seedDir) => AtomicFile.WriteAllText(FileOf(seedDir, Rung), JsonSerializer.Serialize(this));

    /// <summary>
    /// The checkpoint a run left to continue from: the final one, else the newest interval one (a run
    /// killed part-way); never the best one, which is an earlier state.
    /// </summary>
    public static string? LatestCheckpoint(string runDir)
    {
        if (!Directory.Exists(runDir)) return null;
        var files = Directory.EnumerateFiles(runDir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetDirectoryName(f)!.Split(Path.DirectorySeparatorChar).Contains("checkpoints"))
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal) && !Path.GetFileName(f).Contains("best", StringComparison.OrdinalIgnoreCase))
            .ToList();
        return files.FirstOrDefault(f => Path.GetFileName(f).Contains("final", StringComparison.OrdinalIgnoreCase)) ?? files.MaxBy(File.GetLastWriteTimeUtc);
    }
}

public sealed partial class TrialExecutor
{
    /// <summary>
    /// ASHA / Hyperband: every seed trains to the trial's next rung, continuing from its checkpoint at the
    /// rung before when the trainer resumes (else restarting with the larger budget), then the rung rule
    /// promotes or stops the trial. Finished pieces and judgements are kept, so a re-run trains nothing twice.
    /// </summary>
    private async Task<TrialFinish?> RunRungsAsync(TrialRecord trial, TrialTemplate template, IReadOnlyList<int> seeds, string? device,
        CancellationToken hardStop, CancellationToken cancel, CancellationTokenSource lost, CancellationToken stop, long started)
    {
        var settings = rungs!.Settings;
        var first = settings.FirstRungOf(trial.Number);
        var last = new Dictionary<int, RungSegment>();
        var history = new List<RungSegment>();
        for (var rung = first; rung < settings.Ladder.Count; rung++)
        {
            TrialNotes.Set(store, study.Id, trial.Number, TrialNotes.Rung, TrialStage.RungNote(new RungReached(rung, settings.Ladder, first)));
            foreach (var seed in seeds)
            {
                var seedDir = paths.SeedRunDir(trial.Number, seed);
                if (RungSegment.Read(seedDir, rung) is { } done)
                {
                    last[seed] = done;
                    history.Add(done);
                    continue;
                }
                var runDir = Path.Combine(seedDir, $"rung_{rung.ToString(CultureInfo.InvariantCulture)}");
                var (pieceTemplate, from) = PieceTemplate(trial.Number, template, settings, rung, seedDir, runDir, last.GetValueOrDefault(seed));
                var config = paths.ConfigFile(trial.Number, seed).Replace(".json", $"_rung_{rung.ToString(CultureInfo.InvariantCulture)}.json", StringComparison.Ordinal);
                var run = await RunSeedAsync(Job(trial, pieceTemplate, seed, runDir, config, device), null, stop);
                var (result, scored) = (run.Outcome.Run, run.Outcome.Score);
                if (result.Outcome == TrialRunOutcome.Cancelled)
                {
                    if (Interrupted(trial, cancel, lost)) return null;
                    return Paused(trial, $"in its piece to rung {RungSettings.Steps(settings.Ladder[rung])} (seed {seed.ToString(CultureInfo.InvariantCulture)})");
                }
                if (result.Metrics is { Notes.Count: > 0 } read) TrialNotes.SetMetricNotes(store, study.Id, trial.Number, read.Notes);
                var piece = new RungSegment(rung, settings.Ladder[rung], result.Metrics?.Values.ToDictionary() ?? [], scored.Score, result.RunDir, RungSegment.LatestCheckpoint(result.RunDir), from);
                if (scored.Failure is { } error)
                {
                    store.AddSeedRun(study.Id, trial.Number, new SeedRun(seed, piece.Metrics, null, result.RunDir, error));
                    return new TrialFinish(TrialState.Failed, piece.Metrics, null, null, seeds.Count > 1 ? $"seed {seed}: {error}" : error, _clock.GetElapsedTime(started));
                }
                piece.Write(seedDir);
                File.Delete(Path.Combine(seedDir, $"rung_{rung.ToString(CultureInfo.InvariantCulture)}.partial.ckpt"));
                last[seed] = piece;
                history.Add(piece);
            }
            var pieces = seeds.Select(s => last[s]).ToList();
            if (rung == settings.Ladder.Count - 1) break;
            TrialNotes.Set(store, study.Id, trial.Number, TrialNotes.RungPieces, PiecesText(history));
            var judged = rungs.Recorded(trial.Number, rung) ?? rungs.Judge(trial.Number, rung, JudgedValue(pieces, settings), rungs.ProgressCurves(trial.Number, seeds));
            if (!judged.Promoted)
            {
                foreach (var (seed, p) in seeds.Zip(pieces)) store.AddSeedRun(study.Id, trial.Number, new SeedRun(seed, p.Metrics, null, p.RunDir, judged.Why));
                return new TrialFinish(TrialState.Pruned, SeedAggregate.MeanMetrics(pieces.Select(p => p.Metrics)), null, null, judged.Why, _clock.GetElapsedTime(started));
            }
            observer.Note($"trial {trial.Number}: {judged.Why}");
        }
        TrialNotes.Set(store, study.Id, trial.Number, TrialNotes.RungPieces, PiecesText(history));
        var final = seeds.Select(s => (Seed: s, Piece: last[s])).ToList();
        foreach (var (seed, p) in final) store.AddSeedRun(study.Id, trial.Number, new SeedRun(seed, p.Metrics, p.Score, p.RunDir, null));
        var agg = SeedAggregate.Of(final.Select(f => f.Piece.Score!.Value).ToList());
        return new TrialFinish(TrialState.Complete, SeedAggregate.MeanMetrics(final.Select(f => f.Piece.Metrics)), agg.RankValue(ranking, Direction), agg.Std, null, _clock.GetElapsedTime(started));
    }

    /// <summary>How the trial's pieces were trained, for status and the report: "3M continued from 1M" or "3M from step 0".</summary>
    private static string PiecesText(IEnumerable<RungSegment> pieces) =>
        string.Join(", ", pieces.GroupBy(p => p.Rung).OrderBy(g => g.Key).Select(g =>
            RungSettings.Steps(g.First().Steps) + (g.All(p => p.ContinuedFrom > 0) ? " continued from " + RungSettings.Steps(g.Min(p => p.ContinuedFrom))
                : g.Any(p => p.ContinuedFrom > 0) ? " partly continued" : " from step 0")));

    /// <summary>The value a rung judges: the mean over seeds of the score, or of <see cref="RungSettings.JudgeMetric"/>.</summary>
    private static double JudgedValue(IReadOnlyList<RungSegment> pieces, RungSettings settings) =>
        settings.JudgeMetric is { } metric && pieces.All(p => p.Metrics.ContainsKey(metric))
            ? pieces.Average(p => p.Metrics[metric])
            : pieces.Average(p => p.Score!.Value);

    /// <summary>
    /// How one seed trains to <paramref name="rung"/>: continuing a checkpoint when the trainer resumes (this piece's own
    /// interval checkpoint when an earlier attempt was killed part-way, else the rung before's), else from the start with
    /// the rung's budget. Returns the template and the env step it continues from (0: from the start).
    /// </summary>
    private (TrialTemplate Template, long From) PieceTemplate(int trial, TrialTemplate template, RungSettings settings, int rung,
        string seedDir, string runDir, RungSegment? before)
    {
        var extra = new Dictionary<string, object>(template.ExtraRlOverrides, StringComparer.Ordinal);
        // the built-in trainer's linear schedules span the whole ladder, so the pieces add up to one run
        if (settings.BuiltInTrainer) extra["schedule_env_steps"] = settings.Ladder[^1];
        var piece = template with { Steps = settings.Ladder[rung], ExtraRlOverrides = extra };
        if (!settings.TrainerResumes)
        {
            if (before is not null)
                observer.Note($"trial {trial}: rung {RungSettings.Steps(settings.Ladder[rung])} trains from step 0 again (the trainer does not resume; --trainer-resumes says it does)");
            return (piece, 0);
        }
        var partial = Path.Combine(seedDir, $"rung_{rung.ToString(CultureInfo.InvariantCulture)}.partial.ckpt");
        if (RungSegment.LatestCheckpoint(runDir) is { } killed)
        {
            File.Move(killed, partial, overwrite: true); // the run dir is cleared before the piece runs again
        }
        if (File.Exists(partial) && CheckpointSteps(partial) is { } partialSteps && partialSteps > (before?.Steps ?? 0))
            return (piece with { Checkpoint = partial, Resume = true }, partialSteps);
        if (before is null) return (piece, 0);
        if (before.Checkpoint is null || !File.Exists(before.Checkpoint))
        {
            observer.Note($"trial {trial}: rung {RungSettings.Steps(settings.Ladder[rung])} trains from step 0 again: the rung before left no checkpoint in {before.RunDir}");
            return (piece, 0);
        }
        return (piece with { Checkpoint = before.Checkpoint, Resume = true }, before.Steps);
    }

    /// <summary>The env steps a built-in checkpoint was saved at; null for another trainer's file (then the piece before is continued).</summary>
    private static long? CheckpointSteps(string path)
    {
        try
        {
            return Learning.Checkpoint.Load(path).Progress?.EnvSteps;
        }
        catch (UserError)
        {
            return null;
        }
    }
}
