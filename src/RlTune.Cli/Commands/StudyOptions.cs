using System.ComponentModel;
using RlTune.Analysis;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>The flags every command that touches a study takes (design.md, CLI conventions), declared once.</summary>
public class StudyOptions : CommandSettings
{
    public const string DefaultOutput = "runs";

    [CommandOption("--output <DIR>"), Description("Run root: the default SQLite store, the trials' run dirs and the reports live under it (default runs/).")]
    public string? Output { get; init; }
    [CommandOption("--storage <URL>"), Description("sqlite:///path.db or postgresql://user@host:port/db (default: RLTUNE_STORAGE, else SQLite under --output).")]
    public string? Storage { get; init; }
    [CommandOption("--study <NAME>"), Description("Study name (default: the latest study; automl without --resume: a new name).")]
    public string? Study { get; init; }

    /// <summary>--output, or its default.</summary>
    public string OutputDir => Output ?? DefaultOutput;

    /// <summary>Opens the store under --output (or --storage) and the named (or latest) study; each miss is one sentence naming the flag.</summary>
    public static (IStudyStore Store, StudyRecord Study) OpenStudy(string outputDir, string? storage, string? studyName)
    {
        var output = Path.GetFullPath(outputDir);
        RequireStore(output, storage);
        var store = StoreFactory.Open(storage, output);
        try
        {
            var record = (studyName is null ? store.ListStudies().MaxBy(x => x.CreatedAt) : store.FindStudy(studyName))
                         ?? throw new UserError(studyName is null ? $"--output: the store in {output} holds no study yet." : $"--study: there is no study '{studyName}' in {output}; {StudiesThere(store)}.");
            return (store, record);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Without --storage (or RLTUNE_STORAGE), the SQLite store under --output must exist: a mistyped --output must not create an empty one.</summary>
    public static void RequireStore(string output, string? storage)
    {
        if (storage is not null || Environment.GetEnvironmentVariable(StoreFactory.EnvironmentVariable) is not null) return;
        var defaultStore = Path.Combine(output, StoreFactory.DefaultFileName);
        if (Directory.Exists(defaultStore)) throw new UserError($"--output: {defaultStore} is a directory, not a study store (the SQLite file rltune automl writes).");
        if (!File.Exists(defaultStore)) throw new UserError($"--output: there is no study store in {output}; run rltune automl first or give --output/--storage.");
    }

    /// <summary>"its studies are a, b" (or that it holds none), for a message about a missing study.</summary>
    public static string StudiesThere(IStudyStore store) =>
        store.ListStudies() is { Count: > 0 } all ? "its studies are " + string.Join(", ", all.Select(x => x.Name).Order(StringComparer.Ordinal)) : "it holds no study yet";
}

/// <summary>The flags of the commands that run a study's trials (automl and worker), declared once.</summary>
public class StudyRunOptions : StudyOptions
{
    [CommandOption("--parallel <P>"), Description("Trials run at once as child processes (default 1).")]
    public int? Parallel { get; init; }
    [CommandOption("--devices <LIST>"), Description("Devices for the trials, e.g. 0,1,2,3: each parallel slot owns one; its trainer gets CUDA_VISIBLE_DEVICES and {device} (default --parallel: devices x --trials-per-device).")]
    public string? Devices { get; init; }
    [CommandOption("--trials-per-device <N>"), Description("Trials that share one device at once (default 1).")]
    public int? TrialsPerDevice { get; init; }
    [CommandOption("--threads-per-trial <T>"), Description("Threads each trainer may use (default: cores / parallel).")]
    public int? ThreadsPerTrial { get; init; }
    [CommandOption("--stale-after <SECONDS>"), Description("A running trial without a heartbeat for this long lost its worker (default 60).")]
    public double? StaleAfter { get; init; }
    [CommandOption("--on-stale <POLICY>"), Description("What happens to such a trial: requeue (run it again, default) or fail.")]
    public string? OnStale { get; init; }
    [CommandOption("--json"), Description("Print the result as JSON.")]
    public bool Json { get; init; }

    /// <summary>--stale-after and --on-stale, checked.</summary>
    public (TimeSpan StaleAfter, bool Requeue) StaleHandling()
    {
        if (StaleAfter is { } sa && !(sa > 0 && double.IsFinite(sa))) throw new UserError($"--stale-after: expected a number of seconds above 0, got {sa}.");
        var requeue = OnStale switch
        {
            null or "requeue" => true,
            "fail" => false,
            _ => throw new UserError($"--on-stale: '{OnStale}' is not a policy; expected requeue or fail."),
        };
        return (StaleAfter is { } secs ? TimeSpan.FromSeconds(secs) : WorkerId.StaleAfter, requeue);
    }
}

/// <summary>The flags of the commands that pick trials by a metric.</summary>
public class MetricOptions : StudyOptions
{
    [CommandOption("--metric <NAME>"), Description("Rank by: score (default) or any logged metric, e.g. success_rate, episode_reward_mean.")]
    public string? Metric { get; init; }
    [CommandOption("--sort <ORDER>"), Description("descending or ascending (default: the study's direction for score, descending otherwise).")]
    public string? Sort { get; init; }
}

/// <summary>The flags of the commands that list the top-ranked trials.</summary>
public class RankingOptions : MetricOptions
{
    [CommandOption("--top <N>"), Description("How many top configurations to list (default 5).")]
    public int Top { get; init; } = 5;
}

/// <summary>Where the analysis commands print tables.</summary>
internal static class Terminal
{
    /// <summary>The console; when output is not a terminal, wide enough that tables in logs and pipes do not wrap.</summary>
    public static IAnsiConsole Console()
    {
        var console = AnsiConsole.Console;
        if (System.Console.IsOutputRedirected) console.Profile.Width = 200;
        return console;
    }
}

/// <summary>A study opened from the store, with what the analysis needs beside its trials (see <see cref="StudyContext"/>).</summary>
public sealed class OpenedStudy : IDisposable
{
    public required IStudyStore Store { get; init; }
    public required StudyContext Context { get; init; }
    public StudyRecord Record => Context.Record;
    public string Output => Context.Output;
    public IReadOnlyList<TrialRecord> Trials => Context.Trials;
    public SearchSpace? Space => Context.Space;
    public string EnvName => Context.EnvName;
    public long? StepsPerTrial => Context.StepsPerTrial;
    public double? EpisodeLimit => Context.EpisodeLimit;
    public string StudyDir => Context.StudyDir;

    public void Dispose() => Store.Dispose();

    /// <summary>Opens the store under --output (or --storage) and the named (or latest) study.</summary>
    public static OpenedStudy Open(StudyOptions s) => Open(s.OutputDir, s.Storage, s.Study);

    public static OpenedStudy Open(string outputDir, string? storage, string? studyName)
    {
        var (store, record) = StudyOptions.OpenStudy(outputDir, storage, studyName);
        try
        {
            return new OpenedStudy { Store = store, Context = StudyContext.Load(store, record, Path.GetFullPath(outputDir)) };
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The --metric to rank by; one no trial has is an error listing those they have.</summary>
    public MetricChoice Metric(MetricOptions s)
    {
        var metric = MetricChoice.Resolve(s.Metric, s.Sort, Record.Direction);
        if (metric.Name == MetricChoice.Score || Trials.Any(t => t.Metrics.ContainsKey(metric.Name))) return metric;
        var known = Trials.SelectMany(t => t.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        throw new UserError($"--metric: no trial of study {Record.Name} has a metric '{metric.Name}'; " +
                            (known.Count > 0 ? $"they have score, {string.Join(", ", known)}." : "they have none yet besides score."));
    }
}
