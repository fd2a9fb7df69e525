namespace RlTune.Learning;

/// <summary>Generalised advantage estimation over a rollout stored step-major ([steps x envs]), as skrl computes it.</summary>
public static class Gae
{
    /// <summary>
    /// δ_t = r_t + γ·(1 - done_t)·V_{t+1} - V_t;  A_t = δ_t + γλ·(1 - done_t)·A_{t+1};  R_t = A_t + V_t.
    /// V_{T} is <paramref name="lastValues"/>; a done step cuts the bootstrap (time-limit ends were
    /// already credited with γ·V(final observation) in their reward).
    /// </summary>
    public static void Compute(ReadOnlySpan<float> rewards, ReadOnlySpan<byte> dones, ReadOnlySpan<float> values,
        ReadOnlySpan<float> lastValues, int envs, double gamma, double lambda, Span<float> advantages, Span<float> returns)
    {
        int steps = rewards.Length / envs;
        for (int e = 0; e < envs; e++)
        {
            double advantage = 0, nextValue = lastValues[e];
            for (int t = steps - 1; t >= 0; t--)
            {
                int i = t * envs + e;
                double notDone = dones[i] != 0 ? 0 : 1;
                advantage = rewards[i] - values[i] + gamma * notDone * (nextValue + lambda * advantage);
                advantages[i] = (float)advantage;
                returns[i] = (float)(advantage + values[i]);
                nextValue = values[i];
            }
        }
    }

    /// <summary>(a - mean) / (std + 1e-8) over the whole rollout, std unbiased as torch's.</summary>
    public static void Normalize(Span<float> advantages)
    {
        double sum = 0;
        foreach (float a in advantages) sum += a;
        double mean = sum / advantages.Length, m2 = 0;
        foreach (float a in advantages) m2 += (a - mean) * (a - mean);
        double std = advantages.Length > 1 ? Math.Sqrt(m2 / (advantages.Length - 1)) : 0;
        float scale = (float)(1 / (std + 1e-8)), shift = (float)mean;
        for (int i = 0; i < advantages.Length; i++) advantages[i] = (advantages[i] - shift) * scale;
    }
}
