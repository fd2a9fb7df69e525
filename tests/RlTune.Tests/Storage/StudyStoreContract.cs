using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Tests.Storage;

/// <summary>
/// What every study store must do, run once per store kind (SQLite, PostgreSQL). Each test uses
/// its own study name, so the stores may be shared by a test class.
/// </summary>
public abstract class StudyStoreContract
{
    /// <summary>The URL StoreFactory.Open takes for the store under test.</summary>
    protected abstract string StorageUrl { get; }

    /// <summary>A fresh store instance (own connection) on the same database.</summary>
    protected IStudyStore OpenStore() => StoreFactory.Open(StorageUrl, Path.GetTempPath());

    private static string NewStudyName() => "study-" + Guid.NewGuid().ToString("N")[..12];

    private static Dictionary<string, object> P(params (string Key, object Value)[] kv) => kv.ToDictionary(x => x.Key, x => x.Value);

    [Fact]
    public void CreateOrOpenStudyReturnsTheSameStudyAndKeepsItsFirstSettings()
    {
        using var store = OpenStore();
        var name = NewStudyName();
        var first = store.CreateOrOpenStudy(name, "maximize", """{"sampler":"tpe"}""");
        var again = store.CreateOrOpenStudy(name, "minimize", """{"sampler":"grid"}""");
        Assert.Equal(first, again);
        Assert.Equal("maximize", again.Direction);
        Assert.Equal("""{"sampler":"tpe"}""", again.SettingsJson);
        Assert.Equal(first, store.FindStudy(name));
        Assert.Null(store.FindStudy(name + "-missing"));
        Assert.Contains(first, store.ListStudies());
        Assert.InRange(first.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void EveryTrialFieldSurvivesARoundTripThroughAnotherInstance()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-2);
        long studyId;
        var parameters = P(("learning_rate", 3e-4), ("termination", -200.0), ("rollouts", 24L), ("freeze", true),
            ("activation", "elu"), ("layers", new List<object> { 256L, 128L, 64L }), ("mixed", new List<object> { 1.5, "a", false }));
        using (var writer = OpenStore())
        {
            var study = writer.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
            studyId = study.Id;
            var added = writer.AddTrial(studyId, TrialState.Running, parameters, 1234, "sampler:tpe", "key-1", "host-a/17");
            Assert.NotNull(added);
            Assert.Equal(0, added.Number);
            Assert.True(writer.Heartbeat(studyId, 0, "host-a/17"));
            writer.ReportIntermediate(studyId, 0, 2000, 0.5);
            writer.ReportIntermediate(studyId, 0, 1000, 0.25);
            writer.ReportIntermediate(studyId, 0, 2000, 0.75); // a step reported twice keeps its last value
            writer.AddSeedRun(studyId, 0, new SeedRun(1234, new Dictionary<string, double> { ["reward"] = 10.5, ["reached_fraction"] = 0.9 }, 10.5, "runs/s/trial_0000/seed_1234", null));
            writer.AddSeedRun(studyId, 0, new SeedRun(99, new Dictionary<string, double>(), null, null, "trainer exited with code 3"));
            Assert.True(writer.FinishTrial(studyId, 0, TrialState.Complete,
                new Dictionary<string, double> { ["reward"] = 10.5, ["steps"] = 1e6, ["worst"] = double.NegativeInfinity }, 10.5, 0.25, "one seed failed"));
        }
        using var reader = OpenStore();
        var t = reader.GetTrial(studyId, 0)!;
        Assert.Equal(studyId, t.StudyId);
        Assert.Equal(TrialState.Complete, t.State);
        Assert.Equal(ParamValues.Canonical(parameters), ParamValues.Canonical(t.Params));
        Assert.IsType<double>(t.Params["termination"]);
        Assert.IsType<long>(t.Params["rollouts"]);
        Assert.Equal(1234, t.Seed);
        Assert.Equal(new Dictionary<string, double> { ["reward"] = 10.5, ["steps"] = 1e6, ["worst"] = double.NegativeInfinity }, t.Metrics);
        Assert.Equal(10.5, t.Score);
        Assert.Equal(0.25, t.ScoreStd);
        Assert.Equal("sampler:tpe", t.Origin);
        Assert.Equal("host-a/17", t.WorkerId);
        Assert.Equal("one seed failed", t.Error);
        Assert.Equal([(1000L, 0.25), (2000L, 0.75)], t.Intermediate);
        Assert.Equal(2, t.SeedRuns.Count);
        Assert.Equal(1234, t.SeedRuns[0].Seed);
        Assert.Equal(new Dictionary<string, double> { ["reward"] = 10.5, ["reached_fraction"] = 0.9 }, t.SeedRuns[0].Metrics);
        Assert.Equal(10.5, t.SeedRuns[0].Score);
        Assert.Equal("runs/s/trial_0000/seed_1234", t.SeedRuns[0].RunDir);
        Assert.Null(t.SeedRuns[0].Error);
        Assert.Equal(new SeedRun(99, t.SeedRuns[1].Metrics, null, null, "trainer exited with code 3"), t.SeedRuns[1]);
        Assert.Empty(t.SeedRuns[1].Metrics);
        var after = DateTimeOffset.UtcNow.AddSeconds(2);
        Assert.InRange(t.StartedAt!.Value, before, after);
        Assert.InRange(t.Heartbeat!.Value, t.StartedAt.Value, after);
        Assert.InRange(t.EndedAt!.Value, t.Heartbeat.Value, after);
        Assert.Equal(ParamValues.Canonical(parameters), ParamValues.Canonical(reader.GetTrials(studyId).Single().Params));
    }

