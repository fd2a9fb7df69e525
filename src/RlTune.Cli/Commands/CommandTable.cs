using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary>Every rltune command, one line each with its examples (the command classes live beside this file).</summary>
public static class CommandTable
{
    public static void Register(IConfigurator config)
    {
        config.AddExample("automl", "--preset", "quick_validation_reward", "--search-method", "bayesian", "--hp-trials", "8", "--steps", "40000", "--study", "nav");
        config.AddExample("status", "--study", "nav", "--watch");
        config.AddExample("report", "--study", "nav");
        config.AddExample("export-best", "--study", "nav", "--out", "best.json");

        config.AddCommand<AutomlCommand>("automl").WithDescription("Search PPO hyperparameters and reward weights jointly (hp-search, stage, full, eval).")
            .WithExample("automl", "--preset", "full_unified", "--search-method", "bayesian", "--hp-trials", "16", "--steps", "200000", "--parallel", "2", "--study", "nav")
            .WithExample("automl", "--resume", "--study", "nav")
            .WithExample("automl", "--config", "study.yaml")
            .WithExample("automl", "--space", "my_space.yaml", "--trainer-command", "'python train_one.py --config {config}'", "--steps", "2000000");
        config.AddCommand<WorkerCommand>("worker").WithDescription("Join an existing study as one more worker, on this machine or another sharing its --storage.")
            .WithExample("worker", "--storage", "postgresql://tuner@db.lab/rltune", "--study", "nav", "--parallel", "2");
        config.AddCommand<StatusCommand>("status").WithDescription("Show a study's progress, best trial and why it stopped.")
            .WithExample("status", "--study", "nav", "--watch")
            .WithExample("status", "--json");
        config.AddCommand<DashboardCommand>("dashboard").WithDescription("A live web page of the store's studies (trials, history, importance, learning curves, audit) and its JSON API; read-only unless --allow-actions.")
            .WithExample("dashboard")
            .WithExample("dashboard", "--study", "nav", "--port", "8090")
            .WithExample("dashboard", "--storage", "postgresql://tuner@db.lab/rltune", "--host", "0.0.0.0", "--allow-actions");
        config.AddCommand<TrainOneCommand>("train-one").WithDescription("Train one trial from a trial config JSON (the built-in trainer of the trial protocol).")
            .WithExample("train-one", "--config", "best.json");
        config.AddCommand<TrainCommand>("train").WithDescription("One manual PPO training run on a built-in env, with a live progress line.")
            .WithExample("train", "--env", "vbot-nav-lite", "--steps", "2000000", "--seed", "1", "--output", "runs/nav1")
            .WithExample("train", "--config", "best.json", "--render");
        config.AddCommand<PlayCommand>("play").WithDescription("Draw N robots' paths under a trained vbot-nav-lite or vbot-nav policy into a PNG (falls marked); for vbot-nav also frames rendered by MuJoCo.")
            .WithExample("play", "--checkpoint", "RUN_DIR/checkpoints/final_agent.ckpt", "--out", "traj.png")
            .WithExample("play", "--checkpoint", "RUN_DIR/checkpoints/final_agent.ckpt", "--out", "traj.png", "--strip", "walk.png", "--frames", "frames");
        config.AddCommand<SpaceCommand>("space").WithDescription("Check a search-space file or preset and show its parameters, defaults, constraints and grid size; without one, list the presets.")
            .WithExample("space")
            .WithExample("space", "full_unified")
            .WithExample("space", "my_space.yaml", "--grid-points", "3");
        config.AddCommand<EnvsCommand>("envs").WithDescription("List the built-in environments and their reward terms.")
            .WithExample("envs");
        config.AddCommand<AnalyzeCommand>("analyze").WithDescription("Parameter importance (fANOVA), top configurations and reward-hacking flags; writes analysis/hyperparameter_importance.yaml (by another --metric: hyperparameter_importance.METRIC.yaml).")
            .WithExample("analyze", "--study", "nav")
            .WithExample("analyze", "--metric", "success_rate", "--top", "10");
        config.AddCommand<ExportBestCommand>("export-best").WithDescription("Write the best trial as the trial-config JSON train-one reads (plus a YAML copy on request), with the metrics and seeds it was measured on.")
            .WithExample("export-best", "--study", "nav", "--out", "best.json")
            .WithExample("export-best", "--study", "nav", "--trial", "12", "--out", "trial12.yaml");
        config.AddCommand<CompareCommand>("compare").WithDescription("Compare trials, exported configs or studies side by side, with significance tests over seeds.")
            .WithExample("compare", "12", "17")
            .WithExample("compare", "best.json", "other-study", "other-study:4");
        config.AddCommand<ReportCommand>("report").WithDescription("Rebuild the study's pictures, analysis/report.md and the self-contained report.html.")
            .WithExample("report", "--study", "nav");
    }
}
