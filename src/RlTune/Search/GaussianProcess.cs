using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;

namespace RlTune.Search;

/// <summary>
/// A Gaussian-process regression model with a Matern-5/2 kernel and one length scale per group of
/// input columns (a parameter; a categorical's one-hot columns share one), fitted by maximizing
/// the marginal likelihood with weak log-normal priors on the hyperparameters (MAP, Adam on the
/// log hyperparameters from two starts, an interpolating and a smooth-plus-noise one, a fixed
/// number of steps so the fit is deterministic; the noise is fitted, up to twice the signal
/// variance, so noisy scores are smoothed rather than interpolated). Inputs are expected
/// in [0, 1]; targets are standardized inside. Hand-written: the sizes are small (tens to a few
/// hundred points) and a fixed, allocation-light loop is faster than a general library here.
/// </summary>
internal sealed class GaussianProcess
{
    private readonly double[][] _x;     // training rows, each column divided by its group's length scale
    private readonly double[] _columnScale; // per column 1/l of its group
    private readonly double[] _scaledPoint; // scratch for Predict (a model is used by one thread)
    private readonly double _signal;
    private readonly double _noise;
    private readonly double[] _l;       // Cholesky factor, row-major lower triangle (n*n)
    private readonly double[] _alpha;
    private readonly double[] _ys;      // standardized targets
    private readonly double _yMean, _yStd;
    private readonly int _n;

    public double[] LengthScales { get; }

    private GaussianProcess(double[][] x, int[] group, int groups, double[] logLs, double logSignal, double logNoise, double[] yStd, double yMean, double yScale)
    {
        _columnScale = group.Select(g => Math.Exp(-logLs[g])).ToArray();
        _x = x.Select(Scale).ToArray();
        _scaledPoint = new double[_columnScale.Length];
        _n = x.Length;
        LengthScales = logLs.Select(Math.Exp).ToArray();
        _signal = Math.Exp(logSignal);
        _noise = Math.Exp(logNoise);
        _yMean = yMean;
        _yStd = yScale;
        _l = new double[_n * _n];
        var k = Gram(_noise);
        CholeskyWithJitter(k, _l, _n);
        _alpha = Solve(_l, yStd, _n);
        _ys = yStd;
    }

    /// <summary>Fits the model to points (rows of columns in [0, 1]) and their targets.</summary>
    /// <param name="group">Length-scale group of each column.</param>
    /// <param name="steps">Adam steps on the log hyperparameters.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    public static GaussianProcess Fit(double[][] x, double[] y, int[] group, int steps)
    {
        var n = x.Length;
        var groups = group.Length == 0 ? 0 : group.Max() + 1;
        var mean = y.Average();
        var std = Math.Sqrt(y.Sum(v => (v - mean) * (v - mean)) / Math.Max(n - 1, 1));
        if (!(std > 1e-12)) std = 1;
        var ys = y.Select(v => (v - mean) / std).ToArray();

        // theta = [log l_0..log l_{g-1}, log signal variance, log noise variance]
        var work = new Workspace(n);
        var dist = GroupDistances(x, group, groups);
        var grad = new double[groups + 2];
        // The posterior often has two modes: interpolate every point with short length scales, or a
        // smoother function plus noise. Climb from each and keep the more probable one.
        var interpolating = new double[groups + 2];
        Array.Fill(interpolating, Math.Log(LengthScalePrior), 0, groups);
        interpolating[groups + 1] = NoisePrior;
        var smooth = new double[groups + 2];
        Array.Fill(smooth, Math.Log(2 * LengthScalePrior), 0, groups);
        smooth[groups + 1] = Math.Log(0.3);
        var interpolatingFit = Climb(interpolating);
        var smoothFit = Climb(smooth);
        var (chosen, other) = interpolatingFit >= smoothFit ? (interpolating, smooth) : (smooth, interpolating);
        var model = Model(chosen);
        // either mode can read noise as signal (an interpolating fit sometimes "predicts" pure noise): a signal must convince both
        var (r2, rank) = model.LeaveOneOut();
        if (double.IsFinite(Math.Min(interpolatingFit, smoothFit)))
        {
            var (otherR2, otherRank) = Model(other).LeaveOneOut();
            (r2, rank) = (Math.Min(r2, otherR2), Math.Min(rank, otherRank));
        }
        (model.HeldOutR2, model.HeldOutRankCorrelation) = (r2, rank);
        return model;

        GaussianProcess Model(double[] th) => new(x, group, groups, th[..groups], th[groups], th[groups + 1], ys, mean, std);

        double Climb(double[] th)
        {
            var m = new double[th.Length];
            var v = new double[th.Length];
            const double rate = 0.08, b1 = 0.9, b2 = 0.999;
            for (var t = 1; t <= steps; t++)
            {
                if (!LogPosteriorGradient(dist, ys, groups, th, grad, work, out _)) break;
                for (var i = 0; i < th.Length; i++)
                {
                    m[i] = b1 * m[i] + (1 - b1) * grad[i];
                    v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
                    var mh = m[i] / (1 - Math.Pow(b1, t));
                    var vh = v[i] / (1 - Math.Pow(b2, t));
                    th[i] += rate * mh / (Math.Sqrt(vh) + 1e-8); // ascent
                }
                for (var g = 0; g < groups; g++) th[g] = Math.Clamp(th[g], Math.Log(0.01), Math.Log(20));
                th[groups] = Math.Clamp(th[groups], Math.Log(0.05), Math.Log(20));
                th[groups + 1] = Math.Clamp(th[groups + 1], Math.Log(1e-6), Math.Log(2));
            }
            return LogPosteriorGradient(dist, ys, groups, th, grad, work, out var value) ? value : double.NegativeInfinity;
        }
    }

