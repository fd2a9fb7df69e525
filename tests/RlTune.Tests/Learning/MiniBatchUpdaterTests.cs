using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Tests.Learning;

public sealed unsafe class MiniBatchUpdaterTests
{
    [Fact]
    public void UpdatesAreTheSameBitForBitWithOneOrTwoThreads()
    {
        // 600 rows make 3 chunks of 200: with 2 threads one thread takes two, in whatever order they come free
        var one = Train(threads: 1);
        var two = Train(threads: 2);
        Assert.Equal(one, two);
    }

    private static float[] Train(int threads)
    {
        const int obs = 19, act = 3, rows = 600;
        var config = new PpoConfig { PolicyHiddenLayerSizes = [32, 16], ValueHiddenLayerSizes = [48, 16], GradNormClip = 0.5 };
        var model = new ActorCritic(obs, act, config.PolicyHiddenLayerSizes, config.ValueHiddenLayerSizes);
        model.Initialise(7);
        using var pool = new WorkerPool(threads);
        var workspaces = Enumerable.Range(0, threads).Select(_ => new ActorCriticWorkspace(model, rows)).ToArray();
        var updater = new MiniBatchUpdater(model, config, pool, workspaces, new Adam(model.ParameterCount));
        var rng = new Rng(3);
        AlignedBuffer Randn(int n) { var b = new AlignedBuffer(n); rng.FillGaussian(b.Span); return b; }
        var states = Randn(rows * obs); var actions = Randn(rows * act);
        var logProbs = Randn(rows); var advantages = Randn(rows); var returns = Randn(rows); var values = Randn(rows);
        var source = new SampleSource(states.Pointer, actions.Pointer, logProbs.Pointer, advantages.Pointer, returns.Pointer, values.Pointer);
        var indices = Enumerable.Range(0, rows).Reverse().ToArray();
        for (int step = 0; step < 4; step++) updater.Step(source, indices, 1e-3f, (float)config.EntropyLossScale);
        return model.Parameters.Span.ToArray();
    }
}
