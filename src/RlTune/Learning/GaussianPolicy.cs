namespace RlTune.Learning;

/// <summary>
/// A diagonal Gaussian over actions: mean from the policy network, a state-independent learnable
/// log standard deviation clamped to [<see cref="MinLogStd"/>, <see cref="MaxLogStd"/>] as skrl's
/// GaussianMixin does (the gradient is zero where the clamp binds).
/// </summary>
public static class GaussianPolicy
{
    public const float MinLogStd = -20f;
    public const float MaxLogStd = 2f;
    public static readonly double HalfLog2Pi = 0.5 * Math.Log(2 * Math.PI);

    public static float ClampLogStd(float logStd) => Math.Clamp(logStd, MinLogStd, MaxLogStd);

    /// <summary>True where the clamp lets the gradient through (torch.clamp passes it at the bounds too).</summary>
    public static bool LogStdHasGradient(float logStd) => logStd >= MinLogStd && logStd <= MaxLogStd;

    /// <summary>log N(action | mean, exp(logStd)) summed over action dimensions.</summary>
    public static double LogProb(ReadOnlySpan<float> mean, ReadOnlySpan<float> logStd, ReadOnlySpan<float> action)
    {
        double sum = 0;
        for (int d = 0; d < mean.Length; d++)
        {
            double s = ClampLogStd(logStd[d]);
            double z = (action[d] - mean[d]) * Math.Exp(-s);
            sum += -0.5 * z * z - s - HalfLog2Pi;
        }
        return sum;
    }

    /// <summary>Entropy of the distribution (the same for every state).</summary>
    public static double Entropy(ReadOnlySpan<float> logStd)
    {
        double sum = 0;
        for (int d = 0; d < logStd.Length; d++) sum += 0.5 + HalfLog2Pi + ClampLogStd(logStd[d]);
        return sum;
    }
}
