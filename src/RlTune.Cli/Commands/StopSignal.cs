using System.Runtime.InteropServices;

namespace RlTune.Cli.Commands;

/// <summary>
/// Ctrl+C and SIGTERM during a long command (automl, worker): they cancel <see cref="Token"/>, so
/// the command stops its trials and leaves the study resumable, instead of the process dying.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration _sigterm;

    public StopSignal(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        Console.CancelKeyPress += OnCancelKey;
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            _cts.Cancel();
        });
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>Whether a signal (or the caller's token) asked the command to stop.</summary>
    public bool Requested => _cts.IsCancellationRequested;

    private void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKey;
        _sigterm.Dispose();
        _cts.Dispose();
    }
}
