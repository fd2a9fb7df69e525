using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>Every rltune command, one line each (the command classes live beside this file).</summary>
public static class CommandTable
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<EnvsCommand>("envs").WithDescription("List the built-in environments and their reward terms.");
    }
}
