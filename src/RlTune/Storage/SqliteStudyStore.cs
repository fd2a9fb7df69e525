using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace RlTune.Storage;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. Every write runs in a BEGIN IMMEDIATE
/// transaction (the file's single writer lock, waited for up to the busy timeout), so several
/// processes on one machine may add, claim and finish trials at once without losing or
/// duplicating any. One connection per instance, used under a lock, so an instance is thread-safe.
/// </summary>
public sealed class SqliteStudyStore : RelationalStudyStore
{
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    public string Path { get; }

    public SqliteStudyStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        };
        _connection = new SqliteConnection(cs.ToString());
        try
        {
            _connection.Open();
            Exec(_connection, null, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}");
            // WAL lets readers run beside the one writer; NORMAL sync is durable against process crashes in WAL mode.
            Scalar(_connection, null, "PRAGMA journal_mode = WAL");
            Exec(_connection, null, "PRAGMA synchronous = NORMAL");
            Exec(_connection, null, "PRAGMA foreign_keys = ON");
            Migrate();
        }
        catch (Exception e)
        {
            _connection.Dispose();
            if (e is SqliteException se)
                throw new UserError($"Cannot open the SQLite study store '{Path}': {(se.SqliteErrorCode == 26 ? "the file is not an SQLite database" : se.Message)}.");
            throw;
        }
    }

    protected override string DatabaseNowMsSql => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    protected override string LockStudyRowSql => "";

    protected override string ClaimSql =>
        $"UPDATE trials SET state = 'running', worker_id = @worker, started_ms = {NowMsSql}, heartbeat_ms = {NowMsSql} " +
        "WHERE study_id = @study AND state = 'waiting' AND number = (SELECT MIN(number) FROM trials WHERE study_id = @study AND state = 'waiting')";

    protected override T InTransaction<T>(bool write, Func<DbConnection, DbTransaction, T> work)
    {
        lock (_gate)
        {
            // deferred: false issues BEGIN IMMEDIATE, taking the write lock up front so no writer ever upgrades and deadlocks.
            using var tx = _connection.BeginTransaction(deferred: !write);
            var result = work(_connection, tx);
            tx.Commit();
            return result;
        }
    }

    /// <summary>An exclusive lock on a file beside the database (flock underneath, so it also excludes other instances in this process).</summary>
    public override IDisposable LockStudy(long studyId, TimeSpan timeout)
    {
        var lockFile = $"{Path}.study-{studyId}.lock";
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5 + Random.Shared.Next(10));
            }
            catch (IOException e)
            {
                throw new TimeoutException($"the lock of study {studyId} in {Path} was not free within {timeout.TotalSeconds:F0} s", e);
            }
        }
    }

    /// <summary>Schema versions in order; version N is reached by running Migrations[N-1].</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE studies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            direction TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            created_ms INTEGER NOT NULL);
        CREATE TABLE study_attrs (
            study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (study_id, key));
        CREATE TABLE trials (
            study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'pruned', 'failed')),
            params_json TEXT NOT NULL,
            seed INTEGER NOT NULL,
            metrics_json TEXT NOT NULL,
            score REAL,
            score_std REAL,
            origin TEXT,
            unique_key TEXT,
            created_ms INTEGER NOT NULL,
            started_ms INTEGER,
            ended_ms INTEGER,
            worker_id TEXT,
            heartbeat_ms INTEGER,
            error TEXT,
            PRIMARY KEY (study_id, number),
            UNIQUE (study_id, unique_key));
        CREATE INDEX trials_by_state ON trials(study_id, state, number);
        CREATE TABLE seed_runs (
            study_id INTEGER NOT NULL,
            number INTEGER NOT NULL,
            position INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            metrics_json TEXT NOT NULL,
            score REAL,
            run_dir TEXT,
            error TEXT,
            PRIMARY KEY (study_id, number, position),
            FOREIGN KEY (study_id, number) REFERENCES trials(study_id, number) ON DELETE CASCADE);
        CREATE TABLE intermediate_values (
            study_id INTEGER NOT NULL,
            number INTEGER NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (study_id, number, step),
            FOREIGN KEY (study_id, number) REFERENCES trials(study_id, number) ON DELETE CASCADE);
        """,
        // 2: named intermediate metrics per seed's run, for pruning and learning curves
        """
        CREATE TABLE intermediate_metrics (
            study_id INTEGER NOT NULL,
            number INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            metric TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (study_id, number, seed, metric, step),
            FOREIGN KEY (study_id, number) REFERENCES trials(study_id, number) ON DELETE CASCADE);
        CREATE INDEX intermediate_metrics_by_metric ON intermediate_metrics(study_id, metric);
        """,
    ];

    internal static int LatestSchemaVersion => Migrations.Length;

    private void Migrate() => InTransaction(true, (c, t) =>
    {
        Exec(c, t, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        var current = Scalar(c, t, "SELECT MAX(version) FROM schema_version") is { } v ? Convert.ToInt32(v) : 0;
        if (current > Migrations.Length)
            throw new UserError($"The study store '{Path}' has schema version {current}, newer than this RlTune understands ({Migrations.Length}); upgrade RlTune.");
        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            Exec(c, t, Migrations[version - 1]);
            Exec(c, t, "INSERT INTO schema_version(version) VALUES (@version)", ("version", version));
        }
        return current;
    });

    public override void Dispose()
    {
        lock (_gate) _connection.Dispose();
    }
}
