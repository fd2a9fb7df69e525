using System.Net;
using System.Security.Cryptography;

namespace RlTune.Dashboard;

/// <summary>
/// How <c>rltune dashboard</c> serves: which store and run root it reads, where it listens, whether
/// the study-changing actions are on, and the access token (required whenever one is set, and
/// always when listening beyond the loopback interface).
/// </summary>
public sealed record DashboardOptions
{
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 8080;

    /// <summary>Run root: the default SQLite store and the studies' run dirs live under it.</summary>
    public required string Output { get; init; }
    /// <summary>Store URL (sqlite:///..., postgresql://...); null: RLTUNE_STORAGE, else SQLite under <see cref="Output"/>.</summary>
    public string? Storage { get; init; }
    public string Host { get; init; } = DefaultHost;
    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = DefaultPort;
    /// <summary>Every request must carry it (query <c>token=</c>, <c>Authorization: Bearer</c> or the cookie the page sets); null: none needed.</summary>
    public string? Token { get; init; }
    /// <summary>Stop a study, enqueue a configuration, re-run a trial (off: the dashboard only reads).</summary>
    public bool AllowActions { get; init; }
    /// <summary>How often the pages poll the API (the live-update interval).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>True when <see cref="Host"/> names only this machine (127.0.0.0/8, ::1, localhost).</summary>
    public bool IsLoopback => Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(Host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>
    /// The options to serve with: a host beyond loopback without a token gets a generated one (the
    /// caller prints it); a bad port or host is one sentence naming the flag.
    /// </summary>
    public DashboardOptions Checked()
    {
        if (Port is < 0 or > 65535) throw new UserError($"--port: {Port} is not a TCP port; expected 1-65535.");
        if (string.IsNullOrWhiteSpace(Host) || Host.Contains('/') || Host.Contains(' '))
            throw new UserError($"--host: '{Host}' is not a host name or IP address; expected e.g. 127.0.0.1 or 0.0.0.0.");
        if (Token is { } t && (t.Length < 8 || t.Any(char.IsWhiteSpace)))
            throw new UserError("--token: expected at least 8 characters without spaces.");
        if (Token is null && !IsLoopback) return this with { Token = NewToken() };
        return this;
    }

    /// <summary>A random token, URL-safe (32 bytes of the system's CSPRNG).</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
