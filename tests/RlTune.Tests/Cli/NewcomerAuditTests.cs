namespace RlTune.Tests.Cli;

/// <summary>Cases from the newcomer and bad-input audit: each ends with one clear sentence (exit 1) or does what the user asked.</summary>
public sealed class NewcomerAuditTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rltune-audit-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private RltuneProcess.Result Run(params string[] args) => RltuneProcess.RunIn(_root, args);

    /// <summary>Fails unless the command ended with exit 1 and one sentence on stderr containing <paramref name="expected"/>.</summary>
    private static void AssertOneSentence(RltuneProcess.Result r, string expected)
    {
        Assert.True(r.Code == 1, $"exit {r.Code}: {r.Out}{r.Err}");
        Assert.StartsWith("rltune: ", r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("internal error", r.Err);
    }

    [Fact]
    public void TrainTakesTheEnvFromTheFlagWhenTheConfigHasNoEnvName()
    {
        var config = Write("c.json", """{ "reward_scales": { "arrival_bonus": 2.0 }, "rl_overrides": { "learning_rate": 0.0003 } }""");
        var runDir = Path.Combine(_root, "run");
        var r = Run("train", "--env", "vbot-nav-lite", "--config", config, "--steps", "512", "--num-envs", "16", "--output", runDir,
            "--threads", "1", "--env-threads", "1", "--eval-episodes", "2");
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.True(File.Exists(Path.Combine(runDir, "metrics.json")));
    }

    [Fact]
    public void ADirectoryGivenAsTheConfigIsNamedAsADirectory()
    {
        Directory.CreateDirectory(Path.Combine(_root, "cfgdir"));
        AssertOneSentence(Run("train", "--env", "vbot-nav-lite", "--config", "cfgdir"), "cfgdir: is a directory; expected a trial config JSON file.");
    }
}
