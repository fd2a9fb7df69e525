using System.Numerics;
using RlTune.Search;
using RlTune.Numerics;

namespace RlTune.Analysis;

/// <summary>
/// One input of the importance surrogate: a continuous coordinate on [<see cref="Low"/>, <see cref="High"/>]
/// (the parameter's sampling coordinate, e.g. log for a learning rate), or a categorical with
/// <see cref="CategoryCount"/> values coded 0..K-1 and split by category subsets.
/// </summary>
public sealed record FeatureDomain(string Name, double Low, double High, int CategoryCount = 0)
{
    public bool IsCategorical => CategoryCount > 0;
    /// <summary>Most categories a feature may have: a split stores its left side as a 64-bit set.</summary>
    public const int MaxCategories = 64;
}

/// <summary>Settings of the random-forest surrogate (defaults follow Optuna's fANOVA evaluator: 64 trees, depth 64, leaves of 1).</summary>
public sealed record ForestOptions(int Trees = 64, int MaxDepth = 64, int MinSamplesSplit = 2, int MinSamplesLeaf = 1, int? MaxFeatures = null, ulong Seed = 0);

/// <summary>
/// A regression tree grown by CART on squared error. Continuous features split at midpoints
/// between observed values; categorical features split into two category sets, found exactly by
/// ordering categories by their mean response. Nodes live in flat arrays (a leaf has feature -1).
/// </summary>
public sealed class RegressionTree
{
    internal readonly List<int> Feature = [];
    internal readonly List<double> Threshold = [];
    internal readonly List<ulong> LeftCategories = [];
    internal readonly List<int> Left = [];
    internal readonly List<int> Right = [];
    internal readonly List<double> Value = [];

    public int NodeCount => Feature.Count;
    public IReadOnlyList<FeatureDomain> Domains { get; }

    private RegressionTree(IReadOnlyList<FeatureDomain> domains) => Domains = domains;

    /// <summary>Prediction for one encoded row.</summary>
    public double Predict(ReadOnlySpan<double> row)
    {
        var node = 0;
        while (Feature[node] >= 0)
            node = GoesLeft(node, row[Feature[node]]) ? Left[node] : Right[node];
        return Value[node];
    }

    internal bool GoesLeft(int node, double x) =>
        Domains[Feature[node]].IsCategorical
            ? (LeftCategories[node] & (1UL << (int)x)) != 0
            : x <= Threshold[node];

    /// <summary>Grows a tree on the rows named by <paramref name="sample"/> (a bootstrap sample may repeat rows).</summary>
    internal static RegressionTree Grow(double[][] rows, double[] y, int[] sample, IReadOnlyList<FeatureDomain> domains, ForestOptions options, Rng rng)
    {
        var tree = new RegressionTree(domains);
        var builder = new Builder(tree, rows, y, options, rng);
        builder.Split((int[])sample.Clone(), 0, sample.Length, 0);
        return tree;
    }

    private int AddNode(double value)
    {
        Feature.Add(-1);
        Threshold.Add(0);
        LeftCategories.Add(0);
        Left.Add(-1);
        Right.Add(-1);
        Value.Add(value);
        return Feature.Count - 1;
    }

    private sealed class Builder(RegressionTree tree, double[][] rows, double[] y, ForestOptions options, Rng rng)
    {
        private readonly int _featureCount = tree.Domains.Count;
        private readonly int[] _features = Enumerable.Range(0, tree.Domains.Count).ToArray();

        public int Split(int[] idx, int start, int count, int depth)
        {
            double sum = 0, sumSq = 0;
            for (var i = start; i < start + count; i++) { var v = y[idx[i]]; sum += v; sumSq += v * v; }
            var mean = sum / count;
            var node = tree.AddNode(mean);
            if (count < options.MinSamplesSplit || count < 2 * options.MinSamplesLeaf || depth >= options.MaxDepth) return node;
            if (sumSq - sum * sum / count <= 1e-12 * Math.Max(1, sumSq)) return node; // pure node

            var baseline = sum * sum / count;
            var bestGain = 1e-12 * Math.Max(1, Math.Abs(baseline));
            int bestFeature = -1;
            double bestThreshold = 0;
            ulong bestMask = 0;

            // sklearn's behaviour: draw max_features candidates without replacement per node.
            var tries = Math.Clamp(options.MaxFeatures ?? _featureCount, 1, _featureCount);
            for (var k = 0; k < tries; k++)
            {
                var pick = k + rng.NextInt(_featureCount - k);
                (_features[k], _features[pick]) = (_features[pick], _features[k]);
            }
            for (var k = 0; k < tries; k++)
            {
                var f = _features[k];
                var domain = tree.Domains[f];
                if (domain.IsCategorical)
                {
                    if (BestCategorySplit(idx, start, count, f, domain.CategoryCount, out var gain, out var mask) && gain - baseline > bestGain)
                    {
                        bestGain = gain - baseline; bestFeature = f; bestMask = mask;
                    }
                }
                else if (BestThresholdSplit(idx, start, count, f, out var gain, out var threshold) && gain - baseline > bestGain)
                {
                    bestGain = gain - baseline; bestFeature = f; bestThreshold = threshold;
                }
            }
            if (bestFeature < 0) return node;

            // partition in place: rows going left first
            var isCategorical = tree.Domains[bestFeature].IsCategorical;
            var lo = start;
            var hi = start + count - 1;
            while (lo <= hi)
            {
                var x = rows[idx[lo]][bestFeature];
                var left = isCategorical ? (bestMask & (1UL << (int)x)) != 0 : x <= bestThreshold;
                if (left) lo++;
                else { (idx[lo], idx[hi]) = (idx[hi], idx[lo]); hi--; }
            }
            var leftCount = lo - start;
            tree.Feature[node] = bestFeature;
            tree.Threshold[node] = bestThreshold;
            tree.LeftCategories[node] = bestMask;
            var l = Split(idx, start, leftCount, depth + 1);
            var r = Split(idx, start + leftCount, count - leftCount, depth + 1);
            tree.Left[node] = l;
            tree.Right[node] = r;
            return node;
        }

