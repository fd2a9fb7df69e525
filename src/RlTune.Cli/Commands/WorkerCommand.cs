using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using RlTune.Cli.Display;
using RlTune.Study;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>
/// <c>rltune worker</c>: one more worker on an existing study, on this machine or any other that
/// reaches the same store. It runs the study's search with the settings the study was created with.
/// </summary>
public sealed class WorkerCommand : AsyncCommand<WorkerCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--study <NAME>"), Description("The study to work on (created by rltune automl).")]
        public string? Study { get; init; }
        [CommandOption("--storage <URL>"), Description("postgresql://user@host:port/db or sqlite:///path.db (default: RLTUNE_STORAGE, else SQLite under --output).")]
        public string? Storage { get; init; }
        [CommandOption("--output <DIR>"), Description("Where this worker keeps its trials' run dirs and reports (default runs/).")]
        public string? Output { get; init; }
        [CommandOption("--parallel <P>"), Description("Trials this worker runs at once (default 1).")]
        public int? Parallel { get; init; }
        [CommandOption("--threads-per-trial <T>"), Description("Threads each trainer may use (default: cores / parallel).")]
        public int? ThreadsPerTrial { get; init; }
        [CommandOption("--stale-after <SECONDS>"), Description("A running trial without a heartbeat for this long lost its worker (default 60).")]
        public double? StaleAfter { get; init; }
        [CommandOption("--on-stale <POLICY>"), Description("What happens to such a trial: requeue (run it again, default) or fail.")]
        public string? OnStale { get; init; }
        [CommandOption("--json"), Description("Print the result as JSON.")]
        public bool Json { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings f, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(f.Study)) throw new UserError("--study: name the study to work on (rltune automl creates it).");
        if (f.Parallel is < 1) throw new UserError($"--parallel: expected at least 1, got {f.Parallel}.");
        if (f.StaleAfter is { } sa && !(sa > 0)) throw new UserError($"--stale-after: expected a number of seconds above 0, got {sa}.");
        var requeue = f.OnStale switch
        {
            null or "requeue" => true,
            "fail" => false,
            _ => throw new UserError($"--on-stale: '{f.OnStale}' is not a policy; expected requeue or fail."),
        };
        var output = f.Output ?? "runs";
        var stored = AutomlPipeline.LoadStoredSettings(output, f.Storage, f.Study)
                     ?? throw new UserError($"--study: there is no study '{f.Study}' in {Describe(f.Storage, output)}; create it with rltune automl --study {f.Study}.");
        var s = stored with
        {
            Output = output,
            Storage = f.Storage,
            Parallel = f.Parallel ?? 1,
            ThreadsPerTrial = f.ThreadsPerTrial,
            Resume = true,
        };

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            cts.Cancel();
        });
        try
        {
            var observer = new PlainStudyDisplay(f.Json ? Console.Error : Console.Out, s.ProgressIntervalSeconds);
            var pipeline = new AutomlPipeline(s, observer)
            {
                StaleAfter = f.StaleAfter is { } secs ? TimeSpan.FromSeconds(secs) : WorkerId.StaleAfter,
                RequeueStale = requeue,
            };
            var result = await pipeline.JoinAsync(cts.Token);
            if (f.Json)
                Console.WriteLine(JsonSerializer.Serialize(new { study = result.Study, stop_reason = result.StopReason, study_dir = result.StudyDir, best_score = result.BestScore }));
            else
            {
                Console.WriteLine($"worker on study {result.Study} stopped: {result.StopReason}");
                if (result.BestScore is { } b) Console.WriteLine($"best score so far {b.ToString("G5", CultureInfo.InvariantCulture)}");
            }
            return cts.IsCancellationRequested ? 130 : 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static string Describe(string? storage, string output) =>
        storage ?? Environment.GetEnvironmentVariable(RlTune.Storage.StoreFactory.EnvironmentVariable) ?? Path.Combine(output, RlTune.Storage.StoreFactory.DefaultFileName);
}
