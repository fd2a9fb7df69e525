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
    /// <param name="name">The sampler's name.</param>
    /// <param name="gridPoints">Values per float parameter on a grid.</param>
    /// <param name="maxGridPoints">Largest grid accepted.</param>
    /// <param name="gp">Options of the bayesian sampler (defaults when null).</param>
    /// <param name="tpe">Options of the tpe sampler (defaults when null).</param>
    /// <param name="warmupTrials">Random trials before a model sampler uses its model; overrides the options' value
    /// (when only <paramref name="tpe"/> is given, its warm-up also applies to bayesian).</param>
    public static ISampler Create(string name, int gridPoints = 5, long maxGridPoints = GridSampler.DefaultMaxPoints, GpOptions? gp = null, TpeOptions? tpe = null, int? warmupTrials = null)
    {
        var warmup = warmupTrials ?? (gp is null ? tpe?.WarmupTrials : null);
        return name.ToLowerInvariant() switch
        {
            "grid" => new GridSampler(gridPoints, maxGridPoints),
            "random" => new RandomSampler(),
            "bayesian" or "gp" => new GpSampler(warmup is { } w ? (gp ?? new GpOptions()) with { WarmupTrials = w } : gp),
            "tpe" => new TpeSampler(warmupTrials is { } t ? (tpe ?? new TpeOptions()) with { WarmupTrials = t } : tpe),
            _ => throw new UserError($"--sampler: '{name}' is not a sampler (expected grid, random, bayesian or tpe)."),
        };
    }
}
