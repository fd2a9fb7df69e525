using System.Diagnostics;
using RlTune.Storage;

namespace RlTune.Tests.Cli;

/// <summary>Runs the real <c>rltune</c> program (built beside the tests) and captures what it prints.</summary>
public static class RltuneProcess
{
    public sealed record Result(int Code, string Out, string Err);

    public static Result Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs in <paramref name="workingDirectory"/> (default: the current one), without RLTUNE_STORAGE so the store comes from --output.</summary>
    public static Result RunIn(string? workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rltune.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove(StoreFactory.EnvironmentVariable);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
