using System.Diagnostics;
using System.Numerics.Tensors;
using RlTune.Envs;
using RlTune.Numerics;

namespace RlTune.Learning;

/// <summary>Raised when training produces a non-finite number; the run must stop and say so.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>What one rollout + update did, for logs and TensorBoard.</summary>
public sealed record UpdateReport(long EnvSteps, int Update, double PolicyLoss, double ValueLoss, double EntropyLoss,
    double PolicyStd, double LearningRate, double ApproxKl, double ClipFraction, double InstantRewardMean, EpisodeReport Episodes)
{
    /// <summary>Wall seconds of this iteration's rollout: policy inference plus env steps.</summary>
    public double RolloutSeconds { get; init; }
    /// <summary>Of <see cref="RolloutSeconds"/>, the seconds spent inside env.Step.</summary>
    public double EnvSeconds { get; init; }
    /// <summary>Wall seconds of this iteration's PPO update.</summary>
    public double UpdateSeconds { get; init; }
}

/// <summary>The counters and random stream of a <see cref="PpoTrainer"/> between updates.</summary>
public sealed record TrainerProgress(long EnvSteps, int Updates, double LearningRate, RngState Rng);

/// <summary>
/// PPO with skrl's semantics, on a vectorised auto-resetting env. One <see cref="Iterate"/> is one
/// rollout of <c>rollouts</c> steps on every env followed by <c>learning_epochs</c> passes of
/// <c>mini_batches</c> shuffled mini-batches. Deliberate differences from skrl, both for speed or
/// correctness: the state scaler is updated once per rollout on all its states (skrl: per
/// mini-batch of the first epoch), and a time-limit end is bootstrapped with V(final observation)
/// (skrl: V of the state before it).
/// </summary>
public sealed unsafe class PpoTrainer : IDisposable
{
    private readonly IVecEnv _env;
    private readonly WorkerPool _pool;
    private readonly ActorCriticWorkspace[] _workspaces;
    private readonly ModelRunner _runner;
    private readonly MiniBatchUpdater _updater;
    private readonly Rng _rng;
    private readonly int _envs, _steps, _obs, _act;
    private long _envTicks;

    // rollout memory, step-major [rollouts x envs (x width)]
    private readonly AlignedBuffer _states, _normalizedStates, _actions, _logProbs, _values, _rewards, _advantages, _returns;
    private readonly byte[] _dones;
    private readonly int[] _permutation;
    // one vectorised step
    private readonly AlignedBuffer _means, _stepValues, _bootstrapObs, _bootstrapValues, _noise;
    private readonly float[] _stepRewards;
    private readonly bool[] _terminated, _truncated;
    private readonly int[] _bootstrapEnvs;

    public PpoTrainer(PpoConfig config, IVecEnv env, int threads = 2, ActorCritic? model = null)
    {
        config.Validate("config");
        if (env.NumEnvs != config.NumEnvs) throw new ArgumentException($"env has {env.NumEnvs} envs, config says {config.NumEnvs}");
        Config = config;
        _env = env;
        _envs = env.NumEnvs; _steps = config.Rollouts; _obs = env.ObsDim; _act = env.ActDim;
        if (model == null)
        {
            model = new ActorCritic(_obs, _act, config.PolicyHiddenLayerSizes, config.ValueHiddenLayerSizes, config.Activation);
            model.Initialise((ulong)config.Seed, (float)config.InitialLogStd);
        }
        else if (model.Observations != _obs || model.Actions != _act)
        {
            throw new UserError($"the checkpoint's model takes {model.Observations} observations and gives {model.Actions} actions; env '{env.Name}' has {_obs} and {_act}.");
        }
        Model = model;
        Optimizer = new Adam(model.ParameterCount);
        StateScaler = new RunningStandardScaler(_obs);
        ValueScaler = new RunningStandardScaler(1);
        LearningRate = config.LearningRate;
        _rng = new Rng((ulong)config.Seed * 0x9E3779B97F4A7C15UL + 1);
        _pool = new WorkerPool(threads);

        int batch = config.MiniBatchSize;
        int maxRows = Math.Max((_envs + threads - 1) / threads, (batch + threads - 1) / threads);
        maxRows = Math.Min(maxRows, 4096); // larger row counts run in chunks; keeps memory flat
        _workspaces = Enumerable.Range(0, threads).Select(_ => new ActorCriticWorkspace(model, maxRows)).ToArray();
        _runner = new ModelRunner(model, _workspaces, _pool);

        long samples = (long)_steps * _envs;
        _states = new AlignedBuffer(checked((int)(samples * _obs)));
        _normalizedStates = new AlignedBuffer(checked((int)(samples * _obs)));
        _actions = new AlignedBuffer(checked((int)(samples * _act)));
        _logProbs = new AlignedBuffer((int)samples);
        _values = new AlignedBuffer((int)samples);
        _rewards = new AlignedBuffer((int)samples);
        _advantages = new AlignedBuffer((int)samples);
        _returns = new AlignedBuffer((int)samples);
        _dones = new byte[samples];
        _permutation = new int[samples];
        _means = new AlignedBuffer(_envs * _act);
        _stepValues = new AlignedBuffer(_envs + 1);
        _bootstrapObs = new AlignedBuffer(_envs * _obs);
        _bootstrapValues = new AlignedBuffer(_envs);
        _noise = new AlignedBuffer(_envs * _act);
        _stepRewards = new float[_envs];
        _terminated = new bool[_envs];
        _truncated = new bool[_envs];
        _bootstrapEnvs = new int[_envs];
        _updater = new MiniBatchUpdater(model, config, _pool, _workspaces, Optimizer);
        _env.Reset(config.Seed);
        if (config.InitAtRandomEpLen)
        {
            if (env is not IStaggeredEpisodes staggered)
                throw new UserError($"rl_overrides.init_at_random_ep_len: env '{env.Name}' cannot start its envs part-way through an episode; leave it false.");
            staggered.StaggerEpisodes(config.Seed);
        }
    }

