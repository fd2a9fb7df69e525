using System.Globalization;
using System.Text;
using RlTune.Trials;

namespace RlTune.Search;

/// <summary>
/// The unified search space: PPO parameters and reward weights searched together, fixed values
/// passed to every trial, and constraints that mark configurations infeasible. Load one with
/// <see cref="Load"/> or <see cref="Parse"/> (YAML, MotrixLab's schema).
/// </summary>
public sealed class SearchSpace
{
    private readonly Dictionary<string, ParamSpec> _byName;

    /// <summary>The <c>search_space_id</c> (the file name without extension when absent).</summary>
    public string Id { get; }
    /// <summary>Where the space was read from (a path, a preset name), used in messages.</summary>
    public string Source { get; }
    /// <summary>Values passed unchanged to every trial (go to the trial config's <c>rl_overrides</c>).</summary>
    public IReadOnlyDictionary<string, object> Fixed { get; }
    /// <summary>Searched parameters in file order: <c>ppo_params</c> first, then <c>reward_weights</c>.</summary>
    public IReadOnlyList<ParamSpec> Params { get; }
    /// <summary>Constraints; a configuration for which any is true is skipped.</summary>
    public IReadOnlyList<Constraint> Constraints { get; }

    /// <summary>Builds a space from parts; the caller vouches for their validity (the loader checks files).</summary>
    public SearchSpace(string id, string source, IReadOnlyDictionary<string, object> fixedValues, IReadOnlyList<ParamSpec> parameters, IReadOnlyList<Constraint> constraints)
    {
        Id = id;
        Source = source;
        Fixed = fixedValues;
        Params = parameters;
        Constraints = constraints;
        _byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    /// <summary>Reads a search-space YAML file; throws <see cref="UserError"/> naming file, line and field on any mistake.</summary>
    public static SearchSpace Load(string path) => SearchSpaceLoader.LoadFile(path);

    /// <summary>Parses search-space YAML text; <paramref name="source"/> names it in messages.</summary>
    public static SearchSpace Parse(string yaml, string source) => SearchSpaceLoader.Parse(yaml, source);

    /// <summary>The parameter of that name, or null.</summary>
    public ParamSpec? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The "defaults" configuration: every parameter at its prior, or (without a prior) at the
    /// centre of its range, or at its first value for <c>choice</c> and <c>categorical</c>.
    /// </summary>
    public Dictionary<string, object> Defaults() => Params.ToDictionary(p => p.Name, p => p.DefaultValue, StringComparer.Ordinal);

    /// <summary>The constraints this configuration breaks (empty when it is feasible).</summary>
    public IReadOnlyList<Constraint> ViolatedConstraints(IReadOnlyDictionary<string, object> config)
    {
        if (Constraints.Count == 0) return [];
        List<Constraint>? broken = null;
        foreach (var c in Constraints)
            if (c.IsViolatedBy(name => NumericValue(config, name)))
                (broken ??= []).Add(c);
        return broken ?? (IReadOnlyList<Constraint>)[];
    }

    /// <summary>True when no constraint holds for this configuration.</summary>
    public bool IsFeasible(IReadOnlyDictionary<string, object> config)
    {
        foreach (var c in Constraints)
            if (c.IsViolatedBy(name => NumericValue(config, name))) return false;
        return true;
    }

    private double NumericValue(IReadOnlyDictionary<string, object> config, string name)
    {
        if (config.TryGetValue(name, out var v) || Fixed.TryGetValue(name, out v))
            return ParamValues.AsDouble(v) ?? throw new ArgumentException($"parameter '{name}' is not numeric");
        throw new ArgumentException($"configuration has no value for '{name}'");
    }

    /// <summary>
    /// Splits a configuration into the trial config's sections: <c>rl_overrides</c> (fixed values
    /// and <c>ppo_params</c>) and <c>reward_scales</c> (<c>reward_weights</c>). Names not in the
    /// space go to <c>rl_overrides</c>.
    /// </summary>
    public (Dictionary<string, object> RlOverrides, Dictionary<string, object> RewardScales) ToTrialSections(IReadOnlyDictionary<string, object> config)
    {
        var rl = new Dictionary<string, object>(Fixed, StringComparer.Ordinal);
        var reward = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in config)
        {
            if (Find(name)?.Section == ParamSection.RewardWeights) reward[name] = value;
            else rl[name] = value;
        }
        return (rl, reward);
    }

