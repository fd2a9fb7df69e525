using System.Globalization;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>
/// eval: evaluates a configuration (the first --seed-configs entry, else the study's best trial, else
/// the space's defaults) over several seeds: with --checkpoint the trainer only evaluates (rl_overrides
/// eval_only and eval_episodes), otherwise it trains for steps_per_trial and evaluates. Results go to
/// eval/summary.yaml and the report.
/// </summary>
public sealed class EvalMode : IAutomlMode
{
    public async Task<AutomlResult> RunAsync(AutomlSession session, StudyRecord study)
    {
        var (s, store, objective, observer) = (session.Settings, session.Store, session.Objective, session.Observer);
        var space = AutomlSession.LoadSpace(s);
        var paths = session.Paths(study);
        IReadOnlyDictionary<string, object> parameters;
        string source;
        if (s.SeedConfigs.Count > 0)
        {
            parameters = SeedConfigs.Load(s.SeedConfigs[0], space)[0];
            source = s.SeedConfigs[0];
        }
        else if (BestConfig.Choose(store.GetTrials(study.Id), SelectionRule.Of(s, objective.Direction), space) is { } best)
        {
            parameters = best.Trial.Params;
            source = $"trial {best.Trial.Number}'s configuration of study {study.Name}";
        }
        else
        {
            parameters = space.Defaults();
            source = $"the defaults of {space.Id}";
        }
        var (command, trainerText) = session.Trainer();
        // the built-in trainer and an external one are told the same in rl_overrides (MotrixLab's train_one.py rejects these keys: docs/external-trainers.md)
        var extra = new Dictionary<string, object>(StringComparer.Ordinal) { ["eval_episodes"] = (long)s.EvalEpisodes };
        if (s.Checkpoint is not null) extra["eval_only"] = true;
        var seeds = Enumerable.Range(s.Seed, s.SeedsPerTrial).ToList();
        var template = new TrialTemplate(s.Env, s.StepsPerTrial, seeds, s.NumEnvs, s.EnvOverrides, s.Checkpoint, s.FreezePreprocessor, extra);
        var runner = session.SeedRunner(study, space, command);
        var runs = new List<Dictionary<string, object?>>();
        var scores = new List<double>();
        var metrics = new List<IReadOnlyDictionary<string, double>>();
        observer.StudyStarted(study.Name, $"eval of {source} over seeds {string.Join(", ", seeds)}", seeds.Count, session.Budget);
        using var deadline = session.Budget.DeadlineSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, session.Cancel);
        foreach (var seed in seeds)
        {
            var name = "seed_" + seed.ToString(CultureInfo.InvariantCulture);
            var job = new SeedJob(parameters, template, seed, null, $"{study.Name}_eval_{name}", Path.Combine(paths.EvalDir, name),
                Path.Combine(paths.ConfigsDir, $"eval_{name}.json"), s.Devices.FirstOrDefault());
            var (run, score) = await runner.RunAsync(job, p => observer.TrialProgress(0, seed, p), linked.Token);
            if (score.Score is { } v)
            {
                scores.Add(v);
                metrics.Add(run.Metrics!.Values);
            }
            runs.Add(new Dictionary<string, object?>
            {
                ["seed"] = seed, ["score"] = score.Score, ["error"] = score.Failure, ["run_dir"] = run.RunDir,
                ["metrics"] = (run.Metrics?.Values ?? new Dictionary<string, double>()).OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            });
            observer.Note($"eval seed {seed}: {(score.Score is { } sc ? "score " + sc.ToString("G4", CultureInfo.InvariantCulture) : "failed: " + score.Failure)}");
            if (linked.IsCancellationRequested) break;
        }
        var agg = scores.Count > 0 ? SeedAggregate.Of(scores) : (SeedAggregate?)null;
        var mean = SeedAggregate.MeanMetrics(metrics);
        var summary = new Dictionary<string, object?>
        {
            ["study"] = study.Name,
            ["evaluated"] = source,
            ["checkpoint"] = s.Checkpoint,
            ["trainer"] = trainerText,
            ["objective"] = objective.Describe(),
            ["eval_episodes"] = s.EvalEpisodes,
            ["seeds"] = seeds.Count,
            ["succeeded"] = scores.Count,
            ["score_mean"] = agg?.Mean,
            ["score_std"] = agg?.Std,
            ["metrics_mean"] = mean.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["params"] = parameters.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key, kv => (object?)kv.Value),
            ["runs"] = runs,
        };
        var file = Path.Combine(paths.EvalDir, "summary.yaml");
        AtomicFile.WriteAllText(file, new YamlDotNet.Serialization.SerializerBuilder().DisableAliases().Build().Serialize(summary));
        var reason = session.Cancel.IsCancellationRequested ? "interrupted by the user"
            : agg is { } a ? $"evaluated over {a.Count} of {seeds.Count} seeds: score {a.Mean.ToString("G4", CultureInfo.InvariantCulture)} ± {a.Std.ToString("G3", CultureInfo.InvariantCulture)}"
            : "every evaluation run failed";
        store.SetStudyAttr(study.Id, StudyAttributes.EvalResult, reason);
        return new AutomlResult(study.Name, reason, paths.StudyDir, file, null, agg?.Mean) { Counts = new TrialCounts(scores.Count, runs.Count - scores.Count, 0, "eval runs") };
    }
}
