using RlTune.Numerics;

namespace RlTune.Learning;

/// <summary>
/// The PPO model: a Gaussian policy (mean MLP + log-std vector) and a separate value MLP, all in
/// one flat float32 parameter vector laid out [policy | log-std | value]. This dense-network core
/// is our own (TorchSharp's native library does not load on the target machines' libstdc++).
/// </summary>
public sealed class ActorCritic
{
    public ActorCritic(int observations, int actions, IReadOnlyList<int> policyHidden, IReadOnlyList<int> valueHidden,
        Activation activation = Activation.Elu)
    {
        Observations = observations;
        Actions = actions;
        Policy = new Mlp(observations, policyHidden, actions, activation, 0);
        LogStdOffset = Policy.ParameterCount;
        Value = new Mlp(observations, valueHidden, 1, activation, LogStdOffset + actions);
        ParameterCount = Value.Offset + Value.ParameterCount;
        Parameters = new AlignedBuffer(ParameterCount);
    }

    public int Observations { get; }
    public int Actions { get; }
    public Mlp Policy { get; }
    public int LogStdOffset { get; }
    public Mlp Value { get; }
    public int ParameterCount { get; }
    public AlignedBuffer Parameters { get; }

    public ReadOnlySpan<float> LogStd => Parameters.Span.Slice(LogStdOffset, Actions);

    /// <summary>Seeded initialisation: both MLPs as PyTorch's nn.Linear default, log-std = <paramref name="initialLogStd"/>.</summary>
    public void Initialise(ulong seed, float initialLogStd = 0f)
    {
        var rng = new Rng(seed);
        var p = Parameters.Span;
        Policy.Initialise(p, rng);
        p.Slice(LogStdOffset, Actions).Fill(initialLogStd);
        Value.Initialise(p, rng);
    }
}

/// <summary>Everything one thread needs to run the model on its rows: network buffers, packing scratch, gradients.</summary>
public sealed class ActorCriticWorkspace
{
    public ActorCriticWorkspace(ActorCritic model, int maxRows)
    {
        MaxRows = maxRows;
        Policy = new MlpWorkspace(model.Policy, maxRows);
        Value = new MlpWorkspace(model.Value, maxRows);
        Gradients = new AlignedBuffer(model.ParameterCount);
        MeanGradient = new AlignedBuffer(Math.Max(1, maxRows * model.Actions));
        ValueGradient = new AlignedBuffer(Math.Max(1, maxRows));
        Inputs = new AlignedBuffer(Math.Max(1, maxRows * model.Observations));
        BatchActions = new AlignedBuffer(Math.Max(1, maxRows * model.Actions));
        BatchScalars = new AlignedBuffer(Math.Max(1, maxRows * 4));
    }

    public int MaxRows { get; }
    public MlpWorkspace Policy { get; }
    public MlpWorkspace Value { get; }
    public GemmScratch Scratch { get; } = new();
    public AlignedBuffer Gradients { get; }
    public AlignedBuffer MeanGradient { get; }
    public AlignedBuffer ValueGradient { get; }
    /// <summary>Rows gathered for this thread (normalised observations).</summary>
    public AlignedBuffer Inputs { get; }
    /// <summary>Actions of the gathered rows.</summary>
    public AlignedBuffer BatchActions { get; }
    /// <summary>Old log-probabilities, advantages, returns and old values of the gathered rows, one block of rows each.</summary>
    public AlignedBuffer BatchScalars { get; }
}

/// <summary>Both networks' weights packed for the fused kernels (<see cref="MlpPacks"/>), repacked across the pool's threads.</summary>
public sealed unsafe class ActorCriticPacks(ActorCritic model) : IParallelJob
{
    public MlpPacks Policy { get; } = new(model.Policy);
    public MlpPacks Value { get; } = new(model.Value);

    /// <summary>Packs the current parameters; call after every parameter change, before the packs are used.</summary>
    public void Refresh(WorkerPool pool)
    {
        if (Policy.Jobs + Value.Jobs > 0) pool.Run(this);
    }

    public void Execute(int part, int parts)
    {
        float* p = model.Parameters.Pointer;
        for (int job = part; job < Policy.Jobs + Value.Jobs; job += parts)
        {
            if (job < Policy.Jobs) Policy.Pack(p, job);
            else Value.Pack(p, job - Policy.Jobs);
        }
    }
}
