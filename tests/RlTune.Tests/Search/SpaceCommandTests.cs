using System.Diagnostics;

namespace RlTune.Tests.Search;

public sealed class SpaceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-space").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rltune.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void ShowsAPresetAndRejectsABadFileInOneSentence()
    {
        var list = Run("space");
        Assert.Equal(0, list.Code);
        Assert.Contains("full_unified", list.Out);

        var preset = Run("space", "quick_validation_ppo");
        Assert.True(preset.Code == 0, preset.Err);
        Assert.Contains("learning_rate", preset.Out);
        Assert.Contains("6 configurations", preset.Out);

        var bad = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(bad, "ppo_params:\n  lr: { type: loguniform, low: -1.0, high: 1.0 }\n");
        var error = Run("space", bad);
        Assert.Equal(1, error.Code);
        Assert.Equal($"rltune: {bad}:2: ppo_params.lr.low: a log range must not include or cross zero, but [-1, 1] does (both bounds must be positive, or both negative).", error.Err.Trim());
    }
}