    // Centres of the hyperparameter priors: length scale (in [0, 1] input units) and log noise variance
    // (standardized targets). The noise prior is nearly flat (variance 100 in log space) so the data decide.
    private const double LengthScalePrior = 0.5;
    private static readonly double NoisePrior = Math.Log(1e-3);
    private const double NoisePriorVariance = 100;

    private sealed class Workspace(int n)
    {
        public readonly double[] K = new double[n * n];
        public readonly double[] L = new double[n * n];
        public readonly double[] Inv = new double[n * n];
        public readonly double[] R = new double[n * n]; // scaled distance r of the current theta
        public readonly double[] E = new double[n * n]; // exp(-sqrt5 r)
        public readonly double[] U = new double[n * n];
    }

    // Squared distance of every pair per length-scale group, pair-major (pair (i, j), j < i, at (i(i-1)/2 + j) * groups); fixed during the fit.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[] GroupDistances(double[][] x, int[] group, int groups)
    {
        var n = x.Length;
        var dist = new double[n * (n - 1) / 2 * groups];
        var p = 0;
        for (var i = 0; i < n; i++)
            for (var j = 0; j < i; j++, p++)
                for (var c = 0; c < x[i].Length; c++)
                {
                    var d = x[i][c] - x[j][c];
                    dist[p * groups + group[c]] += d * d;
                }
        return dist;
    }