    [Fact]
    public void AWaitingTrialHasNoTimesAndANaNScoreIsStoredAsNoScore()
    {
        using var store = OpenStore();
        var study = store.CreateOrOpenStudy(NewStudyName(), "minimize", "{}");
        var t = store.AddTrial(study.Id, TrialState.Waiting, P(("x", 1.0)), 7, "enqueued", null, null)!;
        Assert.Equal(TrialState.Waiting, t.State);
        Assert.Null(t.StartedAt);
        Assert.Null(t.Heartbeat);
        Assert.Null(t.EndedAt);
        Assert.Null(t.WorkerId);
        Assert.Empty(t.Metrics);
        Assert.True(store.FinishTrial(study.Id, t.Number, TrialState.Failed, new Dictionary<string, double> { ["reward"] = double.NaN }, double.NaN, double.NaN, "diverged"));
        var done = store.GetTrial(study.Id, t.Number)!;
        Assert.Equal(TrialState.Failed, done.State);
        Assert.Null(done.Score);
        Assert.Null(done.ScoreStd);
        Assert.True(double.IsNaN(done.Metrics["reward"]));
        Assert.NotNull(done.EndedAt);
    }

    [Fact]
    public void AUniqueKeyIsAddedOncePerStudyAndNumbersStayContiguous()
    {
        using var store = OpenStore();
        var study = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        var other = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        Assert.Equal(0, store.AddTrial(study.Id, TrialState.Waiting, P(("lr", 1e-4)), 0, "grid", "lr=1e-4", null)!.Number);
        Assert.Null(store.AddTrial(study.Id, TrialState.Waiting, P(("lr", 1e-4)), 0, "grid", "lr=1e-4", null));
        Assert.Equal(1, store.AddTrial(study.Id, TrialState.Waiting, P(("lr", 3e-4)), 0, "grid", "lr=3e-4", null)!.Number);
        Assert.Equal(2, store.AddTrial(study.Id, TrialState.Waiting, P(("lr", 5e-4)), 0, "random", null, null)!.Number);
        Assert.Equal(3, store.AddTrial(study.Id, TrialState.Waiting, P(("lr", 5e-4)), 0, "random", null, null)!.Number);
        Assert.Equal(0, store.AddTrial(other.Id, TrialState.Waiting, P(("lr", 1e-4)), 0, "grid", "lr=1e-4", null)!.Number);
        // a finished grid point still blocks its key: it never runs twice in one study
        Assert.True(store.FinishTrial(study.Id, 0, TrialState.Failed, new Dictionary<string, double>(), null, null, "crashed"));
        Assert.Null(store.AddTrial(study.Id, TrialState.Waiting, P(("lr", 1e-4)), 0, "grid", "lr=1e-4", null));
        Assert.Equal([0, 1, 2, 3], store.GetTrials(study.Id).Select(t => t.Number));
    }

