using System.Text.RegularExpressions;
using RlTune.Trials;
using RlTune.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RlTune.Search;

/// <summary>
/// Reads MotrixLab's search-space schema through YamlDotNet's representation model, which keeps
/// line numbers, so every mistake is reported as one sentence naming file, line and field.
/// </summary>
internal static partial class SearchSpaceLoader
{
    private static readonly string[] TopLevelKeys = ["search_space_id", "description", "fixed", "ppo_params", "reward_weights", "constraints"];
    private const string NotAMapping = "the search space must be a YAML mapping with search_space_id, ppo_params, reward_weights, fixed and constraints";
    private static readonly string[] EntryKeys = ["type", "low", "high", "log", "step", "values", "choices", "prior", "category"];

    public static SearchSpace LoadFile(string path)
    {
        if (Directory.Exists(path)) throw new UserError($"{path}: is a directory; expected a search-space YAML file.");
        if (!File.Exists(path)) throw new UserError($"{path}: the search-space file does not exist.");
        return Parse(File.ReadAllText(path), path);
    }

    public static SearchSpace Parse(string yaml, string source)
    {
        var ctx = new Ctx(source);
        var root = ctx.Reader.LoadMapping(yaml, NotAMapping) ?? throw new UserError($"{source}:1: {NotAMapping}.");
        string? id = null;
        var fixedValues = new Dictionary<string, object>(StringComparer.Ordinal);
        var parameters = new List<ParamSpec>();
        var sectionOf = new Dictionary<string, (string Section, int Line)>(StringComparer.Ordinal);
        YamlNode? constraintsNode = null;
        var fixedLines = new Dictionary<string, int>(StringComparer.Ordinal);

        foreach (var (keyNode, value) in root.Children)
        {
            var key = YamlReader.Key(keyNode);
            switch (key)
            {
                case "search_space_id":
                    id = ctx.RequireString(value, "search_space_id");
                    break;
                case "description":
                    break;
                case "fixed":
                    if (IsNull(value)) break;
                    if (value is not YamlMappingNode fixedMap) throw ctx.Error(value, "fixed", "must be a mapping of parameter names to values");
                    foreach (var (k, v) in fixedMap.Children)
                    {
                        var name = YamlReader.Key(k);
                        var val = ctx.ToValue(v, $"fixed.{name}");
                        if (val is null) throw ctx.Error(v, $"fixed.{name}", "has no value (expected a number, boolean, text or list)");
                        fixedValues[name] = val;
                        fixedLines[name] = YamlReader.Line(k);
                    }
                    break;
                case "ppo_params":
                case "reward_weights":
                    if (IsNull(value)) break;
                    if (value is not YamlMappingNode section) throw ctx.Error(value, key, "must be a mapping of parameter names to entries like { type: uniform, low: 0.1, high: 1.0 }");
                    var sectionKind = key == "ppo_params" ? ParamSection.PpoParams : ParamSection.RewardWeights;
                    foreach (var (k, v) in section.Children)
                    {
                        var name = YamlReader.Key(k);
                        if (!NameRegex().IsMatch(name))
                            throw ctx.Error(k, $"{key}.{name}", "is not a valid parameter name (letters, digits and underscores, not starting with a digit)");
                        if (sectionOf.TryGetValue(name, out var first))
                            throw ctx.Error(k, $"{key}.{name}", $"is declared twice: also in {first.Section} at line {first.Line}; a parameter belongs to one section");
                        sectionOf[name] = (key, YamlReader.Line(k));
                        parameters.Add(ParseEntry(ctx, v, name, key, sectionKind));
                    }
                    break;
                case "constraints":
                    constraintsNode = value;
                    break;
                default:
                    throw ctx.Error(keyNode, key, $"is not a search-space key (expected {string.Join(", ", TopLevelKeys)})");
            }
        }

        foreach (var (name, line) in fixedLines)
            if (sectionOf.TryGetValue(name, out var s))
                throw new UserError($"{source}:{line}: fixed.{name}: is also searched in {s.Section} at line {s.Line}; a parameter is either fixed or searched.");

        var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var constraints = new List<Constraint>();
        if (constraintsNode is not null && !IsNull(constraintsNode))
        {
            if (constraintsNode is not YamlSequenceNode seq)
                throw ctx.Error(constraintsNode, "constraints", "must be a list of expressions such as \"learning_rate > 5e-4 and learning_epochs > 8\"");
            for (var i = 0; i < seq.Children.Count; i++)
            {
                var node = seq.Children[i];
                var field = $"constraints[{i + 1}]";
                if (node is not YamlScalarNode { Value: { } text })
                    throw ctx.Error(node, field, "must be an expression written as text");
                Constraint c;
                try
                {
                    c = Constraint.Parse(text, YamlReader.Line(node));
                }
                catch (ConstraintSyntaxException e)
                {
                    throw ctx.Error(node, field, $"\"{text}\" does not parse: {e.Message}");
                }
                foreach (var name in c.Names)
                {
                    if (byName.TryGetValue(name, out var spec))
                    {
                        if (spec.Kind == ParamKind.Categorical && spec.Values.Any(v => ParamValues.AsDouble(v) is null))
                            throw ctx.Error(node, field, $"\"{text}\" names '{name}', whose choices are not all numbers; constraints compare numbers and booleans only");
                    }
                    else if (fixedValues.TryGetValue(name, out var fv))
                    {
                        if (ParamValues.AsDouble(fv) is null)
                            throw ctx.Error(node, field, $"\"{text}\" names fixed '{name}', which is not a number or boolean; constraints compare numbers and booleans only");
                    }
                    else
                    {
                        throw ctx.Error(node, field, $"\"{text}\" names '{name}', which is neither a searched nor a fixed parameter");
                    }
                }
                constraints.Add(c);
            }
        }

        if (parameters.Count == 0)
            throw new UserError($"{source}:{YamlReader.Line(root)}: ppo_params, reward_weights: the space declares no parameter to search; add at least one entry to either section.");
        id ??= Path.GetFileNameWithoutExtension(source);
        return new SearchSpace(id, source, fixedValues, parameters, constraints);
    }

