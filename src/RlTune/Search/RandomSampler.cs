using RlTune.Numerics;
using RlTune.Trials;

namespace RlTune.Search;

/// <summary>
/// Independent uniform draws (log-uniform for log kinds, uniform over the values of discrete
/// kinds), reproducible from the study seed and the trial number; infeasible draws are redrawn.
/// </summary>
public sealed class RandomSampler : ISampler
{
    /// <inheritdoc />
    public string Name => "random";

    /// <inheritdoc />
    public Suggestion? Suggest(SearchSpace space, IReadOnlyList<TrialRecord> history, SamplerContext context)
    {
        var rng = Rng.For(context.StudySeed, context.TrialNumber, purpose: 1);
        return new Suggestion(DrawFeasible(space, rng));
    }

    /// <summary>Draws until a candidate satisfies the constraints (bounded; throws <see cref="UserError"/> naming the worst constraints).</summary>
    internal static Dictionary<string, object> DrawFeasible(SearchSpace space, Rng rng)
    {
        var tally = new FeasibilityTally(space);
        while (tally.Tries < FeasibilityTally.MaxTries)
        {
            var candidate = Draw(space, rng);
            if (tally.Accept(candidate)) return candidate;
        }
        throw tally.NoFeasibleConfiguration();
    }

    private static readonly TransformOptions Natural = new();

    /// <summary>One uniform draw of every parameter, constraints not applied.</summary>
    internal static Dictionary<string, object> Draw(SearchSpace space, Rng rng)
    {
        var config = new Dictionary<string, object>(space.Params.Count, StringComparer.Ordinal);
        foreach (var p in space.Params)
            config[p.Name] = new ParamAxis(p, Natural).DrawValue(rng);
        return config;
    }
}
