using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Tests.Learning;

public sealed unsafe class GradientCheckTests
{
    private static float[] RandomFloats(Rng rng, int n, double scale = 1)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextGaussian() * scale);
        return a;
    }

    [Theory]
    [InlineData(Activation.Elu, 9)]
    [InlineData(Activation.Tanh, 9)]
    [InlineData(Activation.Relu, 9)]
    [InlineData(Activation.Identity, 9)]
    [InlineData(Activation.Elu, 3)]  // a narrow first layer (dot-product path) under a wide one
    public void MlpGradientsMatchFiniteDifferences(Activation activation, int firstHidden)
    {
        // L = Σ c ⊙ y over an odd-shaped batch, so every layer, bias and activation is exercised;
        // the 3-wide output takes the narrow-layer path, the 6- and 9-wide layers the GEMM
        const int rows = 7, inputs = 5;
        var mlp = new Mlp(inputs, [firstHidden, 6], 3, activation, 0);
        var rng = new Rng(11);
        var parameters = new AlignedBuffer(mlp.ParameterCount);
        mlp.Initialise(parameters.Span, rng);
        var x = RandomFloats(rng, rows * inputs);
        var c = RandomFloats(rng, rows * 3);

        var ws = new MlpWorkspace(mlp, rows);
        var scratch = new GemmScratch();
        var grads = new AlignedBuffer(mlp.ParameterCount);
        var dOut = new AlignedBuffer(rows * 3);
        c.CopyTo(dOut.Span);
        fixed (float* xp = x)
        {
            mlp.Forward(parameters.Pointer, xp, rows, ws, scratch);
            mlp.Backward(parameters.Pointer, xp, rows, ws, dOut.Pointer, grads.Pointer, scratch);
        }

        ReferenceNetwork.AssertMlpGradient(mlp, parameters.Span, x, rows, c, grads.Span, $"{activation} MLP {firstHidden}-6-3");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PpoLossGradientMatchesFiniteDifferences(bool clipPredictedValues)
    {
        const int rows = 13, batch = 20, obs = 6, act = 3;
        var config = new PpoConfig { RatioClip = 0.2, ValueClip = 0.2, ClipPredictedValues = clipPredictedValues, EntropyLossScale = 0.01, ValueLossScale = 0.5 };
        var model = new ActorCritic(obs, act, [8, 5], [7], Activation.Elu);
        model.Initialise(5, initialLogStd: -0.3f);
        var rng = new Rng(7);
        var ws = new ActorCriticWorkspace(model, rows);
        var x = RandomFloats(rng, rows * obs);
        var actions = RandomFloats(rng, rows * act, 0.8);
        var advantages = RandomFloats(rng, rows);
        var returns = RandomFloats(rng, rows);

        // current log-probs and values, then "old" ones offset so ratios and values land on both sides of the clips, away from the kinks
        var pd = model.Parameters.Span.ToArray().Select(v => (double)v).ToArray();
        var xd = x.Select(v => (double)v).ToArray();
        var mean0 = ReferenceNetwork.Forward(model.Policy, pd, xd, rows);
        var value0 = ReferenceNetwork.Forward(model.Value, pd, xd, rows);
        var oldLogProb = new float[rows];
        var oldValues = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            double shift = (i % 3) switch { 0 => 0.05, 1 => 0.5, _ => -0.45 };
            oldLogProb[i] = (float)(LogProb(pd, model, mean0, actions, i) + shift);
            oldValues[i] = (float)(value0[i] + (i % 2 == 0 ? 0.1 : -0.35));
        }

        x.CopyTo(ws.Inputs.Span);
        actions.CopyTo(ws.BatchActions.Span);
        var scalars = ws.BatchScalars.Span;
        oldLogProb.CopyTo(scalars); advantages.CopyTo(scalars[rows..]); returns.CopyTo(scalars[(2 * rows)..]); oldValues.CopyTo(scalars[(3 * rows)..]);
        ws.Gradients.Clear();
        var sums = new PpoLossSums();
        MiniBatchUpdater.LossAndGradient(model, config, ws, rows, batch, ref sums);
        PpoLoss.Entropy(model.LogStd, config.EntropyLossScale, ws.Gradients.Span.Slice(model.LogStdOffset, act));

        double Loss(double[] p)
        {
            var mean = ReferenceNetwork.Forward(model.Policy, p, xd, rows);
            var v = ReferenceNetwork.Forward(model.Value, p, xd, rows);
            double policy = 0, value = 0, entropy = 0;
            for (int i = 0; i < rows; i++)
            {
                double ratio = Math.Exp(LogProb(p, model, mean, actions, i) - oldLogProb[i]);
                policy += -Math.Min(advantages[i] * ratio, advantages[i] * Math.Clamp(ratio, 0.8, 1.2));
                double vHat = clipPredictedValues ? oldValues[i] + Math.Clamp(v[i] - oldValues[i], -0.2, 0.2) : v[i];
                value += (returns[i] - vHat) * (returns[i] - vHat);
            }
            for (int d = 0; d < act; d++) entropy += 0.5 + 0.5 * Math.Log(2 * Math.PI) + p[model.LogStdOffset + d];
            return policy / batch + 0.5 * value / batch - 0.01 * entropy;
        }

        var all = Enumerable.Range(0, model.ParameterCount).ToArray();
        var numeric = ReferenceNetwork.NumericGradient(Loss, pd, all);
        ReferenceNetwork.AssertClose(numeric, all.Select(i => (double)ws.Gradients.Span[i]).ToArray(), "PPO loss");
        Assert.Equal(Loss(pd) - (-0.01 * Enumerable.Range(0, act).Sum(d => 0.5 + 0.5 * Math.Log(2 * Math.PI) + pd[model.LogStdOffset + d])),
            sums.PolicyLoss / batch + 0.5 * sums.ValueError / batch, 4);
    }

    private static double LogProb(double[] p, ActorCritic model, double[] mean, float[] actions, int row)
    {
        int act = model.Actions;
        double lp = 0;
        for (int d = 0; d < act; d++)
        {
            double s = p[model.LogStdOffset + d];
            double z = (actions[row * act + d] - mean[row * act + d]) / Math.Exp(s);
            lp += -0.5 * z * z - s - 0.5 * Math.Log(2 * Math.PI);
        }
        return lp;
    }
}
