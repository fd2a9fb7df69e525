using RlTune.Cli.Commands;
using RlTune.Study;

namespace RlTune.Tests.Automl;

/// <summary>Every settings message names what the user wrote: the flag, or the study YAML's file and key.</summary>
public sealed class FlagMessagesTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static string ErrorOf(AutomlCommand.Settings flags) => Assert.Throws<UserError>(() => AutomlCommand.Resolve(flags)).Message;

    public static TheoryData<AutomlCommand.Settings, string> BadFlags() => new()
    {
        { new() { HpTrials = 0 }, "--hp-trials: expected at least 1 trial, got 0." },
        { new() { SearchMethod = "magic" }, "--search-method: 'magic' is not known; expected grid, random, bayesian or tpe." },
        { new() { Steps = 0 }, "--steps: expected a positive number of env steps, got 0." },
        { new() { SeedsPerTrial = 0 }, "--seeds-per-trial: expected at least 1, got 0." },
        { new() { Parallel = 0 }, "--parallel: expected at least 1, got 0." },
        { new() { ThreadsPerTrial = 0 }, "--threads-per-trial: expected at least 1, got 0." },
        { new() { Seed = -1 }, "--seed: expected a non-negative integer, got -1." },
        { new() { BudgetHours = 0 }, "--budget-hours: expected a positive number of hours, got 0." },
        { new() { WarmupTrials = -1 }, "--warmup-trials: expected 0 or more, got -1." },
        { new() { FullTrainSteps = 0 }, "--full-train-steps: expected a positive number of env steps, got 0." },
        { new() { NumEnvs = 0 }, "--num-envs: expected at least 1, got 0." },
        { new() { EvalEpisodes = 0 }, "--eval-episodes: expected at least 1, got 0." },
        { new() { PrunerWarmupTrials = -1 }, "--pruner-warmup-trials: expected 0 or more, got -1." },
        { new() { PrunerWarmupSteps = -1 }, "--pruner-warmup-steps: expected 0 or more env steps, got -1." },
        { new() { PruningMetric = "mean success" }, "--pruning-metric: 'mean success' is not one word; expected a NAME of the trainer's PROGRESS lines (NAME=value)." },
        { new() { Pruner = "mean" }, "--pruner: 'mean' is not a pruner; expected none, median, asha or hyperband." },
        { new() { ReductionFactor = 1 }, "--reduction-factor: expected 2 or more, got 1." },
        { new() { MinSteps = -1 }, "--min-steps: expected 0 or more env steps, got -1." },
        { new() { Steps = 9000, MinRungSteps = 9000 }, "--min-rung-steps: expected a number of env steps from 1 to below the trial budget 9000, got 9000." },
        { new() { LazyRobot = "maybe" }, "--lazy-robot: 'maybe' is not a policy; expected flag, prune or off." },
        { new() { Study = "a/b" }, "--study: 'a/b' may use only letters, digits, '_', '-' and '.' (it names a folder)." },
        { new() { Direction = "minimize" }, "--direction: the navigation1 score is maximised; minimise a metric instead with --objective METRIC." },
        { new() { Direction = "up" }, "--direction: 'up' is not known; expected maximize or minimize." },
        { new() { TrainerCommand = "python3 train.py" }, "--trainer-command: the trainer command \"python3 train.py\" names neither {config} nor {run_dir}, so the trainer could not know its trial; add --config {config}." },
    };

    [Theory]
    [MemberData(nameof(BadFlags))]
    public void EachBadFlagIsNamedAsTyped(AutomlCommand.Settings flags, string expected) => Assert.Equal(expected, ErrorOf(flags));

    [Fact]
    public void MissingFilesAreNamedByTheirFlag()
    {
        Assert.Equal($"--checkpoint: '{Path.GetFullPath("missing.ckpt")}' does not exist.", ErrorOf(new() { Checkpoint = "missing.ckpt" }));
        Assert.Equal($"--seed-configs: file '{Path.GetFullPath("missing.json")}' does not exist.", ErrorOf(new() { SeedConfigs = ["missing.json"] }));
        Assert.StartsWith("--preset: nope: no such search-space file, and not a preset (presets: ", ErrorOf(new() { Preset = "nope" }));
    }

    [Fact]
    public void StaleFlagsAreNamedByTheirFlag()
    {
        Assert.Equal("--stale-after: expected a number of seconds above 0, got 0.", Assert.Throws<UserError>(() => new AutomlCommand.Settings { StaleAfter = 0 }.StaleHandling()).Message);
        Assert.Equal("--on-stale: 'maybe' is not a policy; expected requeue or fail.", Assert.Throws<UserError>(() => new AutomlCommand.Settings { OnStale = "maybe" }.StaleHandling()).Message);
        Assert.Equal((TimeSpan.FromSeconds(7), false), new WorkerCommand.Settings { StaleAfter = 7, OnStale = "fail" }.StaleHandling());
        Assert.Equal((WorkerId.StaleAfter, true), new AutomlCommand.Settings().StaleHandling());
    }

    [Fact]
    public void ASettingFromTheStudyYamlIsNamedByFileAndKeyAndAFlagOverridingItByTheFlag()
    {
        var yaml = _h.WriteFile("study.yaml", "direction: minimize\nspace: a.yaml\npreset: fast_core\n");
        Assert.Equal($"{yaml}: space: preset is given too; give a search space file or a preset, not both.", ErrorOf(new() { Config = yaml }));
        var min = _h.WriteFile("min.yaml", "direction: minimize\n");
        Assert.Equal($"{min}: direction: the navigation1 score is maximised; minimise a metric instead with objective: METRIC.", ErrorOf(new() { Config = min }));
        Assert.Equal("--hp-trials: expected at least 1 trial, got 0.", ErrorOf(new() { Config = _h.WriteFile("ok.yaml", "hp_trials: 3\n"), HpTrials = 0 }));
    }
}
