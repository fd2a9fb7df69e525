using RlTune.Search;
using RlTune.Numerics;
using RlTune.Trials;

namespace RlTune.Tests.Search;

public class SearchSpaceTests
{
    internal const string Unified = """
        search_space_id: "unified_test"
        fixed:
          max_env_steps: 200000
          num_envs: 64
        ppo_params:
          learning_rate: { type: "loguniform", low: 1.0e-5, high: 1.0e-3, prior: 3.0e-4 }
          learning_epochs: { type: "int", low: 3, high: 12, prior: 5 }
          mini_batches: { type: "choice", values: [16, 32, 64], prior: 32 }
          ratio_clip: { type: "choice", values: [0.1, 0.2, 0.3] }
          policy_hidden_layer_sizes:
            type: "categorical"
            choices: [[128, 64], [256, 128, 64], [512, 256, 128]]
            prior: [256, 128, 64]
        reward_weights:
          approach_scale: { type: "uniform", low: 2.0, high: 10.0, category: "navigation" }
          action_rate: { type: "loguniform", low: -1.0e-1, high: -1.0e-4, prior: -0.01, category: "efficiency" }
          termination: { type: "choice", values: [-500, -200, -50], prior: -200, category: "terminal" }
        constraints:
          - "learning_rate > 5e-4 and learning_epochs > 8"
        """;

    private static SearchSpace Load(string yaml) => SearchSpace.Parse(yaml, "space.yaml");

    [Fact]
    public void LoadsEveryKindWithSectionCategoryAndPrior()
    {
        var s = Load(Unified);
        Assert.Equal("unified_test", s.Id);
        Assert.Equal(8, s.Params.Count);
        var lr = s.Find("learning_rate")!;
        Assert.Equal(ParamKind.LogUniform, lr.Kind);
        Assert.Equal(ParamSection.PpoParams, lr.Section);
        Assert.Equal(3e-4, lr.Prior);
        var term = s.Find("termination")!;
        Assert.Equal(ParamSection.RewardWeights, term.Section);
        Assert.Equal("terminal", term.Category);
        Assert.IsType<long>(term.Values[0]);
        Assert.IsType<double>(s.Find("ratio_clip")!.Values[0]);
        Assert.Equal(new List<object> { 256L, 128L, 64L }, (List<object>)s.Find("policy_hidden_layer_sizes")!.Prior!);
        Assert.Equal(200000L, s.Fixed["max_env_steps"]);
        Assert.Single(s.Constraints);
        Assert.Equal(19, s.Constraints[0].Line);
    }

    [Fact]
    public void RoundTripsThroughYaml()
    {
        var s = Load(Unified);
        var back = SearchSpace.Parse(s.ToYaml(), "roundtrip.yaml");
        Assert.Equal(s.ToYaml(), back.ToYaml());
        Assert.Equal(s.Params.Select(p => p with { Line = 0 }), back.Params.Select(p => p with { Line = 0 }), new SpecComparer());
        Assert.Equal(s.Constraints.Select(c => c.Text), back.Constraints.Select(c => c.Text));
        Assert.Equal(ParamValues.Canonical(s.Fixed), ParamValues.Canonical(back.Fixed));
    }

    private sealed class SpecComparer : IEqualityComparer<ParamSpec>
    {
        public bool Equals(ParamSpec? a, ParamSpec? b) =>
            a!.Name == b!.Name && a.Kind == b.Kind && a.Section == b.Section && a.Category == b.Category && a.Low == b.Low && a.High == b.High
            && a.Log == b.Log && a.Step == b.Step && a.Values.Select(ParamValues.Canonical).SequenceEqual(b.Values.Select(ParamValues.Canonical))
            && (a.Prior is null ? b.Prior is null : b.Prior is not null && ParamValues.Canonical(a.Prior) == ParamValues.Canonical(b.Prior));
        public int GetHashCode(ParamSpec p) => p.Name.GetHashCode();
    }

    [Fact]
    public void DefaultsArePriorsElseCentreElseFirstValue()
    {
        var d = Load(Unified).Defaults();
        Assert.Equal(3e-4, d["learning_rate"]);
        Assert.Equal(6.0, d["approach_scale"]);          // centre of [2, 10]
        Assert.Equal(0.1, d["ratio_clip"]);              // first value
        Assert.Equal(-0.01, d["action_rate"]);
        Assert.Equal(32L, d["mini_batches"]);
    }

    [Fact]
    public void NegativeLogUniformKeepsSignAndSpansMagnitudes()
    {
        var s = Load(Unified);
        var p = s.Find("action_rate")!;
        var rng = new Rng(7);
        var axis = new ParamAxis(p, new TransformOptions());
        var values = Enumerable.Range(0, 4000).Select(_ => (double)axis.DrawValue(rng)).ToList();
        Assert.All(values, v => Assert.InRange(v, -0.1, -1e-4));
        // log-uniform magnitude: a third of the draws in each decade
        var smallDecade = values.Count(v => v > -1e-3) / 4000.0;
        Assert.InRange(smallDecade, 0.28, 0.39);
    }

    [Fact]
    public void TrialSectionsFollowTheSourceSection()
    {
        var s = Load(Unified);
        var (rl, reward) = s.ToTrialSections(s.Defaults());
        Assert.True(rl.ContainsKey("learning_rate"));
        Assert.True(rl.ContainsKey("max_env_steps"));
        Assert.True(reward.ContainsKey("termination"));
        Assert.False(rl.ContainsKey("termination"));
    }

    [Fact]
    public void ConstraintsMarkConfigurationsInfeasible()
    {
        var s = Load(Unified);
        var config = s.Defaults();
        Assert.True(s.IsFeasible(config));
        config["learning_rate"] = 8e-4;
        config["learning_epochs"] = 10L;
        Assert.False(s.IsFeasible(config));
        Assert.Equal(s.Constraints[0], Assert.Single(s.ViolatedConstraints(config)));
    }

    [Fact]
    public void CompleteFillsDefaultsAndRejectsOutOfDomainValues()
    {
        var s = Load(Unified);
        var c = s.Complete(new Dictionary<string, object> { ["termination"] = -500.0, ["learning_epochs"] = 7.0 }, "seeds.yaml");
        Assert.Equal(-500L, c["termination"]);
        Assert.Equal(7L, c["learning_epochs"]);
        Assert.Equal(3e-4, c["learning_rate"]);
        var e = Assert.Throws<UserError>(() => s.Complete(new Dictionary<string, object> { ["termination"] = -7L }, "seeds.yaml"));
        Assert.Contains("termination", e.Message);
        var unknown = Assert.Throws<UserError>(() => s.Complete(new Dictionary<string, object> { ["learning_rat"] = 1e-4 }, "seeds.yaml"));
        Assert.Contains("learning_rat", unknown.Message);
    }

    [Fact]
    public void LoadsTheSharedBenchSpacesShape()
    {
        var s = Load("""
            search_space_id: "bench_branin"
            ppo_params:
              x1: { type: "uniform", low: -5.0, high: 10.0 }
              x2: { type: "uniform", low: 0.0, high: 15.0 }
            reward_weights: {}
            """);
        Assert.Equal(2, s.Params.Count);
        Assert.Empty(s.Constraints);
    }
}
