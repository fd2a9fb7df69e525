namespace RlTune.Numerics;

/// <summary>
/// The one seeded generator of RlTune: xoshiro256** seeded through SplitMix64, with uniform,
/// integer and Gaussian draws. Ours rather than System.Random so a seed gives the same stream on
/// every .NET version and platform (resumed studies, many workers, repeatable trainings).
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    public Rng(ulong seed)
    {
        // SplitMix64 expands the seed into the four state words, as the xoshiro authors recommend
        _s0 = SplitMix64.Next(ref seed); _s1 = SplitMix64.Next(ref seed); _s2 = SplitMix64.Next(ref seed); _s3 = SplitMix64.Next(ref seed);
    }

    /// <summary>A generator for one (study seed, trial number, purpose) triple, independent of the others.</summary>
    public static Rng For(int studySeed, int trialNumber, ulong purpose)
    {
        var x = (ulong)(uint)studySeed * SplitMix64.Gamma;
        x ^= ((ulong)(uint)trialNumber + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL;
        x ^= purpose * 0x94D049BB133111EBUL;
        return new Rng(x);
    }

    /// <summary>The generator's whole state, so a paused training continues the same stream (checkpoint continuation).</summary>
    public RngState State
    {
        get => new(_s0, _s1, _s2, _s3, _spare, _hasSpare);
        set { (_s0, _s1, _s2, _s3, _spare, _hasSpare) = (value.S0, value.S1, value.S2, value.S3, value.Spare, value.HasSpare); }
    }

    public ulong NextULong()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)((NextULong() >> 33) * (ulong)n >> 31);

    /// <summary>Standard normal (Marsaglia polar; the second value of each pair is kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f; _hasSpare = true;
        return u * f;
    }

    public void FillGaussian(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)NextGaussian();
    }

    /// <summary>Fisher-Yates shuffle of 0..n-1 into <paramref name="indices"/>.</summary>
    public void Permutation(Span<int> indices)
    {
        for (int i = 0; i < indices.Length; i++) indices[i] = i;
        for (int i = indices.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
    }
}

/// <summary>The state of an <see cref="Rng"/>: xoshiro's four words and the kept second Gaussian.</summary>
public readonly record struct RngState(ulong S0, ulong S1, ulong S2, ulong S3, double Spare, bool HasSpare);

/// <summary>SplitMix64 (Steele, Lea, Flood 2014): the seeding step of <see cref="Rng"/> and a cheap counter-based stream per env.</summary>
public static class SplitMix64
{
    /// <summary>The golden-ratio increment between successive states.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>Advances <paramref name="state"/> and returns its mixed value.</summary>
    public static ulong Next(ref ulong state) => Mix(state += Gamma);

    /// <summary>The finaliser: a bijective mix of all 64 bits.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
