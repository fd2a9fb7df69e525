using RlTune.Search;
using RlTune.Study;

namespace RlTune.Tests.Search;

/// <summary>The Bayesian sampler on a noisy objective: one trial's score is part luck (an RL run's success).</summary>
public class NoisyObjectiveTests
{
    private static double[][] Points(int n, int dims, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, dims).Select(_ => rng.NextDouble()).ToArray()).ToArray();
    }

    private static double Smooth(double[] x) => Math.Sin(6 * x[0]) + x[1];

    [Fact]
    public void TheModelInterpolatesANoiselessFunction()
    {
        var x = Points(20, 2, 1);
        var gp = GaussianProcess.Fit(x, x.Select(Smooth).ToArray(), [0, 1], 30);
        Assert.True(gp.NoiseRatio < 0.01, $"noise / signal variance {gp.NoiseRatio:F4} on exact values");
    }

    [Fact]
    public void TheModelFitsNoiseWhenRepeatsOfAConfigurationDisagree()
    {
        // 8 configurations, each run 3 times with noise of sd 0.5 (the function spans about 3)
        var rng = new Random(2);
        var distinct = Points(8, 2, 3);
        var x = distinct.SelectMany(p => Enumerable.Repeat(p, 3)).ToArray();
        var y = x.Select(p => Smooth(p) + 0.5 * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())).ToArray();
        var gp = GaussianProcess.Fit(x, y, [0, 1], 30);
        Assert.True(gp.NoiseRatio > 0.05, $"noise / signal variance {gp.NoiseRatio:F4} with disagreeing repeats");
    }

    [Fact]
    public void ALuckyTrialWhoseNeighboursScoreLowStopsDrawingTheSearch()
    {
        // maximize: trial A scored 1.0 once but four near-copies of it scored 0.2-0.3; around B five trials all scored about 0.7
        var space = SearchSpace.Parse("""
            ppo_params:
              a: { type: uniform, low: 0.0, high: 1.0 }
              b: { type: uniform, low: 0.0, high: 1.0 }
              c: { type: uniform, low: 0.0, high: 1.0 }
              d: { type: uniform, low: 0.0, high: 1.0 }
            """, "s.yaml");
        var rng = new Random(4);
        var history = new List<TrialRecord>();
        void Add(double centre, double spread, double score)
        {
            var p = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var name in new[] { "a", "b", "c", "d" }) p[name] = Math.Clamp(centre + spread * (2 * rng.NextDouble() - 1), 0, 1);
            history.Add(new TrialRecord { StudyId = 1, Number = history.Count, State = TrialState.Complete, Params = p, Score = score });
        }
        for (var i = 0; i < 6; i++) Add(0.5, 0.5, 0.1 + 0.02 * i); // spread over the space, all poor
        Add(0.2, 0, 1.0);
        foreach (var s in new[] { 0.2, 0.3, 0.25, 0.2 }) Add(0.2, 0.03, s);
        foreach (var s in new[] { 0.7, 0.72, 0.68, 0.71, 0.69 }) Add(0.8, 0.03, s);
        var next = new GpSampler().Suggest(space, history, new SamplerContext(1, history.Count, ObjectiveDirection.Maximize))!.Params;
        double Distance(double centre) => Math.Sqrt(new[] { "a", "b", "c", "d" }.Sum(k => Math.Pow((double)next[k] - centre, 2)));
        Assert.True(Distance(0.8) < Distance(0.2),
            $"suggested ({string.Join(", ", new[] { "a", "b", "c", "d" }.Select(k => $"{(double)next[k]:F2}"))}): {Distance(0.2):F2} from the lucky trial, {Distance(0.8):F2} from the consistent region");
    }
}
