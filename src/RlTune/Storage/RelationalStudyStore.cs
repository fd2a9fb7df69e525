using System.Data.Common;
using System.Text.Json;
using RlTune.Trials;

namespace RlTune.Storage;

/// <summary>
/// The SQL both stores share: same tables, same statements, named parameters only. A subclass
/// supplies connections and transactions (SQLite: BEGIN IMMEDIATE on one file; PostgreSQL: row
/// locks and retries over the network), its DDL, its clock expression and its claim statement.
/// </summary>
public abstract class RelationalStudyStore : IStudyStore
{
    private static readonly JsonSerializerOptions MetricsJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private const string TrialColumns =
        "number, state, params_json, seed, metrics_json, score, score_std, origin, unique_key, started_ms, ended_ms, worker_id, heartbeat_ms, error";

    [ThreadStatic] private static int t_attempt;

    /// <summary>Which try of the current transaction this is (1 = first); a subclass that retries sets it before each try.</summary>
    protected static int Attempt { get => Math.Max(1, t_attempt); set => t_attempt = value; }

    /// <summary>Runs <paramref name="work"/> in one transaction (a writing one when <paramref name="write"/>), committing at the end.</summary>
    protected abstract T InTransaction<T>(bool write, Func<DbConnection, DbTransaction, T> work);

    /// <summary>Runs one atomic statement; a store whose single statements are atomic on their own may skip the explicit transaction (one round trip fewer).</summary>
    protected virtual T InSingleStatement<T>(Func<DbConnection, DbTransaction?, T> work) => InTransaction(true, (c, t) => work(c, t));

    /// <summary>SQL expression for the database's clock in Unix milliseconds.</summary>
    protected abstract string DatabaseNowMsSql { get; }

    /// <summary>The clock of heartbeats and timestamps; null (the default) uses the database's, one clock for every worker.</summary>
    public TimeProvider? Clock { get; set; }

