namespace RlTune.Storage;

/// <summary>
/// Opens the study store a command names: <c>--storage URL</c>, else the RLTUNE_STORAGE
/// environment variable, else the SQLite file <c>rltune.db</c> under the run root.
/// </summary>
public static class StoreFactory
{
    public const string EnvironmentVariable = "RLTUNE_STORAGE";
    public const string DefaultFileName = "rltune.db";

    /// <summary>
    /// Accepts <c>sqlite:///relative/path.db</c>, <c>sqlite:////absolute/path.db</c> (SQLAlchemy's
    /// form, as Optuna users write it), a plain file path, and <c>postgresql://user[:password]@host[:port]/db</c>.
    /// </summary>
    public static IStudyStore Open(string? url, string defaultDir) =>
        Open(url, defaultDir, Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>As <see cref="Open(string?, string)"/> with the environment variable's value given (tests must not set it: the process is shared).</summary>
    internal static IStudyStore Open(string? url, string defaultDir, string? fromEnvironment)
    {
        var chosen = string.IsNullOrWhiteSpace(url) ? fromEnvironment : url;
        if (string.IsNullOrWhiteSpace(chosen)) return new SqliteStudyStore(Path.Combine(defaultDir, DefaultFileName));
        return Describe(chosen) switch
        {
            ("sqlite", var path) => new SqliteStudyStore(path),
            ("postgresql", var connection) => new PostgresStudyStore(connection),
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    /// <summary>The store kind ("sqlite" or "postgresql") and its file path or connection URL; UserError for anything else.</summary>
    public static (string Kind, string Target) Describe(string url)
    {
        url = url.Trim();
        if (url.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            if (!url.StartsWith("sqlite:///", StringComparison.OrdinalIgnoreCase) || url.Length == "sqlite:///".Length)
                throw new UserError($"--storage '{url}' is not a SQLite URL; expected sqlite:///relative/path.db or sqlite:////absolute/path.db.");
            return ("sqlite", url["sqlite:///".Length..]);
        }
        if (url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return ("postgresql", url);
        if (url.Contains("://", StringComparison.Ordinal))
            throw new UserError($"--storage '{url}' has an unknown scheme; expected sqlite:///path.db, postgresql://user@host:port/db or a file path.");
        return ("sqlite", url);
    }
}
