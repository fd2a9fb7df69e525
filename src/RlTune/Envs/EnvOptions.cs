using System.Text.Json.Nodes;

namespace RlTune.Envs;

/// <summary>What every env is built from: batch size, reward weights, overrides and threads.</summary>
public sealed record EnvOptions(int NumEnvs, IReadOnlyDictionary<string, double>? RewardScales = null, JsonObject? Overrides = null, int Threads = 1);
