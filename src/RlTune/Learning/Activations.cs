using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace RlTune.Learning;

/// <summary>Element-wise nonlinearities between layers. Identity is the output layer's.</summary>
public enum Activation { Identity, Elu, Tanh, Relu }

/// <summary>
/// Forward and backward of each activation. Backward uses the activation's output h (not its input),
/// so layers keep only one buffer per layer: ELU' = 1 if h &gt; 0 else h + 1, tanh' = 1 - h², ReLU' = [h &gt; 0].
/// </summary>
public static class Activations
{
    public static Activation Parse(string name) => name.ToLowerInvariant() switch
    {
        "elu" => Activation.Elu,
        "tanh" => Activation.Tanh,
        "relu" => Activation.Relu,
        "identity" or "linear" => Activation.Identity,
        _ => throw new UserError($"unknown activation '{name}'; expected elu, tanh, relu or identity."),
    };

    /// <summary>h = act(h) in place.</summary>
    public static void Forward(Activation activation, Span<float> h)
    {
        switch (activation)
        {
            case Activation.Identity: return;
            case Activation.Tanh: TensorPrimitives.Tanh(h, h); return;
            case Activation.Relu: TensorPrimitives.Max(h, 0f, h); return;
            case Activation.Elu: EluForward(h); return;
        }
    }

    private static void EluForward(Span<float> h)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= h.Length - 16; i += 16)
            {
                var z = Vector512.Create<float>(h.Slice(i, 16));
                var neg = Vector512.Exp(Vector512.Min(z, Vector512<float>.Zero)) - Vector512<float>.One;
                Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, neg).CopyTo(h.Slice(i, 16));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= h.Length - 8; i += 8)
            {
                var z = Vector256.Create<float>(h.Slice(i, 8));
                var neg = Vector256.Exp(Vector256.Min(z, Vector256<float>.Zero)) - Vector256<float>.One;
                Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, neg).CopyTo(h.Slice(i, 8));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= h.Length - 4; i += 4)
            {
                var z = Vector128.Create<float>(h.Slice(i, 4));
                var neg = Vector128.Exp(Vector128.Min(z, Vector128<float>.Zero)) - Vector128<float>.One;
                Vector128.ConditionalSelect(Vector128.GreaterThan(z, Vector128<float>.Zero), z, neg).CopyTo(h.Slice(i, 4));
            }
        }
        for (; i < h.Length; i++) h[i] = h[i] > 0 ? h[i] : MathF.Exp(h[i]) - 1f;
    }

    /// <summary>
    /// Each row of <paramref name="block"/> [rows x bias.Length] becomes act(row + bias), in one pass
    /// (a separate bias pass would read and write every activation twice).
    /// </summary>
    public static void BiasForward(Activation activation, Span<float> block, ReadOnlySpan<float> bias)
    {
        int width = bias.Length;
        if (activation == Activation.Elu && Vector512.IsHardwareAccelerated && width % 16 == 0)
        {
            for (int r = 0; r < block.Length; r += width)
                for (int i = 0; i < width; i += 16)
                {
                    var h = block.Slice(r + i, 16);
                    var z = Vector512.Create<float>(h) + Vector512.Create<float>(bias.Slice(i, 16));
                    var negative = Vector512.Min(z, Vector512<float>.Zero);
                    // exp only where some lane is negative: ELU layers are often half positive
                    var elu = Vector512.LessThanAny(z, Vector512<float>.Zero)
                        ? Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, Vector512.Exp(negative) - Vector512<float>.One)
                        : z;
                    elu.CopyTo(h);
                }
            return;
        }
        for (int r = 0; r < block.Length; r += width)
        {
            var row = block.Slice(r, width);
            TensorPrimitives.Add(row, bias, row);
        }
        Forward(activation, block);
    }

    /// <summary>g = g * act'(·), where <paramref name="h"/> holds the activation's outputs.</summary>
    public static void Backward(Activation activation, ReadOnlySpan<float> h, Span<float> g)
    {
        int i = 0;
        switch (activation)
        {
            case Activation.Identity:
                return;
            case Activation.Tanh:
                if (Vector256.IsHardwareAccelerated)
                    for (; i <= h.Length - 8; i += 8)
                    {
                        var hv = Vector256.Create<float>(h.Slice(i, 8));
                        (Vector256.Create<float>(g.Slice(i, 8)) * (Vector256<float>.One - hv * hv)).CopyTo(g.Slice(i, 8));
                    }
                for (; i < h.Length; i++) g[i] *= 1f - h[i] * h[i];
                return;
            case Activation.Relu:
                if (Vector256.IsHardwareAccelerated)
                    for (; i <= h.Length - 8; i += 8)
                    {
                        var hv = Vector256.Create<float>(h.Slice(i, 8));
                        var gv = Vector256.Create<float>(g.Slice(i, 8));
                        Vector256.ConditionalSelect(Vector256.GreaterThan(hv, Vector256<float>.Zero), gv, Vector256<float>.Zero).CopyTo(g.Slice(i, 8));
                    }
                for (; i < h.Length; i++) g[i] = h[i] > 0 ? g[i] : 0f;
                return;
            case Activation.Elu:
                if (Vector512.IsHardwareAccelerated)
                    for (; i <= h.Length - 16; i += 16)
                    {
                        var hv = Vector512.Create<float>(h.Slice(i, 16));
                        var gv = Vector512.Create<float>(g.Slice(i, 16));
                        Vector512.ConditionalSelect(Vector512.GreaterThan(hv, Vector512<float>.Zero), gv, gv * (hv + Vector512<float>.One)).CopyTo(g.Slice(i, 16));
                    }
                else if (Vector256.IsHardwareAccelerated)
                    for (; i <= h.Length - 8; i += 8)
                    {
                        var hv = Vector256.Create<float>(h.Slice(i, 8));
                        var gv = Vector256.Create<float>(g.Slice(i, 8));
                        Vector256.ConditionalSelect(Vector256.GreaterThan(hv, Vector256<float>.Zero), gv, gv * (hv + Vector256<float>.One)).CopyTo(g.Slice(i, 8));
                    }
                for (; i < h.Length; i++) g[i] = h[i] > 0 ? g[i] : g[i] * (h[i] + 1f);
                return;
        }
    }
}
