using RlTune.Learning;

namespace RlTune.Tests.Learning;

public sealed class GaeTests
{
    [Fact]
    public void MatchesHandComputedExample()
    {
        // one env, three steps, γ = 0.9, λ = 0.8, episode ends after step 1:
        // t=2: δ = 1 + 0.9·4 - 3 = 1.6 → A = 1.6
        // t=1: done, δ = 0 - 2 = -2 → A = -2
        // t=0: δ = 1 + 0.9·2 - 1 = 1.8, A = 1.8 + 0.72·(-2) = 0.36
        float[] rewards = [1, 0, 1], values = [1, 2, 3], last = [4];
        byte[] dones = [0, 1, 0];
        var adv = new float[3];
        var ret = new float[3];
        Gae.Compute(rewards, dones, values, last, 1, 0.9, 0.8, adv, ret);
        Assert.Equal([0.36f, -2f, 1.6f], adv.Select(a => MathF.Round(a, 5)).ToArray());
        Assert.Equal([1.36f, 0f, 4.6f], ret.Select(a => MathF.Round(a, 5)).ToArray());
    }

    [Fact]
    public void EnvsAreIndependentInStepMajorLayout()
    {
        // two envs interleaved [t0e0, t0e1, t1e0, t1e1]; env 1 terminates at t0
        float[] rewards = [1, 5, 1, 7], values = [0, 0, 0, 0], last = [10, 100];
        byte[] dones = [0, 1, 0, 0];
        var adv = new float[4];
        var ret = new float[4];
        Gae.Compute(rewards, dones, values, last, 2, 0.5, 1.0, adv, ret);
        // env 0: A1 = 1 + 0.5·10 = 6, A0 = 1 + 0.5·(0 + 6) = 4; env 1: A1 = 7 + 50 = 57, A0 = 5 (done)
        Assert.Equal([4f, 5f, 6f, 57f], adv);
    }

    [Fact]
    public void NormalizeGivesZeroMeanUnitStd()
    {
        float[] a = [1, 2, 3, 4];
        Gae.Normalize(a);
        Assert.Equal(0, a.Average(), 5);
        double std = Math.Sqrt(a.Sum(x => x * x) / 3);
        Assert.Equal(1, std, 4);
    }
}