    public PpoConfig Config { get; }
    public ActorCritic Model { get; }
    public Adam Optimizer { get; }
    public RunningStandardScaler StateScaler { get; }
    public RunningStandardScaler ValueScaler { get; }
    /// <summary>When set, the state scaler's statistics stay as they are (warm start with freeze_preprocessor).</summary>
    public bool FreezeStatePreprocessor { get; set; }
    public double LearningRate { get; set; }
    public long EnvSteps { get; private set; }
    public int Updates { get; private set; }
    /// <summary>The entropy bonus's scale for the next update (falls linearly to 0 under the linear scheduler).</summary>
    public double EntropyLossScale => Config.EntropyLossScaleScheduler == ScheduleKind.Linear
        ? Config.EntropyLossScale * TrainingLeft
        : Config.EntropyLossScale;
    /// <summary>The fraction of the schedule's updates still to run (1 before the first, 0 after the last): the linear schedules' factor.</summary>
    private double TrainingLeft => Math.Max(0.0, 1.0 - (double)Updates / UpdatesFor(Config.ScheduleEnvSteps > 0 ? Config.ScheduleEnvSteps : Config.MaxEnvSteps));
    public int TotalUpdates => UpdatesFor(Config.MaxEnvSteps);
    private int UpdatesFor(long envSteps) => (int)Math.Max(1, envSteps / ((long)_steps * _envs));
    public bool Done => Updates >= TotalUpdates;
    public WorkerPool Pool => _pool;
    /// <summary>The training env (its state goes into checkpoints).</summary>
    internal IVecEnv Env => _env;
    internal ModelRunner Runner => _runner;

    /// <summary>Where training stands: what a checkpoint keeps so a later run continues it (<see cref="Continue"/>).</summary>
    public TrainerProgress Progress => new(EnvSteps, Updates, LearningRate, _rng.State);

    /// <summary>
    /// Continues from <paramref name="progress"/> (a checkpoint's): counters and the sampling stream as
    /// saved; the learning rate as saved when <paramref name="learningRateAsSaved"/> (same configured
    /// rate), else this config's rate at this point of its schedule.
    /// </summary>
    public void Continue(TrainerProgress progress, bool learningRateAsSaved)
    {
        EnvSteps = progress.EnvSteps;
        Updates = progress.Updates;
        _rng.State = progress.Rng;
        LearningRate = learningRateAsSaved ? progress.LearningRate
            : Config.LearningRateScheduler == ScheduleKind.Linear ? Config.LearningRate * TrainingLeft : Config.LearningRate;
    }