    [Fact]
    public void ClaimTakesTheOldestWaitingTrialOnceAndNeverARunningOne()
    {
        using var store = OpenStore();
        var study = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        Assert.Null(store.ClaimWaitingTrial(study.Id, "w1"));
        store.AddTrial(study.Id, TrialState.Running, P(("x", 0.0)), 0, "sampler:random", null, "w0");
        store.AddTrial(study.Id, TrialState.Waiting, P(("x", 1.0)), 1, "enqueued", null, null);
        store.AddTrial(study.Id, TrialState.Waiting, P(("x", 2.0)), 2, "enqueued", null, null);
        var first = store.ClaimWaitingTrial(study.Id, "w1")!;
        Assert.Equal(1, first.Number);
        Assert.Equal(TrialState.Running, first.State);
        Assert.Equal("w1", first.WorkerId);
        Assert.NotNull(first.StartedAt);
        Assert.NotNull(first.Heartbeat);
        Assert.Equal(1.0, first.Params["x"]);
        Assert.Equal(2, store.ClaimWaitingTrial(study.Id, "w2")!.Number);
        Assert.Null(store.ClaimWaitingTrial(study.Id, "w3"));
        Assert.Equal(["w0", "w1", "w2"], store.GetTrials(study.Id).Select(t => t.WorkerId));
    }

    [Fact]
    public void AResultIsRecordedOnceAndHeartbeatsBelongToTheClaimingWorker()
    {
        using var store = OpenStore();
        var study = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        store.AddTrial(study.Id, TrialState.Waiting, P(("x", 1.0)), 1, "enqueued", null, null);
        var t = store.ClaimWaitingTrial(study.Id, "w1")!;
        Assert.True(store.Heartbeat(study.Id, t.Number, "w1"));
        Assert.False(store.Heartbeat(study.Id, t.Number, "w2"));
        Assert.True(store.FinishTrial(study.Id, t.Number, TrialState.Pruned, new Dictionary<string, double> { ["reward"] = 1 }, 1, null, null));
        Assert.False(store.FinishTrial(study.Id, t.Number, TrialState.Complete, new Dictionary<string, double> { ["reward"] = 2 }, 2, null, null));
        Assert.False(store.Heartbeat(study.Id, t.Number, "w1"));
        Assert.False(store.RequeueTrial(study.Id, t.Number));
        var stored = store.GetTrial(study.Id, t.Number)!;
        Assert.Equal(TrialState.Pruned, stored.State);
        Assert.Equal(1, stored.Score);
        Assert.Throws<ArgumentException>(() => store.FinishTrial(study.Id, t.Number, TrialState.Running, new Dictionary<string, double>(), null, null, null));
        Assert.Null(store.GetTrial(study.Id, 42));
    }

    [Fact]
    public void ARequeuedTrialLosesItsPartialResultsAndCanBeClaimedAgain()
    {
        using var store = OpenStore();
        var study = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        store.AddTrial(study.Id, TrialState.Waiting, P(("x", 1.0)), 5, "grid", "x=1", null);
        var t = store.ClaimWaitingTrial(study.Id, "dead")!;
        store.ReportIntermediate(study.Id, t.Number, 100, 0.1);
        store.ReportIntermediateMetrics(study.Id, t.Number, 5, 100, new Dictionary<string, double> { ["success"] = 0.1 });
        store.AddSeedRun(study.Id, t.Number, new SeedRun(5, new Dictionary<string, double> { ["reward"] = 1 }, 1, null, null));
        Assert.True(store.RequeueTrial(study.Id, t.Number));
        Assert.Empty(store.GetIntermediateMetrics(study.Id, "success"));
        var waiting = store.GetTrial(study.Id, t.Number)!;
        Assert.Equal(TrialState.Waiting, waiting.State);
        Assert.Null(waiting.WorkerId);
        Assert.Null(waiting.StartedAt);
        Assert.Empty(waiting.Intermediate);
        Assert.Empty(waiting.SeedRuns);
        Assert.False(store.Heartbeat(study.Id, t.Number, "dead"));
        var again = store.ClaimWaitingTrial(study.Id, "alive")!;
        Assert.Equal(t.Number, again.Number);
        Assert.Equal("alive", again.WorkerId);
    }

