using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Tests.Learning;

public sealed class ActivationTests
{
    [Theory]
    [InlineData(Activation.Elu, 32)]
    [InlineData(Activation.Elu, 20)]
    [InlineData(Activation.Tanh, 32)]
    [InlineData(Activation.Relu, 16)]
    [InlineData(Activation.Identity, 5)]
    public void BiasForwardMatchesScalarDefinition(Activation activation, int width)
    {
        var rng = new Rng(21);
        const int rows = 5;
        var block = new float[rows * width];
        var bias = new float[width];
        for (int i = 0; i < block.Length; i++) block[i] = (float)(3 * rng.NextGaussian());
        for (int i = 0; i < width; i++) bias[i] = (float)rng.NextGaussian();
        // a row that is all positive after the bias, to take the no-exp branch of the vector ELU
        for (int i = 0; i < width; i++) block[i] = Math.Abs(block[i]) + Math.Abs(bias[i]) + 0.1f;
        var expected = block.Select((z, i) => (float)ReferenceNetwork.Act(activation, z + bias[i % width])).ToArray();
        Activations.BiasForward(activation, block, bias);
        for (int i = 0; i < block.Length; i++)
            Assert.True(Math.Abs(block[i] - expected[i]) <= 1e-5f * (1 + Math.Abs(expected[i])), $"{activation} element {i}: {block[i]} vs {expected[i]}");
    }
}