    /// <summary>One rollout then one PPO update.</summary>
    public UpdateReport Iterate()
    {
        long start = Stopwatch.GetTimestamp();
        _envTicks = 0;
        double instantReward = CollectRollout();
        var episodes = _env.DrainEpisodes();
        long rolled = Stopwatch.GetTimestamp();
        var report = Update(instantReward, episodes) with
        {
            RolloutSeconds = Stopwatch.GetElapsedTime(start, rolled).TotalSeconds,
            EnvSeconds = (double)_envTicks / Stopwatch.Frequency,
            UpdateSeconds = Stopwatch.GetElapsedTime(rolled).TotalSeconds,
        };
        Updates++;
        if (Config.LearningRateScheduler == ScheduleKind.Linear) LearningRate = Config.LearningRate * TrainingLeft;
        return report;
    }

    // ---------------------------------------------------------------- rollout

    private double CollectRollout()
    {
        float gamma = (float)Config.DiscountFactor;
        var logStd = Model.LogStd;
        Span<float> std = stackalloc float[_act];
        Span<float> clampedLogStd = stackalloc float[_act];
        double logStdSum = 0;
        for (int d = 0; d < _act; d++)
        {
            clampedLogStd[d] = GaussianPolicy.ClampLogStd(logStd[d]);
            std[d] = MathF.Exp(clampedLogStd[d]);
            logStdSum += clampedLogStd[d];
        }
        var stateScaler = Config.StatePreprocessor ? StateScaler : null;
        double rewardSum = 0;
        for (int t = 0; t < _steps; t++)
        {
            long row = (long)t * _envs;
            var stepStates = _states.Span.Slice((int)(row * _obs), _envs * _obs);
            _env.Observations.CopyTo(stepStates);
            fixed (float* s = stepStates)
                _runner.Run(s, _envs, stateScaler, _means.Pointer, _stepValues.Pointer);

            // a = μ + σ·ε, log π(a) = Σ -½ε² - log σ - ½ log 2π
            var actions = _actions.Span.Slice((int)(row * _act), _envs * _act);
            var noise = _noise.Span;
            _rng.FillGaussian(noise);
            var means = _means.Span;
            for (int e = 0; e < _envs; e++)
            {
                double sq = 0;
                for (int d = 0; d < _act; d++)
                {
                    int k = e * _act + d;
                    actions[k] = means[k] + std[d] * noise[k];
                    sq += noise[k] * noise[k];
                }
                _logProbs.Span[(int)row + e] = (float)(-0.5 * sq - logStdSum - _act * GaussianPolicy.HalfLog2Pi);
                _values.Span[(int)row + e] = RawValue(_stepValues.Span[e]);
            }

            long envStart = Stopwatch.GetTimestamp();
            _env.Step(actions, _stepRewards, _terminated, _truncated);
            _envTicks += Stopwatch.GetTimestamp() - envStart;

            int bootstraps = 0;
            for (int e = 0; e < _envs; e++)
                if (_truncated[e] && !_terminated[e] && Config.TimeLimitBootstrap) _bootstrapEnvs[bootstraps++] = e;
            if (bootstraps > 0)
            {
                var final = _env.FinalObservations;
                for (int i = 0; i < bootstraps; i++)
                    final.Slice(_bootstrapEnvs[i] * _obs, _obs).CopyTo(_bootstrapObs.Span.Slice(i * _obs, _obs));
                _runner.Run(_bootstrapObs.Pointer, bootstraps, stateScaler, null, _bootstrapValues.Pointer);
                for (int i = 0; i < bootstraps; i++)
                    _stepRewards[_bootstrapEnvs[i]] += gamma * RawValue(_bootstrapValues.Span[i]);
            }
            for (int e = 0; e < _envs; e++)
            {
                float r = _stepRewards[e];
                rewardSum += r;
                _rewards.Span[(int)row + e] = r;
                _dones[row + e] = (byte)(_terminated[e] || _truncated[e] ? 1 : 0);
            }
            EnvSteps += _envs;
        }
        // values of the observations after the last step close the GAE recursion
        fixed (float* o = _env.Observations)
            _runner.Run(o, _envs, stateScaler, null, _stepValues.Pointer);
        for (int e = 0; e < _envs; e++) _stepValues.Span[e] = RawValue(_stepValues.Span[e]);
        return rewardSum / ((double)_steps * _envs);
    }

    /// <summary>Deterministic evaluation of the current policy on <paramref name="env"/> (the training env once training is over).</summary>
    public EvaluationResult Evaluate(IVecEnv env, int episodes, int seed) =>
        PolicyEvaluation.Evaluate(Model, Config.StatePreprocessor ? StateScaler : null, _runner, env, episodes, seed);

