using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace RlTune.Trials;

/// <summary>A trainer's progress line: <c>PROGRESS step=N of=M reward=R success=S</c> (reward, success and any other NAME=number optional).</summary>
public sealed record TrialProgress(long Step, long Of, double? Reward, double? Success)
{
    /// <summary>Every numeric field of the line other than step and of (reward, success, steps_per_s, a trainer's own metrics); NaN included.</summary>
    public IReadOnlyDictionary<string, double> Values { get; init; } = new Dictionary<string, double>();

    public double Fraction => Of > 0 ? Math.Clamp((double)Step / Of, 0, 1) : 0;
}

public enum TrialRunOutcome
{
    Completed,
    CouldNotStart,
    Crashed,
    TimedOut,
    Cancelled,
    NoMetrics,
    TrainerReportedError,
    NotFinite,
}

/// <summary>What one child-process run of a trial gave: its metrics, or why it failed.</summary>
public sealed record TrialRunResult(
    TrialRunOutcome Outcome,
    TrialMetrics? Metrics,
    string RunDir,
    string? Failure,
    int? ExitCode,
    TimeSpan Elapsed,
    TrialProgress? LastProgress)
{
    public bool Succeeded => Outcome == TrialRunOutcome.Completed;
}

/// <summary>One run to make: the config (already written to <see cref="ConfigPath"/>), where logs go, and its limits.
/// <see cref="Termination"/> is the weight of the run's termination penalty, for MotrixLab's termination convention;
/// <see cref="Device"/> the device the trainer may use (its CUDA_VISIBLE_DEVICES and <c>{device}</c>).</summary>
public sealed record TrialRunRequest(string ConfigPath, string RunDir, string LogDir, int Trial, int Seed, TimeSpan Timeout,
    IReadOnlyDictionary<string, string>? Environment = null, TerminationWeight? Termination = null, string? Device = null);

/// <summary>
/// How long a trial may take: a fixed allowance for start-up and evaluation plus its steps at a
/// pessimistic rate. Scaled to the steps so a long trial is not killed and a hung one not waited on forever.
/// </summary>
public sealed record TrialTimeout(TimeSpan StartUp, double MinStepsPerSecond)
{
    public static readonly TrialTimeout Default = new(TimeSpan.FromSeconds(120), 250);

    public TimeSpan For(long steps) => StartUp + TimeSpan.FromSeconds(Math.Max(0, steps) / MinStepsPerSecond);
}

/// <summary>
/// Runs a trial's trainer as a child process (crash isolation: one trial cannot take the study
/// down), captures its stdout/stderr into the log dir, follows its progress lines, enforces the
/// timeout by stopping the whole process tree (SIGTERM, a grace, then SIGKILL), and reads the metrics it left in its run dir.
/// </summary>
public sealed partial class TrialRunner(TrainerCommand command)
{
    public const string RunDirPrefix = "PIPELINE_RUN_DIR=";
    public const string StdoutFile = "stdout.log";
    public const string StderrFile = "stderr.log";
    /// <summary>The running trainer's pid and start time, so a resumed study can end a trainer its killed predecessor left behind.</summary>
    public const string PidFile = "trainer.pid";

    public TrainerCommand Command { get; } = command;

    /// <summary>The user's metric map (<c>--metric-map</c>), applied to every run's metrics.</summary>
    public IReadOnlyList<MetricMapping> MetricMap { get; init; } = [];

    /// <summary>How long a trainer told to stop (SIGTERM to its process tree: a pruned, cancelled or timed-out trial) has to exit before the tree is killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    public async Task<TrialRunResult> RunAsync(TrialRunRequest request, Action<TrialProgress>? onProgress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(request.LogDir);
        Directory.CreateDirectory(request.RunDir);
        var (program, arguments) = Command.Expand(request.ConfigPath, request.RunDir, request.Trial, request.Seed, request.Device);
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["RLTUNE_TRIAL"] = request.Trial.ToString(CultureInfo.InvariantCulture);
        psi.Environment["RLTUNE_SEED"] = request.Seed.ToString(CultureInfo.InvariantCulture);
        psi.Environment["RLTUNE_RUN_DIR"] = request.RunDir;
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        if (request.Environment is not null)
            foreach (var (k, v) in request.Environment) psi.Environment[k] = v;
        if (request.Device is { } device) psi.Environment["CUDA_VISIBLE_DEVICES"] = device;

