using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace RlTune.Tests.Storage;

/// <summary>
/// A real PostgreSQL server for tests and benchmarks: a fresh cluster (initdb) in a temporary
/// directory, listening on 127.0.0.1 on a free port, stopped and deleted on Dispose. Run as the
/// `postgres` system user when we are root (the server refuses to run as root).
/// </summary>
public sealed class ThrowawayPostgresCluster : IDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asPostgresUser;

    public int Port { get; }
    public const string Database = "rltune_test";
    public string Url => $"postgresql://rltune@127.0.0.1:{Port}/{Database}";
    private string DataDir => Path.Combine(_dir, "data");

    public ThrowawayPostgresCluster()
    {
        _bin = FindBinaries();
        _asPostgresUser = Environment.UserName == "root";
        _dir = Directory.CreateTempSubdirectory("rltune-pg-").FullName;
        try
        {
            if (_asPostgresUser) Run("chown", ["postgres:postgres", _dir], asPostgres: false);
            Run(Path.Combine(_bin, "initdb"), ["-D", DataDir, "-U", "rltune", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
            Port = FreePort();
            Start();
            CreateDatabase(Database);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Creates another database on the server (a name of letters, digits and _); returns its URL.</summary>
    public string CreateDatabase(string name)
    {
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) throw new ArgumentException($"not a plain database name: {name}");
        using var admin = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=rltune;Database=postgres;Pooling=false");
        admin.Open();
        using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
        create.ExecuteNonQuery();
        return $"postgresql://rltune@127.0.0.1:{Port}/{name}";
    }

    /// <summary>Newest /usr/lib/postgresql/N/bin (Debian's layout), or RLTUNE_PG_BIN.</summary>
    private static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("RLTUNE_PG_BIN") is { Length: > 0 } bin) return bin;
        var root = "/usr/lib/postgresql";
        var found = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; run scripts/install-deps (it installs Debian's postgresql) or set RLTUNE_PG_BIN.");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Starts the server and waits until it accepts connections. synchronous_commit=off matches the SQLite store's WAL + NORMAL durability.</summary>
    public void Start() => Run(Path.Combine(_bin, "pg_ctl"),
        ["-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60", "-o",
         $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c synchronous_commit=off -c max_connections=200", "start"]);

    /// <summary>Stops the server: "fast" ends sessions and shuts down cleanly, "immediate" is a crash.</summary>
    public void Stop(string mode = "fast") => Run(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-m", mode, "-w", "-t", "60", "stop"]);

    private void Run(string file, string[] args, bool? asPostgres = null)
    {
        var psi = new ProcessStartInfo(asPostgres ?? _asPostgresUser ? "runuser" : file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/",
        };
        if (asPostgres ?? _asPostgresUser) foreach (var a in new[] { "-u", "postgres", "--", file }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90))) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 90 s"); }
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {stdout.Result}{stderr.Result}{ServerLogTail()}");
    }

    private string ServerLogTail()
    {
        var log = Path.Combine(_dir, "server.log");
        return File.Exists(log) ? "\nserver.log:\n" + string.Join('\n', File.ReadLines(log).TakeLast(20)) : "";
    }

    public void Dispose()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDir, "postmaster.pid"))) Stop("immediate");
        }
        finally
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
