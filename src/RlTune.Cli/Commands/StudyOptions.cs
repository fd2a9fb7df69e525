using System.ComponentModel;
using RlTune.Analysis;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>The flags every command that reads a study takes (design.md, CLI conventions).</summary>
public class StudyOptions : CommandSettings
{
    [CommandOption("--output <DIR>"), Description("Run root (default runs/).")]
    public string Output { get; init; } = "runs";
    [CommandOption("--storage <URL>"), Description("sqlite:///path.db or postgresql://... (default: SQLite under --output).")]
    public string? Storage { get; init; }
    [CommandOption("--study <NAME>"), Description("Study name (default: the latest).")]
    public string? Study { get; init; }
}

/// <summary>The flags of the commands that rank trials.</summary>
public class RankingOptions : StudyOptions
{
    [CommandOption("--metric <NAME>"), Description("Rank by: score (default) or any logged metric, e.g. success_rate, episode_reward_mean.")]
    public string? Metric { get; init; }
    [CommandOption("--sort <ORDER>"), Description("descending or ascending (default: the study's direction for score, descending otherwise).")]
    public string? Sort { get; init; }
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
    public static OpenedStudy Open(StudyOptions s) => Open(s.Output, s.Storage, s.Study);

    public static OpenedStudy Open(string outputDir, string? storage, string? studyName)
    {
        var output = Path.GetFullPath(outputDir);
        if (storage is null && Environment.GetEnvironmentVariable(StoreFactory.EnvironmentVariable) is null && !File.Exists(Path.Combine(output, StoreFactory.DefaultFileName)))
            throw new UserError($"--output: there is no study store in {output}; run rltune automl first or give --output/--storage.");
        var store = StoreFactory.Open(storage, output);
        try
        {
            var record = (studyName is null ? store.ListStudies().MaxBy(x => x.CreatedAt) : store.FindStudy(studyName))
                         ?? throw new UserError(studyName is null ? $"--output: the store in {output} holds no study yet." : $"--study: there is no study '{studyName}' in {output}.");
            return new OpenedStudy { Store = store, Context = StudyContext.Load(store, record, output) };
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    public MetricChoice Metric(RankingOptions s) => MetricChoice.Resolve(s.Metric, s.Sort, Record.Direction);
}
