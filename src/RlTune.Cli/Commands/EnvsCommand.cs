using RlTune.Envs.Builtin;
using RlTune.Envs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

public sealed class EnvsCommand : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellationToken)
    {
        if (EnvRegistry.Names.Count == 0)
        {
            AnsiConsole.WriteLine("no environments are registered");
            return 0;
        }
        foreach (var name in EnvRegistry.Names.Order())
        {
            IVecEnv env;
            try { env = EnvRegistry.Create(name, new EnvOptions(1)); }
            catch (UserError e)
            {
                // an env this machine cannot run (vbot-nav without MuJoCo) is listed with the reason
                Console.WriteLine($"{name}: unavailable here: {e.Message}");
                continue;
            }
            using var _ = env;
            AnsiConsole.WriteLine($"{name}: obs {env.ObsDim}, actions {env.ActDim}, episode limit {env.MaxEpisodeSteps} steps");
            if (EnvRegistry.DefaultRlOverrides(name) is { } rl)
                Console.WriteLine($"  recommended PPO settings (under a trial's rl_overrides): {rl.ToJsonString()}"); // one line, never wrapped
            foreach (var t in env.RewardTerms)
                AnsiConsole.WriteLine($"  {t.Name,-24} {t.Kind,-16} default {t.DefaultWeight,10:G4}  {t.Category}");
        }
        return 0;
    }
}
