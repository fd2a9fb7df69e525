using MathNet.Numerics.Distributions;
using RlTune.Numerics;
using RlTune.Trials;

namespace RlTune.Search;

/// <summary>Settings of the Gaussian-process sampler.</summary>
public sealed record GpOptions
{
    /// <summary>Finished trials drawn at random before the model is used.</summary>
    public int WarmupTrials { get; init; } = 10;
    /// <summary>Adam steps when fitting the kernel hyperparameters.</summary>
    public int FitSteps { get; init; } = 30;
    /// <summary>Candidates drawn uniformly over the space per suggestion.</summary>
    public int RandomCandidates { get; init; } = 100;
    /// <summary>Candidates drawn around the best trials so far (by the model's mean) per suggestion.</summary>
    public int LocalCandidates { get; init; } = 150;
    /// <summary>Candidates drawn around the priors (the defaults configuration) when the space declares any.</summary>
    public int PriorCandidates { get; init; } = 50;
    /// <summary>How many of the best trials (by the model's mean) the local candidates start from.</summary>
    public int LocalStarts { get; init; } = 5;
    /// <summary>Rounds of shrinking local refinement around the best candidate.</summary>
    public int RefineRounds { get; init; } = 3;
    /// <summary>Most trials the model is fitted on: beyond it, the best half and the most recent half (bounds the cost of a suggestion).</summary>
    public int MaxModelPoints { get; init; } = 40;
    /// <summary>Held-out variance the model must predict (leave-one-out R^2) to count as a signal by itself.</summary>
    public double SignalR2 { get; init; } = 0.35;
    /// <summary>Rank correlation of held-out predictions with the scores that counts as a signal by itself (sees through a heavy tail of scores); more with few trials.</summary>
    public double SignalRank { get; init; } = 0.5;
    /// <summary>Uniform candidates a space-filling suggestion picks the farthest from the tried points among.</summary>
    public int ExploreCandidates { get; init; } = 10;
}

/// <summary>
/// Gaussian-process Bayesian optimization with expected improvement (GP-EI) over the joint mixed
/// space. Each parameter becomes one column in [0, 1] (on the log scale for log kinds; numeric
/// choices by position) or, for a categorical, one-hot columns sharing a length scale. The
/// Matern-5/2 model is refitted from the history at every call (stateless), candidates come from
/// uniform draws plus perturbations of the best trials, refined locally, and constraint-rejected
/// candidates are never proposed. The model's noise is fitted, not assumed small (one RL training
/// run's success is largely luck), and "best" means best by the model's mean at the tried points,
/// so a lucky trial whose neighbours score low stops drawing the search. Failed and pruned trials
/// enter the model at the worst complete score, so their region reads as bad rather than unknown;
/// trials still running elsewhere enter at the mean score, so parallel workers do not all propose
/// the same point. EI is used only while the history shows a signal (the model predicts or orders held-out
/// trials, or the best trial lies well beyond the noise below the median); on a plateau of noise it
/// would chase lucky trials, so there the sampler explores instead (TPE proposals and space-filling
/// draws, alternately). While fewer configurations have been tried than half the space's parameters, TPE
/// proposes (a model of a few points in many dimensions has nothing to say between them).
/// Each suggestion's note says which it did and why.
/// </summary>
public sealed class GpSampler(GpOptions? options = null) : ISampler
{
    private readonly GpOptions _o = options ?? new GpOptions();
    // TPE's own warm-up is the GP's: past it every TPE proposal uses the model (with TPE's default of 10, a study
    // warming up on fewer trials got random draws for its "TPE proposals")
    private readonly TpeSampler _explorer = new(new TpeOptions { WarmupTrials = (options ?? new GpOptions()).WarmupTrials });

    /// <inheritdoc />
    public string Name => "bayesian";

    /// <summary>The options in force.</summary>
    public GpOptions Options => _o;

