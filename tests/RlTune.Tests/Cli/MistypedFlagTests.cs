namespace RlTune.Tests.Cli;

/// <summary>A mistyped flag stops the command with one sentence instead of being ignored (it once silently fell back to defaults).</summary>
public sealed class MistypedFlagTests
{
    [Theory]
    [InlineData("analyze", "--studdy", "nav", "studdy")]
    [InlineData("automl", "--hp-trails", "3", "hp-trails")]
    public void AnUnknownFlagIsAnError(string command, string flag, string value, string name)
    {
        // a missing run root and space file make the command fail fast should the flag ever be ignored again
        var missing = Path.Combine(Path.GetTempPath(), "rltune-no-such-run-root-" + Guid.NewGuid().ToString("N")[..8]);
        var r = command == "automl"
            ? RltuneProcess.Run(command, flag, value, "--output", missing, "--space", Path.Combine(missing, "space.yaml"))
            : RltuneProcess.Run(command, flag, value, "--output", missing);
        Assert.Equal(1, r.Code);
        Assert.Equal($"rltune: Unknown option '{name}'.", r.Err.Trim());
    }
}
