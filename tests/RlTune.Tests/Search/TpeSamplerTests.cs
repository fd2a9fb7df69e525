using RlTune.Search;
using RlTune.Study;

namespace RlTune.Tests.Search;

public class TpeSamplerTests
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

    [Fact]
    public void BeatsRandomOnBraninByAClearMargin()
    {
        const double optimum = 0.397887;
        var seeds = Enumerable.Range(0, 10).ToList();
        var tpe = Median(seeds.Select(s => BestAfter(new TpeSampler(), Branin, BraninValue, s, 40) - optimum));
        var random = Median(seeds.Select(s => BestAfter(new RandomSampler(), Branin, BraninValue, s, 40) - optimum));
        Assert.True(tpe < 0.5 * random, $"median gap: bayesian {tpe:F3}, random {random:F3}");
    }

    [Fact]
    public void LearnsThatTheRegionOfFailedTrialsIsBad()
    {
        // the optimum sits near a region where every trial fails
        var space = SearchSpace.Parse("""
            ppo_params:
              x: { type: uniform, low: 0.0, high: 1.0 }
              y: { type: uniform, low: 0.0, high: 1.0 }
            """, "s.yaml");
        int InFailedRegion(ISampler sampler)
        {
            var history = new List<TrialRecord>();
            var hits = 0;
            for (var n = 0; n < 60; n++)
            {
                var p = sampler.Suggest(space, history, new SamplerContext(3, n, ObjectiveDirection.Minimize))!.Params;
                double x = (double)p["x"], y = (double)p["y"];
                var fails = x > 0.6;
                if (n >= 20 && fails) hits++;
                history.Add(fails
                    ? new TrialRecord { StudyId = 1, Number = n, State = TrialState.Failed, Params = p, Error = "diverged" }
                    : new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = p, Score = (x - 0.45) * (x - 0.45) + (y - 0.5) * (y - 0.5) });
            }
            return hits;
        }
        var tpe = InFailedRegion(new TpeSampler());
        var random = InFailedRegion(new RandomSampler());
        Assert.True(tpe * 3 < random, $"suggestions in the failing region after warm-up: bayesian {tpe}, random {random} of 40");
    }

    [Fact]
    public void IsDeterministicAndDirectionAware()
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
        var a = new TpeSampler().Suggest(Branin, history, new SamplerContext(9, 25, ObjectiveDirection.Minimize))!.Params;
        var b = new TpeSampler().Suggest(Branin, history, new SamplerContext(9, 25, ObjectiveDirection.Minimize))!.Params;
        var c = new TpeSampler().Suggest(Branin, mirrored, new SamplerContext(9, 25, ObjectiveDirection.Maximize))!.Params;
        Assert.Equal(ParamValues.Canonical(a), ParamValues.Canonical(b));
        Assert.Equal(ParamValues.Canonical(a), ParamValues.Canonical(c));
    }

    [Fact]
    public void SuggestsOnlyFeasibleTypedConfigurationsInAMixedSpace()
    {
        var space = SearchSpace.Parse(SearchSpaceTests.Unified, "space.yaml");
        var history = new List<TrialRecord>();
        var sampler = new TpeSampler();
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
}
