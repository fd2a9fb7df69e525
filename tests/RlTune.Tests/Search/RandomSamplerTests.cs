using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Tests.Search;

public class RandomSamplerTests
{
    private static readonly SearchSpace Space = SearchSpace.Parse(SearchSpaceTests.Unified, "space.yaml");

    private static Dictionary<string, object> Draw(int seed, int trial) =>
        new RandomSampler().Suggest(Space, [], new SamplerContext(seed, trial))!.Params;

    [Fact]
    public void SameSeedAndTrialGiveTheSameConfiguration()
    {
        for (var t = 0; t < 20; t++)
            Assert.Equal(ParamValues.Canonical(Draw(42, t)), ParamValues.Canonical(Draw(42, t)));
        Assert.NotEqual(ParamValues.Canonical(Draw(42, 0)), ParamValues.Canonical(Draw(43, 0)));
        Assert.NotEqual(ParamValues.Canonical(Draw(42, 0)), ParamValues.Canonical(Draw(42, 1)));
    }

    [Fact]
    public void DrawsAreValidTypedAndFeasible()
    {
        for (var t = 0; t < 300; t++)
        {
            var c = Draw(1, t);
            Assert.True(Space.IsFeasible(c));
            foreach (var p in Space.Params) Assert.NotNull(p.Normalize(c[p.Name]));
            Assert.IsType<double>(c["learning_rate"]);
            Assert.IsType<long>(c["learning_epochs"]);
            Assert.IsType<long>(c["mini_batches"]);
            Assert.IsType<List<object>>(c["policy_hidden_layer_sizes"]);
        }
    }

    [Fact]
    public void ImpossibleConstraintsEndWithTheCulprit()
    {
        var space = SearchSpace.Parse("""
            ppo_params:
              lr: { type: uniform, low: 0.1, high: 0.5 }
              epochs: { type: int, low: 1, high: 4 }
            constraints:
              - "epochs > 2"
              - "lr > 0.05"
            """, "tight.yaml");
        var e = Assert.Throws<UserError>(() => new RandomSampler().Suggest(space, [], new SamplerContext(0, 0)));
        Assert.Contains("\"lr > 0.05\" (line 6) rejected 10000", e.Message);
        Assert.StartsWith("tight.yaml", e.Message);
    }
}
