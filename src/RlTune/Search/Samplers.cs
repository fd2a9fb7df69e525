namespace RlTune.Search;

/// <summary>Builds a sampler from its command-line name.</summary>
public static class Samplers
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["grid", "random", "bayesian", "tpe"];

    /// <summary>
    /// The sampler called <paramref name="name"/>: <c>grid</c>, <c>random</c>, <c>bayesian</c>
    /// (GP-EI, <see cref="GpSampler"/>; <c>gp</c> is accepted too) or <c>tpe</c> (multivariate
    /// TPE, <see cref="TpeSampler"/>); throws <see cref="UserError"/> for anything else.
    /// </summary>
    public static ISampler Create(string name, int gridPoints = 5, long maxGridPoints = GridSampler.DefaultMaxPoints, GpOptions? gp = null, TpeOptions? tpe = null) => name.ToLowerInvariant() switch
    {
        "grid" => new GridSampler(gridPoints, maxGridPoints),
        "random" => new RandomSampler(),
        "bayesian" or "gp" => new GpSampler(gp),
        "tpe" => new TpeSampler(tpe),
        _ => throw new UserError($"--sampler: '{name}' is not a sampler (expected grid, random, bayesian or tpe)."),
    };
}
