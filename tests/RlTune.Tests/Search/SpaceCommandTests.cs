using RlTune.Tests.Cli;

namespace RlTune.Tests.Search;

public sealed class SpaceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-space").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static RltuneProcess.Result Run(params string[] args) => RltuneProcess.Run(args);

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