        var clock = Stopwatch.StartNew();
        string? reportedRunDir = null;
        TrialProgress? lastProgress = null;
        string? lastStderrLine = null;
        using var process = new Process { StartInfo = psi };
        try
        {
            if (!process.Start()) throw new InvalidOperationException("the process did not start");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new TrialRunResult(TrialRunOutcome.CouldNotStart, null, request.RunDir,
                $"could not start the trainer '{program}': {e.Message}", null, clock.Elapsed, null);
        }
        process.StandardInput.Close();
        var pidFile = Path.Combine(request.LogDir, PidFile);
        File.WriteAllText(pidFile, $"{process.Id} {ProcessTree.StartTicks(process.Id)}");

        await using var stdoutLog = new StreamWriter(Path.Combine(request.LogDir, StdoutFile)) { AutoFlush = true };
        await using var stderrLog = new StreamWriter(Path.Combine(request.LogDir, StderrFile)) { AutoFlush = true };
        var stdoutPump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                await stdoutLog.WriteLineAsync(line);
                if (line.StartsWith(RunDirPrefix, StringComparison.Ordinal))
                    reportedRunDir = line[RunDirPrefix.Length..].Trim();
                else if (ParseProgress(line) is { } p)
                {
                    lastProgress = p;
                    onProgress?.Invoke(p);
                }
            }
        }, CancellationToken.None);
        var stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                await stderrLog.WriteLineAsync(line);
                if (!string.IsNullOrWhiteSpace(line)) lastStderrLine = line.Trim();
            }
        }, CancellationToken.None);

        var outcome = TrialRunOutcome.Completed;
        using (var timeout = new CancellationTokenSource(request.Timeout))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            try
            {
                await process.WaitForExitAsync(linked.Token);
            }
            catch (OperationCanceledException)
            {
                outcome = cancellationToken.IsCancellationRequested ? TrialRunOutcome.Cancelled : TrialRunOutcome.TimedOut;
                await StopTreeAsync(process);
            }
        }
        // A grandchild that escaped the tree's stop may hold the pipes open: do not wait on it forever.
        await Task.WhenAny(Task.WhenAll(stdoutPump, stderrPump), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        var elapsed = clock.Elapsed;
        var exitCode = process.ExitCode;
        File.Delete(pidFile);

        var runDir = reportedRunDir is null ? request.RunDir : Path.GetFullPath(reportedRunDir);
        TrialRunResult Result(TrialRunOutcome o, string? failure, TrialMetrics? metrics = null) =>
            new(o, metrics, runDir, failure, outcome is TrialRunOutcome.Completed ? exitCode : null, elapsed, lastProgress);

        switch (outcome)
        {
            case TrialRunOutcome.TimedOut:
                return Result(outcome, $"timed out after {request.Timeout.TotalSeconds:F0} s{ProgressText(lastProgress)}; the process tree was stopped");
            case TrialRunOutcome.Cancelled:
                return Result(outcome, $"cancelled after {elapsed.TotalSeconds:F0} s{ProgressText(lastProgress)}");
        }
        if (exitCode != 0)
        {
            // A trainer that failed on purpose (diverged, bad config) says why in metrics.json.
            var said = TryRead(runDir)?.TrainerError;
            if (said is not null)
                return Result(TrialRunOutcome.TrainerReportedError, $"the trainer reported: {Truncate(said, 300)} (exit code {exitCode})");
            var signal = exitCode > 128 && exitCode < 160 ? $" (killed by signal {exitCode - 128})" : "";
            var tail = lastStderrLine is null ? "" : $": {Truncate(lastStderrLine, 300)}";
            return Result(TrialRunOutcome.Crashed, $"crashed with exit code {exitCode}{signal}{tail}");
        }
        TrialMetrics? metrics;
        try
        {
            metrics = MetricsReader.Read(runDir, MetricMap, request.Termination);
        }
        catch (UserError e)
        {
            return Result(TrialRunOutcome.NoMetrics, $"unreadable metrics: {e.Message}");
        }
        if (metrics is null)
            return Result(TrialRunOutcome.NoMetrics, $"no metrics: the trainer exited 0 but left neither {MetricsReader.MetricsFileName} nor TensorBoard scalars in {runDir}");
        if (metrics.MapProblem is { } unmapped)
            return Result(TrialRunOutcome.NoMetrics, $"{unmapped}; the trainer wrote {metrics.Written()}", metrics);
        if (metrics.TrainerError is { } err)
            return Result(TrialRunOutcome.TrainerReportedError, $"the trainer reported: {Truncate(err, 300)}", metrics);
        var nonFinite = metrics.Values.Where(kv => !double.IsFinite(kv.Value)).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
        if (nonFinite.Count > 0)
            return Result(TrialRunOutcome.NotFinite, $"NaN or infinite metric{(nonFinite.Count > 1 ? "s" : "")}: {string.Join(", ", nonFinite)}", metrics);
        return Result(TrialRunOutcome.Completed, null, metrics);
    }

    private static TrialMetrics? TryRead(string runDir)
    {
        try
        {
            return MetricsReader.Read(runDir);
        }
        catch (Exception e) when (e is UserError or IOException)
        {
            return null;
        }
    }

    private static string ProgressText(TrialProgress? p) => p is null ? "" : $" at step {p.Step} of {p.Of}";

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "...";

    /// <summary>
    /// Ends the trainer recorded in <paramref name="logDir"/> if it still runs (an orphan of an
    /// orchestrator that was killed); true when one was killed. The start time guards against a reused pid.
    /// </summary>
    public static bool KillOrphan(string logDir)
    {
        var pidFile = Path.Combine(logDir, PidFile);
        if (!File.Exists(pidFile)) return false;
        var parts = File.ReadAllText(pidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        File.Delete(pidFile);
        if (parts.Length != 2 || !int.TryParse(parts[0], out var pid)) return false;
        if (ProcessTree.StartTicks(pid) is not { } ticks || ticks.ToString(CultureInfo.InvariantCulture) != parts[1]) return false;
        try
        {
            using var p = Process.GetProcessById(pid);
            KillTree(p);
            p.WaitForExit(5000);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// SIGTERM to the trainer and every process it started, <see cref="StopGrace"/> for the trainer to
    /// exit (to flush its logs, free a device, write what it has), then SIGKILL to whatever of that tree
    /// still runs, orphans of the trainer's exit included.
    /// </summary>
    private async Task StopTreeAsync(Process process)
    {
        var tree = ProcessTree.Of(process.Id);
        ProcessTree.Signal(tree, ProcessTree.SigTerm);
        // no tree read (no /proc): nothing was told to stop, so there is nothing to wait for
        using (var grace = new CancellationTokenSource(tree.Count > 0 ? StopGrace : TimeSpan.Zero))
        {
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        KillTree(process);
        ProcessTree.Signal(tree, ProcessTree.SigKill);
        await process.WaitForExitAsync(CancellationToken.None);
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    /// <summary>Parses <c>PROGRESS step=.. of=.. reward=.. success=.. NAME=..</c>; null for any other line.</summary>
    public static TrialProgress? ParseProgress(string line)
    {
        if (!line.StartsWith("PROGRESS ", StringComparison.Ordinal)) return null;
        long? step = null, of = null;
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match m in ProgressField().Matches(line))
        {
            var (name, value) = (m.Groups[1].Value, m.Groups[2].Value);
            switch (name)
            {
                case "step": step = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null; break;
                case "of": of = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) ? o : null; break;
                default:
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) values[name] = d;
                    break;
            }
        }
        if (step is not { } st || of is not { } total) return null;
        return new TrialProgress(st, total, values.TryGetValue("reward", out var r) ? r : null, values.TryGetValue("success", out var su) ? su : null) { Values = values };
    }

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex ProgressField();
}
