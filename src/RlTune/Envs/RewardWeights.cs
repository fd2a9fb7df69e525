namespace RlTune.Envs;

/// <summary>Turns a trial's <c>reward_scales</c> into an env's weight vector, in the env's term order.</summary>
public static class RewardWeights
{
    /// <summary>
    /// The defaults of <paramref name="terms"/>, replaced by any entry of <paramref name="scales"/>.
    /// A name the env lacks is the user's mistake and lists the env's names.
    /// </summary>
    public static float[] Resolve(IReadOnlyList<RewardTermInfo> terms, IReadOnlyDictionary<string, double>? scales, string envName)
    {
        var weights = terms.Select(t => (float)t.DefaultWeight).ToArray();
        if (scales is null) return weights;
        foreach (var (name, value) in scales)
        {
            int index = IndexOf(terms, name);
            if (index < 0)
                throw new UserError($"reward_scales.{name}: environment '{envName}' has no reward term '{name}'; its terms are: {string.Join(", ", terms.Select(t => t.Name))}.");
            if (!double.IsFinite(value))
                throw new UserError($"reward_scales.{name}: expected a finite number, got {value}.");
            weights[index] = (float)value;
        }
        return weights;
    }

    public static int IndexOf(IReadOnlyList<RewardTermInfo> terms, string name)
    {
        for (int i = 0; i < terms.Count; i++)
            if (string.Equals(terms[i].Name, name, StringComparison.Ordinal)) return i;
        return -1;
    }
}
