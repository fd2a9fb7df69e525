using System.Data.Common;
using Npgsql;

namespace RlTune.Storage;

/// <summary>
/// The many-machines store: one PostgreSQL database shared by every worker. Trial numbers are
/// allocated under a row lock on the study, claims use FOR UPDATE SKIP LOCKED so workers never
/// wait on each other's claimed rows, and times come from the server's clock. A dropped connection
/// (server restart, network blip) is retried with backoff for up to <see cref="RetryFor"/>.
/// </summary>
public sealed class PostgresStudyStore : RelationalStudyStore
{
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>The URL without its password, for messages.</summary>
    public string DisplayUrl { get; }

    /// <summary>How long one operation keeps retrying while the server is unreachable.</summary>
    public TimeSpan RetryFor { get; private set; }

    public PostgresStudyStore(string url, TimeSpan? retryFor = null)
    {
        var builder = ParseUrl(url);
        DisplayUrl = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
        var wanted = retryFor ?? TimeSpan.FromSeconds(60);
        try
        {
            // A server that cannot be reached on first use is more likely a wrong URL than a restart: give up sooner.
            RetryFor = TimeSpan.FromTicks(Math.Min(wanted.Ticks, TimeSpan.FromSeconds(10).Ticks));
            Migrate();
            RetryFor = wanted;
        }
        catch (NpgsqlException e)
        {
            _dataSource.Dispose();
            throw new UserError($"Cannot open the PostgreSQL study store {DisplayUrl}: {e.Message}.");
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
    }

    /// <summary>postgresql://user[:password]@host[:port]/database[?keyword=value&amp;...] into Npgsql's settings; the password may also come from PGPASSWORD or ~/.pgpass.</summary>
    internal static NpgsqlConnectionStringBuilder ParseUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgresql" or "postgres") || string.IsNullOrEmpty(uri.Host))
            throw new UserError($"--storage '{url}' is not a PostgreSQL URL; expected postgresql://user@host:port/database.");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
            throw new UserError($"--storage '{url}' names no database; expected postgresql://user@host:port/database.");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            Timeout = 10,
            CommandTimeout = 60,
            // no session state is kept between uses of a pooled connection, so skip DISCARD ALL; prepare the hot statements once
            NoResetOnClose = true,
            MaxAutoPrepare = 32,
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length == 2) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            try
            {
                builder[key == "sslmode" ? "SSL Mode" : key] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            }
            catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException)
            {
                throw new UserError($"--storage '{url}' has an option '{key}' PostgreSQL's client does not understand ({e.Message}).");
            }
        }
        return builder;
    }

    protected override string DatabaseNowMsSql => "(extract(epoch from clock_timestamp()) * 1000)::bigint";

    protected override string LockStudyRowSql => "SELECT id FROM studies WHERE id = @study FOR UPDATE";

    protected override string LockTrialRowSql => "SELECT number FROM trials WHERE study_id = @study AND number = @number FOR UPDATE";

    protected override string ClaimSql =>
        $"UPDATE trials SET state = 'running', worker_id = @worker, started_ms = {NowMsSql}, heartbeat_ms = {NowMsSql} " +
        "WHERE study_id = @study AND state = 'waiting' AND number = " +
        "(SELECT number FROM trials WHERE study_id = @study AND state = 'waiting' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)";

    protected override T InTransaction<T>(bool write, Func<DbConnection, DbTransaction, T> work) =>
        WithRetries(transaction: true, (c, t) => work(c, t!));

    protected override T InSingleStatement<T>(Func<DbConnection, DbTransaction?, T> work) => WithRetries(transaction: false, work);

    private T WithRetries<T>(bool transaction, Func<DbConnection, DbTransaction?, T> work)
    {
        var deadline = DateTime.UtcNow + RetryFor;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                Attempt = attempt;
                try
                {
                    using var connection = _dataSource.OpenConnection();
                    using var tx = transaction ? connection.BeginTransaction() : null;
                    var result = work(connection, tx);
                    tx?.Commit();
                    return result;
                }
                catch (Exception e) when (IsRetryable(e) && DateTime.UtcNow < deadline)
                {
                    // Pooled connections to a restarted server are all dead; drop them rather than fail on each in turn.
                    if (e is not PostgresException { SqlState: "40001" or "40P01" }) _dataSource.Clear();
                    Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(2000, 50 * (1 << Math.Min(attempt, 6))) * (0.5 + Random.Shared.NextDouble())));
                }
            }
        }
        finally
        {
            Attempt = 0;
        }
    }

    /// <summary>Lost connections, a server shutting down or starting up, serialization failures and deadlocks: worth another try.</summary>
    private static bool IsRetryable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03" or "40001" or "40P01" or "53300",
        NpgsqlException npg => npg.IsTransient || npg.InnerException is IOException or System.Net.Sockets.SocketException,
        InvalidOperationException { InnerException: NpgsqlException inner } => IsRetryable(inner),
        _ => false,
    };

    // First key of the two-key advisory locks that guard studies (the second is the study id).
    private const int StudyLockClass = 0x524C54;

    /// <summary>A session advisory lock on a connection of its own, held until disposed (or until that session ends, e.g. a server restart).</summary>
    public override IDisposable LockStudy(long studyId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            NpgsqlConnection? connection = null;
            try
            {
                connection = _dataSource.OpenConnection();
                while (true)
                {
                    if (Scalar(connection, null, "SELECT pg_try_advisory_lock(@class, @study)", ("class", StudyLockClass), ("study", (int)studyId)) is true)
                        return new StudyLock(connection, (int)studyId);
                    if (DateTime.UtcNow >= deadline)
                        throw new TimeoutException($"the lock of study {studyId} on {DisplayUrl} was not free within {timeout.TotalSeconds:F0} s");
                    Thread.Sleep(5 + Random.Shared.Next(10));
                }
            }
            catch (Exception e) when (IsRetryable(e) && DateTime.UtcNow < deadline)
            {
                connection?.Dispose();
                _dataSource.Clear();
                Thread.Sleep(200);
            }
            catch
            {
                connection?.Dispose();
                throw;
            }
        }
    }

    private sealed class StudyLock(NpgsqlConnection connection, int studyId) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                Exec(connection, null, "SELECT pg_advisory_unlock(@class, @study)", ("class", StudyLockClass), ("study", studyId));
            }
            catch (NpgsqlException)
            {
                // the session is gone, and its lock with it
            }
            finally
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>Schema versions in order; version N is reached by running Migrations[N-1].</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE studies (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            direction TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            created_ms BIGINT NOT NULL);
        CREATE TABLE study_attrs (
            study_id BIGINT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (study_id, key));
        CREATE TABLE trials (
            study_id BIGINT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'pruned', 'failed')),
            params_json TEXT NOT NULL,
            seed BIGINT NOT NULL,
            metrics_json TEXT NOT NULL,
            score DOUBLE PRECISION,
            score_std DOUBLE PRECISION,
            origin TEXT,
            unique_key TEXT,
            created_ms BIGINT NOT NULL,
            started_ms BIGINT,
            ended_ms BIGINT,
            worker_id TEXT,
            heartbeat_ms BIGINT,
            error TEXT,
            PRIMARY KEY (study_id, number),
            UNIQUE (study_id, unique_key));
        CREATE INDEX trials_by_state ON trials(study_id, state, number);
        CREATE TABLE seed_runs (
            study_id BIGINT NOT NULL,
            number INTEGER NOT NULL,
            position INTEGER NOT NULL,
            seed BIGINT NOT NULL,
            metrics_json TEXT NOT NULL,
            score DOUBLE PRECISION,
            run_dir TEXT,
            error TEXT,
            PRIMARY KEY (study_id, number, position),
            FOREIGN KEY (study_id, number) REFERENCES trials(study_id, number) ON DELETE CASCADE);
        CREATE TABLE intermediate_values (
            study_id BIGINT NOT NULL,
            number INTEGER NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (study_id, number, step),
            FOREIGN KEY (study_id, number) REFERENCES trials(study_id, number) ON DELETE CASCADE);
        """,
        // 2: named intermediate metrics per seed's run, for pruning and learning curves
        """
        CREATE TABLE intermediate_metrics (
            study_id BIGINT NOT NULL,
            number INTEGER NOT NULL,
            seed BIGINT NOT NULL,
            metric TEXT NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (study_id, number, seed, metric, step),
            FOREIGN KEY (study_id, number) REFERENCES trials(study_id, number) ON DELETE CASCADE);
        CREATE INDEX intermediate_metrics_by_metric ON intermediate_metrics(study_id, metric);
        """,
    ];

    internal static int LatestSchemaVersion => Migrations.Length;

    // Any fixed number: the advisory lock that makes concurrent first uses migrate one at a time.
    private const long MigrationLockKey = 0x726c74756e65;

    private void Migrate() => InTransaction(true, (c, t) =>
    {
        Scalar(c, t, "SELECT pg_advisory_xact_lock(@key)", ("key", MigrationLockKey));
        Exec(c, t, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        var current = Scalar(c, t, "SELECT MAX(version) FROM schema_version") is { } v ? Convert.ToInt32(v) : 0;
        if (current > Migrations.Length)
            throw new UserError($"The study store {DisplayUrl} has schema version {current}, newer than this RlTune understands ({Migrations.Length}); upgrade RlTune.");
        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            Exec(c, t, Migrations[version - 1]);
            Exec(c, t, "INSERT INTO schema_version(version) VALUES (@version)", ("version", version));
        }
        return current;
    });

    public override void Dispose() => _dataSource.Dispose();
}
