namespace RlTune.Learning;

/// <summary>Sums over one thread's rows of a mini-batch; divided by the mini-batch size they are the logged means.</summary>
public struct PpoLossSums
{
    public double PolicyLoss;     // Σ -min(A·r, A·clip(r, 1±ε))
    public double ValueError;     // Σ (R - V_clipped)²
    public double ApproxKl;       // Σ (r - 1) - log r
    public double ClippedRatios;  // count of |r - 1| > ε

    public void Add(in PpoLossSums o)
    {
        PolicyLoss += o.PolicyLoss; ValueError += o.ValueError; ApproxKl += o.ApproxKl; ClippedRatios += o.ClippedRatios;
    }
}

/// <summary>
/// The PPO loss of skrl, per row, with its gradient written by hand (the core has no autograd):
///
///   log π(a|s)   = Σ_d [ -½ ((a_d - μ_d)/σ_d)² - log σ_d - ½ log 2π ]
///   r            = exp(log π - log π_old)
///   policy loss  = -mean( min(A·r, A·clip(r, 1-ε, 1+ε)) )
///   value loss   = value_loss_scale · mean( (R - V̂)² ),  V̂ = V_old + clip(V - V_old, ±value_clip) when clipping
///   entropy loss = -entropy_loss_scale · Σ_d (½ + ½ log 2π + log σ_d)
///   loss         = policy loss + value loss + entropy loss
///
/// Every mean is over the whole mini-batch of <c>batchSize</c> rows, so threads that each own a
/// slice of rows produce gradients that simply add up.
/// </summary>
public static class PpoLoss
{
    /// <summary>
    /// Policy term for rows: writes dL/dμ to <paramref name="dMean"/> and adds dL/d(log σ) to
    /// <paramref name="dLogStd"/>. Spans are row-major [rows x actions] or [rows].
    /// </summary>
    public static void Policy(ReadOnlySpan<float> mean, ReadOnlySpan<float> logStd, ReadOnlySpan<float> actions,
        ReadOnlySpan<float> oldLogProb, ReadOnlySpan<float> advantages, double ratioClip, int batchSize,
        Span<float> dMean, Span<float> dLogStd, ref PpoLossSums sums)
    {
        int act = logStd.Length, rows = oldLogProb.Length;
        Span<double> invStd = stackalloc double[act];
        Span<double> clampedLogStd = stackalloc double[act];
        Span<double> dLogStdSum = stackalloc double[act];
        for (int d = 0; d < act; d++)
        {
            clampedLogStd[d] = GaussianPolicy.ClampLogStd(logStd[d]);
            invStd[d] = Math.Exp(-clampedLogStd[d]);
        }
        double invBatch = 1.0 / batchSize;
        for (int i = 0; i < rows; i++)
        {
            var mu = mean.Slice(i * act, act);
            var a = actions.Slice(i * act, act);
            double logProb = 0;
            for (int d = 0; d < act; d++)
            {
                double z = (a[d] - mu[d]) * invStd[d];
                logProb += -0.5 * z * z - clampedLogStd[d] - GaussianPolicy.HalfLog2Pi;
            }
            double logRatio = logProb - oldLogProb[i];
            double ratio = Math.Exp(logRatio);
            double adv = advantages[i];
            double surrogate = adv * ratio;
            double clippedRatio = Math.Clamp(ratio, 1 - ratioClip, 1 + ratioClip);
            double surrogateClipped = adv * clippedRatio;
            sums.PolicyLoss += -Math.Min(surrogate, surrogateClipped);
            sums.ApproxKl += ratio - 1 - logRatio;
            if (Math.Abs(ratio - 1) > ratioClip) sums.ClippedRatios++;

            // d(-min(...))/dr: the unclipped branch carries the gradient unless the clipped one is
            // strictly smaller (then it is constant in r); inside the clip range both are equal.
            bool flows = surrogate <= surrogateClipped || (ratio >= 1 - ratioClip && ratio <= 1 + ratioClip);
            double dLogProb = flows ? -adv * ratio * invBatch : 0;

            var g = dMean.Slice(i * act, act);
            for (int d = 0; d < act; d++)
            {
                double z = (a[d] - mu[d]) * invStd[d];
                g[d] = (float)(dLogProb * z * invStd[d]);      // dlogπ/dμ = (a - μ)/σ²
                dLogStdSum[d] += dLogProb * (z * z - 1);       // dlogπ/dlogσ = z² - 1
            }
        }
        for (int d = 0; d < act; d++)
            if (GaussianPolicy.LogStdHasGradient(logStd[d])) dLogStd[d] += (float)dLogStdSum[d];
    }

    /// <summary>Entropy term (state-independent): returns its loss and adds its gradient to <paramref name="dLogStd"/>.</summary>
    public static double Entropy(ReadOnlySpan<float> logStd, double entropyLossScale, Span<float> dLogStd)
    {
        for (int d = 0; d < logStd.Length; d++)
            if (GaussianPolicy.LogStdHasGradient(logStd[d])) dLogStd[d] += (float)-entropyLossScale;
        return -entropyLossScale * GaussianPolicy.Entropy(logStd);
    }

    /// <summary>Value term for rows: writes dL/dV to <paramref name="dValue"/>; V, V_old and R are in the value scaler's units.</summary>
    public static void Value(ReadOnlySpan<float> predicted, ReadOnlySpan<float> oldValues, ReadOnlySpan<float> returns,
        bool clipPredicted, double valueClip, double valueLossScale, int batchSize, Span<float> dValue, ref PpoLossSums sums)
    {
        double factor = 2 * valueLossScale / batchSize;
        for (int i = 0; i < predicted.Length; i++)
        {
            double v = predicted[i], vHat = v, pass = 1;
            if (clipPredicted)
            {
                double delta = v - oldValues[i];
                vHat = oldValues[i] + Math.Clamp(delta, -valueClip, valueClip);
                pass = delta >= -valueClip && delta <= valueClip ? 1 : 0;
            }
            double error = vHat - returns[i];
            sums.ValueError += error * error;
            dValue[i] = (float)(factor * error * pass);
        }
    }
}
