using System.Runtime.Intrinsics;
using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Tests.Learning;

public sealed unsafe class FusedGemmTests
{
    public enum Finish { Store, BiasElu, BiasRelu, BiasIdentity, EluGradient, ReluGradient }

    public static TheoryData<Finish> Finishes() => new(Enum.GetValues<Finish>());

    [Theory]
    [MemberData(nameof(Finishes))]
    public void MatchesNaiveReferenceOnOddShapes(Finish finish)
    {
        var rng = new Rng(17);
        var scratch = new GemmScratch();
        // full 8x32 tiles, partial ones on both edges, K = 0, and the PPO layers' own sizes
        int[][] shapes = [[1, 1, 1], [7, 5, 3], [8, 32, 19], [13, 33, 17], [70, 64, 128], [9, 70, 0], [24, 96, 54]];
        foreach (var s in shapes)
            foreach (bool transB in new[] { false, true })
                Check(finish, rng, scratch, s[0], s[1], s[2], transB);
    }

    private static void Check(Finish finish, Rng rng, GemmScratch scratch, int m, int n, int k, bool transB)
    {
        // leading dimensions wider than the matrices, to catch stride mistakes
        int lda = k + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
        var a = Random(rng, m * lda);
        var b = Random(rng, (transB ? n : k) * ldb);
        var c = Random(rng, m * ldc);
        var h = Random(rng, m * ldc);         // the layer below's outputs, for the gradient epilogues
        var bias = Random(rng, n);
        var biasGradient = Random(rng, n);
        var expected = (float[])c.Clone();
        var expectedBiasGradient = (float[])biasGradient.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * lda + p] * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                double hv = h[i * ldc + j];
                double value = finish switch
                {
                    Finish.BiasElu => ReferenceNetwork.Act(Activation.Elu, sum + bias[j]),
                    Finish.BiasRelu => ReferenceNetwork.Act(Activation.Relu, sum + bias[j]),
                    Finish.BiasIdentity => sum + bias[j],
                    Finish.EluGradient => hv > 0 ? sum : sum * (hv + 1),
                    Finish.ReluGradient => hv > 0 ? sum : 0,
                    _ => sum,
                };
                expected[i * ldc + j] = (float)value;
                if (finish is Finish.EluGradient or Finish.ReluGradient) expectedBiasGradient[j] += (float)value;
            }
        fixed (float* ap = a, bp = b, cp = c, hp = h, biasp = bias, dbp = biasGradient)
        {
            switch (finish)
            {
                case Finish.Store: FusedGemm.Multiply(m, n, k, ap, lda, bp, ldb, transB, cp, ldc, new StoreEpilogue(), scratch); break;
                case Finish.BiasElu: FusedGemm.Multiply(m, n, k, ap, lda, bp, ldb, transB, cp, ldc, new BiasActivationEpilogue(biasp, Activation.Elu), scratch); break;
                case Finish.BiasRelu: FusedGemm.Multiply(m, n, k, ap, lda, bp, ldb, transB, cp, ldc, new BiasActivationEpilogue(biasp, Activation.Relu), scratch); break;
                case Finish.BiasIdentity: FusedGemm.Multiply(m, n, k, ap, lda, bp, ldb, transB, cp, ldc, new BiasActivationEpilogue(biasp, Activation.Identity), scratch); break;
                case Finish.EluGradient: FusedGemm.Multiply(m, n, k, ap, lda, bp, ldb, transB, cp, ldc, new ActivationGradientEpilogue(hp, ldc, dbp, Activation.Elu), scratch); break;
                case Finish.ReluGradient: FusedGemm.Multiply(m, n, k, ap, lda, bp, ldb, transB, cp, ldc, new ActivationGradientEpilogue(hp, ldc, dbp, Activation.Relu), scratch); break;
            }
        }
        string what = $"{finish} m={m} n={n} k={k} transB={transB}";
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                float want = expected[i * ldc + j]; // columns past n must stay untouched
                Assert.True(Math.Abs(c[i * ldc + j] - want) <= 1e-4f * (1 + Math.Abs(want)) + 1e-5f * k, $"{what}: C[{i},{j}] = {c[i * ldc + j]}, expected {want}");
            }
        for (int j = 0; j < n; j++)
            Assert.True(Math.Abs(biasGradient[j] - expectedBiasGradient[j]) <= 1e-4f * (1 + m + Math.Abs(expectedBiasGradient[j])),
                $"{what}: bias gradient [{j}] = {biasGradient[j]}, expected {expectedBiasGradient[j]}");
    }

    [Fact]
    public void VectorExpIsWithinAFewUlpOnTheNegativeRange()
    {
        double worst = 0;
        for (int i = 0; i <= 200_000; i += 16)
        {
            var z = Vector512.Create(0f);
            for (int lane = 0; lane < 16; lane++) z = z.WithElement(lane, -87f * (i + lane) / 200_000f);
            var e = Activations.ExpNonPositive(z);
            for (int lane = 0; lane < 16; lane++)
            {
                double want = Math.Exp(z.GetElement(lane));
                worst = Math.Max(worst, Math.Abs(e.GetElement(lane) - want) / want);
            }
        }
        Assert.True(worst < 5e-7, $"worst relative error {worst:E2}"); // float's ulp is 6e-8 to 1.2e-7 relative
    }

    [Fact]
    public void VectorActivationsKeepNaNAndMatchTheScalarOnes()
    {
        float[] zs = [float.NaN, -100f, -20f, -1f, -1e-3f, 0f, 1e-3f, 2f, 50f, float.NegativeInfinity, -0.5f, 3f, -3f, 0.25f, -87.5f, 10f];
        var z = Vector512.Create(zs);
        foreach (var activation in new[] { Activation.Elu, Activation.Relu, Activation.Identity, Activation.Tanh })
        {
            var y = Activations.Apply(activation, z);
            Assert.True(float.IsNaN(y.GetElement(0)), $"{activation}(NaN) must stay NaN");
            for (int lane = 1; lane < 16; lane++)
            {
                float want = Activations.Apply(activation, zs[lane]);
                Assert.True(y.GetElement(lane) == want || Math.Abs(y.GetElement(lane) - want) <= 1e-6f * (1 + Math.Abs(want)), $"{activation}({zs[lane]}) = {y.GetElement(lane)}, scalar {want}");
            }
        }
    }

    [Theory]
    [InlineData(19, 3, new[] { 128, 64 }, 37)]   // the nav-lite policy on an odd row count (partial tiles)
    [InlineData(19, 1, new[] { 256, 128 }, 40)]  // the nav-lite value network
    [InlineData(54, 12, new[] { 256, 128, 64 }, 16)]
    public void FusedLayersGiveTheUnfusedOutputsAndGradients(int inputs, int outputs, int[] hidden, int rows)
    {
        var mlp = new Mlp(inputs, hidden, outputs, Activation.Elu, 0);
        var rng = new Rng(23);
        var parameters = new AlignedBuffer(mlp.ParameterCount);
        mlp.Initialise(parameters.Span, rng);
        var x = Random(rng, rows * inputs);
        var dOut = Random(rng, rows * outputs);
        (float[] Output, float[] Gradient) Run(bool fused)
        {
            Linear.UseFusedKernels = fused;
            try
            {
                var ws = new MlpWorkspace(mlp, rows);
                var grads = new AlignedBuffer(mlp.ParameterCount);
                var d = new AlignedBuffer(rows * outputs);
                dOut.CopyTo(d.Span);
                fixed (float* xp = x)
                {
                    float* y = mlp.Forward(parameters.Pointer, xp, rows, ws, new GemmScratch());
                    var output = new ReadOnlySpan<float>(y, rows * outputs).ToArray();
                    mlp.Backward(parameters.Pointer, xp, rows, ws, d.Pointer, grads.Pointer, new GemmScratch());
                    return (output, grads.Span.ToArray());
                }
            }
            finally { Linear.UseFusedKernels = true; }
        }
        var (y0, g0) = Run(false);
        var (y1, g1) = Run(true);
        for (int i = 0; i < y0.Length; i++) Assert.True(Math.Abs(y0[i] - y1[i]) <= 1e-5f * (1 + Math.Abs(y0[i])), $"output {i}: {y1[i]} vs {y0[i]}");
        for (int i = 0; i < g0.Length; i++) Assert.True(Math.Abs(g0[i] - g1[i]) <= 1e-4f * (1 + Math.Abs(g0[i])), $"gradient {i}: {g1[i]} vs {g0[i]}");
    }

    [Fact]
    public void PrePackedWeightsGiveTheSameOutputsAndGradientsAsPackingPerCall()
    {
        var mlp = new Mlp(19, [256, 128], 1, Activation.Elu, 0);
        const int rows = 21;
        var rng = new Rng(29);
        var parameters = new AlignedBuffer(mlp.ParameterCount);
        mlp.Initialise(parameters.Span, rng);
        var packs = new MlpPacks(mlp);
        for (int job = 0; job < packs.Jobs; job++) packs.Pack(parameters.Pointer, job);
        var x = Random(rng, rows * 19);
        var dOut = Random(rng, rows);
        (float[], float[]) Run(MlpPacks? with)
        {
            var ws = new MlpWorkspace(mlp, rows);
            var grads = new AlignedBuffer(mlp.ParameterCount);
            var d = new AlignedBuffer(rows);
            dOut.CopyTo(d.Span);
            fixed (float* xp = x)
            {
                float* y = mlp.Forward(parameters.Pointer, xp, rows, ws, new GemmScratch(), with);
                var output = new ReadOnlySpan<float>(y, rows).ToArray();
                mlp.Backward(parameters.Pointer, xp, rows, ws, d.Pointer, grads.Pointer, new GemmScratch(), with);
                return (output, grads.Span.ToArray());
            }
        }
        var (y0, g0) = Run(null);
        var (y1, g1) = Run(packs);
        Assert.Equal(y0, y1);
        Assert.Equal(g0, g1);
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 3)]
    [InlineData(128, 4)]
    [InlineData(20, 2)]  // not a multiple of 16: the dot-product path
    public void NarrowOutputLayerMatchesNaiveReference(int inputs, int outputs)
    {
        var layer = new Linear(inputs, outputs, Activation.Identity, 0);
        const int rows = 9;
        var rng = new Rng(31);
        var p = new AlignedBuffer(layer.ParameterCount);
        for (int i = 0; i < p.Length; i++) p.Span[i] = (float)(2 * rng.NextDouble() - 1);
        var x = Random(rng, rows * inputs);
        var y = new float[rows * outputs];
        fixed (float* xp = x, yp = y) layer.Forward(p.Pointer, xp, rows, yp, new GemmScratch());
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < outputs; j++)
            {
                double want = p.Span[layer.BiasOffset + j];
                for (int i = 0; i < inputs; i++) want += (double)x[r * inputs + i] * p.Span[layer.WeightOffset + i * outputs + j];
                Assert.True(Math.Abs(y[r * outputs + j] - want) <= 1e-5 * (1 + Math.Abs(want)), $"y[{r},{j}] = {y[r * outputs + j]}, expected {want}");
            }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public void WideNetworkGradientsMatchFiniteDifferences(int outputs)
    {
        // 32- and 16-wide ELU layers: the fused kernels (full and partial tiles) and the vector narrow output layer
        const int rows = 11, inputs = 7;
        var mlp = new Mlp(inputs, [32, 16], outputs, Activation.Elu, 0);
        var rng = new Rng(37);
        var parameters = new AlignedBuffer(mlp.ParameterCount);
        mlp.Initialise(parameters.Span, rng);
        var x = Random(rng, rows * inputs);
        var c = Random(rng, rows * outputs);
        var grads = new AlignedBuffer(mlp.ParameterCount);
        var dOut = new AlignedBuffer(rows * outputs);
        c.CopyTo(dOut.Span);
        fixed (float* xp = x)
        {
            var ws = new MlpWorkspace(mlp, rows);
            mlp.Forward(parameters.Pointer, xp, rows, ws, new GemmScratch());
            mlp.Backward(parameters.Pointer, xp, rows, ws, dOut.Pointer, grads.Pointer, new GemmScratch());
        }
        ReferenceNetwork.AssertMlpGradient(mlp, parameters.Span, x, rows, c, grads.Span, $"ELU MLP 32-16-{outputs}");
    }

    private static float[] Random(Rng rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(2 * rng.NextDouble() - 1);
        return x;
    }
}
