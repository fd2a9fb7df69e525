using System.ComponentModel;
using RlTune.Dashboard;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

public sealed class DashboardCommand : AsyncCommand<DashboardCommand.Settings>
{
    public sealed class Settings : StudyOptions
    {
        [CommandOption("--host <HOST>"), Description("Address to listen on (default 127.0.0.1: this machine only; any other needs the token).")]
        public string? Host { get; init; }
        [CommandOption("--port <PORT>"), Description("TCP port (default 8080).")]
        public int? Port { get; init; }
        [CommandOption("--token <TOKEN>"), Description("Every request must carry it (default: none on 127.0.0.1; a generated one, printed at start, with --host).")]
        public string? Token { get; init; }
        [CommandOption("--allow-actions"), Description("Let the page stop a study, enqueue a configuration and re-run a trial (default: read-only).")]
        public bool AllowActions { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(s.OutputDir);
        StudyOptions.RequireStore(output, s.Storage);
        var options = new DashboardOptions
        {
            Output = output,
            Storage = s.Storage,
            Host = s.Host ?? DashboardOptions.DefaultHost,
            Port = s.Port ?? DashboardOptions.DefaultPort,
            Token = s.Token,
            AllowActions = s.AllowActions,
        }.Checked();
        using var stop = new StopSignal(cancellationToken);
        await using var server = await DashboardServer.StartAsync(options, stop.Token);
        if (s.Study is { } study && server.Reader.Store.FindStudy(study) is null)
            throw new UserError($"--study: there is no study '{study}' in {output}; {StudyOptions.StudiesThere(server.Reader.Store)}.");
        Console.WriteLine($"rltune dashboard: {server.OpenUrl(s.Study is null ? "" : $"studies/{Uri.EscapeDataString(s.Study)}")}");
        Console.WriteLine($"  store: {s.Storage ?? Environment.GetEnvironmentVariable(Storage.StoreFactory.EnvironmentVariable) ?? Path.Combine(output, Storage.StoreFactory.DefaultFileName)}; " +
                          (options.AllowActions ? "actions on (stop, enqueue, re-run)" : "read-only (--allow-actions to stop, enqueue, re-run)") +
                          (options.Token is not null && s.Token is null ? "; the token was generated for this run" : "") + "; Ctrl+C stops.");
        try
        {
            await server.WaitForShutdownAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}