    [Fact]
    public void IntermediateMetricsAreKeptPerSeedAndMetricAndReadBackInOrder()
    {
        long studyId;
        using (var writer = OpenStore())
        {
            var study = writer.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
            studyId = study.Id;
            var a = writer.AddTrial(studyId, TrialState.Running, P(("x", 1.0)), 1, "sampler:random", null, "w")!;
            var b = writer.AddTrial(studyId, TrialState.Running, P(("x", 2.0)), 1, "sampler:random", null, "w")!;
            writer.ReportIntermediateMetrics(studyId, b.Number, 7, 2000, new Dictionary<string, double> { ["success"] = 0.5, ["reward"] = 3 });
            writer.ReportIntermediateMetrics(studyId, a.Number, 8, 1000, new Dictionary<string, double> { ["success"] = 0.1 });
            writer.ReportIntermediateMetrics(studyId, a.Number, 7, 2000, new Dictionary<string, double> { ["success"] = 0.2, ["reward"] = double.NaN });
            writer.ReportIntermediateMetrics(studyId, a.Number, 7, 1000, new Dictionary<string, double> { ["success"] = 0.05 });
            writer.ReportIntermediateMetrics(studyId, a.Number, 7, 2000, new Dictionary<string, double> { ["success"] = 0.25 }); // reported again: last value kept
            writer.ReportIntermediateMetrics(studyId, a.Number, 7, 3000, new Dictionary<string, double> { ["reward"] = double.PositiveInfinity }); // nothing finite: nothing stored
        }
        using var reader = OpenStore();
        Assert.Equal(
            [new IntermediateValue(0, 7, 1000, "success", 0.05), new IntermediateValue(0, 7, 2000, "success", 0.25),
             new IntermediateValue(0, 8, 1000, "success", 0.1), new IntermediateValue(1, 7, 2000, "success", 0.5)],
            reader.GetIntermediateMetrics(studyId, "success"));
        Assert.Equal([new IntermediateValue(1, 7, 2000, "reward", 3)], reader.GetIntermediateMetrics(studyId, "reward"));
        Assert.Empty(reader.GetIntermediateMetrics(studyId, "fall"));
    }

    [Fact]
    public void OfManyCreatorsOfOneNewStudyAtOnceExactlyOneCreatesIt()
    {
        var name = NewStudyName();
        var stores = Enumerable.Range(0, 4).Select(_ => OpenStore()).ToList();
        try
        {
            using var start = new Barrier(stores.Count);
            var created = stores.AsParallel().WithDegreeOfParallelism(stores.Count)
                .Select(store => { start.SignalAndWait(); return store.CreateStudy(name, "maximize", "{}"); }).ToList();
            Assert.Single(created, c => c is not null);
            Assert.Null(stores[0].CreateStudy(name, "maximize", "{}"));
        }
        finally
        {
            foreach (var s in stores) s.Dispose();
        }
    }