    private static ParamSpec ParseEntry(Ctx ctx, YamlNode node, string name, string sectionKey, ParamSection section)
    {
        var field = $"{sectionKey}.{name}";
        if (node is not YamlMappingNode entry)
            throw ctx.Error(node, field, "must be a mapping like { type: uniform, low: 0.1, high: 1.0 }");
        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (k, v) in entry.Children)
        {
            var key = YamlReader.Key(k);
            if (!EntryKeys.Contains(key))
                throw ctx.Error(k, $"{field}.{key}", $"is not an entry field (expected {string.Join(", ", EntryKeys)})");
            fields[key] = v;
        }
        if (!fields.TryGetValue("type", out var typeNode))
            throw ctx.Error(node, field, "has no type (expected uniform, loguniform, int, choice or categorical)");
        var typeName = ctx.RequireString(typeNode, $"{field}.type");
        ParamKind kind = typeName.ToLowerInvariant() switch
        {
            "uniform" or "float" => ParamKind.Uniform,
            "loguniform" or "log_uniform" => ParamKind.LogUniform,
            "int" or "integer" or "intuniform" => ParamKind.Int,
            "choice" => ParamKind.Choice,
            "categorical" => ParamKind.Categorical,
            _ => throw ctx.Error(typeNode, $"{field}.type", $"'{typeName}' is not a parameter kind (expected uniform, loguniform, int, choice or categorical)"),
        };

        string? category = fields.TryGetValue("category", out var catNode) ? ctx.RequireString(catNode, $"{field}.category") : null;
        var spec = new ParamSpec { Name = name, Kind = kind, Section = section, Category = category, Line = YamlReader.Line(node) };

        void Forbid(params string[] keys)
        {
            foreach (var k in keys)
                if (fields.TryGetValue(k, out var n))
                    throw ctx.Error(n, $"{field}.{k}", $"does not apply to a {SearchSpace.KindName(kind)} parameter");
        }

