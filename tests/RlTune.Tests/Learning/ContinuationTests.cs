using System.Text.Json.Nodes;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNavLite;
using RlTune.Learning;

namespace RlTune.Tests.Learning;

/// <summary>A run paused at a rung and continued from its checkpoint is the run trained straight through.</summary>
public sealed class ContinuationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-continue-").FullName;

    static ContinuationTests() => EnvRegistry.Register("test-point-mass-continue", o => new PointMassEnv(o.NumEnvs));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // 4 updates of 16 envs x 16 steps; linear entropy and learning-rate schedules over the whole 4
    private static PpoConfig NavLiteConfig(string learningRateScheduler) => TrainingRequest.ConfigFor(VbotNavLiteEnv.EnvName, new JsonObject
    {
        ["num_envs"] = 16, ["rollouts"] = 16, ["mini_batches"] = 4, ["learning_epochs"] = 2,
        ["policy_hidden_layer_sizes"] = new JsonArray(16), ["value_hidden_layer_sizes"] = new JsonArray(16),
        ["learning_rate_scheduler"] = learningRateScheduler, ["max_env_steps"] = 4 * 256, ["schedule_env_steps"] = 4 * 256, ["seed"] = 7,
    }, "test");

    private TrainingRequest Request(string name, PpoConfig config, string envName = VbotNavLiteEnv.EnvName) =>
        new(envName, config, Path.Combine(_dir, name)) { Threads = 1, EnvThreads = 1, EvaluationEpisodes = 8 };

    private static string Final(TrainingRequest r) => Path.Combine(r.RunDir, "checkpoints", "final_agent.ckpt");

    [Theory]
    [InlineData("kl_adaptive")]
    [InlineData("linear")]
    public void TwoHalvesEqualOneWholeRunBitForBit(string scheduler)
    {
        var config = NavLiteConfig(scheduler);
        var whole = Request("whole", config);
        Assert.True(TrainingRun.Run(whole).Succeeded);

        var firstHalf = Request("first", config with { MaxEnvSteps = 2 * 256 });
        Assert.True(TrainingRun.Run(firstHalf).Succeeded);
        var secondHalf = Request("second", config) with { Checkpoint = Final(firstHalf), Resume = true };
        var outcome = TrainingRun.Run(secondHalf);
        Assert.True(outcome.Succeeded);

        var a = Checkpoint.Load(Final(whole));
        var b = Checkpoint.Load(Final(secondHalf));
        Assert.Equal(a.Model.Parameters.Span.ToArray(), b.Model.Parameters.Span.ToArray());
        Assert.Equal(a.AdamFirstMoment, b.AdamFirstMoment);
        Assert.Equal(a.AdamSecondMoment, b.AdamSecondMoment);
        Assert.Equal(a.AdamSteps, b.AdamSteps);
        Assert.Equal(a.StateScaler.Mean, b.StateScaler.Mean);
        Assert.Equal(a.ValueScaler.Variance, b.ValueScaler.Variance);
        Assert.Equal(a.Progress, b.Progress);
        Assert.Equal(a.EnvState, b.EnvState);
        Assert.Equal(4 * 256, b.Progress!.EnvSteps);
        Assert.Equal(4, b.Progress.Updates);

        var metrics = JsonNode.Parse(File.ReadAllText(outcome.MetricsPath))!.AsObject();
        Assert.Equal(2 * 256, metrics["train_resumed_from_env_steps"]!.GetValue<long>());
        Assert.True(metrics["train_env_continued"]!.GetValue<bool>());
        Assert.Equal(4 * 256, metrics["train_env_steps"]!.GetValue<long>());
    }

    [Fact]
    public void AWarmStartIsNotAContinuation()
    {
        var config = NavLiteConfig("linear");
        var whole = Request("whole", config);
        Assert.True(TrainingRun.Run(whole).Succeeded);
        var firstHalf = Request("first", config with { MaxEnvSteps = 2 * 256 });
        Assert.True(TrainingRun.Run(firstHalf).Succeeded);
        var warm = Request("warm", config with { MaxEnvSteps = 2 * 256 }) with { Checkpoint = Final(firstHalf) };
        Assert.True(TrainingRun.Run(warm).Succeeded);
        Assert.NotEqual(Checkpoint.Load(Final(whole)).Model.Parameters.Span.ToArray(), Checkpoint.Load(Final(warm)).Model.Parameters.Span.ToArray());
    }

    [Fact]
    public void AnEnvWithoutSnapshotsRestartsItsEpisodesButKeepsCountersAndSchedule()
    {
        var config = PpoTrainerTests.PointMassConfig(3) with
        {
            MaxEnvSteps = 6 * 1024, ScheduleEnvSteps = 8 * 1024, LearningRateScheduler = ScheduleKind.Linear,
        };
        var first = Request("first", config with { MaxEnvSteps = 2 * 1024 }, "test-point-mass-continue");
        Assert.True(TrainingRun.Run(first).Succeeded);
        var rest = Request("rest", config, "test-point-mass-continue") with { Checkpoint = Final(first), Resume = true };
        var outcome = TrainingRun.Run(rest);
        Assert.True(outcome.Succeeded);

        var b = Checkpoint.Load(Final(rest));
        Assert.Null(b.EnvState);
        Assert.Equal(6 * 1024, b.Progress!.EnvSteps);
        Assert.Equal(6, b.Progress.Updates);
        // linear: lr x (1 - 6/8) after the sixth of eight scheduled updates, not after the fourth of a fresh run
        Assert.Equal(config.LearningRate * 0.25, b.Progress.LearningRate, 12);
        Assert.Equal(6 * 5 * 4, b.AdamSteps);
        var metrics = JsonNode.Parse(File.ReadAllText(outcome.MetricsPath))!.AsObject();
        Assert.False(metrics["train_env_continued"]!.GetValue<bool>());
        Assert.Equal(2 * 1024, metrics["train_resumed_from_env_steps"]!.GetValue<long>());
    }

    [Fact]
    public void ContinuingWithOtherEnvCountsIsAUserError()
    {
        var config = NavLiteConfig("linear");
        var first = Request("first", config with { MaxEnvSteps = 256 });
        Assert.True(TrainingRun.Run(first).Succeeded);
        var other = Request("other", config with { NumEnvs = 32, MiniBatches = 4 }) with { Checkpoint = Final(first), Resume = true };
        var e = Assert.Throws<UserError>(() => TrainingRun.Run(other));
        Assert.Contains("num_envs (16)", e.Message);
    }
}
