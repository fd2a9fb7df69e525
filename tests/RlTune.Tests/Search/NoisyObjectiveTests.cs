using RlTune.Search;
using RlTune.Trials;

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

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void HeldOutVarianceTellsASignalFromNoise()
    {
        var x = Points(30, 2, 5);
        var smooth = GaussianProcess.Fit(x, x.Select(Smooth).ToArray(), [0, 1], 30).HeldOutR2;
        var rng = new Random(6);
        var noise = GaussianProcess.Fit(x, x.Select(_ => Gaussian(rng)).ToArray(), [0, 1], 30).HeldOutR2;
        Assert.True(smooth > 0.8, $"held-out R^2 {smooth:F2} on a smooth function");
        Assert.True(noise < 0.1, $"held-out R^2 {noise:F2} on pure noise");
    }

    private static readonly string[] Six = ["a", "b", "c", "d", "e", "f"];
    private static readonly SearchSpace SixUnits = SearchSpace.Parse(
        "ppo_params:\n" + string.Concat(Six.Select(n => $"  {n}: {{ type: uniform, low: 0.0, high: 1.0 }}\n")), "s.yaml");

    // maximize: 30 trials spread over 6 unit parameters whose scores are pure noise (sd 0.08 around 0)
    private static List<TrialRecord> Plateau(Random rng)
    {
        var history = new List<TrialRecord>();
        for (var i = 0; i < 30; i++)
            history.Add(new TrialRecord { StudyId = 1, Number = i, State = TrialState.Complete, Params = Six.ToDictionary(n => n, _ => (object)rng.NextDouble()), Score = 0.08 * Gaussian(rng) });
        return history;
    }

    private static double Distance(IReadOnlyDictionary<string, object> a, IReadOnlyDictionary<string, object> b) =>
        Math.Sqrt(Six.Sum(n => Math.Pow((double)a[n] - (double)b[n], 2)));

    [Fact]
    public void OnAPlateauOfNoiseItExploresInsteadOfChasingLuckyTrials()
    {
        var history = Plateau(new Random(7));
        var gaps = new List<double>();
        for (var n = 30; n < 40; n++)
        {
            var next = new GpSampler().Suggest(SixUnits, history, new SamplerContext(1, n, ObjectiveDirection.Maximize))!;
            Assert.True(next.Note!.StartsWith("explore", StringComparison.Ordinal), next.Note);
            gaps.Add(history.Min(t => Distance(next.Params, t.Params)));
        }
        // exploiting the noise perturbs believed-best trials: its suggestions lie about 0.15 from a tried one
        gaps.Sort();
        Assert.True(gaps[5] > 0.3, $"median distance to the nearest tried trial {gaps[5]:F2}");
    }

    [Fact]
    public void ATrialFarBeyondTheNoiseTurnsItToExploitation()
    {
        var rng = new Random(8);
        var history = Plateau(rng);
        var found = Six.ToDictionary(n => n, _ => (object)0.3);
        history.Add(new TrialRecord { StudyId = 1, Number = history.Count, State = TrialState.Complete, Params = found, Score = 0.9 });
        var next = new GpSampler().Suggest(SixUnits, history, new SamplerContext(1, history.Count, ObjectiveDirection.Maximize))!;
        Assert.StartsWith("exploit", next.Note);
        Assert.True(Distance(next.Params, found) < 0.35, $"suggested {Distance(next.Params, found):F2} away from the trial that stands out");
    }

    [Fact]
    public void AHeavyTailOfExactScoresStillReadsAsASignal()
    {
        // minimize a smooth exact bowl whose scores span 1 to thousands (branin's span 0.4 to 300): the few huge ones swamp the held-out R^2 and
        // the robust spread, but the model still orders held-out trials, so the sampler exploits
        var notes = new List<string>();
        for (var seed = 0; seed < 10; seed++)
        {
            var rng = new Random(seed);
            var history = new List<TrialRecord>();
            for (var i = 0; i < 15; i++)
            {
                var p = Six.ToDictionary(n => n, _ => (object)rng.NextDouble());
                var score = Math.Exp(8 * Six.Take(2).Sum(n => Math.Pow((double)p[n] - 0.3, 2)));
                history.Add(new TrialRecord { StudyId = 1, Number = i, State = TrialState.Complete, Params = p, Score = score });
            }
            notes.Add(new GpSampler().Suggest(SixUnits, history, new SamplerContext(seed, history.Count, ObjectiveDirection.Minimize))!.Note!);
        }
        // the held-out R^2 alone reads 4 of these 10 histories as a signal
        Assert.True(notes.Count(n => n.StartsWith("exploit", StringComparison.Ordinal)) >= 8, string.Join("\n", notes));
    }

    [Fact]
    public void ItsTpeProposalsUseTheModelFromItsOwnWarmUpOn()
    {
        // a 12-trial study warms up on 4 trials: at trial 6 (even: a TPE proposal) of a plateau of noise the proposal
        // is TPE's with the same warm-up, not a random draw
        var history = Plateau(new Random(10)).Take(6).ToList();
        var context = new SamplerContext(3, history.Count, ObjectiveDirection.Maximize);
        var next = new GpSampler(new GpOptions { WarmupTrials = 4 }).Suggest(SixUnits, history, context)!;
        Assert.StartsWith("explore (TPE proposal)", next.Note);
        var tpe = new TpeSampler(new TpeOptions { WarmupTrials = 4 }).Suggest(SixUnits, history, context)!;
        Assert.Equal(Six.Select(n => (double)tpe.Params[n]), Six.Select(n => (double)next.Params[n]));
    }

    [Fact]
    public void WithFewerConfigurationsThanHalfTheParametersTpeProposes()
    {
        // 12 parameters; one trial scores far beyond the noise (GP-EI would exploit it), but 5 configurations (each run
        // on two seeds: repeats are not new points) are too few for a model in 12 dimensions: TPE proposes
        var names = Enumerable.Range(0, 12).Select(i => $"p{i}").ToArray();
        var space = SearchSpace.Parse("ppo_params:\n" + string.Concat(names.Select(n => $"  {n}: {{ type: uniform, low: 0.0, high: 1.0 }}\n")), "s.yaml");
        var rng = new Random(11);
        var history = new List<TrialRecord>();
        void Add(Dictionary<string, object> p, double score) =>
            history.Add(new TrialRecord { StudyId = 1, Number = history.Count, State = TrialState.Complete, Params = p, Score = score });
        for (var c = 0; c < 5; c++)
        {
            var p = names.ToDictionary(n => n, _ => (object)rng.NextDouble());
            var level = c == 3 ? 0.9 : 0.0;
            Add(p, level + 0.01 * Gaussian(rng));
            Add(p, level + 0.01 * Gaussian(rng));
        }
        var context = new SamplerContext(4, history.Count, ObjectiveDirection.Maximize);
        var next = new GpSampler(new GpOptions { WarmupTrials = 4 }).Suggest(space, history, context)!;
        Assert.StartsWith("TPE proposal: 5 configurations tried, fewer than half the 12 parameters", next.Note);
        var tpe = new TpeSampler(new TpeOptions { WarmupTrials = 4 }).Suggest(space, history, context)!;
        Assert.Equal(names.Select(n => (double)tpe.Params[n]), names.Select(n => (double)next.Params[n]));

        // with half as many configurations as parameters the model takes over
        Add(names.ToDictionary(n => n, _ => (object)rng.NextDouble()), 0.01 * Gaussian(rng));
        var later = new GpSampler(new GpOptions { WarmupTrials = 4 }).Suggest(space, history, new SamplerContext(4, history.Count, ObjectiveDirection.Maximize))!;
        Assert.StartsWith("exploit", later.Note);
    }
}