    private float RawValue(float networkOutput) => Config.ValuePreprocessor ? ValueScaler.Denormalize(networkOutput) : networkOutput;

    // ---------------------------------------------------------------- update

    private UpdateReport Update(double instantReward, EpisodeReport episodes)
    {
        int samples = _steps * _envs;
        var values = _values.Span.Slice(0, samples);
        var returns = _returns.Span.Slice(0, samples);
        var advantages = _advantages.Span.Slice(0, samples);
        Gae.Compute(_rewards.Span.Slice(0, samples), _dones, values, _stepValues.Span.Slice(0, _envs), _envs,
            Config.DiscountFactor, Config.Lambda, advantages, returns);
        if (Config.ValuePreprocessor)
        {
            // as skrl: the value scaler learns from the values, then from the returns, and both are stored scaled
            ValueScaler.Update(values); ValueScaler.Normalize(values, values);
            ValueScaler.Update(returns); ValueScaler.Normalize(returns, returns);
        }
        Gae.Normalize(advantages);
        CheckFinite(advantages, "advantages");
        var states = _states.Span.Slice(0, samples * _obs);
        var normalized = _normalizedStates.Span.Slice(0, samples * _obs);
        if (Config.StatePreprocessor)
        {
            if (!FreezeStatePreprocessor) StateScaler.Update(states);
            StateScaler.Normalize(states, normalized);
        }
        else
        {
            states.CopyTo(normalized);
        }

        int batch = Config.MiniBatchSize;
        var source = new SampleSource(_normalizedStates.Pointer, _actions.Pointer, _logProbs.Pointer, _advantages.Pointer, _returns.Pointer, _values.Pointer);
        var total = new PpoLossSums();
        double klSum = 0; int miniBatchesRun = 0;
        for (int epoch = 0; epoch < Config.LearningEpochs; epoch++)
        {
            _rng.Permutation(_permutation);
            double epochKl = 0;
            for (int mb = 0; mb < Config.MiniBatches; mb++)
            {
                PpoLossSums sums;
                try
                {
                    sums = _updater.Step(source, _permutation.AsSpan(mb * batch, batch), (float)LearningRate, (float)EntropyLossScale);
                }
                catch (TrainingDivergedException e)
                {
                    throw new TrainingDivergedException($"update {Updates + 1}, epoch {epoch + 1}, mini-batch {mb + 1}: {e.Message}");
                }
                total.Add(sums);
                epochKl += sums.ApproxKl / batch;
                miniBatchesRun++;
            }
            epochKl /= Config.MiniBatches;
            klSum += epochKl;
            if (Config.LearningRateScheduler == ScheduleKind.KlAdaptive)
            {
                // skrl's KLAdaptiveLR with kl_factor 2, lr_factor 1.5, bounds [1e-6, 1e-2]
                if (epochKl > Config.KlThreshold * 2) LearningRate = Math.Max(LearningRate / 1.5, 1e-6);
                else if (epochKl < Config.KlThreshold / 2) LearningRate = Math.Min(LearningRate * 1.5, 1e-2);
            }
        }
        double perSample = 1.0 / ((double)miniBatchesRun * batch);
        var logStd = Model.LogStd;
        double stdMean = 0;
        for (int d = 0; d < _act; d++) stdMean += Math.Exp(GaussianPolicy.ClampLogStd(logStd[d]));
        stdMean /= _act;
        return new UpdateReport(EnvSteps, Updates + 1,
            PolicyLoss: total.PolicyLoss * perSample,
            ValueLoss: Config.ValueLossScale * total.ValueError * perSample,
            EntropyLoss: -EntropyLossScale * GaussianPolicy.Entropy(logStd),
            PolicyStd: stdMean, LearningRate: LearningRate, ApproxKl: klSum / Config.LearningEpochs,
            ClipFraction: total.ClippedRatios * perSample, InstantRewardMean: instantReward, Episodes: episodes);
    }

    private static void CheckFinite(ReadOnlySpan<float> values, string what)
    {
        if (!float.IsFinite(TensorPrimitives.Sum(values)))
            throw new TrainingDivergedException($"non-finite {what} appeared (a reward or value became NaN or infinite)");
    }

    public void Dispose() => _pool.Dispose();
}