    // Log marginal likelihood plus log priors (up to a constant) and its gradient in theta; false when K is not positive definite.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    private static bool LogPosteriorGradient(double[] dist, double[] y, int groups, double[] theta, double[] grad, Workspace w, out double value)
    {
        value = double.NegativeInfinity;
        var n = y.Length;
        var invLs2 = new double[groups];
        var gradLs = new double[groups];
        for (var g = 0; g < groups; g++) invLs2[g] = Math.Exp(-2 * theta[g]);
        var signal = Math.Exp(theta[groups]);
        var noise = Math.Exp(theta[groups + 1]);
        var k = w.K;
        var sqrt5 = Math.Sqrt(5);
        var p = 0;
        for (var i = 0; i < n; i++)
        {
            k[i * n + i] = signal + noise;
            for (var j = 0; j < i; j++, p++)
            {
                var r2 = Dot(dist, p * groups, invLs2, 0, groups);
                var r = Math.Sqrt(r2);
                var e = Math.Exp(-sqrt5 * r);
                k[i * n + j] = k[j * n + i] = signal * (1 + sqrt5 * r + 5.0 / 3 * r2) * e;
                w.R[i * n + j] = r;
                w.E[i * n + j] = e;
            }
        }
        if (!Cholesky(k, w.L, n)) return false;
        var alpha = Solve(w.L, y, n);
        value = 0;
        for (var i = 0; i < n; i++) value += -0.5 * y[i] * alpha[i] - Math.Log(w.L[i * n + i]);
        Inverse(w.L, w.Inv, n, w.U);
        Array.Clear(grad);
        // W = alpha alpha^T - K^-1; dL/dtheta = 0.5 tr(W dK/dtheta), off-diagonal pairs counted twice
        p = 0;
        for (var i = 0; i < n; i++)
        {
            var wii = alpha[i] * alpha[i] - w.Inv[i * n + i];
            grad[groups] += 0.5 * wii * signal;
            grad[groups + 1] += 0.5 * wii * noise;
            for (var j = 0; j < i; j++, p++)
            {
                var wij = alpha[i] * alpha[j] - w.Inv[i * n + j];
                var r = w.R[i * n + j];
                grad[groups] += wij * k[i * n + j];
                var common = wij * signal * 5.0 / 3 * (1 + sqrt5 * r) * w.E[i * n + j];
                // gradLs += common * dist(pair); scaled by 1/l^2 once at the end
                AddScaled(gradLs, dist, p * groups, common);
            }
        }
        for (var g = 0; g < groups; g++) grad[g] = gradLs[g] * invLs2[g];
        // log-normal priors: length scales around 0.5, signal variance around 1, noise weakly around 1e-3
        var lsCentre = Math.Log(LengthScalePrior);
        for (var g = 0; g < groups; g++)
        {
            grad[g] -= theta[g] - lsCentre;
            value -= 0.5 * (theta[g] - lsCentre) * (theta[g] - lsCentre);
        }
        grad[groups] -= theta[groups];
        grad[groups + 1] -= (theta[groups + 1] - NoisePrior) / NoisePriorVariance;
        value -= 0.5 * theta[groups] * theta[groups] + 0.5 * (theta[groups + 1] - NoisePrior) * (theta[groups + 1] - NoisePrior) / NoisePriorVariance;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    private double[] Gram(double noise)
    {
        var n = _n;
        var k = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            k[i * n + i] = _signal + noise;
            for (var j = 0; j < i; j++) k[i * n + j] = k[j * n + i] = Kernel(_x[i], _x[j]);
        }
        return k;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    private double Kernel(double[] a, double[] b)
    {
        var r2 = SquaredDistance(a, b);
        var r = Math.Sqrt(r2);
        return _signal * (1 + Math.Sqrt(5) * r + 5.0 / 3 * r2) * Math.Exp(-Math.Sqrt(5) * r);
    }

    private double[] Scale(double[] row)
    {
        var scaled = new double[row.Length];
        for (var c = 0; c < row.Length; c++) scaled[c] = row[c] * _columnScale[c];
        return scaled;
    }

    /// <summary>Posterior mean and standard deviation at a point, in the targets' original units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    public (double Mean, double Std) Predict(double[] point, double[] kstarScratch)
    {
        var n = _n;
        var ks = kstarScratch;
        var mean = 0.0;
        var scaled = _scaledPoint;
        for (var c = 0; c < point.Length; c++) scaled[c] = point[c] * _columnScale[c];
        for (var i = 0; i < n; i++)
        {
            ks[i] = Kernel(scaled, _x[i]);
            mean += ks[i] * _alpha[i];
        }
        // v = L^-1 k*, variance = k** - v.v
        var vv = 0.0;
        for (var i = 0; i < n; i++)
        {
            var row = i * n;
            var s = ks[i] - Dot(_l, row, ks, 0, i);
            ks[i] = s / _l[row + i];
            vv += ks[i] * ks[i];
        }
        var variance = Math.Max(_signal - vv, 1e-12);
        return (_yMean + _yStd * mean, _yStd * Math.Sqrt(variance));
    }

    public int Count => _n;

    /// <summary>
    /// How much of the targets' variance the model predicts for points it has not seen, the lower of its two fitted
    /// modes (interpolating, smooth plus noise): near 1 for a smooth signal, about 0 or below for noise.
    /// </summary>
    public double HeldOutR2 { get; private set; }

    /// <summary>
    /// Spearman correlation of each point's held-out prediction with its value, the lower of the two modes: how well the
    /// model orders points it has not seen. Unlike R^2 a heavy tail of values (a few huge ones) does not swamp it.
    /// </summary>
    public double HeldOutRankCorrelation { get; private set; }

    // Leave-one-out in closed form (residual_i = alpha_i / (K^-1)_ii): 1 - sum of squared residuals / sum of squares, and
    // the rank correlation of the held-out predictions (value - residual) with the values.
    private (double R2, double RankCorrelation) LeaveOneOut()
    {
        var n = _n;
        var inv = new double[n * n];
        Inverse(_l, inv, n, new double[n * n]);
        double residuals = 0, total = 0;
        var predicted = new double[n];
        for (var i = 0; i < n; i++)
        {
            var r = _alpha[i] / inv[i * n + i];
            residuals += r * r;
            total += _ys[i] * _ys[i];
            predicted[i] = _ys[i] - r;
        }
        return (total > 0 ? 1 - residuals / total : 0, MathNet.Numerics.Statistics.Correlation.Spearman(predicted, _ys));
    }

    /// <summary>Noise variance as a fraction of the signal variance.</summary>
    public double NoiseRatio => _noise / _signal;

    private static void CholeskyWithJitter(double[] k, double[] l, int n)
    {
        var jitter = 1e-8;
        while (!Cholesky(k, l, n))
        {
            for (var i = 0; i < n; i++) k[i * n + i] += jitter;
            jitter *= 10;
            if (jitter > 1) throw new InvalidOperationException("kernel matrix is not positive definite");
        }
    }

    // Dot product of two array slices; spans here are short (tens), where a library call's overhead would dominate.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Dot(double[] a, int aOffset, double[] b, int bOffset, int length)
    {
        var va = MemoryMarshal.Cast<double, Vector<double>>(new ReadOnlySpan<double>(a, aOffset, length));
        var vb = MemoryMarshal.Cast<double, Vector<double>>(new ReadOnlySpan<double>(b, bOffset, length));
        var acc = Vector<double>.Zero;
        for (var i = 0; i < va.Length; i++) acc += va[i] * vb[i];
        var s = Vector.Sum(acc);
        for (var i = va.Length * Vector<double>.Count; i < length; i++) s += a[aOffset + i] * b[bOffset + i];
        return s;
    }

    // acc += scale * src[offset .. offset + acc.Length]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(double[] acc, double[] src, int offset, double scale)
    {
        var va = MemoryMarshal.Cast<double, Vector<double>>(acc.AsSpan());
        var vs = MemoryMarshal.Cast<double, Vector<double>>(new ReadOnlySpan<double>(src, offset, acc.Length));
        for (var i = 0; i < va.Length; i++) va[i] += vs[i] * scale;
        for (var i = va.Length * Vector<double>.Count; i < acc.Length; i++) acc[i] += scale * src[offset + i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SquaredDistance(double[] a, double[] b)
    {
        var va = MemoryMarshal.Cast<double, Vector<double>>(a.AsSpan());
        var vb = MemoryMarshal.Cast<double, Vector<double>>(b.AsSpan());
        var acc = Vector<double>.Zero;
        for (var i = 0; i < va.Length; i++)
        {
            var d = va[i] - vb[i];
            acc += d * d;
        }
        var s = Vector.Sum(acc);
        for (var i = va.Length * Vector<double>.Count; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    private static bool Cholesky(double[] a, double[] l, int n)
    {
        Array.Clear(l, 0, n * n);
        for (var i = 0; i < n; i++)
        {
            var ri = i * n;
            for (var j = 0; j <= i; j++)
            {
                var rj = j * n;
                var s = a[ri + j] - Dot(l, ri, l, rj, j);
                if (i == j)
                {
                    if (!(s > 0)) return false;
                    l[ri + i] = Math.Sqrt(s);
                }
                else
                {
                    l[ri + j] = s / l[rj + j];
                }
            }
        }
        return true;
    }

    // Solves (L L^T) x = b.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    private static double[] Solve(double[] l, double[] b, int n)
    {
        var z = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = b[i] - Dot(l, i * n, z, 0, i);
            z[i] = s / l[i * n + i];
        }
        for (var i = n - 1; i >= 0; i--)
        {
            var s = z[i];
            for (var k = i + 1; k < n; k++) s -= l[k * n + i] * z[k];
            z[i] = s / l[i * n + i];
        }
        return z;
    }

    // K^-1 from its Cholesky factor: U = L^-T (upper, row-major), then K^-1 = U U^T with contiguous row dots.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per suggestion: tiered JIT would leave it unoptimized
    private static void Inverse(double[] l, double[] inv, int n, double[] u)
    {
        Array.Clear(u, 0, n * n);
        // column j of L^-1 by forward substitution, stored as row j of U (entries j..n-1)
        for (var j = 0; j < n; j++)
        {
            var rj = j * n;
            u[rj + j] = 1 / l[j * n + j];
            for (var i = j + 1; i < n; i++)
            {
                var s = -Dot(l, i * n + j, u, rj + j, i - j);
                u[rj + i] = s / l[i * n + i];
            }
        }
        for (var i = 0; i < n; i++)
            for (var j = 0; j <= i; j++)
            {
                // (L^-T L^-1)_{ij} = sum_k Linv[k,i] Linv[k,j] = sum_{k>=i} U[i,k] U[j,k]
                var s = Dot(u, i * n + i, u, j * n + i, n - i);
                inv[i * n + j] = inv[j * n + i] = s;
            }
    }
}
