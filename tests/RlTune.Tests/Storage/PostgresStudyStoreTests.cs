using System.Collections.Concurrent;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Tests.Storage;

/// <summary>One throwaway PostgreSQL server for every test class in the "postgres" collection (they run one after another).</summary>
public sealed class PostgresServerFixture : IDisposable
{
    public ThrowawayPostgresCluster Cluster { get; } = new();
    public void Dispose() => Cluster.Dispose();
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>;

/// <summary>The store contract on a real PostgreSQL server.</summary>
[Collection("postgres")]
public sealed class PostgresStudyStoreTests(PostgresServerFixture server) : StudyStoreContract
{
    protected override string StorageUrl => server.Cluster.Url;

    [Fact]
    public void TheSchemaIsCreatedOnceEvenWhenManyStoresOpenAtOnce()
    {
        Parallel.For(0, 6, _ => { using var s = OpenStore(); });
        using var conn = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={server.Cluster.Port};Username=rltune;Database={ThrowawayPostgresCluster.Database};Pooling=false");
        conn.Open();
        using var cmd = new Npgsql.NpgsqlCommand("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version", conn);
        Assert.Equal(string.Join(",", Enumerable.Range(1, PostgresStudyStore.LatestSchemaVersion)), cmd.ExecuteScalar());
    }

    [Fact]
    public void AnUnreachableServerIsAUserErrorNamingTheUrl()
    {
        var url = $"postgresql://rltune@127.0.0.1:{server.Cluster.Port}/no_such_database";
        var e = Assert.Throws<UserError>(() => new PostgresStudyStore(url, TimeSpan.FromSeconds(1)));
        Assert.Contains("no_such_database", e.Message);
    }

    [Theory]
    [InlineData("postgresql://tuner:s%40cret@db.lab:5433/rl_studies?sslmode=require", "tuner", "s@cret", "db.lab", 5433, "rl_studies")]
    [InlineData("postgres://tuner@10.0.0.5/studies", "tuner", null, "10.0.0.5", 5432, "studies")]
    public void UrlsBecomeConnectionSettings(string url, string user, string? password, string host, int port, string database)
    {
        var b = PostgresStudyStore.ParseUrl(url);
        Assert.Equal((user, password, host, port, database), (b.Username, b.Password, b.Host, b.Port, b.Database));
    }

    [Theory]
    [InlineData("postgresql://tuner@db.lab:5433/", "names no database")]
    [InlineData("postgresql://tuner@db.lab/studies?frobnicate=1", "frobnicate")]
    public void BadUrlsAreUserErrors(string url, string expected) =>
        Assert.Contains(expected, Assert.Throws<UserError>(() => PostgresStudyStore.ParseUrl(url)).Message);

    [Fact]
    public async Task TheStoreRecoversWhenTheServerRestartsMidUse()
    {
        const int rounds = 60;
        using var store = OpenStore();
        var study = store.CreateOrOpenStudy("restart-" + Guid.NewGuid().ToString("N")[..8], "maximize", "{}");
        var progress = 0;
        var finished = new ConcurrentBag<int>();
        var work = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < rounds; i++)
            {
                store.AddTrial(study.Id, TrialState.Waiting, new Dictionary<string, object> { ["i"] = (long)i }, i, "grid", $"i={i}", null);
                var t = store.ClaimWaitingTrial(study.Id, "w")!;
                Assert.True(store.Heartbeat(study.Id, t.Number, "w"));
                store.ReportIntermediate(study.Id, t.Number, 1, i);
                if (store.FinishTrial(study.Id, t.Number, TrialState.Complete, new Dictionary<string, double> { ["i"] = i }, i, null, null)) finished.Add(t.Number);
                Volatile.Write(ref progress, i + 1);
                Thread.Sleep(20);
            }
        }, TaskCreationOptions.LongRunning);
        while (Volatile.Read(ref progress) < 10 && !work.IsCompleted) await Task.Delay(10);
        server.Cluster.Stop("fast");
        await Task.Delay(1000); // the worker meets a dead server for a while, not just a dropped connection
        server.Cluster.Start();
        await work;
        Assert.True(Volatile.Read(ref progress) == rounds);
        var trials = store.GetTrials(study.Id);
        Assert.Equal(Enumerable.Range(0, rounds), trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(Enumerable.Range(0, rounds), finished.Order());
        Assert.Equal(Enumerable.Range(0, rounds).Select(i => (double)i), trials.Select(t => t.Score!.Value));
    }
}