    [Fact]
    public void StaleRunningTrialsAreFoundAndFailedOrRequeuedButBeatingOnesAreLeftAlone()
    {
        using var store = OpenStore();
        // the store's clock, moved by hand: staleness is decided by the clock, not by how fast the machine runs
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        ((RelationalStudyStore)store).Clock = clock;
        var study = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        store.AddTrial(study.Id, TrialState.Running, P(("x", 0.0)), 0, "sampler:random", null, "dead-1");
        store.AddTrial(study.Id, TrialState.Running, P(("x", 1.0)), 0, "sampler:random", null, "dead-2");
        store.AddTrial(study.Id, TrialState.Running, P(("x", 2.0)), 0, "sampler:random", null, "alive");
        store.AddTrial(study.Id, TrialState.Waiting, P(("x", 3.0)), 0, "enqueued", null, null);
        clock.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Empty(store.GetStaleRunningTrials(study.Id, TimeSpan.FromSeconds(2)));
        Assert.True(store.Heartbeat(study.Id, 2, "alive"));
        clock.Advance(TimeSpan.FromSeconds(0.5));
        var stale = store.GetStaleRunningTrials(study.Id, TimeSpan.FromSeconds(1));
        Assert.Equal([0, 1], stale.Select(t => t.Number));
        Assert.All(stale, t => Assert.Equal(TrialState.Running, t.State));

        Assert.Empty(store.RecoverStaleTrials(study.Id, TimeSpan.FromMinutes(10), requeue: false));
        var failed = store.RecoverStaleTrials(study.Id, TimeSpan.FromSeconds(1), requeue: false);
        Assert.Equal([0, 1], failed.Select(t => t.Number));
        Assert.All(failed, t => Assert.Equal(TrialState.Failed, t.State));
        Assert.Contains("dead-1", failed[0].Error);
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), failed[0].EndedAt!.Value.ToUnixTimeMilliseconds());

        Assert.Empty(store.RecoverStaleTrials(study.Id, TimeSpan.FromSeconds(1), requeue: true));
        clock.Advance(TimeSpan.FromSeconds(1.5));
        var requeued = store.RecoverStaleTrials(study.Id, TimeSpan.FromSeconds(1), requeue: true);
        Assert.Equal([2], requeued.Select(t => t.Number));
        Assert.Equal(TrialState.Waiting, requeued[0].State);
        Assert.Equal([TrialState.Failed, TrialState.Failed, TrialState.Waiting, TrialState.Waiting], store.GetTrials(study.Id).Select(t => t.State));
    }

    [Fact]
    public void StudyAttributesAreSetOverwrittenAndKeptPerStudy()
    {
        using var store = OpenStore();
        var a = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        var b = store.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        store.SetStudyAttr(a.Id, "stage", "coarse");
        store.SetStudyAttr(a.Id, "stop_reason", "budget");
        store.SetStudyAttr(a.Id, "stage", "fine");
        store.SetStudyAttr(b.Id, "stage", "other");
        Assert.Equal(new Dictionary<string, string> { ["stage"] = "fine", ["stop_reason"] = "budget" }, store.GetStudyAttrs(a.Id));
        using var other = OpenStore();
        Assert.Equal(new Dictionary<string, string> { ["stage"] = "other" }, other.GetStudyAttrs(b.Id));
    }

    [Fact]
    public void TheStudyLockExcludesOtherInstancesUntilReleasedAndLeavesOtherStudiesFree()
    {
        using var a = OpenStore();
        using var b = OpenStore();
        var study = a.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        var other = a.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        using (a.LockStudy(study.Id, TimeSpan.FromSeconds(5)))
        {
            Assert.Throws<TimeoutException>(() => b.LockStudy(study.Id, TimeSpan.FromMilliseconds(200)));
            using (b.LockStudy(other.Id, TimeSpan.FromSeconds(5))) { }
        }
        using (b.LockStudy(study.Id, TimeSpan.FromSeconds(5))) { }
    }

    [Fact]
    public async Task TheStudyLockSerializesReadModifyWriteAcrossStores()
    {
        const int workers = 4, rounds = 15;
        using var setup = OpenStore();
        var study = setup.CreateOrOpenStudy(NewStudyName(), "maximize", "{}");
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(() =>
        {
            using var store = OpenStore();
            for (var i = 0; i < rounds; i++)
            {
                using var held = store.LockStudy(study.Id, TimeSpan.FromSeconds(60));
                // a read, a pause, a write: without the lock, two workers would write the same count
                var count = int.Parse(store.GetStudyAttrs(study.Id).GetValueOrDefault("count") ?? "0");
                Thread.Sleep(2);
                store.SetStudyAttr(study.Id, "count", (count + 1).ToString());
            }
        }, TaskCreationOptions.LongRunning)).ToList();
        await Task.WhenAll(tasks);
        Assert.Equal((workers * rounds).ToString(), setup.GetStudyAttrs(study.Id)["count"]);
    }

    [Fact]
    public async Task ConcurrentThreadsEachWithItsOwnStoreLoseAndDuplicateNothing()
    {
        const int writers = 4, perWriter = 25, gridPoints = 10;
        var name = NewStudyName();
        long studyId;
        using (var setup = OpenStore()) studyId = setup.CreateOrOpenStudy(name, "maximize", "{}").Id;
        var claimed = new ConcurrentBag<int>();
        var finished = new ConcurrentBag<int>();
        var threads = Enumerable.Range(0, writers).Select(w => Task.Factory.StartNew(() =>
        {
            using var store = OpenStore();
            Assert.Equal(studyId, store.CreateOrOpenStudy(name, "maximize", "{}").Id);
            for (var i = 0; i < perWriter; i++)
            {
                store.AddTrial(studyId, TrialState.Waiting, P(("w", (long)w), ("i", (long)i)), i, "test", $"w{w}/{i}", null);
                store.AddTrial(studyId, TrialState.Waiting, P(("grid", (long)(i % gridPoints))), 0, "grid", $"grid/{i % gridPoints}", null);
                var t = store.ClaimWaitingTrial(studyId, $"w{w}");
                if (t is null) continue;
                claimed.Add(t.Number);
                store.ReportIntermediate(studyId, t.Number, 1, i);
                if (store.FinishTrial(studyId, t.Number, TrialState.Complete, new Dictionary<string, double> { ["reward"] = i }, i, null, null)) finished.Add(t.Number);
            }
        }, TaskCreationOptions.LongRunning)).ToList();
        await Task.WhenAll(threads);
        AssertNothingLostOrDuplicated(studyId, writers, perWriter, gridPoints, claimed.ToList(), finished.ToList());
    }

    [Fact]
    public async Task ConcurrentProcessesLoseAndDuplicateNothing()
    {
        const int writers = 3, perWriter = 20, gridPoints = 8;
        var name = NewStudyName();
        long studyId;
        using (var setup = OpenStore()) studyId = setup.CreateOrOpenStudy(name, "maximize", "{}").Id;
        var helper = Path.Combine(AppContext.BaseDirectory, "RlTune.StoreWriter.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var processes = Enumerable.Range(0, writers).Select(w =>
        {
            var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "exec", helper, StorageUrl, name, perWriter.ToString(), gridPoints.ToString(), $"p{w}" }) psi.ArgumentList.Add(a);
            return Process.Start(psi)!;
        }).ToList();
        var outputs = processes.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();
        var claimed = new List<int>();
        var finished = new List<int>();
        for (var w = 0; w < writers; w++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await processes[w].WaitForExitAsync(timeout.Token);
            var (stdout, stderr) = (await outputs[w].Out, await outputs[w].Err);
            Assert.True(processes[w].ExitCode == 0, $"writer p{w} exited with {processes[w].ExitCode}: {stderr}");
            foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Trim().Split(' ');
                (parts[0] == "claimed" ? claimed : finished).Add(int.Parse(parts[1]));
            }
        }
        AssertNothingLostOrDuplicated(studyId, writers, perWriter, gridPoints, claimed, finished);
    }

    /// <summary>Drains what still waits, then checks: every trial present once, numbers 0..N-1, each claimed and finished exactly once.</summary>
    private void AssertNothingLostOrDuplicated(long studyId, int writers, int perWriter, int gridPoints, List<int> claimed, List<int> finished)
    {
        using var store = OpenStore();
        while (store.ClaimWaitingTrial(studyId, "drain") is { } t)
        {
            claimed.Add(t.Number);
            if (store.FinishTrial(studyId, t.Number, TrialState.Complete, new Dictionary<string, double>(), 0, null, null)) finished.Add(t.Number);
        }
        var trials = store.GetTrials(studyId);
        var expected = writers * perWriter + gridPoints;
        Assert.Equal(Enumerable.Range(0, expected), trials.Select(t => t.Number));
        Assert.Equal(expected, claimed.Distinct().Count());
        Assert.Equal(expected, claimed.Count);
        Assert.Equal(Enumerable.Range(0, expected), finished.Order());
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(gridPoints, trials.Count(t => t.Origin == "grid"));
        Assert.Equal(Enumerable.Range(0, gridPoints).Select(g => (long)g), trials.Where(t => t.Origin == "grid").Select(t => (long)t.Params["grid"]).Order());
        Assert.Equal(writers * perWriter, trials.Where(t => t.Origin == "test").Select(t => ParamValues.Canonical(t.Params)).Distinct().Count());
    }
}
