using System.Numerics.Tensors;
using RlTune.Numerics;

namespace RlTune.Learning;

/// <summary>
/// A multilayer perceptron: hidden layers with one activation, then a linear output layer. Its
/// parameters are a slice of a larger flat vector starting at <see cref="Offset"/>.
/// </summary>
public sealed class Mlp
{
    public Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, Activation activation, int offset)
    {
        var layers = new List<Linear>();
        int width = inputs, at = offset;
        foreach (int h in hidden)
        {
            layers.Add(new Linear(width, h, activation, at));
            at += layers[^1].ParameterCount;
            width = h;
        }
        layers.Add(new Linear(width, outputs, Activation.Identity, at));
        at += layers[^1].ParameterCount;
        Layers = layers;
        Inputs = inputs;
        Outputs = outputs;
        Offset = offset;
        ParameterCount = at - offset;
        HiddenSizes = hidden.ToArray();
        Activation = activation;
    }

    public IReadOnlyList<Linear> Layers { get; }
    public int Inputs { get; }
    public int Outputs { get; }
    public int Offset { get; }
    public int ParameterCount { get; }
    public IReadOnlyList<int> HiddenSizes { get; }
    public Activation Activation { get; }
    public int MaxWidth => Layers.Max(l => Math.Max(l.In, l.Out));

    /// <summary>Multiply-adds per row for one forward pass (a backward pass is about twice this).</summary>
    public long MultiplyAddsPerRow => Layers.Sum(l => (long)l.In * l.Out);

    public void Initialise(Span<float> parameters, Rng rng)
    {
        foreach (var layer in Layers) layer.Initialise(parameters, rng);
    }

    /// <summary>Runs the network on x[rows x Inputs]; returns the output [rows x Outputs] inside the workspace.</summary>
    public unsafe float* Forward(float* parameters, float* x, int rows, MlpWorkspace workspace, GemmScratch scratch, MlpPacks? packs = null)
    {
        workspace.CheckRows(rows);
        float* input = x;
        for (int l = 0; l < Layers.Count; l++)
        {
            float* output = workspace.Outputs[l].Pointer;
            Layers[l].Forward(parameters, input, rows, output, scratch, packs != null ? packs.Forward(l) : null);
            input = output;
        }
        return input;
    }

    /// <summary>
    /// Backward after <see cref="Forward"/> on the same rows. <paramref name="dOutput"/> [rows x Outputs]
    /// is dL/d(output) (overwritten); parameter gradients are added into <paramref name="gradients"/>.
    /// </summary>
    public unsafe void Backward(float* parameters, float* x, int rows, MlpWorkspace workspace, float* dOutput, float* gradients, GemmScratch scratch,
        MlpPacks? packs = null)
    {
        // the output layer is linear: dL/d(output) is its dL/d(pre-activation), and its bias gradient the column sums
        var top = Layers[^1];
        var topBias = new Span<float>(gradients + top.BiasOffset, top.Out);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(topBias, new ReadOnlySpan<float>(dOutput + (long)r * top.Out, top.Out), topBias);
        float* dz = dOutput;
        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            float* input = l == 0 ? x : workspace.Outputs[l - 1].Pointer;
            float* dx = l == 0 ? null : ((l & 1) == 0 ? workspace.GradientA.Pointer : workspace.GradientB.Pointer);
            Layers[l].Backward(parameters, input, dz, rows, gradients, dx, l == 0 ? null : Layers[l - 1], scratch,
                packs != null && l > 0 ? packs.Transposed(l) : null);
            dz = dx;
        }
    }
}

/// <summary>Activations and backward buffers of one <see cref="Mlp"/> for up to <see cref="MaxRows"/> rows (one per thread).</summary>
public sealed class MlpWorkspace
{
    public MlpWorkspace(Mlp network, int maxRows)
    {
        MaxRows = maxRows;
        Outputs = network.Layers.Select(l => new AlignedBuffer(Math.Max(1, maxRows * l.Out))).ToArray();
        GradientA = new AlignedBuffer(Math.Max(1, maxRows * network.MaxWidth));
        GradientB = new AlignedBuffer(Math.Max(1, maxRows * network.MaxWidth));
    }

    public int MaxRows { get; }
    public AlignedBuffer[] Outputs { get; }
    public AlignedBuffer GradientA { get; }
    public AlignedBuffer GradientB { get; }

    internal void CheckRows(int rows)
    {
        if (rows > MaxRows) throw new InvalidOperationException($"workspace holds {MaxRows} rows, asked for {rows}");
    }
}

/// <summary>
/// An <see cref="Mlp"/>'s weights packed once for the fused kernels, W for forward and Wᵀ for input
/// gradients, so the chunks and threads of one mini-batch or one rollout step do not each pack them
/// again. The owner repacks (<see cref="Pack"/>) whenever the parameters may have changed.
/// </summary>
public sealed unsafe class MlpPacks
{
    private readonly Mlp _mlp;
    private readonly AlignedBuffer?[] _forward, _transposed;
    private readonly (int Layer, bool Transposed)[] _jobs;

    public MlpPacks(Mlp mlp)
    {
        _mlp = mlp;
        int n = mlp.Layers.Count;
        _forward = new AlignedBuffer?[n];
        _transposed = new AlignedBuffer?[n];
        var jobs = new List<(int, bool)>();
        for (int l = 0; l < n; l++)
        {
            var layer = mlp.Layers[l];
            if (layer.IsNarrow) continue;
            if (Linear.Fused(layer.Activation))
            {
                _forward[l] = new AlignedBuffer(Math.Max(1, FusedGemm.PackedLength(layer.In, layer.Out)));
                jobs.Add((l, false));
            }
            if (l > 0 && Linear.Fused(mlp.Layers[l - 1].Activation))
            {
                _transposed[l] = new AlignedBuffer(Math.Max(1, FusedGemm.PackedLength(layer.Out, layer.In)));
                jobs.Add((l, true));
            }
        }
        _jobs = jobs.ToArray();
    }

    /// <summary>Independent packing jobs (one matrix each), so threads can share the work.</summary>
    public int Jobs => _jobs.Length;

    /// <summary>Packs matrix <paramref name="job"/> from <paramref name="parameters"/>.</summary>
    public void Pack(float* parameters, int job)
    {
        var (l, transposed) = _jobs[job];
        var layer = _mlp.Layers[l];
        float* w = parameters + layer.WeightOffset;
        if (transposed) FusedGemm.PackB(layer.In, layer.Out, w, layer.Out, true, _transposed[l]!.Pointer);
        else FusedGemm.PackB(layer.Out, layer.In, w, layer.Out, false, _forward[l]!.Pointer);
    }

    internal float* Forward(int layer) => _forward[layer] is { } b ? b.Pointer : null;
    internal float* Transposed(int layer) => _transposed[layer] is { } b ? b.Pointer : null;
}
