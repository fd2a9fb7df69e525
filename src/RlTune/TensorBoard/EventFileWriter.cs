using System.Diagnostics;

namespace RlTune.TensorBoard;

/// <summary>
/// Writes a TensorBoard event file (<c>events.out.tfevents.&lt;secs&gt;.&lt;host&gt;</c>) that
/// TensorBoard and <see cref="EventFileReader"/> read. Flushes at most once a second on its
/// own, and on <see cref="Flush"/> and dispose, so a reader sees progress while training runs.
/// </summary>
public sealed class EventFileWriter : IDisposable
{
    private static readonly TimeSpan AutoFlushInterval = TimeSpan.FromSeconds(1);
    private readonly Stream _stream;
    private readonly Lock _lock = new();
    private readonly Stopwatch _sinceFlush = Stopwatch.StartNew();
    private bool _disposed;

    public string? FilePath { get; }

    /// <summary>Creates a new event file in <paramref name="logDir"/> (made if missing).</summary>
    public EventFileWriter(string logDir)
    {
        Directory.CreateDirectory(logDir);
        var now = DateTimeOffset.UtcNow;
        var baseName = $"events.out.tfevents.{now.ToUnixTimeSeconds():D10}.{HostName()}";
        var path = Path.Combine(logDir, baseName);
        for (var n = 1; File.Exists(path); n++) path = Path.Combine(logDir, $"{baseName}.{n}");
        FilePath = path;
        _stream = new BufferedStream(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read), 1 << 16);
        WriteRecord(EventCodec.EncodeFileVersion(ToWallTime(now)));
    }

    /// <summary>Writes to a stream the caller owns (tests, byte-for-byte comparisons).</summary>
    public EventFileWriter(Stream stream, double headerWallTime)
    {
        _stream = stream;
        WriteRecord(EventCodec.EncodeFileVersion(headerWallTime));
    }

    public void AddScalar(string tag, double value, long step, double? wallTime = null) =>
        AddScalars(step, [new ScalarValue(tag, value)], wallTime);

    /// <summary>Writes one Event per scalar, as TensorBoard's own writers do.</summary>
    public void AddScalars(long step, IEnumerable<ScalarValue> scalars, double? wallTime = null)
    {
        var time = wallTime ?? ToWallTime(DateTimeOffset.UtcNow);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var s in scalars) TfRecord.Write(_stream, EventCodec.EncodeScalars(time, step, [s]));
            if (_sinceFlush.Elapsed >= AutoFlushInterval) FlushLocked();
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            if (!_disposed) FlushLocked();
        }
    }

    private void FlushLocked()
    {
        _stream.Flush();
        _sinceFlush.Restart();
    }

    private void WriteRecord(byte[] data) => TfRecord.Write(_stream, data);

    private static double ToWallTime(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;

    private static string HostName()
    {
        var host = Environment.MachineName;
        return string.IsNullOrWhiteSpace(host) ? "localhost" : host;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _stream.Flush();
            if (FilePath is not null) _stream.Dispose();
        }
    }
}
