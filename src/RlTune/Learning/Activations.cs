using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
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
                Apply(Activation.Elu, Vector512.Create<float>(h.Slice(i, 16))).CopyTo(h.Slice(i, 16));
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
                    Apply(Activation.Elu, z).CopyTo(h);
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

    /// <summary>act(z) on one vector (the fused GEMM epilogue); a NaN input stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Apply(Activation activation, Vector512<float> z)
    {
        switch (activation)
        {
            case Activation.Elu:
                return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(z, Vector512<float>.Zero),
                    ExpNonPositive(Vector512.MinNative(z, Vector512<float>.Zero)) - Vector512<float>.One, z);
            case Activation.Relu:
                return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(z, Vector512<float>.Zero), Vector512<float>.Zero, z);
            case Activation.Identity:
                return z;
            default:
                return ApplyPerLane(activation, z);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> ApplyPerLane(Activation activation, Vector512<float> z)
    {
        for (int i = 0; i < Vector512<float>.Count; i++) z = z.WithElement(i, Apply(activation, z.GetElement(i)));
        return z;
    }

    /// <summary>act(z) on one value (partial tiles of the fused GEMM).</summary>
    internal static float Apply(Activation activation, float z) => activation switch
    {
        Activation.Elu => z > 0 ? z : MathF.Exp(z) - 1f,
        Activation.Relu => z <= 0 ? 0f : z,
        Activation.Tanh => MathF.Tanh(z),
        _ => z,
    };

    /// <summary>g · act'(·) where <paramref name="h"/> is the activation's output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Gradient(Activation activation, Vector512<float> h, Vector512<float> g) => activation switch
    {
        Activation.Elu => Vector512.ConditionalSelect(Vector512.GreaterThan(h, Vector512<float>.Zero), g, g * (h + Vector512<float>.One)),
        Activation.Relu => Vector512.ConditionalSelect(Vector512.GreaterThan(h, Vector512<float>.Zero), g, Vector512<float>.Zero),
        Activation.Tanh => g * (Vector512<float>.One - h * h),
        _ => g,
    };

    /// <summary>g · act'(·) for one value.</summary>
    internal static float Gradient(Activation activation, float h, float g) => activation switch
    {
        Activation.Elu => h > 0 ? g : g * (h + 1f),
        Activation.Relu => h > 0 ? g : 0f,
        Activation.Tanh => g * (1f - h * h),
        _ => g,
    };

    /// <summary>
    /// One row: g = g · act'(h) and biasGradient += g, in one pass (the layer below's dL/d(pre-activation)
    /// and its bias gradient).
    /// </summary>
    internal static unsafe void GradientRow(Activation activation, float* h, float* g, int width, float* biasGradient)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= width - 16; i += 16)
            {
                var gv = Gradient(activation, Vector512.Load(h + i), Vector512.Load(g + i));
                gv.Store(g + i);
                (Vector512.Load(biasGradient + i) + gv).Store(biasGradient + i);
            }
        for (; i < width; i++)
        {
            g[i] = Gradient(activation, h[i], g[i]);
            biasGradient[i] += g[i];
        }
    }

    /// <summary>
    /// exp(z) for z in [-87.3, 0] (smaller z give exp(-87.3), about 1e-38): 2^n · p(r) with n = round(z/ln 2),
    /// r = z - n ln 2 (two-part ln 2) and a degree-7 polynomial for e^r, within a few ulp. .NET's
    /// Vector512.Exp computes in double and costs several times more, which shows in ELU layers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpNonPositive(Vector512<float> z)
    {
        z = Vector512.MaxNative(z, Vector512.Create(-87.3f));
        var n = Vector512.Round(z * Vector512.Create(1.44269504f));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), z);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1.9875691500e-4f), r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }
}
