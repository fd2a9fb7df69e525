using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace RlTune.Analysis;

/// <summary>Mean, sample standard deviation and count of a set of values.</summary>
public readonly record struct Summary(int Count, double Mean, double Std)
{
    public static Summary Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return new Summary(0, double.NaN, double.NaN);
        var mean = values.Average();
        if (values.Count == 1) return new Summary(1, mean, double.NaN);
        var ss = values.Sum(v => (v - mean) * (v - mean));
        return new Summary(values.Count, mean, Math.Sqrt(ss / (values.Count - 1)));
    }
}

/// <summary>Outcome of a two-sample test: the statistic, degrees of freedom (Welch only) and the two-sided p-value.</summary>
public sealed record TestResult(string Test, double Statistic, double? DegreesOfFreedom, double PValue, string? Note = null);

/// <summary>The two-sample tests behind <c>rltune compare</c>; the special functions come from Math.NET Numerics.</summary>
public static class Statistics
{
    /// <summary>
    /// Welch's unequal-variance t-test of mean(a) = mean(b), two-sided. Needs at least two values
    /// per side; when both sides have no spread the test is undefined and the p-value is NaN.
    /// </summary>
    public static TestResult WelchTTest(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count < 2 || b.Count < 2) throw new ArgumentException("Welch's t-test needs at least two values on each side");
        var sa = Summary.Of(a);
        var sb = Summary.Of(b);
        var va = sa.Std * sa.Std / a.Count;
        var vb = sb.Std * sb.Std / b.Count;
        var se2 = va + vb;
        if (se2 == 0)
            return new TestResult("welch_t", double.NaN, null, double.NaN, "both sides have zero spread");
        var t = (sa.Mean - sb.Mean) / Math.Sqrt(se2);
        var df = se2 * se2 / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
        var p = SpecialFunctions.BetaRegularized(df / 2, 0.5, df / (df + t * t));
        return new TestResult("welch_t", t, df, Math.Min(1, p));
    }

    /// <summary>
    /// Mann-Whitney U test (two-sided). Exact null distribution when there are no ties and each
    /// side has at most 20 values; otherwise the normal approximation with tie and continuity
    /// corrections. The statistic reported is U of the first sample.
    /// </summary>
    public static TestResult MannWhitneyU(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count < 1 || b.Count < 1) throw new ArgumentException("Mann-Whitney needs at least one value on each side");
        int n1 = a.Count, n2 = b.Count, n = n1 + n2;
        var all = a.Select(v => (Value: v, First: true)).Concat(b.Select(v => (Value: v, First: false))).OrderBy(p => p.Value).ToArray();
        var ranks = new double[n];
        var tieTerm = 0.0;
        var hasTies = false;
        for (var i = 0; i < n;)
        {
            var j = i;
            while (j + 1 < n && all[j + 1].Value == all[i].Value) j++;
            var rank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++) ranks[k] = rank;
            var size = j - i + 1;
            if (size > 1) { hasTies = true; tieTerm += (double)size * size * size - size; }
            i = j + 1;
        }
        var r1 = 0.0;
        for (var i = 0; i < n; i++) if (all[i].First) r1 += ranks[i];
        var u1 = r1 - n1 * (n1 + 1) / 2.0;
        var meanU = n1 * n2 / 2.0;

        if (!hasTies && n1 <= 20 && n2 <= 20)
        {
            var counts = ExactUCounts(n1, n2);
            var total = counts.Sum();
            var u = (int)Math.Round(u1);
            var lower = 0.0;
            for (var k = 0; k <= u; k++) lower += counts[k];
            var upper = 0.0;
            for (var k = u; k < counts.Length; k++) upper += counts[k];
            var p = Math.Min(1, 2 * Math.Min(lower, upper) / total);
            return new TestResult("mann_whitney_u", u1, null, p, "exact");
        }

        var variance = n1 * n2 / 12.0 * ((n + 1) - tieTerm / ((double)n * (n - 1)));
        if (variance <= 0) return new TestResult("mann_whitney_u", u1, null, double.NaN, "all values are tied");
        var z = (Math.Abs(u1 - meanU) - 0.5) / Math.Sqrt(variance);
        var pNormal = Math.Min(1, 2 * Normal.CDF(0, 1, -Math.Max(0, z)));
        return new TestResult("mann_whitney_u", u1, null, pNormal, "normal approximation");
    }

    // Number of orderings of n1 + n2 distinct values giving each U = 0..n1*n2, by the recurrence
    // c(n1, n2, u) = c(n1-1, n2, u-n2) + c(n1, n2-1, u).
    private static double[] ExactUCounts(int n1, int n2)
    {
        var table = new double[n1 + 1, n2 + 1][];
        for (var i = 0; i <= n1; i++)
        for (var j = 0; j <= n2; j++)
        {
            var c = new double[i * j + 1];
            if (i == 0 || j == 0) c[0] = 1;
            else
            {
                var withoutA = table[i - 1, j];
                var withoutB = table[i, j - 1];
                for (var u = 0; u < c.Length; u++)
                {
                    if (u - j >= 0 && u - j < withoutA.Length) c[u] += withoutA[u - j];
                    if (u < withoutB.Length) c[u] += withoutB[u];
                }
            }
            table[i, j] = c;
        }
        return table[n1, n2];
    }
}
