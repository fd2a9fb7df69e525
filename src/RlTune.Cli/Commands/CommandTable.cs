using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>Every rltune command, one line each (the command classes live beside this file).</summary>
public static class CommandTable
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<AutomlCommand>("automl").WithDescription("Search PPO hyperparameters and reward weights jointly (hp-search, stage, full, eval).");
        config.AddCommand<StatusCommand>("status").WithDescription("Show a study's progress, best trial and why it stopped.");
        config.AddCommand<EnvsCommand>("envs").WithDescription("List the built-in environments and their reward terms.");
    }
}
