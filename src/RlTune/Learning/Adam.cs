namespace RlTune.Learning;

/// <summary>
/// Adam as torch.optim.Adam (no weight decay, no amsgrad): m and v moments with bias correction,
/// p -= lr * m̂ / (sqrt(v̂) + eps). Works on index ranges so threads can update halves.
/// </summary>
public sealed class Adam(int size, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
{
    public AlignedBuffer FirstMoment { get; } = new(size);
    public AlignedBuffer SecondMoment { get; } = new(size);
    public float Beta1 { get; } = beta1;
    public float Beta2 { get; } = beta2;
    public float Epsilon { get; } = epsilon;
    /// <summary>Number of steps taken (t in the paper).</summary>
    public long Steps { get; set; }

    /// <summary>Counts a new step; call once before <see cref="Update"/> on the step's ranges.</summary>
    public void BeginStep() => Steps++;

    /// <summary>Updates parameters [start, end) with gradients scaled by <paramref name="gradientScale"/> (grad-norm clipping).</summary>
    public unsafe void Update(float* parameters, float* gradients, float gradientScale, float learningRate, int start, int end)
    {
        float* m = FirstMoment.Pointer, v = SecondMoment.Pointer;
        double correction1 = 1 - Math.Pow(Beta1, Steps), correction2 = 1 - Math.Pow(Beta2, Steps);
        float stepSize = (float)(learningRate / correction1);
        float invSqrtCorrection2 = (float)(1 / Math.Sqrt(correction2));
        float b1 = Beta1, b2 = Beta2, c1 = 1 - b1, c2 = 1 - b2, eps = Epsilon;
        for (int i = start; i < end; i++)
        {
            float g = gradients[i] * gradientScale;
            float mi = b1 * m[i] + c1 * g;
            float vi = b2 * v[i] + c2 * g * g;
            m[i] = mi; v[i] = vi;
            parameters[i] -= stepSize * mi / (MathF.Sqrt(vi) * invSqrtCorrection2 + eps);
        }
    }

    /// <summary>torch.nn.utils.clip_grad_norm_: the factor that scales a gradient of this norm down to <paramref name="maxNorm"/>.</summary>
    public static float ClipScale(double norm, double maxNorm) =>
        maxNorm > 0 && norm > 0 ? (float)Math.Min(1.0, maxNorm / (norm + 1e-6)) : 1f;
}
