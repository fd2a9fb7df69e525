using RlTune.Envs.VbotNavLite;

namespace RlTune.Envs;

/// <summary>Registers the environments that ship with RlTune (called once by <see cref="EnvRegistry"/>).</summary>
public static class BuiltinEnvs
{
    public static void RegisterAll()
    {
        EnvRegistry.Register(VbotNavLiteEnv.EnvName, options => new VbotNavLiteEnv(options));
    }
}
