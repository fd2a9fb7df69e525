using System.Text.Json.Nodes;

namespace RlTune.Envs.Builtin;

/// <summary>
/// What a study on an env starts from when it names no space or steps: a preset on the env's own
/// reward scale, and the env steps a trial (and the final training) needs to learn the task.
/// </summary>
public sealed record EnvStudyDefaults(string Preset, long StepsPerTrial, long FullTrainSteps);

/// <summary>The built-in environments by name (a namespace above the envs, which build on RlTune.Envs and do not know the registry).</summary>
public static class EnvRegistry
{
    private static readonly Dictionary<string, Func<EnvOptions, IVecEnv>> Factories = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, JsonObject> RlDefaults = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, EnvStudyDefaults> StudyDefaultsByEnv = new(StringComparer.Ordinal);

    static EnvRegistry() => BuiltinEnvs.RegisterAll();

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static void Register(string name, Func<EnvOptions, IVecEnv> factory) => Factories[name] = factory;

    /// <summary>
    /// Registers an env with its recommended PPO settings (rl_overrides keys), which the built-in
    /// trainer applies under a trial's own rl_overrides: the trial's value wins.
    /// </summary>
    public static void Register(string name, Func<EnvOptions, IVecEnv> factory, JsonObject defaultRlOverrides)
    {
        Factories[name] = factory;
        RlDefaults[name] = defaultRlOverrides;
    }

    public static void SetStudyDefaults(string name, EnvStudyDefaults defaults) => StudyDefaultsByEnv[name] = defaults;

    /// <summary>The env's own study defaults; null for an env without them (or not built in).</summary>
    public static EnvStudyDefaults? StudyDefaults(string name) => StudyDefaultsByEnv.GetValueOrDefault(name);

    /// <summary>A copy of the env's recommended PPO settings; null for an env without any (or not built in).</summary>
    public static JsonObject? DefaultRlOverrides(string name) =>
        RlDefaults.TryGetValue(name, out var o) ? (JsonObject)o.DeepClone() : null;

    public static IVecEnv Create(string name, EnvOptions options) =>
        Factories.TryGetValue(name, out var f)
            ? f(options)
            : throw new UserError($"unknown environment '{name}'; known environments: {string.Join(", ", Factories.Keys.Order())}.");
}
