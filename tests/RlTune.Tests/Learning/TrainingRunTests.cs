using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Learning;
using RlTune.TensorBoard;

namespace RlTune.Tests.Learning;

public sealed class TrainingRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-run-").FullName;

    static TrainingRunTests()
    {
        EnvRegistry.Register("test-point-mass", o => new PointMassEnv(o.NumEnvs));
        EnvRegistry.Register("test-point-mass-nan", o => new PointMassEnv(o.NumEnvs) { NanAfterSteps = 40 });
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RunWritesMetricsTensorBoardAndCheckpoints()
    {
        var config = PpoTrainerTests.PointMassConfig(1) with { MaxEnvSteps = 64 * 16 * 6 };
        var request = new TrainingRequest("test-point-mass", config, _dir) { EvaluationEpisodes = 64, EpisodeTracePath = Path.Combine(_dir, "render", "trace.csv") };
        var progress = new List<TrainingProgress>();
        TrainingOutcome outcome;
        using (var sink = new TensorBoardScalarSink(_dir))
            outcome = TrainingRun.Run(request, sink, progress.Add);

        Assert.True(outcome.Succeeded);
        Assert.Equal(6, progress.Count);
        Assert.Equal(config.MaxEnvSteps, progress[^1].EnvSteps);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "metrics.json")))!.AsObject();
        foreach (var key in new[] { "episode_reward_mean", "episode_reward_std", "termination_rate", "episode_length_mean", "fall", "train_env_steps" })
            Assert.True(metrics.ContainsKey(key), $"metrics.json lacks {key}");
        Assert.Equal(64, metrics["evaluation_episodes"]!.GetValue<int>());

        var log = EventFileReader.ReadDirectory(_dir, strict: true);
        foreach (var tag in new[] { "Reward / Total reward (mean)", "Reward / Instantaneous reward (mean)", "Episode / Total timesteps (mean)",
                     "Loss / Policy loss", "Loss / Value loss", "Loss / Entropy loss", "Policy / Standard deviation", "Learning / Learning rate",
                     "metrics / fall (mean)", "Reward Instant / distance (mean)" })
            Assert.True(log[tag].Count > 0, $"no scalars under '{tag}'");
        Assert.Equal(6, log["Loss / Policy loss"].Count);

        Assert.True(File.Exists(Path.Combine(_dir, "checkpoints", "final_agent.ckpt")));
        Assert.True(File.Exists(Path.Combine(_dir, "checkpoints", "best_agent.ckpt")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dir, "checkpoints"), "agent_*.ckpt"));
        Assert.True(File.ReadAllLines(Path.Combine(_dir, "render", "trace.csv")).Length > 2);
        Assert.Equal(config.MaxEnvSteps, Checkpoint.Load(Path.Combine(_dir, "checkpoints", "final_agent.ckpt")).Header["env_steps"]!.GetValue<long>());

        // warm start from the final checkpoint continues from its weights
        var warm = request with { RunDir = Path.Combine(_dir, "warm"), Checkpoint = Path.Combine(_dir, "checkpoints", "final_agent.ckpt"), FreezePreprocessor = true, EpisodeTracePath = null };
        Assert.True(TrainingRun.Run(warm).Succeeded);
    }

    [Fact]
    public void NanRewardsEndTheRunWithAFailureInMetrics()
    {
        var config = PpoTrainerTests.PointMassConfig(2) with { MaxEnvSteps = 64 * 16 * 10 };
        var outcome = TrainingRun.Run(new TrainingRequest("test-point-mass-nan", config, _dir) { EvaluationEpisodes = 16 });
        Assert.False(outcome.Succeeded);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "metrics.json")))!.AsObject();
        Assert.Contains("diverged", metrics["error"]!.GetValue<string>());
        Assert.True(outcome.EnvSteps < config.MaxEnvSteps);
    }

    [Fact]
    public void ProgressLineIsParseableByTheTrialRunner()
    {
        var report = new UpdateReport(100, 1, 0, 0, 0, 1, 3e-4, 0, 0, 0, new EpisodeReport(0, 0, 0, 0, new Dictionary<string, double>(), new Dictionary<string, double>()));
        string line = TrainingRun.ProgressLine(new TrainingProgress(100, 1000, 50, -1.5, 0.25, report));
        var parsed = RlTune.Trials.TrialRunner.ParseProgress(line);
        Assert.NotNull(parsed);
        Assert.Equal(100, parsed!.Step);
        Assert.Equal(1000, parsed.Of);
        Assert.Equal(-1.5, parsed.Reward);
        Assert.Equal(0.25, parsed.Success);
    }
}
