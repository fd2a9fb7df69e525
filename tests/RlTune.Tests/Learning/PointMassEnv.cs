using RlTune.Envs;
using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Tests.Learning;

/// <summary>
/// A tiny continuous-control task for PPO tests: a 2-D point mass pushed by a force must reach
/// the origin. Reward -|position| per step; leaving the radius-3 disc terminates with -50; the
/// episode is truncated after <see cref="MaxEpisodeSteps"/> steps.
/// </summary>
internal sealed class PointMassEnv : IVecEnv
{
    private const float Dt = 0.1f;
    private readonly float[] _obs, _final, _returns;
    private readonly int[] _lengths;
    private readonly bool[] _fellLast; // how each env's last ended episode ended
    private Rng _rng = new(0);
    private int _episodes, _terminations;
    private double _returnSum, _returnSq, _lengthSum;

    private long _steps;

    /// <summary>After this many vectorised steps every reward is NaN (to test divergence handling); 0: never.</summary>
    public long NanAfterSteps { get; init; }

    public PointMassEnv(int envs, int maxEpisodeSteps = 40)
    {
        NumEnvs = envs;
        MaxEpisodeSteps = maxEpisodeSteps;
        _obs = new float[envs * 4];
        _final = new float[envs * 4];
        _returns = new float[envs];
        _lengths = new int[envs];
        _fellLast = new bool[envs];
    }

    public string Name => "point-mass";
    public int NumEnvs { get; }
    public int ObsDim => 4;
    public int ActDim => 2;
    public int MaxEpisodeSteps { get; }
    public IReadOnlyList<RewardTermInfo> RewardTerms { get; } = [new("distance", RewardTermKind.Penalty, 1, 3, "navigation", "-|position|")];
    public ReadOnlySpan<float> Observations => _obs;
    public ReadOnlySpan<float> FinalObservations => _final;

    public void Reset(int seed)
    {
        _rng = new Rng((ulong)seed);
        for (int e = 0; e < NumEnvs; e++) ResetOne(e);
        DrainEpisodes();
    }

    private void ResetOne(int e)
    {
        _obs[e * 4] = (float)(4 * _rng.NextDouble() - 2);
        _obs[e * 4 + 1] = (float)(4 * _rng.NextDouble() - 2);
        _obs[e * 4 + 2] = 0;
        _obs[e * 4 + 3] = 0;
        _returns[e] = 0;
        _lengths[e] = 0;
    }

    public void Step(ReadOnlySpan<float> actions, Span<float> rewards, Span<bool> terminated, Span<bool> truncated)
    {
        for (int e = 0; e < NumEnvs; e++)
        {
            var s = _obs.AsSpan(e * 4, 4);
            float ax = Math.Clamp(actions[e * 2], -1f, 1f), ay = Math.Clamp(actions[e * 2 + 1], -1f, 1f);
            s[2] = 0.9f * s[2] + ax * Dt * 5;
            s[3] = 0.9f * s[3] + ay * Dt * 5;
            s[0] += s[2] * Dt;
            s[1] += s[3] * Dt;
            float dist = MathF.Sqrt(s[0] * s[0] + s[1] * s[1]);
            bool fell = dist > 3;
            float r = fell ? -50f : -dist;
            if (NanAfterSteps > 0 && _steps >= NanAfterSteps) r = float.NaN;
            rewards[e] = r;
            _returns[e] += r;
            _lengths[e]++;
            terminated[e] = fell;
            truncated[e] = !fell && _lengths[e] >= MaxEpisodeSteps;
            if (terminated[e] || truncated[e])
            {
                s.CopyTo(_final.AsSpan(e * 4, 4));
                _fellLast[e] = fell;
                _episodes++;
                if (fell) _terminations++;
                _returnSum += _returns[e]; _returnSq += (double)_returns[e] * _returns[e]; _lengthSum += _lengths[e];
                ResetOne(e);
            }
        }
        _steps++;
    }

    public EpisodeReport DrainEpisodes()
    {
        int n = _episodes;
        double mean = n > 0 ? _returnSum / n : 0;
        var report = new EpisodeReport(n, mean, n > 0 ? Math.Sqrt(Math.Max(0, _returnSq / n - mean * mean)) : 0, n > 0 ? _lengthSum / n : 0,
            new Dictionary<string, double> { ["distance"] = mean },
            new Dictionary<string, double> { ["fall"] = n > 0 ? (double)_terminations / n : 0 });
        _episodes = 0; _terminations = 0; _returnSum = 0; _returnSq = 0; _lengthSum = 0;
        return report;
    }

    public IReadOnlyList<string> EpisodeMetricNames { get; } = ["fall"];

    public void FinalEpisodeMetrics(int env, Span<double> values) => values[0] = _fellLast[env] ? 1 : 0;

    public void Dispose() { }
}
