using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>Every rltune command, one line each (the command classes live beside this file).</summary>
public static class CommandTable
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<TrainOneCommand>("train-one").WithDescription("Train one trial from a trial config JSON (the built-in trainer of the trial protocol).");
        config.AddCommand<TrainCommand>("train").WithDescription("One manual PPO training run on a built-in env, with a live progress line.");
        config.AddCommand<EnvsCommand>("envs").WithDescription("List the built-in environments and their reward terms.");
    }
}
