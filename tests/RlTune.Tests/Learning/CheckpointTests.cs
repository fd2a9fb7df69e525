using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Tests.Learning;

public sealed unsafe class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static float[] DeterministicActions(PpoTrainer trainer, float[] observations)
    {
        var actions = new AlignedBuffer(observations.Length / 4 * 2);
        fixed (float* o = observations)
            trainer.Runner.Run(o, observations.Length / 4, trainer.StateScaler, actions.Pointer, null);
        return actions.Span.ToArray();
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalActionsAndState()
    {
        var config = PpoTrainerTests.PointMassConfig(4) with { MaxEnvSteps = 64 * 16 * 3 };
        using var env = new PointMassEnv(config.NumEnvs);
        using var trainer = new PpoTrainer(config, env);
        while (!trainer.Done) trainer.Iterate();
        string path = Path.Combine(_dir, "agent.ckpt");
        Checkpoint.Save(path, trainer, env.Name);

        var loaded = Checkpoint.Load(path);
        using var env2 = new PointMassEnv(config.NumEnvs);
        using var warm = new PpoTrainer(loaded.Config, env2, model: loaded.Model);
        loaded.Restore(warm);

        var rng = new Rng(9);
        var observations = new float[50 * 4];
        for (int i = 0; i < observations.Length; i++) observations[i] = (float)(3 * rng.NextGaussian());
        Assert.Equal(DeterministicActions(trainer, observations), DeterministicActions(warm, observations));
        Assert.Equal(trainer.Model.Parameters.Span.ToArray(), warm.Model.Parameters.Span.ToArray());
        Assert.Equal(trainer.Optimizer.SecondMoment.Span.ToArray(), warm.Optimizer.SecondMoment.Span.ToArray());
        Assert.Equal(trainer.Optimizer.Steps, warm.Optimizer.Steps);
        Assert.Equal(trainer.StateScaler.Mean, warm.StateScaler.Mean);
        Assert.Equal(trainer.ValueScaler.Variance, warm.ValueScaler.Variance);
        Assert.Equal(config, loaded.Config with { PolicyHiddenLayerSizes = config.PolicyHiddenLayerSizes, ValueHiddenLayerSizes = config.ValueHiddenLayerSizes });
        Assert.Equal(config.PolicyHiddenLayerSizes, loaded.Config.PolicyHiddenLayerSizes);
    }

    [Fact]
    public void FrozenPreprocessorKeepsLoadedStatistics()
    {
        var config = PpoTrainerTests.PointMassConfig(5) with { MaxEnvSteps = 64 * 16 * 2 };
        using var env = new PointMassEnv(config.NumEnvs);
        using var trainer = new PpoTrainer(config, env);
        trainer.Iterate();
        string path = Path.Combine(_dir, "agent.ckpt");
        Checkpoint.Save(path, trainer, env.Name);

        foreach (bool freeze in new[] { true, false })
        {
            var loaded = Checkpoint.Load(path);
            using var env2 = new PointMassEnv(config.NumEnvs);
            using var warm = new PpoTrainer(loaded.Config, env2, model: loaded.Model) { FreezeStatePreprocessor = freeze };
            loaded.Restore(warm);
            var before = warm.StateScaler.Mean.ToArray();
            warm.Iterate();
            if (freeze) Assert.Equal(before, warm.StateScaler.Mean);
            else Assert.NotEqual(before, warm.StateScaler.Mean);
        }
    }

    [Fact]
    public void DamagedFileIsAUserError()
    {
        string path = Path.Combine(_dir, "bad.ckpt");
        File.WriteAllText(path, "not a checkpoint");
        var e = Assert.Throws<UserError>(() => Checkpoint.Load(path));
        Assert.Contains("not an RlTune checkpoint", e.Message);
        Assert.Throws<UserError>(() => Checkpoint.Load(Path.Combine(_dir, "missing.ckpt")));
    }
}
