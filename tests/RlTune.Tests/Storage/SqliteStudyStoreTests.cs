using Microsoft.Data.Sqlite;
using RlTune.Storage;
using RlTune.Trials;

namespace RlTune.Tests.Storage;

/// <summary>The store contract on a SQLite file, plus what only SQLite has (the file, its schema version).</summary>
public sealed class SqliteStudyStoreTests : StudyStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-sqlite-").FullName;

    private string DbPath => Path.Combine(_dir, "nested", "studies.db");

    protected override string StorageUrl => "sqlite:///" + DbPath;

    [Fact]
    public void TheFileIsInWalModeWithTheLatestSchemaVersionAppliedOnce()
    {
        using (OpenStore()) { }
        using (OpenStore()) { }
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
        cmd.CommandText = "SELECT group_concat(version) FROM schema_version";
        Assert.Equal(string.Join(",", Enumerable.Range(1, SqliteStudyStore.LatestSchemaVersion)), cmd.ExecuteScalar());
    }

    [Fact]
    public void AStoreOfSchemaVersion1GainsTheIntermediateMetricsTableAndKeepsItsTrials()
    {
        long studyId;
        using (var store = OpenStore())
        {
            studyId = store.CreateOrOpenStudy("old", "maximize", "{}").Id;
            store.AddTrial(studyId, TrialState.Complete, new Dictionary<string, object> { ["x"] = 1.0 }, 1, "grid", null, null);
        }
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            // back to what version 1 left: no intermediate_metrics table, version 1 recorded
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "DROP TABLE intermediate_metrics; DELETE FROM schema_version WHERE version > 1";
            cmd.ExecuteNonQuery();
        }
        using var reopened = OpenStore();
        Assert.Single(reopened.GetTrials(studyId));
        reopened.ReportIntermediateMetrics(studyId, 0, 1, 10, new Dictionary<string, double> { ["success"] = 0.5 });
        Assert.Single(reopened.GetIntermediateMetrics(studyId, "success"));
    }

    [Fact]
    public void AStoreWrittenByANewerRlTuneIsRefusedWithAClearMessage()
    {
        using (OpenStore()) { }
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_version(version) VALUES (999)";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<UserError>(OpenStore);
        Assert.Contains("schema version 999", e.Message);
        Assert.Contains(DbPath, e.Message);
    }

    [Fact]
    public void AFileThatIsNotADatabaseIsAUserError()
    {
        var path = Path.Combine(_dir, "notes.db");
        File.WriteAllText(path, "these are my notes, not a database; they are long enough to fill a header page.......");
        var e = Assert.Throws<UserError>(() => new SqliteStudyStore(path));
        Assert.Contains("not an SQLite database", e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
