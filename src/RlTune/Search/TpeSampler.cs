using System.Runtime.CompilerServices;
using MathNet.Numerics.Distributions;
using RlTune.Numerics;
using RlTune.Trials;

namespace RlTune.Search;

/// <summary>Settings of the TPE sampler (defaults follow Optuna's multivariate TPE).</summary>
public sealed record TpeOptions
{
    /// <summary>Finished trials drawn at random before the model is used.</summary>
    public int WarmupTrials { get; init; } = 10;
    /// <summary>Candidates drawn from the good-region model per suggestion; the best l(x)/g(x) wins.</summary>
    public int Candidates { get; init; } = 24;
    /// <summary>Fraction of complete trials forming the good group (at least one, at most <see cref="MaxGood"/>).</summary>
    public double GoodFraction { get; init; } = 0.1;
    /// <summary>Largest good group.</summary>
    public int MaxGood { get; init; } = 25;
    /// <summary>Weight of the prior pseudo-observation in each Parzen estimator.</summary>
    public double PriorWeight { get; init; } = 1.0;
    /// <summary>Kernel width as a fraction of a dimension's range, before the n^(-1/(d+4)) shrinkage.</summary>
    public double Bandwidth { get; init; } = 0.2;
    /// <summary>Smallest kernel width as a fraction of a dimension's range.</summary>
    public double MinBandwidth { get; init; } = 0.01;
    /// <summary>Numeric <c>choice</c> values as ordered positions (true) or as unordered categories (false).</summary>
    public bool OrdinalChoices { get; init; }
}

/// <summary>
/// Multivariate Tree-structured Parzen Estimator over the joint mixed space. Complete trials are
/// split into a good and a bad group by score; each group is modelled by a product-kernel mixture
/// (truncated Gaussians on the natural coordinate of <see cref="SpaceTransform"/>, i.e. log scale for log kinds; smoothed
/// one-hot kernels for categoricals) plus the prior as a pseudo-observation; candidates drawn from
/// the good model are ranked by l(x)/g(x), which orders them like expected improvement.
/// Failed and pruned trials, and candidates rejected by constraints, join the bad group: their
/// region is known to be bad, not unknown.
/// </summary>
public sealed class TpeSampler(TpeOptions? options = null) : ISampler
{
    private readonly TpeOptions _o = options ?? new TpeOptions();

    /// <inheritdoc />
    public string Name => "tpe";

    /// <summary>TPE splits trials into good and bad by rank: a configuration repeated on five seeds would count five times, so it sees one point with their mean.</summary>
    public bool AveragesRepeats => true;

    /// <summary>The options in force.</summary>
    public TpeOptions Options => _o;

    /// <inheritdoc />
    public Suggestion? Suggest(SearchSpace space, IReadOnlyList<TrialRecord> history, SamplerContext context)
    {
        var rng = Rng.For(context.StudySeed, context.TrialNumber, purpose: 2);
        var transform = new SpaceTransform(space, Layout);
        var dims = transform.Axes;
        var complete = new List<(double[] X, double Loss)>();
        var bad = new List<double[]>();
        var finished = 0;
        foreach (var t in history)
        {
            var x = transform.TryEncode(t.Params);
            if (!t.State.IsFinished())
            {
                // another worker's running trial counts as bad until it reports, so workers spread out
                if (t.State == TrialState.Running && x is not null) bad.Add(x);
                continue;
            }
            finished++;
            if (x is null) continue;
            if (t.State == TrialState.Complete && t.Score is { } s && double.IsFinite(s))
                complete.Add((x, context.Direction == ObjectiveDirection.Maximize ? -s : s));
            else
                bad.Add(x); // failed, pruned, or no usable score: a bad region
        }
        if (finished < _o.WarmupTrials || complete.Count == 0)
            return new Suggestion(RandomSampler.DrawFeasible(space, rng));

        complete.Sort((a, b) => a.Loss.CompareTo(b.Loss));
        var nGood = Math.Clamp((int)Math.Ceiling(_o.GoodFraction * complete.Count), 1, _o.MaxGood);
        var good = complete.Take(nGood).Select(c => c.X).ToList();
        bad.AddRange(complete.Skip(nGood).Select(c => c.X));

        var prior = PriorPoint(dims);
        var l = new ParzenEstimator(dims, good, prior, _o);
        var tally = new FeasibilityTally(space);
        while (tally.Tries < FeasibilityTally.MaxTries)
        {
            var g = new ParzenEstimator(dims, bad, prior, _o);
            double[]? best = null;
            Dictionary<string, object>? bestConfig = null;
            var bestScore = double.NegativeInfinity;
            var rejected = new List<double[]>();
            var pool = new List<(double[] X, Dictionary<string, object> Config)>(_o.Candidates);
            for (var i = 0; i < _o.Candidates; i++)
            {
                var x = l.Sample(rng);
                var config = transform.Decode(x);
                transform.Snap(x); // the kernels score the value proposed, not the raw draw
                if (tally.Accept(config)) pool.Add((x, config));
                else rejected.Add(x);
            }
            if (rejected.Count > 0)
            {
                // constraint-rejected candidates are bad observations for the rest of this call
                bad.AddRange(rejected);
                g = new ParzenEstimator(dims, bad, prior, _o);
            }
            foreach (var (x, config) in pool)
            {
                var score = l.LogDensity(x) - g.LogDensity(x);
                if (score > bestScore) { bestScore = score; best = x; bestConfig = config; }
            }
            if (best is not null) return new Suggestion(bestConfig!);
        }
        throw tally.NoFeasibleConfiguration();
    }

