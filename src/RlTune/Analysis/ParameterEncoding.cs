using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>How one parameter becomes a surrogate feature.</summary>
public sealed record EncodedParameter(string Name, FeatureDomain Domain, ParamSpec? Spec, IReadOnlyList<object> Categories, bool LogScale)
{
    /// <summary>The value from a feature coordinate (category index or continuous coordinate).</summary>
    public double Encode(object value)
    {
        if (Domain.IsCategorical)
        {
            var key = ParamValues.Canonical(value);
            for (var i = 0; i < Categories.Count; i++)
                if (ParamValues.Canonical(Categories[i]) == key) return i;
            throw new ArgumentException($"value {key} of {Name} is not one of its categories");
        }
        if (Spec is not null) return Spec.ToInternal(Spec.Normalize(value)!);
        var d = ParamValues.AsDouble(value) ?? throw new ArgumentException($"value of {Name} is not numeric");
        return LogScale ? Math.Log(d) : d;
    }
}

/// <summary>
/// Turns trial configurations into surrogate rows. With the study's search space, each parameter
/// uses the coordinate it is sampled on (log for log-uniform, the index for <c>choice</c>, a
/// category for <c>categorical</c>) over its declared range; without it, the kind is inferred
/// from the values seen. Parameters that never vary are left out (they explain nothing).
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
        Parameters.Select(p => p.Encode(Value(config, p.Name, p.Spec))).ToArray();

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

    private static EncodedParameter FromSpec(ParamSpec spec)
    {
        if (spec.Kind == ParamKind.Categorical && spec.Values.Count <= FeatureDomain.MaxCategories)
            return new EncodedParameter(spec.Name, new FeatureDomain(spec.Name, 0, spec.Values.Count - 1, spec.Values.Count), spec, spec.Values, false);
        // choice (ordered numbers) and long categoricals use the index coordinate, like the samplers
        return new EncodedParameter(spec.Name, new FeatureDomain(spec.Name, spec.InternalLow, spec.InternalHigh), spec, [], spec.Kind == ParamKind.LogUniform || spec.Log);
    }

    private static EncodedParameter Infer(string name, IReadOnlyList<object> values)
    {
        var numeric = values.All(v => v is not bool && ParamValues.AsDouble(v) is not null);
        if (numeric)
        {
            var xs = values.Select(v => ParamValues.AsDouble(v)!.Value).ToList();
            double min = xs.Min(), max = xs.Max();
            // Without the space, a positive range spanning 20x or more is taken to be sampled on a log scale (learning rates, entropy scales).
            var log = min > 0 && max / min >= 20;
            return log
                ? new EncodedParameter(name, new FeatureDomain(name, Math.Log(min), Math.Log(max)), null, [], true)
                : new EncodedParameter(name, new FeatureDomain(name, min, max), null, [], false);
        }
        var categories = values.GroupBy(ParamValues.Canonical).Select(g => g.First()).OrderBy(ParamValues.Canonical, StringComparer.Ordinal).ToList();
        if (categories.Count > FeatureDomain.MaxCategories)
            throw new UserError($"parameter '{name}' has {categories.Count} distinct non-numeric values; importance supports at most {FeatureDomain.MaxCategories}.");
        return new EncodedParameter(name, new FeatureDomain(name, 0, categories.Count - 1, categories.Count), null, categories, false);
    }
}
