using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Tests.Search;

/// <summary>The model-based samplers: bayesian (GP-EI) and tpe.</summary>
public class ModelSamplerTests
{
    private static readonly SearchSpace Branin = SearchSpace.Parse("""
        ppo_params:
          x1: { type: uniform, low: -5.0, high: 10.0 }
          x2: { type: uniform, low: 0.0, high: 15.0 }
        """, "branin.yaml");

    private static double BraninValue(IReadOnlyDictionary<string, object> p)
    {
        double x1 = (double)p["x1"], x2 = (double)p["x2"];
        var q = x2 - 5.1 / (4 * Math.PI * Math.PI) * x1 * x1 + 5 / Math.PI * x1 - 6;
        return q * q + 10 * (1 - 1 / (8 * Math.PI)) * Math.Cos(x1) + 10;
    }

    private static double BestAfter(ISampler sampler, SearchSpace space, Func<IReadOnlyDictionary<string, object>, double> f, int seed, int trials)
    {
        var history = new List<TrialRecord>();
        var best = double.PositiveInfinity;
        for (var n = 0; n < trials; n++)
        {
            var p = sampler.Suggest(space, history, new SamplerContext(seed, n, ObjectiveDirection.Minimize))!.Params;
            var v = f(p);
            best = Math.Min(best, v);
            history.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = p, Score = v });
        }
        return best;
    }

    private static double Median(IEnumerable<double> v)
    {
        var s = v.Order().ToList();
        return (s[(s.Count - 1) / 2] + s[s.Count / 2]) / 2;
    }

    private static ISampler Make(string name) => Samplers.Create(name);

    [Theory]
    [InlineData("bayesian")]
    [InlineData("tpe")]
    public void BeatsRandomOnBraninByAClearMargin(string name)
    {
        const double optimum = 0.397887;
        var seeds = Enumerable.Range(0, 6).ToList();
        var tpe = Median(seeds.Select(s => BestAfter(Make(name), Branin, BraninValue, s, 30) - optimum));
        var random = Median(seeds.Select(s => BestAfter(new RandomSampler(), Branin, BraninValue, s, 30) - optimum));
        Assert.True(tpe < 0.5 * random, $"median gap: {name} {tpe:F3}, random {random:F3}");
    }

    [Theory]
    [InlineData("bayesian")]
    [InlineData("tpe")]
    public void LearnsThatTheRegionOfFailedTrialsIsBad(string name)
    {
        // the optimum sits near a region where every trial fails
        var space = SearchSpace.Parse("""
            ppo_params:
              x: { type: uniform, low: 0.0, high: 1.0 }
              y: { type: uniform, low: 0.0, high: 1.0 }
            """, "s.yaml");
        // over three study seeds, so one lucky or unlucky stream does not decide it
        int InFailedRegion(ISampler sampler) => new[] { 3, 4, 5 }.Sum(seed => InFailedRegionWith(sampler, seed));
        int InFailedRegionWith(ISampler sampler, int seed)
        {
            var history = new List<TrialRecord>();
            var hits = 0;
            for (var n = 0; n < 60; n++)
            {
                var p = sampler.Suggest(space, history, new SamplerContext(seed, n, ObjectiveDirection.Minimize))!.Params;
                double x = (double)p["x"], y = (double)p["y"];
                var fails = x > 0.6;
                if (n >= 20 && fails) hits++;
                history.Add(fails
                    ? new TrialRecord { StudyId = 1, Number = n, State = TrialState.Failed, Params = p, Error = "diverged" }
                    : new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = p, Score = (x - 0.45) * (x - 0.45) + (y - 0.5) * (y - 0.5) });
            }
            return hits;
        }
        var model = InFailedRegion(Make(name));
        var random = InFailedRegion(new RandomSampler());
        Assert.True(model * 2.5 < random, $"suggestions in the failing region after warm-up: {name} {model}, random {random} of 120");
    }

    [Theory]
    [InlineData("bayesian")]
    [InlineData("tpe")]
    public void IsDeterministicAndDirectionAware(string name)
    {
        var history = new List<TrialRecord>();
        var mirrored = new List<TrialRecord>();
        var rng = new RandomSampler();
        for (var n = 0; n < 25; n++)
        {
            var p = rng.Suggest(Branin, history, new SamplerContext(9, n))!.Params;
            history.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = p, Score = BraninValue(p) });
            mirrored.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = p, Score = -BraninValue(p) });
        }
        var a = Make(name).Suggest(Branin, history, new SamplerContext(9, 25, ObjectiveDirection.Minimize))!.Params;
        var b = Make(name).Suggest(Branin, history, new SamplerContext(9, 25, ObjectiveDirection.Minimize))!.Params;
        var c = Make(name).Suggest(Branin, mirrored, new SamplerContext(9, 25, ObjectiveDirection.Maximize))!.Params;
        Assert.Equal(ParamValues.Canonical(a), ParamValues.Canonical(b));
        Assert.Equal(ParamValues.Canonical(a), ParamValues.Canonical(c));
    }

    [Theory]
    [InlineData("bayesian")]
    [InlineData("tpe")]
    public void SuggestsOnlyFeasibleTypedConfigurationsInAMixedSpace(string name)
    {
        var space = SearchSpace.Parse(SearchSpaceTests.Unified, "space.yaml");
        var history = new List<TrialRecord>();
        var sampler = Make(name);
        for (var n = 0; n < 40; n++)
        {
            var p = sampler.Suggest(space, history, new SamplerContext(5, n))!.Params;
            Assert.True(space.IsFeasible(p));
            foreach (var spec in space.Params) Assert.NotNull(spec.Normalize(p[spec.Name]));
            Assert.IsType<long>(p["learning_epochs"]);
            // maximize: prefers a high learning rate and many epochs, which the constraint forbids together
            var score = Math.Log10((double)p["learning_rate"]) + (long)p["learning_epochs"] * 0.1;
            history.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = ParamValues.FromJsonText(ParamValues.ToJsonText(p)), Score = score });
        }
    }

    [Theory]
    [InlineData("bayesian")]
    [InlineData("tpe")]
    public void RunningTrialsOfOtherWorkersPushTheNextSuggestionAway(string name)
    {
        var history = new List<TrialRecord>();
        var rng = new RandomSampler();
        for (var n = 0; n < 20; n++)
        {
            var p = rng.Suggest(Branin, history, new SamplerContext(4, n))!.Params;
            history.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = p, Score = BraninValue(p) });
        }
        var first = Make(name).Suggest(Branin, history, new SamplerContext(4, 20, ObjectiveDirection.Minimize))!.Params;
        history.Add(new TrialRecord { StudyId = 1, Number = 20, State = TrialState.Running, Params = first });
        var second = Make(name).Suggest(Branin, history, new SamplerContext(4, 21, ObjectiveDirection.Minimize))!.Params;
        var distance = Math.Abs((double)first["x1"] - (double)second["x1"]) / 15 + Math.Abs((double)first["x2"] - (double)second["x2"]) / 15;
        Assert.True(distance > 0.01, $"second worker proposed ({second["x1"]}, {second["x2"]}) next to the running ({first["x1"]}, {first["x2"]})");
    }
}