    /// <summary>
    /// Checks a configuration given by a user (an enqueued seed configuration) against the space:
    /// every value must be valid for its parameter; parameters it leaves out take their default
    /// (<see cref="Defaults"/>). Returns the configuration with values in their parameter's type.
    /// </summary>
    /// <param name="config">Parameter name to value.</param>
    /// <param name="where">Names the origin in messages, e.g. "seeds.json, configuration 2".</param>
    public Dictionary<string, object> Complete(IReadOnlyDictionary<string, object> config, string where)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in config)
        {
            var spec = Find(name);
            if (spec is null)
            {
                if (Fixed.ContainsKey(name)) continue;
                throw new UserError($"{where}: '{name}' is not a parameter of search space '{Id}' (expected one of {string.Join(", ", Params.Select(p => p.Name))}).");
            }
            result[name] = spec.Normalize(value)
                ?? throw new UserError($"{where}: {name} = {ParamValues.Canonical(value)} is outside its domain ({spec.Describe()}).");
        }
        foreach (var p in Params)
            if (!result.ContainsKey(p.Name)) result[p.Name] = p.DefaultValue;
        return result;
    }

    /// <summary>The space as YAML in MotrixLab's schema (loads back to an equal space).</summary>
    public string ToYaml()
    {
        var sb = new StringBuilder();
        sb.Append("search_space_id: ").Append(YamlText(Id)).Append('\n');
        if (Fixed.Count > 0)
        {
            sb.Append("fixed:\n");
            foreach (var (k, v) in Fixed) sb.Append("  ").Append(k).Append(": ").Append(YamlText(v)).Append('\n');
        }
        foreach (var (section, key) in new[] { (ParamSection.PpoParams, "ppo_params"), (ParamSection.RewardWeights, "reward_weights") })
        {
            var ps = Params.Where(p => p.Section == section).ToList();
            sb.Append(key).Append(':').Append(ps.Count == 0 ? " {}\n" : "\n");
            foreach (var p in ps)
            {
                var fields = new List<string> { "type: " + KindName(p.Kind) };
                switch (p.Kind)
                {
                    case ParamKind.Uniform or ParamKind.LogUniform:
                        fields.Add("low: " + YamlText(p.Low));
                        fields.Add("high: " + YamlText(p.High));
                        break;
                    case ParamKind.Int:
                        fields.Add("low: " + YamlText((long)p.Low));
                        fields.Add("high: " + YamlText((long)p.High));
                        if (p.Step != 1) fields.Add("step: " + p.Step.ToString(CultureInfo.InvariantCulture));
                        if (p.Log) fields.Add("log: true");
                        break;
                    case ParamKind.Choice:
                        fields.Add("values: " + YamlText(p.Values.ToList()));
                        break;
                    default:
                        fields.Add("choices: " + YamlText(p.Values.ToList()));
                        break;
                }
                if (p.Prior is not null) fields.Add("prior: " + YamlText(p.Prior));
                if (p.Category is not null) fields.Add("category: " + YamlText(p.Category));
                sb.Append("  ").Append(p.Name).Append(": { ").Append(string.Join(", ", fields)).Append(" }\n");
            }
        }
        if (Constraints.Count > 0)
        {
            sb.Append("constraints:\n");
            foreach (var c in Constraints) sb.Append("  - ").Append(YamlText(c.Text)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The YAML name of a kind (<c>uniform</c>, <c>loguniform</c>, <c>int</c>, <c>choice</c>, <c>categorical</c>).</summary>
    public static string KindName(ParamKind kind) => kind switch
    {
        ParamKind.Uniform => "uniform",
        ParamKind.LogUniform => "loguniform",
        ParamKind.Int => "int",
        ParamKind.Choice => "choice",
        _ => "categorical",
    };

    // Doubles always carry '.' or an exponent so they read back as floats, not integers.
    private static string YamlText(object value) => value switch
    {
        double d => FloatText(d),
        string s => System.Text.Json.JsonSerializer.Serialize(s),
        List<object> list => "[" + string.Join(", ", list.Select(YamlText)) + "]",
        IEnumerable<object> list => "[" + string.Join(", ", list.Select(YamlText)) + "]",
        _ => ParamValues.Canonical(value),
    };

    private static string FloatText(double d)
    {
        var t = d.ToString("R", CultureInfo.InvariantCulture);
        return t.Contains('.') || t.Contains('E') ? t.Replace("E", "e") : t + ".0";
    }
}
