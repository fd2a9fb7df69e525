using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>Every rltune command, one line each (the command classes live beside this file).</summary>
public static class CommandTable
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<AutomlCommand>("automl").WithDescription("Search PPO hyperparameters and reward weights jointly (hp-search, stage, full, eval).");
        config.AddCommand<WorkerCommand>("worker").WithDescription("Join an existing study as one more worker, on this machine or another sharing its --storage.");
        config.AddCommand<StatusCommand>("status").WithDescription("Show a study's progress, best trial and why it stopped.");
        config.AddCommand<TrainOneCommand>("train-one").WithDescription("Train one trial from a trial config JSON (the built-in trainer of the trial protocol).");
        config.AddCommand<TrainCommand>("train").WithDescription("One manual PPO training run on a built-in env, with a live progress line.");
        config.AddCommand<PlayCommand>("play").WithDescription("Draw N robots' paths under a trained vbot-nav-lite policy into a PNG (falls marked).");
        config.AddCommand<SpaceCommand>("space").WithDescription("Check a search-space file or preset and show its parameters, defaults, constraints and grid size; without one, list the presets.");
        config.AddCommand<EnvsCommand>("envs").WithDescription("List the built-in environments and their reward terms.");
        config.AddCommand<AnalyzeCommand>("analyze").WithDescription("Parameter importance (fANOVA), top configurations and reward-hacking flags; writes analysis/hyperparameter_importance.yaml.");
        config.AddCommand<ExportBestCommand>("export-best").WithDescription("Write the best trial as the trial-config JSON train-one reads (plus a YAML copy on request), with the metrics and seeds it was measured on.");
        config.AddCommand<CompareCommand>("compare").WithDescription("Compare trials, exported configs or studies side by side, with significance tests over seeds.");
        config.AddCommand<ReportCommand>("report").WithDescription("Rebuild the study's pictures, analysis/report.md and the self-contained report.html.");
    }
}
