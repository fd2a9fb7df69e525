using System.Numerics.Tensors;

namespace RlTune.Learning;

/// <summary>
/// A dense layer y = act(x W + b) over rows of a batch. W is [In x Out] row-major and, with b,
/// lives in a flat parameter vector at <see cref="WeightOffset"/> / <see cref="BiasOffset"/>, so
/// Adam, clipping and checkpoints see one array.
/// </summary>
public sealed class Linear(int inputs, int outputs, Activation activation, int offset)
{
    public int In { get; } = inputs;
    public int Out { get; } = outputs;
    public Activation Activation { get; } = activation;
    public int WeightOffset { get; } = offset;
    public int BiasOffset { get; } = offset + inputs * outputs;
    public int ParameterCount => In * Out + Out;

    /// <summary>
    /// PyTorch's nn.Linear default (what skrl's models get): W and b uniform in ±1/sqrt(In).
    /// </summary>
    public void Initialise(Span<float> parameters, Rng rng)
    {
        double bound = 1.0 / Math.Sqrt(In);
        var p = parameters.Slice(WeightOffset, ParameterCount);
        for (int i = 0; i < p.Length; i++) p[i] = (float)((2 * rng.NextDouble() - 1) * bound);
    }

    /// <summary>y[rows x Out] = act(x[rows x In] W + b).</summary>
    public unsafe void Forward(float* parameters, float* x, int rows, float* y, GemmScratch scratch)
    {
        Gemm.Multiply(rows, Out, In, x, In, false, parameters + WeightOffset, Out, false, y, Out, false, scratch);
        var bias = new ReadOnlySpan<float>(parameters + BiasOffset, Out);
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(y + (long)r * Out, Out);
            TensorPrimitives.Add(row, bias, row);
        }
        Activations.Forward(Activation, new Span<float>(y, rows * Out));
    }

    /// <summary>
    /// Backward through this layer. <paramref name="dy"/> holds dL/dy on entry and dL/d(pre-activation)
    /// after; gradients are added into <paramref name="gradients"/>; dL/dx is written to
    /// <paramref name="dx"/> unless it is null (the first layer needs none).
    /// </summary>
    public unsafe void Backward(float* parameters, float* x, float* y, float* dy, int rows, float* gradients, float* dx, GemmScratch scratch)
    {
        Activations.Backward(Activation, new ReadOnlySpan<float>(y, rows * Out), new Span<float>(dy, rows * Out));
        Gemm.Multiply(In, Out, rows, x, In, true, dy, Out, false, gradients + WeightOffset, Out, true, scratch);
        var db = new Span<float>(gradients + BiasOffset, Out);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, new ReadOnlySpan<float>(dy + (long)r * Out, Out), db);
        if (dx != null)
            Gemm.Multiply(rows, In, Out, dy, Out, false, parameters + WeightOffset, Out, true, dx, In, false, scratch);
    }
}
