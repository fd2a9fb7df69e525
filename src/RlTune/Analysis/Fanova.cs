namespace RlTune.Analysis;

/// <summary>Share of one feature's main effect in the surrogate's variance: mean and standard deviation over trees.</summary>
public sealed record FeatureImportance(string Feature, double VarianceFraction, double Std);

/// <summary>Share of the pure interaction of two features (their joint effect minus both main effects).</summary>
public sealed record FeatureInteraction(string A, string B, double VarianceFraction);

/// <summary>
/// Functional ANOVA over a random forest (Hutter et al. 2014; Optuna's default importance
/// evaluator). Each tree is a piecewise-constant function on the box of feature domains; its
/// variance under the uniform measure on that box is split into main effects (the variance of the
/// marginal over one feature) and interactions. A feature's importance is the mean over trees of
/// its main effect's share of that tree's variance.
/// </summary>
public static class Fanova
{
    /// <summary>Main-effect shares of every feature, in feature order.</summary>
    public static IReadOnlyList<FeatureImportance> MainEffects(RandomForest forest)
    {
        var d = forest.Domains.Count;
        var perTree = new List<double[]>();
        foreach (var tree in forest.Trees)
        {
            var leaves = TreeLeaves.Of(tree);
            if (leaves.TotalVariance <= 1e-14 * Math.Max(1, leaves.Mean * leaves.Mean)) continue; // a constant tree explains nothing
            var shares = new double[d];
            for (var f = 0; f < d; f++) shares[f] = leaves.MarginalVariance([f]) / leaves.TotalVariance;
            perTree.Add(shares);
        }
        return Enumerable.Range(0, d).Select(f =>
        {
            if (perTree.Count == 0) return new FeatureImportance(forest.Domains[f].Name, 0, 0);
            var s = Summary.Of(perTree.Select(t => t[f]).ToList());
            return new FeatureImportance(forest.Domains[f].Name, s.Mean, double.IsNaN(s.Std) ? 0 : s.Std);
        }).ToList();
    }

    /// <summary>Pure pairwise interaction shares among the given features (mean over trees).</summary>
    public static IReadOnlyList<FeatureInteraction> Interactions(RandomForest forest, IReadOnlyList<int> features)
    {
        var pairs = new List<(int A, int B)>();
        for (var i = 0; i < features.Count; i++)
            for (var j = i + 1; j < features.Count; j++) pairs.Add((features[i], features[j]));
        var sums = new double[pairs.Count];
        var used = 0;
        foreach (var tree in forest.Trees)
        {
            var leaves = TreeLeaves.Of(tree);
            if (leaves.TotalVariance <= 1e-14 * Math.Max(1, leaves.Mean * leaves.Mean)) continue;
            used++;
            var single = new Dictionary<int, double>();
            foreach (var f in features) single[f] = leaves.MarginalVariance([f]);
            for (var p = 0; p < pairs.Count; p++)
            {
                var (a, b) = pairs[p];
                var joint = leaves.MarginalVariance([a, b]);
                sums[p] += Math.Max(0, joint - single[a] - single[b]) / leaves.TotalVariance;
            }
        }
        return pairs.Select((p, i) => new FeatureInteraction(forest.Domains[p.A].Name, forest.Domains[p.B].Name, used == 0 ? 0 : sums[i] / used)).ToList();
    }

    /// <summary>The leaves of one tree as boxes, with the cells each feature's splits cut its domain into.</summary>
    private sealed class TreeLeaves
    {
        private readonly IReadOnlyList<FeatureDomain> _domains;
        // per leaf: value, volume fraction, and per feature its box (continuous [lo, hi]) or category set
        private readonly List<double> _value = [];
        private readonly List<double> _volume = [];
        private readonly List<double[]> _lo = [];
        private readonly List<double[]> _hi = [];
        private readonly List<ulong[]> _cats = [];
        private readonly List<double[]> _fraction = [];
        // per continuous feature: sorted cut points including both domain ends
        private readonly double[][] _cuts;

        public double Mean { get; private set; }
        public double TotalVariance { get; private set; }

        private TreeLeaves(IReadOnlyList<FeatureDomain> domains)
        {
            _domains = domains;
            _cuts = new double[domains.Count][];
        }

        public static TreeLeaves Of(RegressionTree tree)
        {
            var domains = tree.Domains;
            var d = domains.Count;
            var leaves = new TreeLeaves(domains);
            var cutSets = Enumerable.Range(0, d).Select(_ => new SortedSet<double>()).ToArray();
            var lo = domains.Select(x => x.Low).ToArray();
            var hi = domains.Select(x => x.High).ToArray();
            var cats = domains.Select(x => x.IsCategorical ? AllCategories(x.CategoryCount) : 0UL).ToArray();
            leaves.Walk(tree, 0, lo, hi, cats, cutSets);
            for (var f = 0; f < d; f++)
            {
                if (domains[f].IsCategorical) continue;
                cutSets[f].Add(domains[f].Low);
                cutSets[f].Add(domains[f].High);
                leaves._cuts[f] = cutSets[f].Where(c => c >= domains[f].Low && c <= domains[f].High).ToArray();
            }
            double mean = 0;
            for (var i = 0; i < leaves._value.Count; i++) mean += leaves._volume[i] * leaves._value[i];
            double variance = 0;
            for (var i = 0; i < leaves._value.Count; i++)
            {
                var dv = leaves._value[i] - mean;
                variance += leaves._volume[i] * dv * dv;
            }
            leaves.Mean = mean;
            leaves.TotalVariance = variance;
            return leaves;
        }

