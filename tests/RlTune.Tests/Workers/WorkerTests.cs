using RlTune.Storage;
using RlTune.Study;
using RlTune.Tests.Automl;
using RlTune.Tests.Storage;
using RlTune.Trials;

namespace RlTune.Tests.Workers;

/// <summary>`rltune worker` processes sharing a study with `rltune automl` on a real PostgreSQL server.</summary>
[Collection("postgres")]
public sealed class WorkerTests(PostgresServerFixture server) : IDisposable
{
    private readonly AutomlHarness _h = new();

    private StudySettings GridStudy(string study, string trainerMode) => _h.Settings(trainerMode, study, _h.WriteFile("grid.yaml", AutomlHarness.GridSpace)) with
    {
        Storage = server.Cluster.Url,
        SearchMethod = "grid",
        HpTrials = 6,
        Audit = AuditPolicy.Off,
    };

    [Fact]
    public async Task WorkersAndAutomlRunEveryGridPointExactlyOnce()
    {
        var study = "grid-" + Guid.NewGuid().ToString("N")[..8];
        var settings = GridStudy(study, "metrics@0.5");
        var result = await _h.RunWithWorkers(settings, server.Cluster.Url, workers: 2);
        using var store = StoreFactory.Open(server.Cluster.Url, _h.Root);
        var trials = store.GetTrials(store.FindStudy(study)!.Id);
        Assert.Equal(6, trials.Count);
        Assert.Equal(6, trials.Select(t => ParamValues.Canonical(t.Params)).Distinct().Count());
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.NotNull(result.BestScore);
    }

    [Theory]
    [InlineData("requeue", TrialState.Complete)]
    [InlineData("fail", TrialState.Failed)]
    public async Task AWorkerRecoversATrialWhoseWorkerStoppedBeating(string policy, TrialState expected)
    {
        var study = "stale-" + Guid.NewGuid().ToString("N")[..8];
        var settings = GridStudy(study, "metrics") with { HpTrials = 1 };
        // the study as automl leaves it, with its one trial held by a machine that then died
        using (var store = StoreFactory.Open(server.Cluster.Url, _h.Root))
        {
            var record = store.CreateOrOpenStudy(study, "minimize", AutomlPipeline.SerializeSettings(settings));
            store.SetStudyAttr(record.Id, "settings", AutomlPipeline.SerializeSettings(settings));
            store.AddTrial(record.Id, TrialState.Running, new Dictionary<string, object> { ["a"] = 0.1, ["b"] = 0.2 }, 0, "sampler:grid", "dead-machine-point", "other-host:4242:deadbeef");
        }
        await Task.Delay(1500);
        var (code, stdout, stderr) = await _h.CliAsync(["worker", "--study", study, "--storage", server.Cluster.Url, "--output", _h.Output, "--stale-after", "1", "--on-stale", policy]);
        // a study whose only trial ends failed is no success: exit 1
        Assert.True(code == (expected == TrialState.Complete ? 0 : 1), $"worker exited {code}: {stdout}{stderr}");
        Assert.Contains("lost its worker", stdout);
        using var check = StoreFactory.Open(server.Cluster.Url, _h.Root);
        var trial = check.GetTrials(check.FindStudy(study)!.Id).Single();
        Assert.Equal(expected, trial.State);
        if (expected == TrialState.Complete) Assert.NotEqual("other-host:4242:deadbeef", trial.WorkerId);
        else Assert.Contains("other-host:4242:deadbeef", trial.Error);
    }

    [Fact]
    public void AWorkerForAnUnknownStudyIsAUserError()
    {
        var (code, _, stderr) = _h.Cli("worker", "--study", "no-such-study", "--storage", server.Cluster.Url);
        Assert.Equal(1, code);
        Assert.Contains("no study 'no-such-study'", stderr);
    }

    [Fact]
    public void AnUnknownStalePolicyIsAUserError()
    {
        var (code, _, stderr) = _h.Cli("worker", "--study", "x", "--on-stale", "ignore");
        Assert.Equal(1, code);
        Assert.Contains("--on-stale", stderr);
    }

    public void Dispose() => _h.Dispose();
}
