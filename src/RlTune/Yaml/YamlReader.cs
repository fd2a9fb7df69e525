using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RlTune.Yaml;

/// <summary>
/// The one reader of RlTune's YAML files (search spaces, study settings): loads a document through
/// YamlDotNet's representation model, which keeps line numbers, turns scalars into typed values by
/// YAML's core schema, and words every mistake as one sentence naming file, line and field.
/// </summary>
public sealed partial class YamlReader(string source)
{
    public string Source => source;

    /// <summary>The document's root mapping; null for an empty document. Bad YAML or another root is a <see cref="UserError"/>.</summary>
    public YamlMappingNode? LoadMapping(string yaml, string expected) =>
        LoadRoot(yaml) is not { } root ? null : root as YamlMappingNode ?? throw new UserError($"{source}:1: {expected}.");

    /// <summary>The document's root node; null for an empty document. Bad YAML is a <see cref="UserError"/>.</summary>
    public YamlNode? LoadRoot(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new UserError($"{source}:{e.Start.Line}: the file is not valid YAML ({OneLine(e.InnerException?.Message ?? e.Message)}).");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up this way on some unclosed flow collections
            throw new UserError($"{source}: the file is not valid YAML (the parser stopped; check that every '{{' and '[' is closed).");
        }
        catch (ArgumentException e)
        {
            // YamlDotNet's mapping node reports a repeated key this way
            throw new UserError($"{source}: a key appears twice in one mapping ({OneLine(e.Message)}).");
        }
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    public UserError Error(YamlNode node, string field, string what) => new($"{source}:{Line(node)}: {field}: {what}.");

    public static int Line(YamlNode node) => (int)node.Start.Line;

    /// <summary>A mapping's key as text.</summary>
    public static string Key(YamlNode keyNode) => (keyNode as YamlScalarNode)?.Value ?? "";

    /// <summary>A node as the user wrote it, for an error message.</summary>
    public static string Show(YamlNode node) => node is YamlScalarNode s ? $"'{s.Value}'" : node.NodeType.ToString().ToLowerInvariant();

    /// <summary>A node as a value (long, double, bool, string, list of values); null for YAML null. A mapping is refused.</summary>
    public object? Value(YamlNode node, string field)
    {
        switch (node)
        {
            case YamlSequenceNode seq:
                return seq.Children.Select((n, i) => Value(n, $"{field}[{i + 1}]") ?? throw Error(n, $"{field}[{i + 1}]", "has no value")).ToList();
            case YamlMappingNode:
                throw Error(node, field, "must be a number, boolean, text or list, not a mapping");
            case YamlScalarNode s:
                return Scalar(s, field);
            default:
                throw Error(node, field, "is not a value");
        }
    }

    /// <summary>A node as JSON (mappings included), scalars typed as <see cref="Value"/> types them.</summary>
    public JsonNode? Json(YamlNode node, string field) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(Key(kv.Key), Json(kv.Value, $"{field}.{Key(kv.Key)}")))),
        YamlSequenceNode s => new JsonArray(s.Children.Select((n, i) => Json(n, $"{field}[{i + 1}]")).ToArray()),
        YamlScalarNode sc => Scalar(sc, field) switch
        {
            null => null,
            bool b => JsonValue.Create(b),
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            var t => JsonValue.Create((string)t),
        },
        _ => null,
    };

    private object? Scalar(YamlScalarNode s, string field)
    {
        var text = s.Value ?? "";
        if (s.Style != ScalarStyle.Plain) return text;
        if (text is "" or "~" or "null" or "Null" or "NULL") return null;
        if (text is "true" or "True" or "TRUE") return true;
        if (text is "false" or "False" or "FALSE") return false;
        if (IntRegex().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (FloatRegex().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return d;
        if (text.Equals(".inf", StringComparison.OrdinalIgnoreCase) || text.Equals("-.inf", StringComparison.OrdinalIgnoreCase) || text.Equals(".nan", StringComparison.OrdinalIgnoreCase))
            throw Error(s, field, "must be a finite number");
        return text;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").TrimEnd('.');

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntRegex();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatRegex();
}