        // Maximises sumL^2/nL + sumR^2/nR (equivalent to minimising the children's squared error).
        private bool BestThresholdSplit(int[] idx, int start, int count, int f, out double bestGain, out double threshold)
        {
            var order = new (double X, double Y)[count];
            for (var i = 0; i < count; i++) order[i] = (rows[idx[start + i]][f], y[idx[start + i]]);
            Array.Sort(order, (a, b) => a.X.CompareTo(b.X));
            double total = 0;
            foreach (var p in order) total += p.Y;
            bestGain = double.NegativeInfinity;
            threshold = 0;
            double left = 0;
            var minLeaf = options.MinSamplesLeaf;
            for (var i = 0; i < count - 1; i++)
            {
                left += order[i].Y;
                var nl = i + 1;
                if (nl < minLeaf || count - nl < minLeaf || order[i].X == order[i + 1].X) continue;
                var right = total - left;
                var gain = left * left / nl + right * right / (count - nl);
                if (gain > bestGain)
                {
                    bestGain = gain;
                    threshold = 0.5 * (order[i].X + order[i + 1].X);
                }
            }
            return !double.IsNegativeInfinity(bestGain);
        }

        // Categories ordered by mean response; the best prefix is the best two-set split (Breiman).
        private bool BestCategorySplit(int[] idx, int start, int count, int f, int categories, out double bestGain, out ulong mask)
        {
            var n = new int[categories];
            var s = new double[categories];
            for (var i = start; i < start + count; i++)
            {
                var c = (int)rows[idx[i]][f];
                n[c]++;
                s[c] += y[idx[i]];
            }
            var present = Enumerable.Range(0, categories).Where(c => n[c] > 0).OrderBy(c => s[c] / n[c]).ThenBy(c => c).ToArray();
            bestGain = double.NegativeInfinity;
            mask = 0;
            if (present.Length < 2) return false;
            double total = s.Sum(), left = 0;
            var nl = 0;
            ulong leftSet = 0;
            var bestPrefix = -1;
            for (var k = 0; k < present.Length - 1; k++)
            {
                var c = present[k];
                left += s[c];
                nl += n[c];
                leftSet |= 1UL << c;
                if (nl < options.MinSamplesLeaf || count - nl < options.MinSamplesLeaf) continue;
                var right = total - left;
                var gain = left * left / nl + right * right / (count - nl);
                if (gain > bestGain) { bestGain = gain; mask = leftSet; bestPrefix = nl; }
            }
            if (bestPrefix < 0) return false;
            // Categories unseen in this node follow the larger side, so every category has a leaf.
            var absent = 0UL;
            for (var c = 0; c < categories; c++) if (n[c] == 0) absent |= 1UL << c;
            if (bestPrefix >= count - bestPrefix) mask |= absent;
            return true;
        }
    }
}

/// <summary>
/// A bagged random forest of <see cref="RegressionTree"/>s. Written here, not taken from ML.NET:
/// it is small, deterministic for a seed, and fANOVA needs every tree's splits and leaves.
/// </summary>
public sealed class RandomForest
{
    public IReadOnlyList<RegressionTree> Trees { get; }
    public IReadOnlyList<FeatureDomain> Domains { get; }

    private RandomForest(IReadOnlyList<RegressionTree> trees, IReadOnlyList<FeatureDomain> domains)
    {
        Trees = trees;
        Domains = domains;
    }

    /// <summary>Fits the forest: each tree on a bootstrap sample of the rows, seeded by (seed, tree index).</summary>
    public static RandomForest Fit(double[][] rows, double[] y, IReadOnlyList<FeatureDomain> domains, ForestOptions? options = null)
    {
        options ??= new ForestOptions();
        if (rows.Length != y.Length) throw new ArgumentException("rows and targets differ in length");
        if (rows.Length == 0) throw new ArgumentException("a forest needs at least one row");
        foreach (var d in domains)
            if (d.IsCategorical && d.CategoryCount > FeatureDomain.MaxCategories)
                throw new ArgumentException($"feature {d.Name} has {d.CategoryCount} categories; at most {FeatureDomain.MaxCategories} are supported");
        var trees = new RegressionTree[options.Trees];
        Parallel.For(0, options.Trees, t =>
        {
            var rng = Rng.For((int)(options.Seed & 0x7FFFFFFF), t, 0xF0E57);
            var sample = new int[rows.Length];
            for (var i = 0; i < sample.Length; i++) sample[i] = rng.NextInt(rows.Length);
            trees[t] = RegressionTree.Grow(rows, y, sample, domains, options, rng);
        });
        return new RandomForest(trees, domains);
    }

    public double Predict(ReadOnlySpan<double> row)
    {
        var sum = 0.0;
        foreach (var t in Trees) sum += t.Predict(row);
        return sum / Trees.Count;
    }

    internal static int PopCount(ulong mask) => BitOperations.PopCount(mask);
}