    /// <inheritdoc />
    public Suggestion? Suggest(SearchSpace space, IReadOnlyList<TrialRecord> history, SamplerContext context)
    {
        var rng = Rng.For(context.StudySeed, context.TrialNumber, purpose: 3);
        var enc = new SpaceTransform(space, TransformOptions.GaussianProcess);
        var complete = new List<(Dictionary<string, object> Config, double Loss)>();
        var bad = new List<Dictionary<string, object>>();
        var pending = new List<Dictionary<string, object>>();
        var finished = 0;
        foreach (var t in history)
        {
            var config = enc.Normalize(t.Params);
            if (!t.State.IsFinished())
            {
                if (t.State == TrialState.Running && config is not null) pending.Add(config);
                continue;
            }
            finished++;
            if (config is null) continue;
            if (t.State == TrialState.Complete && t.Score is { } s && double.IsFinite(s))
                complete.Add((config, context.Direction == ObjectiveDirection.Maximize ? -s : s));
            else
                bad.Add(config);
        }
        if (finished < _o.WarmupTrials || complete.Count < 2)
            return new Suggestion(RandomSampler.DrawFeasible(space, rng), Note: $"warm-up: random draw ({finished} of {_o.WarmupTrials} finished trials)");

        // too few tried configurations for a length scale per parameter: EI extrapolates a model of a few points across many
        // dimensions and perturbs whichever trial scored best, while TPE's densities still follow which regions did well
        // (half the parameters: with all of them, noise-free ppo_surrogate's 14 dimensions lost 0.11 -> 0.17 over 100 seeds)
        var configurations = complete.Select(c => ParamValues.Canonical(c.Config)).Distinct().Count();
        if (2 * configurations < space.Params.Count && _explorer.Suggest(space, history, context) is { } sparse)
            return sparse with { Note = $"TPE proposal: {configurations} configurations tried, fewer than half the {space.Params.Count} parameters the model has a length scale for" };

        var worst = complete.Max(c => c.Loss);
        var mean = complete.Average(c => c.Loss);
        // running trials of other workers enter at the mean score ("constant liar"), so workers spread out
        var points = complete.Select((c, i) => (c.Config, c.Loss, Order: i))
            .Concat(bad.Select((b, i) => (Config: b, Loss: worst, Order: complete.Count + i)))
            .Concat(pending.Select((b, i) => (Config: b, Loss: mean, Order: complete.Count + bad.Count + i))).ToList();
        if (points.Count > _o.MaxModelPoints)
        {
            // the best half keeps the model sharp where it matters; the most recent half keeps it current
            var keep = points.OrderBy(p => p.Loss).Take(_o.MaxModelPoints / 2).ToHashSet();
            foreach (var p in points.OrderByDescending(p => p.Order))
            {
                if (keep.Count >= _o.MaxModelPoints) break;
                keep.Add(p);
            }
            points = points.Where(keep.Contains).ToList();
        }
        var rows = points.Select(p => enc.Encode(p.Config)).ToArray();
        var y = points.Select(p => p.Loss).ToArray();
        var gp = GaussianProcess.Fit(rows, y, enc.Groups, _o.FitSteps);
        var evidence = Evidence(gp, complete.Select(c => c.Loss).ToList());
        if (!evidence.Found)
        {
            // noise would decide where EI goes: explore until a trial stands out, alternating TPE proposals (they
            // follow hints fainter than the noise) with space-filling draws (they cover what TPE neglects)
            if (context.TrialNumber % 2 == 0)
                return (_explorer.Suggest(space, history, context) ?? new Suggestion(RandomSampler.DrawFeasible(space, rng))) with { Note = $"explore (TPE proposal): no signal yet ({evidence})" };
            var tried = history.Select(t => enc.Normalize(t.Params)).OfType<Dictionary<string, object>>().Select(enc.Encode).ToList();
            return new Suggestion(SpaceFilling(space, enc, tried, rng), Note: $"explore (space-filling): no signal yet ({evidence})");
        }
        var scratch = new double[rows.Length];
        // a noisy trial's score is part luck: the incumbent is the trial the model believes best, not the luckiest one
        var believed = complete.Select(c => enc.Encode(c.Config)).Select(x => (X: x, Mean: gp.Predict(x, scratch).Mean))
            .OrderBy(c => c.Mean).ToList();
        var best = believed[0].Mean;
        double Ei(double[] x)
        {
            var (mu, sd) = gp.Predict(x, scratch);
            var z = (best - mu) / sd;
            return (best - mu) * Normal.CDF(0, 1, z) + sd * Normal.PDF(0, 1, z);
        }

        var tally = new FeasibilityTally(space);
        double[]? bestX = null;
        var bestEi = double.NegativeInfinity;
        var constrained = space.Constraints.Count > 0;
        void Consider(double[] x)
        {
            var ei = Ei(x);
            // constraints are checked only for a would-be best: most candidates never need decoding
            if (ei > bestEi && (!constrained || tally.Accept(enc.Decode(x)))) { bestEi = ei; bestX = x; }
        }

        for (var i = 0; i < _o.RandomCandidates; i++) Consider(enc.RandomPoint(rng));
        if (space.Params.Any(p => p.Prior is not null))
        {
            // the declared priors are the user's best guess: the defaults and their neighbourhood are always candidates
            var prior = enc.Encode(space.Defaults());
            Consider(prior);
            for (var i = 0; i < _o.PriorCandidates; i++) Consider(enc.Perturb(prior, 0.02 * Math.Pow(10, rng.NextDouble() * 1.3), rng));
        }
        var starts = believed.Take(_o.LocalStarts).Select(c => c.X).ToList();
        for (var i = 0; i < _o.LocalCandidates; i++)
        {
            var scale = 0.02 * Math.Pow(10, rng.NextDouble() * 1.3); // 0.02 .. 0.4 of a range
            Consider(enc.Perturb(starts[i % starts.Count], scale, rng));
        }
        for (var round = 0; round < _o.RefineRounds && bestX is not null; round++)
        {
            var centre = bestX;
            var scale = 0.05 / Math.Pow(3, round);
            for (var i = 0; i < 50; i++) Consider(enc.Perturb(centre, scale, rng));
        }
        var exploit = $"exploit: {evidence}";
        return new Suggestion(bestX is null ? RandomSampler.DrawFeasible(space, rng) : enc.Decode(bestX), Note: exploit);
    }

