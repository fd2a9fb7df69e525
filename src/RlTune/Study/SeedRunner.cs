using System.Text.Json.Nodes;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>What a run is trained with besides its sampled parameters (the same for every trial of a search).</summary>
public sealed record TrialTemplate(
    string Env,
    long Steps,
    IReadOnlyList<int> Seeds,
    int? NumEnvs,
    JsonObject EnvOverrides,
    string? Checkpoint,
    bool FreezePreprocessor,
    IReadOnlyDictionary<string, object> ExtraRlOverrides)
{
    /// <summary><see cref="Checkpoint"/> is the trial's own earlier state, to continue (a promoted ASHA trial), not a warm start.</summary>
    public bool Resume { get; init; }

    /// <summary>Warm starts that differ by seed (a PBT member's seed runs each continue their own checkpoint); a seed not listed takes <see cref="Checkpoint"/>.</summary>
    public IReadOnlyDictionary<int, string>? SeedCheckpoints { get; init; }

    public string? CheckpointFor(int seed) => SeedCheckpoints?.GetValueOrDefault(seed) ?? Checkpoint;
}

/// <summary>
/// One seed's run of a configuration: its template, where its run dir and config file go, the trial it
/// belongs to (null: none, an eval run) and the tag the trainer names it by.
/// </summary>
public sealed record SeedJob(
    IReadOnlyDictionary<string, object> Parameters,
    TrialTemplate Template,
    int Seed,
    int? Trial,
    string RunTag,
    string RunDir,
    string ConfigPath,
    string? Device);

/// <summary>How one seed's run went: the trainer's run, and its score or why there is none.</summary>
public sealed record SeedOutcome(TrialRunResult Run, ScoreResult Score);

/// <summary>
/// The one path by which a configuration is trained with one seed, for search trials, the full training
/// and eval runs alike: prepares the run dir (ends a trainer an interrupted orchestrator left running
/// there, then starts clean), writes the trial config, runs the trainer and scores its metrics.
/// </summary>
public sealed class SeedRunner(string study, SearchSpace? space, TrialRunner runner, Objective objective, TrialTimeout timeout,
    IReadOnlyDictionary<string, string>? childEnvironment)
{
    public Objective Objective => objective;

    public async Task<SeedOutcome> RunAsync(SeedJob job, Action<TrialProgress>? onProgress, CancellationToken cancel)
    {
        TrialRunner.KillOrphan(job.RunDir);
        if (Directory.Exists(job.RunDir)) Directory.Delete(job.RunDir, recursive: true);
        var config = TrialConfigs.Build(space, job.Parameters, job.Template, job.Seed, study, job.Trial, job.RunTag, job.RunDir);
        config.Save(job.ConfigPath);
        var request = new TrialRunRequest(job.ConfigPath, job.RunDir, job.RunDir, job.Trial ?? 0, job.Seed, timeout.For(job.Template.Steps),
            childEnvironment, TerminationWeights.Of(config), job.Device);
        var run = await runner.RunAsync(request, onProgress, cancel);
        return new SeedOutcome(run, Score(run));
    }

    private ScoreResult Score(TrialRunResult run)
    {
        if (!run.Succeeded) return ScoreResult.Fail(run.Failure ?? "failed");
        var score = objective.Score(run.Metrics!);
        return score.Score is { } v && !double.IsFinite(v) ? ScoreResult.Fail($"the score is {v}") : score;
    }
}

/// <summary>Builds the trial config JSON a trainer receives from a configuration and the round's template.</summary>
public static class TrialConfigs
{
    public static TrialConfig Build(SearchSpace? space, IReadOnlyDictionary<string, object> parameters, TrialTemplate template, int seed,
        string study, int? trialNumber, string runTag, string runDir)
    {
        Dictionary<string, object> rl, reward;
        if (space is not null) (rl, reward) = space.ToTrialSections(parameters);
        else (rl, reward) = (new Dictionary<string, object>(parameters, StringComparer.Ordinal), new Dictionary<string, object>(StringComparer.Ordinal));
        foreach (var (k, v) in template.ExtraRlOverrides) rl[k] = v;
        rl["max_env_steps"] = template.Steps;
        rl["seed"] = (long)seed;
        if (template.NumEnvs is { } n) rl["num_envs"] = (long)n;
        return new TrialConfig
        {
            RunTag = runTag,
            EnvName = template.Env,
            RewardScales = reward.ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value) ?? throw new UserError($"reward weight '{kv.Key}' must be numeric, got {ParamValues.Canonical(kv.Value)}."), StringComparer.Ordinal),
            RlOverrides = rl,
            Checkpoint = template.CheckpointFor(seed),
            Resume = template.Resume,
            FreezePreprocessor = template.FreezePreprocessor,
            EnvOverrides = (JsonObject)template.EnvOverrides.DeepClone(),
            Study = study,
            Trial = trialNumber,
            RunDir = runDir,
            Params = parameters,
        };
    }
}