    /// <summary>The model space: log scale for log kinds, ints padded so each value owns an equal share, categoricals (and numeric choices unless <see cref="TpeOptions.OrdinalChoices"/>) as categories.</summary>
    internal TransformOptions Layout => new() { Choices = _o.OrdinalChoices ? DiscreteLayout.Ordinal : DiscreteLayout.Category };

    private static double[] PriorPoint(IReadOnlyList<ParamAxis> dims)
    {
        var x = new double[dims.Count];
        for (var j = 0; j < dims.Count; j++)
        {
            var d = dims[j];
            x[j] = d.Spec.Prior is { } p ? d.Natural(p) : !d.IsNumeric ? -1 : (d.Low + d.High) / 2;
        }
        return x;
    }

    /// <summary>
    /// A mixture of product kernels, one component per observation plus one for the prior. The
    /// prior component is wide (one range) for numbers and uniform, or leaning to the declared
    /// prior value, for categories.
    /// </summary>
    internal sealed class ParzenEstimator
    {
        private readonly IReadOnlyList<ParamAxis> _dims;
        private readonly bool[] _categorical;
        private readonly int _m;
        private readonly double[] _mu;       // [component * d + j]
        private readonly double[] _invSigma;
        private readonly double[] _logNorm;
        private readonly double[][] _logCat; // [component * d + j] -> log p per category (categorical dims only)
        private readonly double[] _weightCdf;
        private readonly double[] _logWeight;
        private readonly double[] _sigma;

        public ParzenEstimator(IReadOnlyList<ParamAxis> dims, List<double[]> points, double[] prior, TpeOptions o)
        {
            _dims = dims;
            _categorical = dims.Select(a => !a.IsNumeric).ToArray();
            var d = dims.Count;
            _m = points.Count + 1;
            _mu = new double[_m * d];
            _sigma = new double[_m * d];
            _invSigma = new double[_m * d];
            _logNorm = new double[_m * d];
            _logCat = new double[_m * d][];
            var shrink = Math.Pow(Math.Max(points.Count, 1), -1.0 / (d + 4));
            for (var c = 0; c < _m; c++)
            {
                var isPrior = c == points.Count;
                var x = isPrior ? prior : points[c];
                for (var j = 0; j < d; j++)
                {
                    var dim = dims[j];
                    var idx = c * d + j;
                    if (_categorical[j])
                    {
                        var k = dim.Spec.Values.Count;
                        var p = new double[k];
                        if (isPrior)
                        {
                            for (var i = 0; i < k; i++) p[i] = x[j] >= 0 ? 0.5 / k : 1.0 / k;
                            if (x[j] >= 0) p[(int)x[j]] += 0.5;
                        }
                        else
                        {
                            var baseMass = o.PriorWeight / k;
                            for (var i = 0; i < k; i++) p[i] = baseMass / (o.PriorWeight + 1);
                            p[(int)x[j]] += 1.0 / (o.PriorWeight + 1);
                        }
                        _logCat[idx] = p.Select(v => Math.Log(v)).ToArray();
                    }
                    else
                    {
                        var range = dim.High - dim.Low;
                        var sigma = isPrior ? range : Math.Max(o.Bandwidth * shrink * range, o.MinBandwidth * range);
                        var mu = x[j];
                        _mu[idx] = mu;
                        _sigma[idx] = sigma;
                        _invSigma[idx] = 1 / sigma;
                        var z = Normal.CDF(0, 1, (dim.High - mu) / sigma) - Normal.CDF(0, 1, (dim.Low - mu) / sigma);
                        _logNorm[idx] = Math.Log(sigma * Math.Sqrt(2 * Math.PI) * Math.Max(z, 1e-300));
                    }
                }
            }
            _logWeight = new double[_m];
            _weightCdf = new double[_m];
            var total = points.Count + o.PriorWeight;
            var acc = 0.0;
            for (var c = 0; c < _m; c++)
            {
                var w = c == points.Count ? o.PriorWeight : 1.0;
                _logWeight[c] = Math.Log(w / total);
                acc += w / total;
                _weightCdf[c] = acc;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double[] Sample(Rng rng)
        {
            var u = rng.NextDouble();
            var c = 0;
            while (c < _m - 1 && _weightCdf[c] < u) c++;
            var d = _dims.Count;
            var x = new double[d];
            for (var j = 0; j < d; j++)
            {
                var dim = _dims[j];
                var idx = c * d + j;
                if (_categorical[j])
                {
                    var logp = _logCat[idx];
                    var r = rng.NextDouble();
                    var i = 0;
                    for (; i < logp.Length - 1; i++)
                    {
                        r -= Math.Exp(logp[i]);
                        if (r < 0) break;
                    }
                    x[j] = i;
                }
                else
                {
                    double v;
                    var tries = 0;
                    do v = _mu[idx] + _sigma[idx] * rng.NextGaussian();
                    while ((v < dim.Low || v > dim.High) && ++tries < 64);
                    x[j] = Math.Clamp(v, dim.Low, dim.High);
                }
            }
            return x;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double LogDensity(double[] x)
        {
            var d = _dims.Count;
            var max = double.NegativeInfinity;
            Span<double> terms = _m <= 512 ? stackalloc double[_m] : new double[_m];
            for (var c = 0; c < _m; c++)
            {
                var s = _logWeight[c];
                var b = c * d;
                for (var j = 0; j < d; j++)
                {
                    if (_categorical[j])
                    {
                        s += _logCat[b + j][(int)x[j]];
                    }
                    else
                    {
                        var z = (x[j] - _mu[b + j]) * _invSigma[b + j];
                        s -= 0.5 * z * z + _logNorm[b + j];
                    }
                }
                terms[c] = s;
                if (s > max) max = s;
            }
            var sum = 0.0;
            for (var c = 0; c < _m; c++) sum += Math.Exp(terms[c] - max);
            return max + Math.Log(sum);
        }
    }
}
