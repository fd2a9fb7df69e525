using System.Text.Json;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>
/// What the analysis needs about a stored study beside its trials: the search space, env and
/// steps per trial (from the settings the automl loop stored on the study) and the env's episode
/// limit. <see cref="Regenerate"/> is the one call that rebuilds the report at the end of a study.
/// </summary>
public sealed record StudyContext
{
    public required StudyRecord Record { get; init; }
    public required string Output { get; init; }
    public required IReadOnlyList<TrialRecord> Trials { get; init; }
    public SearchSpace? Space { get; init; }
    public string EnvName { get; init; } = "vbot-nav-lite";
    public long? StepsPerTrial { get; init; }
    public double? EpisodeLimit { get; init; }
    /// <summary>The settings the study was run with (null when it was not run by automl or they are unreadable).</summary>
    public StudySettings? Settings { get; init; }
    public string StudyDir => Path.Combine(Output, Record.Name);

    /// <summary>How the study chooses its best configuration.</summary>
    public SelectionRule Selection => SelectionRule.Of(Settings, Record.Direction == "minimize" ? ObjectiveDirection.Minimize : ObjectiveDirection.Maximize);

    public static StudyContext Load(IStudyStore store, StudyRecord record, string output)
    {
        var settings = SettingsOf(store, record);
        var env = Text(settings, "Env") ?? "vbot-nav-lite";
        return new StudyContext
        {
            Record = record,
            Output = Path.GetFullPath(output),
            Trials = store.GetTrials(record.Id),
            Space = SpaceOf(settings),
            EnvName = env,
            StepsPerTrial = settings is { } s && s.TryGetProperty("StepsPerTrial", out var steps) && steps.ValueKind == JsonValueKind.Number ? steps.GetInt64() : null,
            EpisodeLimit = EpisodeLimitOf(env, settings),
            Settings = AutomlPipeline.ParseSettings(store.GetStudyAttrs(record.Id).GetValueOrDefault(StudyAttributes.Settings) ?? record.SettingsJson),
        };
    }

    /// <summary>Rebuilds report.html, analysis/report.md, the pictures and the importance YAML of a study, ranked by its score.</summary>
    public static ReportOutput Regenerate(IStudyStore store, StudyRecord record, string output, int top = 5)
    {
        var c = Load(store, record, output);
        return StudyReport.Build(c.ReportInputs(MetricChoice.Resolve(null, null, record.Direction), top));
    }

    public ReportInputs ReportInputs(MetricChoice metric, int top) => new()
    {
        Study = Record.Name,
        Trials = Trials,
        Metric = metric,
        StudyDir = StudyDir,
        Space = Space,
        Top = top,
        EpisodeLimit = EpisodeLimit,
        EnvName = EnvName,
        Selection = Selection,
    };

    // The automl loop stores its settings (space file or preset, env, steps) as JSON on the study.
    private static JsonElement? SettingsOf(IStudyStore store, StudyRecord record)
    {
        var json = store.GetStudyAttrs(record.Id).GetValueOrDefault(StudyAttributes.Settings) ?? record.SettingsJson;
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement? settings, string name) =>
        settings is { } s && s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // Without the space, analysis infers parameter kinds from the values; a space that no longer loads is not an error here.
    private static SearchSpace? SpaceOf(JsonElement? settings)
    {
        if (settings is null) return null;
        try
        {
            if (Text(settings, "Space") is { } path && File.Exists(path)) return SearchSpace.Load(path);
            if (Text(settings, "Preset") is { } preset) return Presets.Resolve(preset);
            if (Text(settings, "Space") is null) return Presets.Resolve("full_unified");
        }
        catch (UserError)
        {
        }
        return null;
    }

    // The study's env_overrides may shorten the episode (max_episode_steps); the lazy-robot check compares against it.
    private static double? EpisodeLimitOf(string env, JsonElement? settings)
    {
        if (!EnvRegistry.Names.Contains(env)) return null;
        var overrides = settings is { } s && s.TryGetProperty("EnvOverrides", out var o) && o.ValueKind == JsonValueKind.Object
            ? System.Text.Json.Nodes.JsonNode.Parse(o.GetRawText()) as System.Text.Json.Nodes.JsonObject : null;
        double Limit(System.Text.Json.Nodes.JsonObject? with)
        {
            using var e = EnvRegistry.Create(env, new EnvOptions(1, null, with));
            return e.MaxEpisodeSteps;
        }
        try
        {
            return Limit(overrides);
        }
        catch (UserError)
        {
            return Limit(null); // overrides this env no longer accepts: the analysis goes on with the env's own limit
        }
    }
}