public class SamplerEdgeCaseTests
{
    [Theory]
    [InlineData("grid")]
    [InlineData("random")]
    [InlineData("bayesian")]
    [InlineData("tpe")]
    public void HandlesSingleValueAndAllCategoricalSpaces(string name)
    {
        var space = SearchSpace.Parse("""
            ppo_params:
              only: { type: choice, values: [3] }
              net: { type: categorical, choices: [[64], [128], [256]] }
              act: { type: categorical, choices: ["elu", "relu"] }
            """, "s.yaml");
        var history = new List<TrialRecord>();
        var sampler = Samplers.Create(name);
        for (var n = 0; n < 14; n++)
        {
            var s = sampler.Suggest(space, history, new SamplerContext(1, n));
            if (s is null) break; // an exhausted grid
            Assert.Equal(3L, s.Params["only"]);
            history.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = s.Params, Score = ((List<object>)s.Params["net"]).Count + n });
        }
        Assert.True(history.Count >= 6);
    }
}

public class SamplerFactoryTests
{
    [Fact]
    public void CreatesEachSamplerByNameAndCarriesTheWarmUp()
    {
        Assert.IsType<GridSampler>(Samplers.Create("grid"));
        Assert.IsType<RandomSampler>(Samplers.Create("random"));
        Assert.Equal(3, Assert.IsType<GpSampler>(Samplers.Create("bayesian", warmupTrials: 3)).Options.WarmupTrials);
        Assert.Equal(5, Assert.IsType<TpeSampler>(Samplers.Create("tpe", warmupTrials: 5)).Options.WarmupTrials);
        var e = Assert.Throws<UserError>(() => Samplers.Create("cmaes"));
        Assert.Equal("--search-method: 'cmaes' is not a sampler (expected grid, random, bayesian or tpe).", e.Message);
    }
}
