using RlTune;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("rltune");
    config.PropagateExceptions();
    // a mistyped flag (--hp-trails, --studdy) must stop with an error, not be ignored
    config.UseStrictParsing();
    RlTune.Cli.Commands.CommandTable.Register(config);
});

try
{
    return app.Run(args);
}
catch (UserError e)
{
    Console.Error.WriteLine($"rltune: {e.Message}");
    return 1;
}
catch (CommandParseException e)
{
    Console.Error.WriteLine($"rltune: {e.Message}");
    return 1;
}
catch (CommandRuntimeException e)
{
    Console.Error.WriteLine($"rltune: {RlTune.Cli.FlagValueErrors.Describe(e.Message, args) ?? e.Message}");
    return 1;
}
catch (Exception e)
{
    var log = Path.Combine(Path.GetTempPath(), $"rltune-crash-{Environment.ProcessId}.log");
    File.WriteAllText(log, e.ToString());
    Console.Error.WriteLine($"rltune: internal error: {e.Message} (details in {log})");
    return 2;
}
