namespace RlTune.Search;

/// <summary>The sampler registry: every sampler by its command-line name.</summary>
public static class Samplers
{
    private static readonly Dictionary<string, Func<SamplerOptions, ISampler>> Registry = new(StringComparer.OrdinalIgnoreCase)
    {
        ["grid"] = o => new GridSampler(o.GridPoints, o.MaxGridPoints),
        ["random"] = _ => new RandomSampler(),
        ["bayesian"] = o => new GpSampler(o.WarmupTrials is { } w ? new GpOptions { WarmupTrials = w } : null),
        ["tpe"] = o => new TpeSampler(o.WarmupTrials is { } w ? new TpeOptions { WarmupTrials = w } : null),
    };

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Registry.Keys];

    /// <summary>"grid, random, bayesian or tpe": the names for a message.</summary>
    public static string NamesText => string.Join(", ", Names.SkipLast(1)) + " or " + Names[^1];

    public static bool IsKnown(string name) => Registry.ContainsKey(name);

    /// <summary>
    /// The sampler called <paramref name="name"/>: <c>grid</c>, <c>random</c>, <c>bayesian</c>
    /// (GP-EI, <see cref="GpSampler"/>) or <c>tpe</c> (multivariate TPE, <see cref="TpeSampler"/>);
    /// throws <see cref="UserError"/> for anything else.
    /// </summary>
    /// <param name="name">The sampler's name.</param>
    /// <param name="gridPoints">Values per float parameter on a grid.</param>
    /// <param name="maxGridPoints">Largest grid accepted.</param>
    /// <param name="warmupTrials">Random trials before a model sampler (bayesian, tpe) uses its model; null: its default.</param>
    public static ISampler Create(string name, int gridPoints = 5, long maxGridPoints = GridSampler.DefaultMaxPoints, int? warmupTrials = null) =>
        Registry.TryGetValue(name, out var make)
            ? make(new SamplerOptions(gridPoints, maxGridPoints, warmupTrials))
            : throw new UserError($"--search-method: '{name}' is not a sampler (expected {NamesText}).");

    private sealed record SamplerOptions(int GridPoints, long MaxGridPoints, int? WarmupTrials);
}
