using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>
/// How one parameter becomes a surrogate feature: its <see cref="ParamAxis"/> in the natural layout (the
/// coordinate it is sampled on), declared in the study's space or, when <paramref name="Declared"/> is false,
/// inferred from the values seen.
/// </summary>
public sealed record EncodedParameter(string Name, FeatureDomain Domain, ParamAxis Axis, bool Declared)
{
    /// <summary>The feature coordinate of a value (category index or continuous coordinate).</summary>
    public double Encode(object value) => Axis.Natural(Axis.Spec.Normalize(value)
        ?? throw new ArgumentException($"value {ParamValues.Canonical(value)} of {Name} is outside its domain ({Axis.Spec.Describe()})"));
}

/// <summary>
/// Turns trial configurations into surrogate rows through <see cref="SpaceTransform"/>'s axes. With the
/// study's search space, each parameter uses the coordinate it is sampled on (log for log-uniform, the
/// position for <c>choice</c>, a category for <c>categorical</c>) over its declared range; without it, the
/// kind is inferred from the values seen. Parameters that never vary are left out (they explain nothing).
/// </summary>
public sealed class ParameterEncoding
{
    public IReadOnlyList<EncodedParameter> Parameters { get; }
    /// <summary>Parameters seen but constant across the trials (importance 0 by construction).</summary>
    public IReadOnlyList<string> Constant { get; }

    private ParameterEncoding(IReadOnlyList<EncodedParameter> parameters, IReadOnlyList<string> constant)
    {
        Parameters = parameters;
        Constant = constant;
    }

    public IReadOnlyList<FeatureDomain> Domains => Parameters.Select(p => p.Domain).ToList();

    public double[] Encode(IReadOnlyDictionary<string, object> config) =>
        Parameters.Select(p => p.Encode(Value(config, p.Name, p.Declared ? p.Axis.Spec : null))).ToArray();

    private static object Value(IReadOnlyDictionary<string, object> config, string name, ParamSpec? spec) =>
        config.TryGetValue(name, out var v) ? v
        : spec?.DefaultValue ?? throw new ArgumentException($"configuration lacks parameter {name}");

    /// <summary>Names of the parameters to analyse: the space's, in file order; else every name all configurations share, in first-seen order.</summary>
    public static ParameterEncoding Fit(IReadOnlyList<IReadOnlyDictionary<string, object>> configs, SearchSpace? space)
    {
        var names = new List<string>();
        if (space is not null)
            names.AddRange(space.Params.Select(p => p.Name).Where(n => configs.Any(c => c.ContainsKey(n))));
        var seen = new HashSet<string>(names, StringComparer.Ordinal);
        foreach (var c in configs)
            foreach (var n in c.Keys)
                if (!seen.Contains(n) && configs.All(o => o.ContainsKey(n)))
                {
                    seen.Add(n);
                    names.Add(n);
                }

        var encoded = new List<EncodedParameter>();
        var constant = new List<string>();
        foreach (var name in names)
        {
            var spec = space?.Find(name);
            // A spec only helps when every stored value is valid for it (the space may have changed since).
            if (spec is not null && configs.Any(c => c.TryGetValue(name, out var v) && spec.Normalize(v) is null)) spec = null;
            var values = configs.Select(c => Value(c, name, spec)).ToList();
            var distinct = values.Select(ParamValues.Canonical).Distinct().Count();
            if (distinct < 2)
            {
                constant.Add(name);
                continue;
            }
            encoded.Add(spec is not null ? FromSpec(spec) : Infer(name, values));
        }
        return new ParameterEncoding(encoded, constant);
    }

    // Categoricals are categories up to the forest's limit; choices (ordered numbers) and longer categoricals are positions, as the samplers see them.
    private static EncodedParameter FromSpec(ParamSpec spec, bool declared = true)
    {
        var layout = new TransformOptions { Categoricals = spec.Values.Count <= FeatureDomain.MaxCategories ? DiscreteLayout.Category : DiscreteLayout.Ordinal };
        var axis = new ParamAxis(spec, layout);
        return new EncodedParameter(spec.Name, new FeatureDomain(spec.Name, axis.Low, axis.High, axis.IsNumeric ? 0 : spec.Values.Count), axis, declared);
    }

    // Without the space, the parameter is read as if declared with the kind its values suggest (undeclared names go to rl_overrides, as ppo_params do).
    private static EncodedParameter Infer(string name, IReadOnlyList<object> values)
    {
        var numeric = values.All(v => v is not bool && ParamValues.AsDouble(v) is not null);
        if (numeric)
        {
            var xs = values.Select(v => ParamValues.AsDouble(v)!.Value).ToList();
            double min = xs.Min(), max = xs.Max();
            // a positive range spanning 20x or more is taken to be sampled on a log scale (learning rates, entropy scales)
            var log = min > 0 && max / min >= 20;
            return FromSpec(new ParamSpec { Name = name, Section = ParamSection.PpoParams, Kind = log ? ParamKind.LogUniform : ParamKind.Uniform, Low = min, High = max, Log = log }, declared: false);
        }
        var categories = values.GroupBy(ParamValues.Canonical).Select(g => g.First()).OrderBy(ParamValues.Canonical, StringComparer.Ordinal).ToList();
        if (categories.Count > FeatureDomain.MaxCategories)
            throw new UserError($"parameter '{name}' has {categories.Count} distinct non-numeric values; importance supports at most {FeatureDomain.MaxCategories}.");
        return FromSpec(new ParamSpec { Name = name, Section = ParamSection.PpoParams, Kind = ParamKind.Categorical, Values = categories }, declared: false);
    }
}
