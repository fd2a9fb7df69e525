namespace RlTune.Search;

/// <summary>Builds a sampler from its command-line name.</summary>
public static class Samplers
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["grid", "random", "bayesian"];

    /// <summary>
    /// The sampler called <paramref name="name"/>: <c>grid</c>, <c>random</c> or <c>bayesian</c>
    /// (<c>tpe</c> is accepted for the latter); throws <see cref="UserError"/> for anything else.
    /// </summary>
    public static ISampler Create(string name, int gridPoints = 5, long maxGridPoints = GridSampler.DefaultMaxPoints, TpeOptions? tpe = null) => name.ToLowerInvariant() switch
    {
        "grid" => new GridSampler(gridPoints, maxGridPoints),
        "random" => new RandomSampler(),
        "bayesian" or "tpe" => new TpeSampler(tpe),
        _ => throw new UserError($"--sampler: '{name}' is not a sampler (expected grid, random or bayesian)."),
    };
}
