using System.Collections.Concurrent;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Trials;

namespace RlTune.Study;

/// <summary>The termination weight a run was trained with, for deriving its termination rate as MotrixLab does.</summary>
public static class TerminationWeights
{
    public const string Term = "termination";

    private static readonly ConcurrentDictionary<string, double?> EnvDefaults = new(StringComparer.Ordinal);

    /// <summary>The config's <c>reward_scales.termination</c>, else the built-in env's default, else (no value) why none is known.</summary>
    public static TerminationWeight Of(TrialConfig config)
    {
        if (config.RewardScales.TryGetValue(Term, out var weight)) return new(weight, "the trial's reward_scales.termination");
        if (EnvDefaults.GetOrAdd(config.EnvName, EnvDefault) is { } fallback)
            return new(fallback, $"env {config.EnvName}'s default, as the trial sets no reward_scales.termination");
        return new(null, $"the trial sets no reward_scales.termination and env '{config.EnvName}' is not built in, so its default is unknown");
    }

    private static double? EnvDefault(string env)
    {
        if (!EnvRegistry.Names.Contains(env)) return null;
        using var instance = EnvRegistry.Create(env, new EnvOptions(1));
        return instance.RewardTerms.FirstOrDefault(t => t.Name == Term)?.DefaultWeight;
    }
}
