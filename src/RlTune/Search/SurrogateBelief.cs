namespace RlTune.Search;

/// <summary>
/// The bayesian sampler's surrogate (a GP with a fitted noise term, <see cref="GaussianProcess"/>) fitted on
/// every seed's score, read at configurations: its posterior mean shrinks a lucky single run toward what its
/// neighbours and its own repeats say, which is a better guess of a configuration's worth than that run alone.
/// </summary>
public static class SurrogateBelief
{
    /// <summary>Above this many seed runs the fit costs more than the guess is worth; the callers fall back to the plain mean.</summary>
    public const int MaxPoints = 300;

    /// <summary>
    /// The posterior mean at a configuration, fitted on <paramref name="observations"/> (a configuration and one
    /// seed's score each, repeats included); null when there are fewer than 3, more than <see cref="MaxPoints"/>,
    /// or none the space can encode.
    /// </summary>
    public static Func<IReadOnlyDictionary<string, object>, double?>? Fit(SearchSpace space, IEnumerable<(IReadOnlyDictionary<string, object> Params, double Score)> observations, int fitSteps = 30)
    {
        var enc = new SpaceTransform(space, TransformOptions.GaussianProcess);
        var points = observations.Select(o => (Config: enc.Normalize(o.Params), o.Score)).Where(o => o.Config is not null && double.IsFinite(o.Score)).ToList();
        if (points.Count < 3 || points.Count > MaxPoints) return null;
        var gp = GaussianProcess.Fit(points.Select(p => enc.Encode(p.Config!)).ToArray(), points.Select(p => p.Score).ToArray(), enc.Groups, fitSteps);
        var scratch = new double[points.Count];
        return parameters => enc.Normalize(parameters) is { } config ? gp.Predict(enc.Encode(config), scratch).Mean : null;
    }
}
