using RlTune.Learning;
using Xunit.Abstractions;

namespace RlTune.Tests.Learning;

public sealed class PpoTrainerTests(ITestOutputHelper output)
{
    internal static PpoConfig PointMassConfig(int seed) => new()
    {
        NumEnvs = 64, Rollouts = 16, LearningEpochs = 5, MiniBatches = 4, LearningRate = 3e-3,
        PolicyHiddenLayerSizes = [32, 32], ValueHiddenLayerSizes = [32, 32], EntropyLossScale = 0,
        MaxEnvSteps = 64 * 16 * 150, Seed = seed,
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PpoImprovesReturnOnPointMass(int seed)
    {
        var config = PointMassConfig(seed);
        using var env = new PointMassEnv(config.NumEnvs);
        using var trainer = new PpoTrainer(config, env, threads: 2);
        using var evalEnv = new PointMassEnv(32);
        var before = trainer.Evaluate(evalEnv, 64, seed: 100);
        while (!trainer.Done) trainer.Iterate();
        var after = trainer.Evaluate(evalEnv, 64, seed: 100);
        output.WriteLine($"seed {seed}: deterministic return {before.RewardMean:F2} -> {after.RewardMean:F2}, falls {before.TerminationRate:F2} -> {after.TerminationRate:F2}, steps {trainer.EnvSteps}");
        Assert.True(after.RewardMean > before.RewardMean + 20 && after.RewardMean > -15, $"return went from {before.RewardMean:F2} to {after.RewardMean:F2}");
        Assert.True(after.TerminationRate < 0.1, $"the trained policy still falls off in {after.TerminationRate:P0} of episodes");
    }

    [Fact]
    public void TheLinearEntropySchedulerLowersTheBonusToZeroByTheLastUpdate()
    {
        var config = PointMassConfig(1) with
        {
            EntropyLossScale = 0.5, EntropyLossScaleScheduler = ScheduleKind.Linear, MaxEnvSteps = 64 * 16 * 4,
        };
        using var env = new PointMassEnv(config.NumEnvs);
        using var trainer = new PpoTrainer(config, env, threads: 1);
        var scales = new List<double>();
        var stds = new List<double> { 1.0 };
        while (!trainer.Done)
        {
            scales.Add(trainer.EntropyLossScale);
            var report = trainer.Iterate();
            stds.Add(report.PolicyStd);
            Assert.True(report.EntropyLoss < 0); // the bonus was paid at the scale of its update
        }
        Assert.Equal([0.5, 0.375, 0.25, 0.125], scales);
        Assert.Equal(0.0, trainer.EntropyLossScale);
        // a bonus this large widens the policy while it lasts
        Assert.True(stds[1] > 1.0, $"std after the first update {stds[1]:F4}");

        var constant = config with { EntropyLossScaleScheduler = ScheduleKind.None };
        using var env2 = new PointMassEnv(constant.NumEnvs);
        using var flat = new PpoTrainer(constant, env2, threads: 1);
        flat.Iterate();
        Assert.Equal(0.5, flat.EntropyLossScale);
    }
}
