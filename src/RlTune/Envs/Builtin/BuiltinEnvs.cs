using System.Text.Json.Nodes;
using RlTune.Envs.VbotNav;
using RlTune.Envs.VbotNavLite;

namespace RlTune.Envs.Builtin;

/// <summary>Registers the environments that ship with RlTune (called once by <see cref="EnvRegistry"/>).</summary>
public static class BuiltinEnvs
{
    /// <summary>
    /// vbot-nav-lite's recommended PPO settings (how they were measured: docs/vbot-nav-lite.md). Keys the
    /// trial config's rl_overrides does not set keep these; the rest keep PpoConfig's (MotrixLab's) defaults.
    /// </summary>
    public static JsonObject NavLiteRlDefaults() => new()
    {
        ["policy_hidden_layer_sizes"] = new JsonArray(128, 64),
        ["value_hidden_layer_sizes"] = new JsonArray(256, 128),
        ["num_envs"] = 1024,
        ["learning_epochs"] = 4,
        ["mini_batches"] = 16,
        // half MotrixLab's 0.008: at 0.008 the KL-adaptive rate climbed high enough that policies unlearned stopping
        ["kl_threshold"] = 0.004,
        // wide exploration early, settled late: a fixed bonus either settled on a walk too slow or never settled
        ["entropy_loss_scale"] = 0.005,
        ["entropy_loss_scale_scheduler"] = "linear",
    };

    /// <summary>vbot-nav's recommended PPO settings: MotrixLab's navigation1 PPO config (rl_cfgs.py, VBotSection001PPOConfig) for what RlTune's trainer has.</summary>
    public static JsonObject VbotNavRlDefaults() => new()
    {
        ["policy_hidden_layer_sizes"] = new JsonArray(256, 128, 64),
        ["value_hidden_layer_sizes"] = new JsonArray(512, 256, 128),
        ["num_envs"] = 2048,
        ["rollouts"] = 32,
        ["learning_epochs"] = 5,
        ["mini_batches"] = 16,
        ["learning_rate"] = 5e-4,
        ["learning_rate_scheduler"] = "linear",
        ["entropy_loss_scale"] = 0.01,
        // MotrixLab's PPOCfg and model, not skrl's defaults: value loss x2, log std starting at 1 (std e, actions unclipped)
        ["value_loss_scale"] = 2.0,
        ["initial_log_std"] = 1.0,
    };

    public static void RegisterAll()
    {
        EnvRegistry.Register(VbotNavLiteEnv.EnvName, options => new VbotNavLiteEnv(options), NavLiteRlDefaults());
        // weights searched around the env's own table; 10M steps is what one training needs to reach and stop from the 8-11 m ring
        EnvRegistry.SetStudyDefaults(VbotNavLiteEnv.EnvName, new EnvStudyDefaults("nav_lite_rewards", 10_000_000, 10_000_000));
        EnvRegistry.Register(VbotNavEnv.EnvName, options => new VbotNavEnv(options), VbotNavRlDefaults());
        // weights searched around MotrixLab's table; 10M steps per trial is where MotrixLab reports 50 % reached from the 2-5 m ring, 20M its full run
        EnvRegistry.SetStudyDefaults(VbotNavEnv.EnvName, new EnvStudyDefaults("vbot_nav_rewards", 10_000_000, 20_000_000));
    }
}
