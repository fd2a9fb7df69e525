using RlTune.Search;

namespace RlTune.Tests.Search;

public sealed class SeedConfigsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-seeds").FullName;
    private readonly SearchSpace _space = SearchSpace.Parse(SearchSpaceTests.Unified, "space.yaml");

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ReadsTheTrialConfigFormatIgnoringTrainerKnobs()
    {
        var path = Write("trial.json", """
            { "run_tag": "t1", "env_name": "vbot_nav",
              "rl_overrides": { "learning_rate": 1e-4, "max_env_steps": 100000, "seed": 3, "policy_hidden_layer_sizes": [512, 256, 128] },
              "reward_scales": { "termination": -500.0, "approach_scale": 5 } }
            """);
        var c = Assert.Single(SeedConfigs.Load(path, _space));
        Assert.Equal(1e-4, c["learning_rate"]);
        Assert.Equal(-500L, c["termination"]);
        Assert.Equal(5.0, c["approach_scale"]);
        Assert.False(c.ContainsKey("seed"));
        Assert.Equal(5L, c["learning_epochs"]); // the prior fills what the file leaves out
        Assert.Equal(8, c.Count);
    }

    [Fact]
    public void ReadsFlatParamsAndYamlLists()
    {
        Assert.Equal(2, SeedConfigs.Load(Write("two.json", """[ { "params": { "learning_rate": 2e-4 } }, { "mini_batches": 64 } ]"""), _space).Count);
        var yaml = SeedConfigs.Load(Write("s.yaml", """
            - { learning_rate: 2.0e-4, policy_hidden_layer_sizes: [128, 64] }
            - { termination: -50 }
            """), _space);
        Assert.Equal(new List<object> { 128L, 64L }, (List<object>)yaml[0]["policy_hidden_layer_sizes"]);
        Assert.Equal(-50L, yaml[1]["termination"]);
    }

    [Fact]
    public void RejectsValuesOutsideTheSpaceNamingFileAndField()
    {
        var e = Assert.Throws<UserError>(() => SeedConfigs.Load(Write("bad.yaml", "learning_rate: 0.5\n"), _space));
        Assert.Contains("bad.yaml", e.Message);
        Assert.Contains("learning_rate = 0.5 is outside its domain (loguniform [1e-05, 0.001])", e.Message);
        var unknown = Assert.Throws<UserError>(() => SeedConfigs.Load(Write("u.json", """{ "params": { "lr": 1e-4 } }"""), _space));
        Assert.Contains("'lr' is not a parameter", unknown.Message);
    }

    [Fact]
    public void RejectsAnInfeasibleConfiguration()
    {
        var e = Assert.Throws<UserError>(() => SeedConfigs.Load(Write("inf.yaml", "{ learning_rate: 9.0e-4, learning_epochs: 10 }"), _space));
        Assert.Contains("breaks the constraint \"learning_rate > 5e-4 and learning_epochs > 8\"", e.Message);
    }

    [Fact]
    public void RejectsBrokenJsonAsAUserError()
    {
        var e = Assert.Throws<UserError>(() => SeedConfigs.Load(Write("b.json", "{ \"params\": "), _space));
        Assert.Contains("not valid JSON", e.Message);
    }
}
