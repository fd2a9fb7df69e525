namespace RlTune.Learning;

/// <summary>
/// skrl's RunningStandardScaler: running mean and variance (starting at 0, 1 with count 1, merged
/// with each batch by the parallel-variance formula), output clamp((x - mean) / sqrt(var + eps), ±5).
/// </summary>
public sealed class RunningStandardScaler
{
    public const double Epsilon = 1e-8;
    public const float ClipThreshold = 5f;

    public RunningStandardScaler(int size)
    {
        Size = size;
        Mean = new double[size];
        Variance = Enumerable.Repeat(1.0, size).ToArray();
        Count = 1;
        _scale = new float[size];
        _mean = new float[size];
        Refresh();
    }

    public int Size { get; }
    public double[] Mean { get; }
    public double[] Variance { get; }
    public double Count { get; set; }

    private readonly float[] _scale;
    private readonly float[] _mean;

    /// <summary>Merges the statistics of <paramref name="rows"/> (row-major [n x Size]) into the running ones.</summary>
    public void Update(ReadOnlySpan<float> rows)
    {
        int n = rows.Length / Size;
        if (n < 2) return;
        var batchMean = new double[Size];
        var batchM2 = new double[Size];
        for (int r = 0; r < n; r++)
        {
            var row = rows.Slice(r * Size, Size);
            for (int j = 0; j < Size; j++) batchMean[j] += row[j];
        }
        for (int j = 0; j < Size; j++) batchMean[j] /= n;
        for (int r = 0; r < n; r++)
        {
            var row = rows.Slice(r * Size, Size);
            for (int j = 0; j < Size; j++) { double d = row[j] - batchMean[j]; batchM2[j] += d * d; }
        }
        double total = Count + n;
        for (int j = 0; j < Size; j++)
        {
            double batchVar = batchM2[j] / (n - 1); // torch.var is unbiased
            double delta = batchMean[j] - Mean[j];
            double m2 = Variance[j] * Count + batchVar * n + delta * delta * Count * n / total;
            Mean[j] += delta * n / total;
            Variance[j] = m2 / total;
        }
        Count = total;
        Refresh();
    }

    /// <summary>Re-derives the float factors after the statistics changed (update or checkpoint load).</summary>
    public void Refresh()
    {
        for (int j = 0; j < Size; j++)
        {
            _scale[j] = (float)(1 / Math.Sqrt(Variance[j] + Epsilon));
            _mean[j] = (float)Mean[j];
        }
    }

    public void Normalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        int n = source.Length / Size;
        for (int r = 0; r < n; r++)
        {
            var s = source.Slice(r * Size, Size);
            var d = destination.Slice(r * Size, Size);
            for (int j = 0; j < Size; j++) d[j] = Math.Clamp((s[j] - _mean[j]) * _scale[j], -ClipThreshold, ClipThreshold);
        }
    }

    /// <summary>The inverse: sqrt(var + eps) * clamp(x, ±5) + mean.</summary>
    public float Denormalize(float x, int j = 0) => (float)(Math.Sqrt(Variance[j] + Epsilon) * Math.Clamp(x, -ClipThreshold, ClipThreshold) + Mean[j]);
}