    /// <summary>SQL for "now" in Unix milliseconds: <see cref="Clock"/>'s time when set, else the database's clock.</summary>
    protected string NowMsSql => Clock is { } clock
        ? clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)
        : DatabaseNowMsSql;

    /// <summary>Locks the study row against concurrent number allocation (empty when the transaction already excludes other writers).</summary>
    protected abstract string LockStudyRowSql { get; }

    /// <summary>Locks one trial row (@study, @number) for the transaction (empty when the transaction already excludes other writers).</summary>
    protected virtual string LockTrialRowSql => "";

    /// <summary>UPDATE that moves the oldest waiting trial of @study to running for @worker (the caller appends RETURNING).</summary>
    protected abstract string ClaimSql { get; }

    public StudyRecord CreateOrOpenStudy(string name, string direction, string settingsJson) =>
        CreateStudy(name, direction, settingsJson) ?? FindStudy(name)!;

    public StudyRecord? CreateStudy(string name, string direction, string settingsJson)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new UserError("The study name is empty; give --study a name.");
        return InTransaction(true, (c, t) =>
            Exec(c, t, $"INSERT INTO studies(name, direction, settings_json, created_ms) VALUES (@name, @direction, @settings, {NowMsSql}) ON CONFLICT (name) DO NOTHING",
                ("name", name), ("direction", direction), ("settings", settingsJson)) == 1
                ? FindStudy(c, t, name)
                : null);
    }

    public StudyRecord? FindStudy(string name) => InTransaction(false, (c, t) => FindStudy(c, t, name));

    private static StudyRecord? FindStudy(DbConnection c, DbTransaction t, string name)
    {
        using var cmd = Command(c, t, "SELECT id, name, direction, settings_json, created_ms FROM studies WHERE name = @name", ("name", name));
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadStudy(r) : null;
    }

    public IReadOnlyList<StudyRecord> ListStudies() => InTransaction(false, (c, t) =>
    {
        using var cmd = Command(c, t, "SELECT id, name, direction, settings_json, created_ms FROM studies ORDER BY id");
        using var r = cmd.ExecuteReader();
        var list = new List<StudyRecord>();
        while (r.Read()) list.Add(ReadStudy(r));
        return list;
    });

    private static StudyRecord ReadStudy(DbDataReader r) =>
        new(Long(r, 0), r.GetString(1), r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeMilliseconds(Long(r, 4)));

    public TrialRecord? AddTrial(long studyId, TrialState state, IReadOnlyDictionary<string, object> parameters, int seed, string origin, string? uniqueKey, string? workerId)
    {
        var paramsJson = ParamValues.ToJsonText(parameters);
        return InTransaction(true, (c, t) =>
        {
            if (LockStudyRowSql.Length > 0)
                using (var lockCmd = Command(c, t, LockStudyRowSql, ("study", studyId)))
                    if (lockCmd.ExecuteScalar() is null) throw new InvalidOperationException($"study {studyId} does not exist");
            if (uniqueKey is not null
                && Scalar(c, t, "SELECT number FROM trials WHERE study_id = @study AND unique_key = @key", ("study", studyId), ("key", uniqueKey)) is not null)
                return null;
            var number = Convert.ToInt32(Scalar(c, t, "SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = @study", ("study", studyId)));
            var running = state == TrialState.Running;
            var finished = state.IsFinished();
            using var insert = Command(c, t,
                "INSERT INTO trials(study_id, number, state, params_json, seed, metrics_json, origin, unique_key, created_ms, started_ms, ended_ms, worker_id, heartbeat_ms) " +
                $"VALUES (@study, @number, @state, @params, @seed, '{{}}', @origin, @key, {NowMsSql}, " +
                $"{(running || finished ? NowMsSql : "NULL")}, {(finished ? NowMsSql : "NULL")}, @worker, {(running ? NowMsSql : "NULL")}) RETURNING {TrialColumns}",
                ("study", studyId), ("number", number), ("state", state.ToText()), ("params", paramsJson), ("seed", seed),
                ("origin", origin), ("key", uniqueKey), ("worker", workerId));
            using var r = insert.ExecuteReader();
            r.Read();
            return ReadTrial(r, studyId, [], []);
        });
    }

    /// <summary>A waiting trial has no seed runs or intermediate values (a re-queue drops them), so the claimed row is the whole trial.</summary>
    public TrialRecord? ClaimWaitingTrial(long studyId, string workerId) => InSingleStatement((c, t) =>
    {
        using var cmd = Command(c, t, ClaimSql + " RETURNING " + TrialColumns, ("study", studyId), ("worker", workerId));
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadTrial(r, studyId, [], []) : null;
    });

    public bool Heartbeat(long studyId, int number, string workerId) => InSingleStatement((c, t) =>
        Exec(c, t, $"UPDATE trials SET heartbeat_ms = {NowMsSql} WHERE study_id = @study AND number = @number AND state = 'running' AND worker_id = @worker",
            ("study", studyId), ("number", number), ("worker", workerId)) > 0);

    public void ReportIntermediate(long studyId, int number, long step, double value) => InSingleStatement((c, t) =>
        Exec(c, t, "INSERT INTO intermediate_values(study_id, number, step, value) VALUES (@study, @number, @step, @value) " +
                   "ON CONFLICT (study_id, number, step) DO UPDATE SET value = excluded.value",
            ("study", studyId), ("number", number), ("step", step), ("value", value)));

    public void ReportIntermediateMetrics(long studyId, int number, int seed, long step, IReadOnlyDictionary<string, double> values)
    {
        var finite = values.Where(kv => double.IsFinite(kv.Value)).ToList();
        if (finite.Count == 0) return;
        InTransaction(true, (c, t) =>
        {
            foreach (var (metric, value) in finite)
                Exec(c, t, "INSERT INTO intermediate_metrics(study_id, number, seed, metric, step, value) VALUES (@study, @number, @seed, @metric, @step, @value) " +
                           "ON CONFLICT (study_id, number, seed, metric, step) DO UPDATE SET value = excluded.value",
                    ("study", studyId), ("number", number), ("seed", seed), ("metric", metric), ("step", step), ("value", value));
            return 0;
        });
    }

    public IReadOnlyList<IntermediateValue> GetIntermediateMetrics(long studyId, string metric) => InTransaction(false, (c, t) =>
    {
        using var cmd = Command(c, t, "SELECT number, seed, step, value FROM intermediate_metrics WHERE study_id = @study AND metric = @metric ORDER BY number, seed, step",
            ("study", studyId), ("metric", metric));
        using var r = cmd.ExecuteReader();
        var list = new List<IntermediateValue>();
        while (r.Read()) list.Add(new IntermediateValue((int)Long(r, 0), (int)Long(r, 1), Long(r, 2), metric, r.GetDouble(3)));
        return list;
    });

    public void AddSeedRun(long studyId, int number, SeedRun run) => InTransaction(true, (c, t) =>
    {
        // seeds of one trial may report in parallel; the row lock keeps their positions distinct
        if (LockTrialRowSql.Length > 0) Scalar(c, t, LockTrialRowSql, ("study", studyId), ("number", number));
        return Exec(c, t, "INSERT INTO seed_runs(study_id, number, position, seed, metrics_json, score, run_dir, error) " +
                   "VALUES (@study, @number, (SELECT COUNT(*) FROM seed_runs WHERE study_id = @study AND number = @number), @seed, @metrics, @score, @run_dir, @error)",
            ("study", studyId), ("number", number), ("seed", run.Seed), ("metrics", MetricsToJson(run.Metrics)),
            ("score", Finite(run.Score)), ("run_dir", run.RunDir), ("error", run.Error));
    });

    public bool FinishTrial(long studyId, int number, TrialState state, IReadOnlyDictionary<string, double> metrics, double? score, double? scoreStd, string? error)
    {
        if (!state.IsFinished()) throw new ArgumentException($"FinishTrial needs a finished state, not {state.ToText()}", nameof(state));
        var metricsJson = MetricsToJson(metrics);
        return InSingleStatement((c, t) =>
        {
            if (Exec(c, t, $"UPDATE trials SET state = @state, metrics_json = @metrics, score = @score, score_std = @score_std, error = @error, ended_ms = {NowMsSql}, " +
                           $"started_ms = COALESCE(started_ms, {NowMsSql}) WHERE study_id = @study AND number = @number AND state IN ('waiting', 'running')",
                    ("state", state.ToText()), ("metrics", metricsJson), ("score", Finite(score)), ("score_std", Finite(scoreStd)),
                    ("error", error), ("study", studyId), ("number", number)) > 0)
                return true;
            // A retry after a lost commit acknowledgement finds its own result already there: that is success, not a second report.
            return Attempt > 1 && Scalar(c, t, "SELECT number FROM trials WHERE study_id = @study AND number = @number AND state = @state AND metrics_json = @metrics",
                ("study", studyId), ("number", number), ("state", state.ToText()), ("metrics", metricsJson)) is not null;
        });
    }

    public bool RequeueTrial(long studyId, int number) => InTransaction(true, (c, t) => Requeue(c, t, studyId, number, null));

    private bool Requeue(DbConnection c, DbTransaction t, long studyId, int number, long? staleMs)
    {
        var changed = Exec(c, t,
            "UPDATE trials SET state = 'waiting', worker_id = NULL, started_ms = NULL, heartbeat_ms = NULL WHERE study_id = @study AND number = @number AND state = 'running'" +
            (staleMs is null ? "" : $" AND (heartbeat_ms IS NULL OR heartbeat_ms < {NowMsSql} - @stale_ms)"),
            ("study", studyId), ("number", number), ("stale_ms", staleMs)) > 0;
        if (changed)
        {
            Exec(c, t, "DELETE FROM seed_runs WHERE study_id = @study AND number = @number", ("study", studyId), ("number", number));
            Exec(c, t, "DELETE FROM intermediate_values WHERE study_id = @study AND number = @number", ("study", studyId), ("number", number));
            Exec(c, t, "DELETE FROM intermediate_metrics WHERE study_id = @study AND number = @number", ("study", studyId), ("number", number));
        }
        return changed;
    }

    public IReadOnlyList<TrialRecord> GetStaleRunningTrials(long studyId, TimeSpan olderThan) => InTransaction(false, (c, t) =>
    {
        var numbers = StaleNumbers(c, t, studyId, StaleMs(olderThan));
        return LoadTrials(c, t, studyId, null).Where(tr => numbers.Contains(tr.Number)).ToList();
    });

    public IReadOnlyList<TrialRecord> RecoverStaleTrials(long studyId, TimeSpan olderThan, bool requeue) => InTransaction(true, (c, t) =>
    {
        var staleMs = StaleMs(olderThan);
        var changed = new List<int>();
        foreach (var number in StaleNumbers(c, t, studyId, staleMs))
        {
            var done = requeue
                ? Requeue(c, t, studyId, number, staleMs)
                : Exec(c, t,
                    $"UPDATE trials SET state = 'failed', ended_ms = {NowMsSql}, error = 'worker ' || COALESCE(worker_id, '?') || ' stopped sending heartbeats' " +
                    $"WHERE study_id = @study AND number = @number AND state = 'running' AND (heartbeat_ms IS NULL OR heartbeat_ms < {NowMsSql} - @stale_ms)",
                    ("study", studyId), ("number", number), ("stale_ms", staleMs)) > 0;
            if (done) changed.Add(number);
        }
        return changed.Count == 0 ? [] : LoadTrials(c, t, studyId, null).Where(tr => changed.Contains(tr.Number)).ToList();
    });

    private static long StaleMs(TimeSpan olderThan) => Math.Max(0, (long)olderThan.TotalMilliseconds);

    private HashSet<int> StaleNumbers(DbConnection c, DbTransaction t, long studyId, long staleMs)
    {
        using var cmd = Command(c, t,
            $"SELECT number FROM trials WHERE study_id = @study AND state = 'running' AND (heartbeat_ms IS NULL OR heartbeat_ms < {NowMsSql} - @stale_ms) ORDER BY number",
            ("study", studyId), ("stale_ms", staleMs));
        using var r = cmd.ExecuteReader();
        var set = new HashSet<int>();
        while (r.Read()) set.Add((int)Long(r, 0));
        return set;
    }

    public abstract IDisposable LockStudy(long studyId, TimeSpan timeout);

    public IReadOnlyList<TrialRecord> GetTrials(long studyId) => InTransaction(false, (c, t) => LoadTrials(c, t, studyId, null));

    public TrialRecord? GetTrial(long studyId, int number) => InTransaction(false, (c, t) => LoadTrials(c, t, studyId, number).SingleOrDefault());

    public void SetStudyAttr(long studyId, string key, string value) => InSingleStatement((c, t) =>
        Exec(c, t, "INSERT INTO study_attrs(study_id, key, value) VALUES (@study, @key, @value) ON CONFLICT (study_id, key) DO UPDATE SET value = excluded.value",
            ("study", studyId), ("key", key), ("value", value)));

    public IReadOnlyDictionary<string, string> GetStudyAttrs(long studyId) => InTransaction(false, (c, t) =>
    {
        using var cmd = Command(c, t, "SELECT key, value FROM study_attrs WHERE study_id = @study ORDER BY key", ("study", studyId));
        using var r = cmd.ExecuteReader();
        var attrs = new Dictionary<string, string>(StringComparer.Ordinal);
        while (r.Read()) attrs[r.GetString(0)] = r.GetString(1);
        return attrs;
    });

    /// <summary>One trial (<paramref name="number"/>) or all of a study, with seed runs and intermediate values.</summary>
    private static List<TrialRecord> LoadTrials(DbConnection c, DbTransaction t, long studyId, int? number)
    {
        var filter = number is null ? "study_id = @study" : "study_id = @study AND number = @number";
        var args = new (string, object?)[] { ("study", studyId), ("number", number) };

        var seedRuns = new Dictionary<int, List<SeedRun>>();
        using (var cmd = Command(c, t, $"SELECT number, seed, metrics_json, score, run_dir, error FROM seed_runs WHERE {filter} ORDER BY number, position", args))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                Bucket(seedRuns, (int)Long(r, 0)).Add(new SeedRun((int)Long(r, 1), MetricsFromJson(r.GetString(2)), NullableDouble(r, 3), NullableString(r, 4), NullableString(r, 5)));

        var intermediate = new Dictionary<int, List<(long, double)>>();
        using (var cmd = Command(c, t, $"SELECT number, step, value FROM intermediate_values WHERE {filter} ORDER BY number, step", args))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                Bucket(intermediate, (int)Long(r, 0)).Add((Long(r, 1), r.GetDouble(2)));

        var trials = new List<TrialRecord>();
        using (var cmd = Command(c, t, $"SELECT {TrialColumns} FROM trials WHERE {filter} ORDER BY number", args))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var n = (int)Long(r, 0);
                trials.Add(ReadTrial(r, studyId, seedRuns.TryGetValue(n, out var runs) ? runs : [], intermediate.TryGetValue(n, out var values) ? values : []));
            }
        return trials;
    }

    private static TrialRecord ReadTrial(DbDataReader r, long studyId, IReadOnlyList<SeedRun> seedRuns, IReadOnlyList<(long, double)> intermediate) => new()
    {
        StudyId = studyId,
        Number = (int)Long(r, 0),
        State = TrialStateNames.Parse(r.GetString(1)),
        Params = ParamValues.FromJsonText(r.GetString(2)),
        Seed = (int)Long(r, 3),
        Metrics = MetricsFromJson(r.GetString(4)),
        Score = NullableDouble(r, 5),
        ScoreStd = NullableDouble(r, 6),
        Origin = NullableString(r, 7),
        StartedAt = NullableTime(r, 9),
        EndedAt = NullableTime(r, 10),
        WorkerId = NullableString(r, 11),
        Heartbeat = NullableTime(r, 12),
        Error = NullableString(r, 13),
        SeedRuns = seedRuns,
        Intermediate = intermediate,
    };

    private static List<T> Bucket<T>(Dictionary<int, List<T>> map, int key)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        return list;
    }

    protected static DbCommand Command(DbConnection c, DbTransaction? t, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = t;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            if (!sql.Contains("@" + name, StringComparison.Ordinal)) continue;
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    protected static int Exec(DbConnection c, DbTransaction? t, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, t, sql, args);
        return cmd.ExecuteNonQuery();
    }

    protected static object? Scalar(DbConnection c, DbTransaction? t, string sql, params (string, object?)[] args)
    {
        using var cmd = Command(c, t, sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    private static long Long(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i));
    private static double? NullableDouble(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);
    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static DateTimeOffset? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(Long(r, i));
    private static double? Finite(double? v) => v is double d && double.IsNaN(d) ? null : v;

    private static string MetricsToJson(IReadOnlyDictionary<string, double> metrics) => JsonSerializer.Serialize(metrics, MetricsJson);

    private static Dictionary<string, double> MetricsFromJson(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(json, MetricsJson) ?? [];

    public abstract void Dispose();
}
