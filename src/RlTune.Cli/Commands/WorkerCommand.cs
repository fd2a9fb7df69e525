using System.Globalization;
using System.Text.Json;
using RlTune.Analysis;
using RlTune.Cli.Display;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>
/// <c>rltune worker</c>: one more worker on an existing study, on this machine or any other that
/// reaches the same store. It runs the study's search with the settings the study was created with.
/// </summary>
public sealed class WorkerCommand : AsyncCommand<WorkerCommand.Settings>
{
    /// <summary>Only the shared flags: the study's own settings come from the store.</summary>
    public sealed class Settings : StudyRunOptions;

    public override async Task<int> ExecuteAsync(CommandContext context, Settings f, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(f.Study)) throw new UserError("--study: name the study to work on (rltune automl creates it).");
        if (f.Parallel is < 1) throw new UserError($"--parallel: expected at least 1, got {f.Parallel}.");
        if (f.ThreadsPerTrial is < 1) throw new UserError($"--threads-per-trial: expected at least 1, got {f.ThreadsPerTrial}.");
        var (staleAfter, requeue) = f.StaleHandling();
        var output = f.OutputDir;
        StudyOptions.OpenStudy(output, f.Storage, f.Study).Store.Dispose(); // an unknown store or study is named before anything is created
        var stored = AutomlPipeline.LoadStoredSettings(output, f.Storage, f.Study)
                     ?? throw new UserError($"--study: there is no study '{f.Study}' in {Describe(f.Storage, output)}; create it with rltune automl --study {f.Study}.");
        var s = stored with
        {
            Output = output,
            Storage = f.Storage,
            // this machine's devices, not the creator's: a worker elsewhere has GPUs of its own
            Parallel = f.Parallel,
            Devices = f.Devices is null ? [] : StudySettings.ParseDevices(f.Devices.Split(','), "--devices"),
            TrialsPerDevice = f.TrialsPerDevice ?? 1,
            ThreadsPerTrial = f.ThreadsPerTrial,
            Resume = true,
        };
        if (s.TrainerCommand is { } template && new TrainerCommand(template).UsesDevice && s.Devices.Count == 0)
            throw new UserError($"--devices: study {f.Study}'s trainer command uses {{device}}; give this worker its devices, e.g. --devices 0,1.");
        var names = new SettingNames($"the stored settings of study {f.Study}");
        names.SetByFlag("parallel", "--parallel");
        names.SetByFlag("trials_per_device", "--trials-per-device");
        s = s.Validated(names);

        using var stop = new StopSignal(cancellationToken);
        var observer = new PlainStudyDisplay(f.Json ? Console.Error : Console.Out, s.ProgressIntervalSeconds);
        var pipeline = new AutomlPipeline(s, new ReportingObserver(observer))
        {
            StaleAfter = staleAfter,
            RequeueStale = requeue,
        };
        var result = await pipeline.JoinAsync(stop.Token);
        if (f.Json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                study = result.Study, stop_reason = result.StopReason, study_dir = result.StudyDir, best_score = result.BestScore,
                complete = result.Counts.Complete, failed = result.Counts.Failed, pruned = result.Counts.Pruned,
            }));
        else
        {
            Console.WriteLine($"worker on study {result.Study} stopped: {result.StopReason}");
            if (result.BestScore is { } b) Console.WriteLine($"best score so far {b.ToString("G5", CultureInfo.InvariantCulture)}");
            Console.WriteLine(result.Counts);
        }
        return AutomlCommand.ExitCode(result, stop.Requested);
    }

    private static string Describe(string? storage, string output) =>
        storage ?? Environment.GetEnvironmentVariable(RlTune.Storage.StoreFactory.EnvironmentVariable) ?? Path.Combine(output, RlTune.Storage.StoreFactory.DefaultFileName);
}
