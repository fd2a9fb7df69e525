using System.Diagnostics;
using System.Globalization;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Tests.Storage;
using RlTune.Trials;

namespace RlTune.Bench;

/// <summary>
/// Issue 7's fault scenario with real processes on a real PostgreSQL server: `rltune automl`
/// creates a grid study and works on it, three `rltune worker`s join; one worker is SIGKILLed
/// while it runs a trial and the server is restarted once. Afterwards every grid point must be
/// one trial, complete or failed exactly once, each score the trainer's for that point. Without
/// --faults off the same run measures the coordination overhead (trials per second with a
/// trainer that does nothing).
/// </summary>
public static class WorkerFaultsBench
{
    public static int Run(string[] args)
    {
        var workers = 4;
        var gridA = 8;
        var gridB = 5;
        var trialSeconds = 1.0;
        var faults = true;
        var staleAfter = 8.0;
        var onStale = "requeue";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--workers": workers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--grid": var g = args[++i].Split('x'); (gridA, gridB) = (int.Parse(g[0], CultureInfo.InvariantCulture), int.Parse(g[1], CultureInfo.InvariantCulture)); break;
                case "--trial-seconds": trialSeconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--faults": faults = args[++i] != "off"; break;
                case "--stale-after": staleAfter = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--on-stale": onStale = args[++i]; break;
                default:
                    Console.Error.WriteLine("usage: rltune-bench worker-faults [--workers 4] [--grid 8x5] [--trial-seconds 1] [--faults on|off] [--stale-after 8] [--on-stale requeue|fail]");
                    return 1;
            }
        }
        var points = gridA * gridB;
        var root = Directory.CreateTempSubdirectory("rltune-faults-").FullName;
        using var cluster = new ThrowawayPostgresCluster();
        try
        {
            var space = Path.Combine(root, "grid.yaml");
            File.WriteAllText(space,
                "search_space_id: fault_grid\nppo_params:\n" +
                $"  a: {{ type: choice, values: [{string.Join(", ", Enumerable.Range(0, gridA))}] }}\n" +
                $"  b: {{ type: choice, values: [{string.Join(", ", Enumerable.Range(0, gridB))}] }}\n" +
                "reward_weights: {}\n");
            // The trainer's score is a function of its point, so a result recorded against the wrong trial shows.
            var trainer = Path.Combine(root, "trainer.py");
            File.WriteAllText(trainer, $$"""
                import json, os, sys, time
                cfg = json.load(open(sys.argv[1])); run_dir = sys.argv[2]
                time.sleep({{trialSeconds.ToString(CultureInfo.InvariantCulture)}})
                os.makedirs(run_dir, exist_ok=True)
                p = cfg["params"]
                json.dump({"value": 100 * p["a"] + p["b"]}, open(os.path.join(run_dir, "metrics.json"), "w"))
                """);
            var study = "faults";
            var started = Stopwatch.StartNew();
            var procs = new List<(string Name, Process Process)>
            {
                ("automl", StartRltune(root, "w0.log", "automl", "--mode", "hp-search", "--search-method", "grid", "--space", space, "--hp-trials", points.ToString(CultureInfo.InvariantCulture),
                    "--env", "bench-env", "--steps", "1000", "--trainer-command", $"/usr/bin/python3 {trainer} {{config}} {{run_dir}}", "--objective", "value", "--direction", "minimize",
                    "--audit", "off", "--storage", cluster.Url, "--study", study, "--output", Path.Combine(root, "w0"))),
            };
            using var store = StoreFactory.Open(cluster.Url, root);
            while (store.FindStudy(study) is null)
            {
                if (procs[0].Process.HasExited) throw new InvalidOperationException("rltune automl exited before creating the study: " + File.ReadAllText(Path.Combine(root, "w0.log")));
                Thread.Sleep(100);
            }
            var studyId = store.FindStudy(study)!.Id;
            for (var w = 1; w < workers; w++)
                procs.Add(($"worker{w}", StartRltune(root, $"w{w}.log", "worker", "--study", study, "--storage", cluster.Url, "--output", Path.Combine(root, $"w{w}"),
                    "--stale-after", staleAfter.ToString(CultureInfo.InvariantCulture), "--on-stale", onStale)));

            string killed = "none", restarted = "no";
            int? killedTrial = null;
            if (faults)
            {
                // SIGKILL worker1 while it runs a trial (its worker id is host:pid:nonce)
                var victim = procs[1].Process;
                var victimTag = $":{victim.Id}:";
                while (!victim.HasExited && !store.GetTrials(studyId).Any(t => t.State == TrialState.Running && t.WorkerId?.Contains(victimTag, StringComparison.Ordinal) == true))
                    Thread.Sleep(50);
                var runningAtKill = store.GetTrials(studyId).FirstOrDefault(t => t.State == TrialState.Running && t.WorkerId?.Contains(victimTag, StringComparison.Ordinal) == true);
                victim.Kill(entireProcessTree: false);
                killedTrial = runningAtKill?.Number;
                victim.WaitForExit();
                var atKill = runningAtKill is null ? null : store.GetTrial(studyId, runningAtKill.Number);
                killed = $"worker1 (pid {victim.Id}) during trial {runningAtKill?.Number.ToString(CultureInfo.InvariantCulture) ?? "?"} " +
                         $"({(atKill?.State == TrialState.Running ? "still running after the kill" : "it had just ended: no trial orphaned")})";
                while (store.GetTrials(studyId).Count(t => t.State.IsFinished()) < points / 3) Thread.Sleep(100);
                cluster.Stop("fast");
                Thread.Sleep(2000);
                cluster.Start();
                restarted = $"once, after {points / 3} trials ended, down for 2 s";
            }
            foreach (var (name, p) in procs)
                if (!p.WaitForExit(TimeSpan.FromMinutes(15))) { p.Kill(true); throw new TimeoutException($"{name} did not finish within 15 min"); }
            var wall = started.Elapsed;

            var trials = store.GetTrials(studyId);
            var distinct = trials.Select(t => ParamValues.Canonical(t.Params)).Distinct().Count();
            var complete = trials.Count(t => t.State == TrialState.Complete);
            var failed = trials.Count(t => t.State == TrialState.Failed);
            var wrongScores = trials.Count(t => t.State == TrialState.Complete &&
                t.Score != 100 * Convert.ToDouble(t.Params["a"], CultureInfo.InvariantCulture) + Convert.ToDouble(t.Params["b"], CultureInfo.InvariantCulture));
            Console.WriteLine($"worker-faults: {workers} workers (automl + {workers - 1} rltune worker), grid {gridA}x{gridB} = {points} points, trainer sleeps {trialSeconds} s, stale after {staleAfter} s -> {onStale}, PostgreSQL {cluster.Url}");
            Console.WriteLine($"faults: SIGKILL {killed}; server restarted {restarted}");
            foreach (var (name, p) in procs) Console.WriteLine($"  {name,-8} exit {(name == "worker1" && faults ? "killed" : p.ExitCode.ToString(CultureInfo.InvariantCulture))}");
            if (killedTrial is { } kt && trials.FirstOrDefault(t => t.Number == kt) is { } k)
                Console.WriteLine($"the killed worker's trial {kt}: now {k.State.ToText()} (worker {k.WorkerId}{(k.Error is null ? "" : ", " + k.Error)})");
            Console.WriteLine($"trials {trials.Count} (distinct grid points {distinct} of {points}): complete {complete}, failed {failed}, other {trials.Count - complete - failed}; scores not matching their point: {wrongScores}");
            var active = (trials.Max(t => t.EndedAt) - trials.Min(t => t.StartedAt))!.Value;
            Console.WriteLine($"first trial start to last trial end {active.TotalSeconds:F1} s: {trials.Count / active.TotalSeconds:F2} trials/s");
            Console.WriteLine($"wall (process starts included) {wall.TotalSeconds:F1} s; {trials.Count / wall.TotalSeconds:F2} trials/s; ideal with {workers} workers and no overhead {Math.Ceiling((double)points / workers) * trialSeconds:F1} s");
            var direct = DirectTrainerRuns(root, trainer, points, workers);
            Console.WriteLine($"peer: the same trainer started directly, {workers} at a time, no store: {points / direct.TotalSeconds:F2} trials/s ({direct.TotalSeconds:F1} s)");
            var ok = trials.Count == points && distinct == points && complete + failed == points && wrongScores == 0;
            Console.WriteLine(ok ? "check: every grid point ran as exactly one trial, each complete or failed once, no result lost or misplaced" : "check: FAILED");
            return ok ? 0 : 1;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The trainer alone, <paramref name="parallel"/> at a time: what the trials cost without any coordination.</summary>
    private static TimeSpan DirectTrainerRuns(string root, string trainer, int runs, int parallel)
    {
        var config = Path.Combine(root, "direct.json");
        File.WriteAllText(config, """{"params": {"a": 1, "b": 2}}""");
        var next = -1;
        var sw = Stopwatch.StartNew();
        var lanes = Enumerable.Range(0, parallel).Select(_ => Task.Run(() =>
        {
            while (Interlocked.Increment(ref next) < runs)
            {
                var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false };
                foreach (var a in new[] { trainer, config, Path.Combine(root, "direct", next.ToString(CultureInfo.InvariantCulture)) }) psi.ArgumentList.Add(a);
                using var p = Process.Start(psi)!;
                p.WaitForExit();
            }
        })).ToArray();
        Task.WaitAll(lanes);
        return sw.Elapsed;
    }

    private static Process StartRltune(string root, string log, params string[] args)
    {
        var rltune = Path.Combine(AppContext.BaseDirectory, "rltune.dll");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root,
        };
        psi.ArgumentList.Add(rltune);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var path = Path.Combine(root, log);
        var writer = new StreamWriter(path) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
