using System.Diagnostics;
using System.Globalization;
using RlTune.Storage;
using RlTune.Tests.Storage;
using RlTune.Trials;

namespace RlTune.Bench;

/// <summary>
/// Coordination overhead of the study stores: N waiting trials, C claimer processes each looping
/// claim -> heartbeat -> finish with a trivial trial until none waits. Prints trials per second
/// from the first claim to the last finish, for SQLite and PostgreSQL (a throwaway local server
/// unless --pg URL), and checks that every trial was finished exactly once.
/// Peer: bench/store_claims_optuna.py does the same with Optuna's RDB storage.
/// </summary>
public static class StoreClaimsBench
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "--claimer") return Claimer(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), args[3]);
        var claimers = 4;
        var trials = 2000;
        string? pgUrl = null;
        string? peer = null;
        var only = "";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--claimers": claimers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--trials": trials = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--pg": pgUrl = args[++i]; break;
                case "--only": only = args[++i]; break;
                case "--peer": peer = args[++i]; break;
                default:
                    Console.Error.WriteLine("usage: rltune-bench store-claims [--claimers 4] [--trials 2000] [--pg postgresql://...] [--only sqlite|postgresql] [--peer bench/store_claims_optuna.py]; the peer needs python3-optuna and python3-psycopg2: scripts/install-bench-deps");
                    return 1;
            }
        }
        Console.WriteLine($"store-claims: {claimers} claimer processes, {trials} trivial trials (claim, heartbeat, finish), {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"store",-11} {"enqueue/s",10} {"claims/s",10} {"wall_s",8}  check");
        if (only is "" or "sqlite")
        {
            var dir = Directory.CreateTempSubdirectory("rltune-claims-").FullName;
            try { Measure("sqlite", "sqlite:///" + Path.Combine(dir, "claims.db"), claimers, trials); }
            finally { Directory.Delete(dir, true); }
        }
        if (only is "" or "postgresql")
        {
            if (pgUrl is not null) Measure("postgresql", pgUrl, claimers, trials);
            else
            {
                using var cluster = new ThrowawayPostgresCluster();
                Measure("postgresql", cluster.Url, claimers, trials);
                // Optuna's tables share names with ours (studies, trials): a database of its own
                if (peer is not null) RunPeer(peer, claimers, trials, cluster.CreateDatabase("optuna_peer"));
                return 0;
            }
        }
        if (peer is not null) RunPeer(peer, claimers, trials, pgUrl);
        return 0;
    }

    private static void Measure(string kind, string url, int claimers, int trials)
    {
        long studyId;
        double enqueuePerSecond;
        using (var store = StoreFactory.Open(url, "."))
        {
            studyId = store.CreateOrOpenStudy("claims-" + Guid.NewGuid().ToString("N")[..8], "maximize", "{}").Id;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < trials; i++)
                store.AddTrial(studyId, TrialState.Waiting, new Dictionary<string, object> { ["x"] = (double)i }, i, "enqueued", null, null);
            enqueuePerSecond = trials / sw.Elapsed.TotalSeconds;
        }
        var processes = Enumerable.Range(0, claimers).Select(w => StartSelf("--claimer", url, studyId.ToString(CultureInfo.InvariantCulture), $"claimer-{w}")).ToList();
        foreach (var p in processes) if (p.StandardOutput.ReadLine() != "ready") throw new InvalidOperationException("a claimer did not start: " + p.StandardError.ReadToEnd());
        foreach (var p in processes) { p.StandardInput.WriteLine("go"); p.StandardInput.Flush(); }
        var reports = processes.Select(p =>
        {
            var line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("a claimer died: " + p.StandardError.ReadToEnd());
            p.WaitForExit();
            var parts = line.Split(' ');
            return (Count: int.Parse(parts[0], CultureInfo.InvariantCulture), Start: long.Parse(parts[1], CultureInfo.InvariantCulture), End: long.Parse(parts[2], CultureInfo.InvariantCulture));
        }).ToList();
        var wall = TimeSpan.FromTicks(reports.Max(r => r.End) - reports.Min(r => r.Start));
        using var check = StoreFactory.Open(url, ".");
        var all = check.GetTrials(studyId);
        var ok = reports.Sum(r => r.Count) == trials && all.Count == trials && all.All(t => t.State == TrialState.Complete);
        Console.WriteLine($"{kind,-11} {enqueuePerSecond,10:F0} {trials / wall.TotalSeconds,10:F0} {wall.TotalSeconds,8:F2}  {(ok ? "every trial finished exactly once" : "MISMATCH")}");
    }

    /// <summary>Optuna's figures from the same session, on the same PostgreSQL server.</summary>
    private static void RunPeer(string script, int claimers, int trials, string? pgUrl)
    {
        Console.WriteLine();
        var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false };
        foreach (var a in new[] { script, "--claimers", claimers.ToString(CultureInfo.InvariantCulture), "--trials", trials.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        if (pgUrl is not null) { psi.ArgumentList.Add("--pg"); psi.ArgumentList.Add(pgUrl); }
        using var p = Process.Start(psi)!;
        p.WaitForExit();
    }

    private static Process StartSelf(params string[] args)
    {
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(StoreClaimsBench).Assembly.Location);
        psi.ArgumentList.Add("store-claims");
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>One claimer process: waits for "go", then claims, beats and finishes until nothing waits; prints count, first and last time.</summary>
    private static int Claimer(string url, long studyId, string worker)
    {
        using var store = StoreFactory.Open(url, ".");
        store.GetStudyAttrs(studyId); // connect (and warm up) before the clock starts
        Console.WriteLine("ready");
        if (Console.ReadLine() != "go") return 1;
        var start = DateTime.UtcNow.Ticks;
        var count = 0;
        var empty = new Dictionary<string, double> { ["value"] = 0 };
        while (store.ClaimWaitingTrial(studyId, worker) is { } t)
        {
            store.Heartbeat(studyId, t.Number, worker);
            if (store.FinishTrial(studyId, t.Number, TrialState.Complete, empty, 0, null, null)) count++;
        }
        Console.WriteLine($"{count} {start} {DateTime.UtcNow.Ticks}");
        return 0;
    }
}