    /// <summary>What the history says about a signal: the model's held-out R^2, and how far the best trial lies below the median in robust noise units.</summary>
    internal sealed record SignalEvidence(double HeldOutR2, double HeldOutRank, double BestZ, double ZNeeded, double R2Needed, double RankNeeded, double NoiseShare)
    {
        public bool Found => HeldOutR2 >= R2Needed || HeldOutRank >= RankNeeded || BestZ > ZNeeded;

        public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"the model predicts {HeldOutR2:F2} of held-out variance, {R2Needed:F2} needed, and orders held-out trials with rank correlation {HeldOutRank:F2}, {RankNeeded:F2} needed; the best trial is {BestZ:F1} noise sd below the median, {ZNeeded:F1} needed; fitted noise {NoiseShare:F3} of the variance");
    }

    // Under pure noise the best of n trials lies about sqrt(2 ln n) sd below the median; 1.5 sd more is a real outlier.
    private SignalEvidence Evidence(GaussianProcess gp, List<double> losses)
    {
        var n = losses.Count;
        var median = Median(losses);
        var spread = 1.4826 * Median(losses.Select(l => Math.Abs(l - median)).ToList()); // robust noise sd (MAD)
        var drop = median - losses.Min();
        var z = spread > 0 ? drop / spread : drop > 0 ? double.PositiveInfinity : 0;
        // a rank correlation of n unrelated values exceeds 2.33 / sqrt(n - 1) in 1 % of draws: few trials need more
        var rankNeeded = Math.Max(_o.SignalRank, 2.33 / Math.Sqrt(Math.Max(gp.Count - 1, 1)));
        return new SignalEvidence(gp.HeldOutR2, gp.HeldOutRankCorrelation, z, Math.Sqrt(2 * Math.Log(n)) + 1.5, _o.SignalR2, rankNeeded, gp.NoiseRatio / (1 + gp.NoiseRatio));
    }

    private static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>Of a few feasible uniform draws, the one farthest from every tried point (best-candidate sampling: even coverage without a pull to the corners).</summary>
    private Dictionary<string, object> SpaceFilling(SearchSpace space, SpaceTransform enc, List<double[]> tried, Rng rng)
    {
        Dictionary<string, object>? best = null;
        var bestDistance = double.NegativeInfinity;
        for (var i = 0; i < _o.ExploreCandidates; i++)
        {
            var config = RandomSampler.DrawFeasible(space, rng);
            var x = enc.Encode(config);
            var nearest = double.PositiveInfinity;
            foreach (var t in tried)
            {
                var d = 0.0;
                for (var c = 0; c < x.Length; c++) d += (x[c] - t[c]) * (x[c] - t[c]);
                nearest = Math.Min(nearest, d);
            }
            if (nearest > bestDistance) (best, bestDistance) = (config, nearest);
        }
        return best!;
    }
}