        private static ulong AllCategories(int k) => k >= 64 ? ulong.MaxValue : (1UL << k) - 1;

        private void Walk(RegressionTree tree, int node, double[] lo, double[] hi, ulong[] cats, SortedSet<double>[] cutSets)
        {
            var f = tree.Feature[node];
            if (f < 0)
            {
                var fraction = new double[_domains.Count];
                var volume = 1.0;
                for (var g = 0; g < _domains.Count; g++)
                {
                    var dom = _domains[g];
                    fraction[g] = dom.IsCategorical
                        ? RandomForest.PopCount(cats[g]) / (double)dom.CategoryCount
                        : dom.High > dom.Low ? Math.Max(0, Math.Min(hi[g], dom.High) - Math.Max(lo[g], dom.Low)) / (dom.High - dom.Low) : 1;
                    volume *= fraction[g];
                }
                if (volume <= 0) return;
                _value.Add(tree.Value[node]);
                _volume.Add(volume);
                _lo.Add((double[])lo.Clone());
                _hi.Add((double[])hi.Clone());
                _cats.Add((ulong[])cats.Clone());
                _fraction.Add(fraction);
                return;
            }
            if (_domains[f].IsCategorical)
            {
                var saved = cats[f];
                var leftSet = tree.LeftCategories[node];
                cats[f] = saved & leftSet;
                Walk(tree, tree.Left[node], lo, hi, cats, cutSets);
                cats[f] = saved & ~leftSet;
                Walk(tree, tree.Right[node], lo, hi, cats, cutSets);
                cats[f] = saved;
            }
            else
            {
                var t = tree.Threshold[node];
                cutSets[f].Add(t);
                var savedHi = hi[f];
                hi[f] = Math.Min(savedHi, t);
                Walk(tree, tree.Left[node], lo, hi, cats, cutSets);
                hi[f] = savedHi;
                var savedLo = lo[f];
                lo[f] = Math.Max(savedLo, t);
                Walk(tree, tree.Right[node], lo, hi, cats, cutSets);
                lo[f] = savedLo;
            }
        }

        // Cells of one feature: (width fraction, test whether leaf i covers the cell).
        private int CellCount(int f) => _domains[f].IsCategorical ? _domains[f].CategoryCount : _cuts[f].Length - 1;

        private double CellWidth(int f, int c)
        {
            var dom = _domains[f];
            if (dom.IsCategorical) return 1.0 / dom.CategoryCount;
            return dom.High > dom.Low ? (_cuts[f][c + 1] - _cuts[f][c]) / (dom.High - dom.Low) : 1;
        }

        // The cells of feature f a leaf covers: a contiguous range for continuous features, a set for categoricals.
        private IEnumerable<int> CoveredCells(int leaf, int f)
        {
            if (_domains[f].IsCategorical)
            {
                var mask = _cats[leaf][f];
                for (var c = 0; c < _domains[f].CategoryCount; c++)
                    if ((mask & (1UL << c)) != 0) yield return c;
                yield break;
            }
            var cuts = _cuts[f];
            var first = LowerIndex(cuts, _lo[leaf][f]);
            for (var c = first; c < cuts.Length - 1 && cuts[c] < _hi[leaf][f]; c++) yield return c;
        }

        private static int LowerIndex(double[] cuts, double x)
        {
            var i = Array.BinarySearch(cuts, x);
            if (i >= 0) return i;
            return Math.Max(0, ~i - 1);
        }

        /// <summary>Variance of the marginal of the tree over a set of one or two features.</summary>
        public double MarginalVariance(int[] features)
        {
            if (features.Length == 1)
            {
                var f = features[0];
                var marginal = new double[CellCount(f)];
                for (var i = 0; i < _value.Count; i++)
                {
                    var contribution = _value[i] * _volume[i] / _fraction[i][f];
                    foreach (var c in CoveredCells(i, f)) marginal[c] += contribution;
                }
                var v = 0.0;
                for (var c = 0; c < marginal.Length; c++)
                {
                    var dv = marginal[c] - Mean;
                    v += CellWidth(f, c) * dv * dv;
                }
                return v;
            }
            if (features.Length == 2)
            {
                int a = features[0], b = features[1];
                int na = CellCount(a), nb = CellCount(b);
                var marginal = new double[na * nb];
                for (var i = 0; i < _value.Count; i++)
                {
                    var contribution = _value[i] * _volume[i] / (_fraction[i][a] * _fraction[i][b]);
                    var cellsB = CoveredCells(i, b).ToArray();
                    foreach (var ca in CoveredCells(i, a))
                        foreach (var cb in cellsB) marginal[ca * nb + cb] += contribution;
                }
                var v = 0.0;
                for (var ca = 0; ca < na; ca++)
                {
                    var wa = CellWidth(a, ca);
                    for (var cb = 0; cb < nb; cb++)
                    {
                        var dv = marginal[ca * nb + cb] - Mean;
                        v += wa * CellWidth(b, cb) * dv * dv;
                    }
                }
                return v;
            }
            throw new ArgumentException("marginals are computed over one or two features");
        }
    }
}