        switch (kind)
        {
            case ParamKind.Uniform:
            case ParamKind.LogUniform:
            {
                Forbid("values", "choices", "step");
                var low = ctx.RequireNumber(fields, node, field, "low");
                var high = ctx.RequireNumber(fields, node, field, "high");
                if (low >= high)
                    throw ctx.Error(fields["low"], $"{field}.low", $"low ({ParamSpec.Fmt(low)}) must be below high ({ParamSpec.Fmt(high)})");
                var log = kind == ParamKind.LogUniform;
                if (fields.TryGetValue("log", out var logNode))
                {
                    if (ctx.RequireBool(logNode, $"{field}.log")) log = true;
                    else if (kind == ParamKind.LogUniform) throw ctx.Error(logNode, $"{field}.log", "cannot be false for a loguniform parameter");
                }
                if (log && low <= 0 && high >= 0)
                    throw ctx.Error(fields["low"], $"{field}.low", $"a log range must not include or cross zero, but [{ParamSpec.Fmt(low)}, {ParamSpec.Fmt(high)}] does (both bounds must be positive, or both negative)");
                spec = spec with { Kind = log ? ParamKind.LogUniform : ParamKind.Uniform, Low = low, High = high, Log = log };
                break;
            }
            case ParamKind.Int:
            {
                Forbid("values", "choices");
                var low = ctx.RequireInteger(fields, node, field, "low");
                var high = ctx.RequireInteger(fields, node, field, "high");
                if (low >= high)
                    throw ctx.Error(fields["low"], $"{field}.low", $"low ({low}) must be below high ({high})");
                var log = fields.TryGetValue("log", out var logNode) && ctx.RequireBool(logNode, $"{field}.log");
                long step = fields.ContainsKey("step") ? ctx.RequireInteger(fields, node, field, "step") : 1;
                if (step < 1) throw ctx.Error(fields["step"], $"{field}.step", $"must be a positive integer, not {step}");
                if (log && low <= 0)
                    throw ctx.Error(fields["low"], $"{field}.low", $"a log range must not include or cross zero, but [{low}, {high}] does (low must be at least 1)");
                if (log && step != 1) throw ctx.Error(fields["step"], $"{field}.step", "cannot be combined with log: true");
                if ((high - low) % step != 0)
                    throw ctx.Error(fields["high"], $"{field}.high", $"high ({high}) must be low ({low}) plus a whole number of steps ({step})");
                spec = spec with { Low = low, High = high, Log = log, Step = step };
                break;
            }
            default:
            {
                Forbid("low", "high", "log", "step");
                var listKey = fields.ContainsKey("values") ? "values" : "choices";
                if (fields.ContainsKey("values") && fields.ContainsKey("choices"))
                    throw ctx.Error(fields["choices"], $"{field}.choices", "cannot be given together with values");
                if (!fields.TryGetValue(listKey, out var listNode))
                    throw ctx.Error(node, field, $"has no {(kind == ParamKind.Choice ? "values" : "choices")} (expected a list)");
                if (listNode is not YamlSequenceNode seq)
                    throw ctx.Error(listNode, $"{field}.{listKey}", "must be a list");
                if (seq.Children.Count == 0)
                    throw ctx.Error(listNode, $"{field}.{listKey}", "is empty; give at least one value");
                var values = seq.Children.Select((n, i) => ctx.ToValue(n, $"{field}.{listKey}[{i + 1}]")
                    ?? throw ctx.Error(n, $"{field}.{listKey}[{i + 1}]", "has no value")).ToList();
                if (kind == ParamKind.Choice)
                {
                    var kinds = values.Select(TypeWord).Distinct().ToList();
                    var numeric = kinds.All(k => k == "number");
                    if (kinds.Count > 1)
                        throw ctx.Error(listNode, $"{field}.{listKey}", $"mixes {string.Join(" and ", kinds)} values; a choice takes numbers only (use categorical for anything else)");
                    if (!numeric)
                        throw ctx.Error(listNode, $"{field}.{listKey}", $"holds {kinds[0]} values; a choice takes numbers only (use categorical for anything else)");
                    if (values.Any(v => v is double))
                        values = values.Select(v => (object)ParamValues.AsDouble(v)!.Value).ToList();
                }
                var withValues = spec with { Values = values };
                for (var i = 0; i < values.Count; i++)
                    if (withValues.IndexOf(values[i]) != i)
                            throw ctx.Error(seq.Children[i], $"{field}.{listKey}[{i + 1}]", $"repeats the value {ParamValues.Canonical(values[i])}");
                spec = spec with { Values = values };
                break;
            }
        }

        if (fields.TryGetValue("prior", out var priorNode))
        {
            var raw = ctx.ToValue(priorNode, $"{field}.prior")
                ?? throw ctx.Error(priorNode, $"{field}.prior", "has no value");
            var prior = spec.Normalize(raw);
            if (prior is null)
            {
                var expected = spec.IsIndexed ? "one of the " + (kind == ParamKind.Choice ? "values" : "choices") : "inside the range";
                throw ctx.Error(priorNode, $"{field}.prior", $"{ParamValues.Canonical(raw)} is not {expected} ({spec.Describe()})");
            }
            spec = spec with { Prior = prior };
        }
        return spec;
    }

    private static string TypeWord(object v) => v switch
    {
        double or long => "number",
        bool => "boolean",
        string => "text",
        _ => "list",
    };

    private static bool IsNull(YamlNode node) => node is YamlScalarNode s && s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NameRegex();

    private sealed class Ctx(string source)
    {
        public YamlReader Reader { get; } = new(source);

        public UserError Error(YamlNode node, string field, string what) => Reader.Error(node, field, what);

        public string RequireString(YamlNode node, string field) =>
            node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw Error(node, field, "must be a non-empty text");

        public bool RequireBool(YamlNode node, string field) =>
            ToValue(node, field) is bool b ? b : throw Error(node, field, "must be true or false");

        public double RequireNumber(Dictionary<string, YamlNode> fields, YamlNode entry, string field, string key)
        {
            if (!fields.TryGetValue(key, out var node)) throw Error(entry, field, $"has no {key} (expected a number)");
            return ToValue(node, $"{field}.{key}") is { } v and not bool && ParamValues.AsDouble(v) is { } d
                ? d
                : throw Error(node, $"{field}.{key}", "must be a number");
        }

        public long RequireInteger(Dictionary<string, YamlNode> fields, YamlNode entry, string field, string key)
        {
            if (!fields.TryGetValue(key, out var node)) throw Error(entry, field, $"has no {key} (expected an integer)");
            var v = ToValue(node, $"{field}.{key}");
            return v switch
            {
                long l => l,
                double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => (long)d,
                _ => throw Error(node, $"{field}.{key}", "must be an integer"),
            };
        }

        /// <summary>A YAML node as a parameter value (long, double, bool, string, list); null for YAML null.</summary>
        public object? ToValue(YamlNode node, string field) => Reader.Value(node, field);
    }
}
