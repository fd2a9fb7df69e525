using RlTune.Storage;
using RlTune.Study;
using RlTune.Tests.Automl;
using RlTune.Tests.Storage;
using RlTune.Trials;

namespace RlTune.Tests.Workers;

/// <summary>A PBT population shared by `rltune automl` and `rltune worker`s on a real PostgreSQL server, and one killed with SIGKILL.</summary>
[Collection("postgres")]
public sealed class PbtWorkerTests(PostgresServerFixture server) : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private StudySettings Population(string study, string storage) => _h.Settings("chain@0.3", study) with
    {
        Storage = storage, Mode = StudyMode.Pbt, Parallel = 1, Audit = AuditPolicy.Off, Pbt = new PbtSettings { Population = 4, Generations = 3 },
    };

    /// <summary>Every (generation, member) exactly once, each continuing the checkpoint its origin names.</summary>
    private static void AssertWholePopulation(IReadOnlyList<TrialRecord> trials)
    {
        Assert.Equal(12, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        var intervals = PbtLineage.Of(trials).Intervals;
        Assert.Equal(12, intervals.Select(i => (i.Step.Generation, i.Step.Member)).Distinct().Count());
        Assert.All(intervals, i => Assert.Equal(i.Step.Generation + 1.0, i.Trial.Metrics["chain_length"]));
    }

    [Fact]
    public async Task WorkersShareThePopulationAndAddEachIntervalOnce()
    {
        var study = "pbt-" + Guid.NewGuid().ToString("N")[..8];
        var result = await _h.RunWithWorkers(Population(study, server.Cluster.Url), server.Cluster.Url, workers: 2);
        using var store = StoreFactory.Open(server.Cluster.Url, _h.Root);
        var trials = store.GetTrials(store.FindStudy(study)!.Id);
        AssertWholePopulation(trials);
        Assert.True(trials.Select(t => t.WorkerId).Distinct().Count() >= 2, "the workers took no interval");
        Assert.NotNull(result.BestScore);
    }

    [Fact]
    public async Task AfterKill9AResumeFinishesTheHalfDoneGenerationWithNothingLostOrTrainedTwice()
    {
        var s = _h.Settings("chain@0.3", "k9");
        var args = new[] { "automl", "--mode", "pbt", "--space", s.Space!, "--env", "fake-env", "--trainer-command", s.TrainerCommand!, "--objective", "value",
            "--direction", "minimize", "--population", "4", "--generations", "3", "--parallel", "2", "--intensify", "off", "--study", "k9", "--output", _h.Output };
        var (code, _, _) = await _h.CliAsync(args, p =>
        {
            // SIGKILL once generation 0 is done and generation 1 under way: no chance to put its trials back
            for (var deadline = DateTime.UtcNow.AddMinutes(2); DateTime.UtcNow < deadline; Thread.Sleep(100))
            {
                if (!File.Exists(Path.Combine(_h.Output, StoreFactory.DefaultFileName))) continue;
                using var store = StoreFactory.Open(null, _h.Output);
                if (store.FindStudy("k9") is not { } study) continue;
                var trials = store.GetTrials(study.Id);
                if (trials.Count(t => t.State == TrialState.Complete) < 5) continue;
                p.Kill();
                break;
            }
        });
        Assert.NotEqual(0, code);
        var killed = _h.Read("k9").Trials;
        var before = killed.Where(t => t.State == TrialState.Complete).ToDictionary(t => t.Number, t => t.Metrics["seed"]);
        Assert.InRange(before.Count, 5, 11);
        Assert.True(PbtLineage.Of(killed).Intervals.Count(i => i.Step.Generation == 1 && i.Trial.State == TrialState.Complete) < 4, "generation 1 was not half done");

        var again = _h.Cli("automl", "--resume", "--study", "k9", "--output", _h.Output);
        Assert.True(again.Code == 0, again.Stdout + again.Stderr);
        var trials = _h.Read("k9").Trials;
        AssertWholePopulation(trials);
        foreach (var (n, seed) in before) Assert.Equal(seed, trials.Single(t => t.Number == n).Metrics["seed"]);
    }
}
