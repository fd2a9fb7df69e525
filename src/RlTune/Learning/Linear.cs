using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using RlTune.Numerics;

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

    /// <summary>
    /// Output layers a few units wide (value 1, a few actions) skip the GEMM: its register tile is
    /// 16-32 columns wide, so dot products over a transposed copy of W do far less work.
    /// </summary>
    public const int NarrowWidth = 4;
    internal bool IsNarrow => Out <= NarrowWidth;

    /// <summary>
    /// y[rows x Out] = act(x[rows x In] W + b). <paramref name="packs"/>, when given, holds W already packed
    /// for the fused kernel (see <see cref="MlpPacks"/>).
    /// </summary>
    public unsafe void Forward(float* parameters, float* x, int rows, float* y, GemmScratch scratch, float* packs = null)
    {
        if (IsNarrow)
        {
            float* wt = TransposedWeights(parameters, scratch);
            if (Vector512.IsHardwareAccelerated && In % 16 == 0)
            {
                NarrowForward512(wt, x, rows, y);
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    var xr = new ReadOnlySpan<float>(x + (long)r * In, In);
                    for (int j = 0; j < Out; j++) y[(long)r * Out + j] = TensorPrimitives.Dot(xr, new ReadOnlySpan<float>(wt + j * In, In));
                }
            }
        }
        else if (Fused(Activation))
        {
            var epilogue = new BiasActivationEpilogue(parameters + BiasOffset, Activation);
            if (packs != null) FusedGemm.MultiplyPacked(rows, Out, In, x, In, packs, y, Out, epilogue, scratch);
            else FusedGemm.Multiply(rows, Out, In, x, In, parameters + WeightOffset, Out, false, y, Out, epilogue, scratch);
            return;
        }
        else
        {
            Gemm.Multiply(rows, Out, In, x, In, false, parameters + WeightOffset, Out, false, y, Out, false, scratch);
        }
        Activations.BiasForward(Activation, new Span<float>(y, rows * Out), new ReadOnlySpan<float>(parameters + BiasOffset, Out));
    }

    /// <summary>Off: the packed GEMM plus separate element-wise passes everywhere (tests and benchmarks compare the two).</summary>
    public static bool UseFusedKernels { get; set; } = true;

    internal static bool Fused(Activation activation) => UseFusedKernels && FusedGemm.IsSupported && FusedGemm.Fuses(activation);

    /// <summary>
    /// Backward through this layer from <paramref name="dz"/> = dL/d(pre-activation) [rows x Out], whose
    /// bias gradient the caller has already added. Adds dL/dW into <paramref name="gradients"/>. When
    /// <paramref name="dx"/> is not null, <paramref name="below"/> is the layer whose outputs are this
    /// layer's input <paramref name="x"/>: dx becomes that layer's dL/d(pre-activation), (dz Wᵀ) ⊙ act'(x),
    /// and its bias gradient is added too.
    /// </summary>
    public unsafe void Backward(float* parameters, float* x, float* dz, int rows, float* gradients, float* dx, Linear? below, GemmScratch scratch,
        float* transposedPacks = null)
    {
        if (IsNarrow)
        {
            NarrowBackward(parameters, x, dz, rows, gradients, dx, below, scratch);
            return;
        }
        float* w = parameters + WeightOffset;
        Gemm.Multiply(In, Out, rows, x, In, true, dz, Out, false, gradients + WeightOffset, Out, true, scratch);
        if (dx == null) return;
        if (below == null || below.Out != In) throw new ArgumentException("the input gradient needs the layer below", nameof(below));
        float* belowBias = gradients + below.BiasOffset;
        if (Fused(below.Activation))
        {
            var epilogue = new ActivationGradientEpilogue(x, In, belowBias, below.Activation);
            if (transposedPacks != null) FusedGemm.MultiplyPacked(rows, In, Out, dz, Out, transposedPacks, dx, In, epilogue, scratch);
            else FusedGemm.Multiply(rows, In, Out, dz, Out, w, Out, true, dx, In, epilogue, scratch);
            return;
        }
        Gemm.Multiply(rows, In, Out, dz, Out, false, w, Out, true, dx, In, false, scratch);
        for (int r = 0; r < rows; r++)
            Activations.GradientRow(below.Activation, x + (long)r * In, dx + (long)r * In, In, belowBias);
    }

    /// <summary>Each row of x read once for all (at most 4) outputs: one pass instead of one dot product call per output.</summary>
    private unsafe void NarrowForward512(float* wt, float* x, int rows, float* y)
    {
        int inputs = In, outputs = Out;
        for (int r = 0; r < rows; r++, x += inputs, y += outputs)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int i = 0; i < inputs; i += 16)
            {
                var xv = Vector512.Load(x + i);
                s0 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(wt + i), s0);
                if (outputs > 1) s1 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(wt + inputs + i), s1);
                if (outputs > 2) s2 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(wt + 2 * inputs + i), s2);
                if (outputs > 3) s3 = Vector512.FusedMultiplyAdd(xv, Vector512.Load(wt + 3 * inputs + i), s3);
            }
            y[0] = Vector512.Sum(s0);
            if (outputs > 1) y[1] = Vector512.Sum(s1);
            if (outputs > 2) y[2] = Vector512.Sum(s2);
            if (outputs > 3) y[3] = Vector512.Sum(s3);
        }
    }

    /// <summary>One row of <see cref="NarrowBackward"/> in one pass over x and Wᵀ: dWᵀ_j += g_j·x and dx = Σ_j g_j·Wᵀ_j (when dx is not null).</summary>
    private unsafe void NarrowBackwardRow512(float* wt, float* dwt, float* x, float* g, float* dx)
    {
        int inputs = In, outputs = Out;
        for (int i = 0; i < inputs; i += 16)
        {
            var xv = Vector512.Load(x + i);
            var sum = Vector512<float>.Zero;
            for (int j = 0; j < outputs; j++)
            {
                var gj = Vector512.Create(g[j]);
                float* acc = dwt + j * inputs + i;
                Vector512.FusedMultiplyAdd(xv, gj, Vector512.Load(acc)).Store(acc);
                sum = Vector512.FusedMultiplyAdd(Vector512.Load(wt + j * inputs + i), gj, sum);
            }
            if (dx != null) sum.Store(dx + i);
        }
    }

    /// <summary>W^T [Out x In] in the scratch's narrow buffer (first In*Out floats).</summary>
    private unsafe float* TransposedWeights(float* parameters, GemmScratch scratch)
    {
        float* wt = scratch.Narrow(2 * In * Out).Pointer, w = parameters + WeightOffset;
        for (int i = 0; i < In; i++)
            for (int j = 0; j < Out; j++) wt[j * In + i] = w[i * Out + j];
        return wt;
    }

    /// <summary>dW^T_j += Σ_r dy[r,j]·x_r and dx_r = Σ_j dy[r,j]·W^T_j, as row-wise multiply-adds.</summary>
    private unsafe void NarrowBackward(float* parameters, float* x, float* dy, int rows, float* gradients, float* dx, Linear? below, GemmScratch scratch)
    {
        if (dx != null && (below == null || below.Out != In)) throw new ArgumentException("the input gradient needs the layer below", nameof(below));
        float* wt = TransposedWeights(parameters, scratch);
        float* dwt = wt + In * Out;
        new Span<float>(dwt, In * Out).Clear();
        bool vector = Vector512.IsHardwareAccelerated && In % 16 == 0;
        for (int r = 0; r < rows; r++)
        {
            if (vector)
            {
                NarrowBackwardRow512(wt, dwt, x + (long)r * In, dy + (long)r * Out, dx != null ? dx + (long)r * In : null);
                if (dx != null) Activations.GradientRow(below!.Activation, x + (long)r * In, dx + (long)r * In, In, gradients + below.BiasOffset);
                continue;
            }
            var xr = new ReadOnlySpan<float>(x + (long)r * In, In);
            Span<float> dxr = dx != null ? new Span<float>(dx + (long)r * In, In) : default;
            for (int j = 0; j < Out; j++)
            {
                float g = dy[(long)r * Out + j];
                var acc = new Span<float>(dwt + j * In, In);
                TensorPrimitives.MultiplyAdd(xr, g, acc, acc);
                if (dx == null) continue;
                var wj = new ReadOnlySpan<float>(wt + j * In, In);
                if (j == 0) TensorPrimitives.Multiply(wj, g, dxr);
                else TensorPrimitives.MultiplyAdd(wj, g, dxr, dxr);
            }
            if (dx != null) Activations.GradientRow(below!.Activation, x + (long)r * In, dx + (long)r * In, In, gradients + below.BiasOffset);
        }
        float* dw = gradients + WeightOffset;
        for (int i = 0; i < In; i++)
            for (int j = 0; j < Out; j++) dw[i * Out + j] += dwt[j * In + i];
    }
}
