using System.Reflection;

namespace RlTune.Search;

/// <summary>
/// The ready-made search spaces of presets/*.yaml, embedded in the library so an installed CLI
/// finds them: quick_validation_reward, quick_validation_ppo, full_unified, nav_lite_quick (the demo's), fine_tuning.
/// </summary>
public static class Presets
{
    private const string Prefix = "RlTune.Presets.";

    /// <summary>Names of the embedded presets (file names without .yaml).</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(Presets).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^".yaml".Length])
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>The YAML text of a preset; throws <see cref="UserError"/> listing the presets when the name is unknown.</summary>
    public static string Text(string name)
    {
        using var stream = typeof(Presets).Assembly.GetManifestResourceStream(Prefix + name + ".yaml")
            ?? throw new UserError($"'{name}' is not a preset (expected one of {string.Join(", ", Names)}).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>A preset's search space.</summary>
    public static SearchSpace Load(string name) => SearchSpace.Parse(Text(name), $"preset {name}");

    /// <summary>
    /// A search space given on the command line: an existing file path, else a preset name
    /// (throws <see cref="UserError"/> naming both possibilities when neither matches).
    /// </summary>
    public static SearchSpace Resolve(string pathOrPreset)
    {
        if (File.Exists(pathOrPreset)) return SearchSpace.Load(pathOrPreset);
        if (Names.Contains(pathOrPreset)) return Load(pathOrPreset);
        if (Directory.Exists(pathOrPreset)) throw new UserError($"{pathOrPreset}: is a directory; expected a search-space YAML file or a preset ({string.Join(", ", Names)}).");
        throw new UserError($"{pathOrPreset}: no such search-space file, and not a preset (presets: {string.Join(", ", Names)}).");
    }
}
