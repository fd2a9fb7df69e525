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

/// <summary>
/// The special functions and two-sample tests behind <c>rltune compare</c>. Written here because
/// .NET has no log-gamma or incomplete beta, and the tests need nothing more.
/// </summary>
public static class Statistics
{
    // Lanczos approximation, g = 7, nine coefficients: about 15 significant digits for x > 0.
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0)) throw new ArgumentOutOfRangeException(nameof(x), x, "log-gamma needs a positive argument");
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x); // reflection keeps accuracy near 0
        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>The regularized incomplete beta function I_x(a, b), for a, b &gt; 0 and 0 ≤ x ≤ 1.</summary>
    public static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        if (!(a > 0) || !(b > 0)) throw new ArgumentOutOfRangeException(nameof(a), "incomplete beta needs a, b > 0");
        if (x is < 0 or > 1 || double.IsNaN(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "incomplete beta needs 0 <= x <= 1");
        if (x == 0) return 0;
        if (x == 1) return 1;
        var logFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        // The continued fraction converges fast only on the side x < (a+1)/(a+b+2); use symmetry otherwise.
        if (x < (a + 1) / (a + b + 2))
            return Math.Exp(logFront) * BetaContinuedFraction(x, a, b) / a;
        return 1 - Math.Exp(logFront) * BetaContinuedFraction(1 - x, b, a) / b;
    }

    // Continued fraction for I_x(a,b) evaluated with the modified Lentz method.
    private static double BetaContinuedFraction(double x, double a, double b)
    {
        const double tiny = 1e-300, eps = 1e-15;
        var c = 1.0;
        var d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        var f = d;
        for (var m = 1; m <= 10_000; m++)
        {
            // even step: m(b-m)x / ((a+2m-1)(a+2m))
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + num * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            f *= d * c;
            // odd step: -(a+m)(a+b+m)x / ((a+2m)(a+2m+1))
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + num * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            f *= delta;
            if (Math.Abs(delta - 1) < eps) return f;
        }
        return f;
    }

    /// <summary>P(T ≤ t) for Student's t distribution with <paramref name="df"/> degrees of freedom (df may be fractional).</summary>
    public static double StudentTCdf(double t, double df)
    {
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be positive");
        if (double.IsPositiveInfinity(t)) return 1;
        if (double.IsNegativeInfinity(t)) return 0;
        var tail = 0.5 * RegularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
        return t > 0 ? 1 - tail : tail;
    }

    /// <summary>P(Z ≤ z) for the standard normal: ½(1 + sign(z)·P(½, z²/2)), with P the regularized lower incomplete gamma.</summary>
    public static double NormalCdf(double z)
    {
        if (double.IsNaN(z)) return double.NaN;
        var erf = RegularizedLowerGamma(0.5, z * z / 2);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }

    /// <summary>The regularized lower incomplete gamma function P(a, x), for a &gt; 0 and x ≥ 0.</summary>
    public static double RegularizedLowerGamma(double a, double x)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), a, "incomplete gamma needs a > 0");
        if (x < 0 || double.IsNaN(x)) throw new ArgumentOutOfRangeException(nameof(x), x, "incomplete gamma needs x >= 0");
        if (x == 0) return 0;
        if (double.IsPositiveInfinity(x)) return 1;
        var logFront = a * Math.Log(x) - x - LogGamma(a);
        if (x < a + 1)
        {
            // series: sum x^n / (a (a+1) ... (a+n))
            double term = 1 / a, sum = term;
            for (var n = 1; n < 10_000 && Math.Abs(term) > Math.Abs(sum) * 1e-16; n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return Math.Exp(logFront) * sum;
        }
        // continued fraction for Q(a, x) (modified Lentz), then P = 1 - Q
        const double tiny = 1e-300;
        var b = x + 1 - a;
        var c = 1 / tiny;
        var d = 1 / b;
        var f = d;
        for (var i = 1; i < 10_000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = an * d + b; if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return 1 - Math.Exp(logFront) * f;
    }

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
        var p = RegularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
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
        var pNormal = Math.Min(1, 2 * (1 - NormalCdf(Math.Max(0, z))));
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
