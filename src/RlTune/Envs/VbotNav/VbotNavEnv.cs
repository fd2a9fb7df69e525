using System.Runtime.CompilerServices;
using RlTune.Envs.VbotNav.MuJoCoInterop;
using RlTune.Envs.VbotNavLite;
using RlTune.Numerics;
using T = RlTune.Envs.VbotNav.VbotNavTerms;
using O = RlTune.Envs.VbotNav.VbotNavObservation;

namespace RlTune.Envs.VbotNav;

/// <summary>
/// <c>vbot-nav</c>: MotrixLab's navigation1 task (section001) on the full 12-joint VBot in MuJoCo.
/// The robot spawns on a ring around the target with a random yaw and must reach it (0.5 m) and
/// stay there slowly (under 0.15 m/s) for the success hold. Each control step filters the actions,
/// sets PD joint targets and runs the physics substeps in the shim; the task (observation, reward
/// terms, terminations) is computed here per env. Envs are split over threads in contiguous ranges;
/// every env has its own random stream, so results depend on the seed, not the thread count.
/// A step allocates nothing.
/// </summary>
public sealed unsafe class VbotNavEnv : IPlatformEnv, IStaggeredEpisodes
{
    public const string EnvName = "vbot-nav";
    private const int J = VbotNavTask.Joints;
    private const int Dim = O.Dim;

    private readonly int _n;
    private readonly VbotNavSettings _settings;
    private readonly float[] _weights;
    private readonly RewardTermInfo[] _terms;
    private readonly float _targetX, _targetY, _noise, _tanTiltLimit;
    private readonly VbotSimulation _sim;

    private readonly VbotState[] _states;   // pinned, written by the shim
    private readonly float[] _targets;      // [env * 12] PD joint targets, pinned
    private readonly float[] _action;       // [env * 12] filtered action applied
    private readonly float[] _lastQd;       // [env * 12] joint velocities before the step
    private readonly float[] _actionRate;   // [env] sum of squared changes of the filtered action in the step
    private readonly float[] _obs, _finalObs;
    private readonly float[] _prevDist, _spawnDist, _return, _speedSum;
    private readonly bool[] _everReached, _everFence;
    private readonly int[] _steps, _firstReachStep, _holdSteps;
    private readonly ulong[] _rng;
    private readonly float[] _termSums;     // [env * Count], weighted
    private readonly float[] _finalX, _finalY;
    private readonly EpisodeOutcome[] _finalOutcome;
    private readonly double[] _finalMetrics;
    private readonly double[] _qpos = new double[VbotSimulation.Nq], _qvel = new double[VbotSimulation.Nv];

    private readonly ChunkedSteps _chunks;

    public VbotNavEnv(EnvOptions options)
    {
        if (options.NumEnvs < 1) throw new UserError($"num_envs: expected at least 1 environment, got {options.NumEnvs}.");
        if (options.Threads < 1) throw new UserError($"threads: expected at least 1, got {options.Threads}.");
        _n = options.NumEnvs;
        _settings = VbotNavOverrides.Parse(options.Overrides);
        _terms = T.All.ToArray();
        _terms[T.StopScale] = _terms[T.StopScale] with { MaxStepsPerEpisode = Math.Min(VbotNavTask.StopBudgetSteps, _settings.MaxEpisodeSteps) };
        _weights = RewardWeights.Resolve(_terms, options.RewardScales, EnvName);
        _targetX = (float)_settings.TargetX;
        _targetY = (float)_settings.TargetY;
        _noise = (float)_settings.NoiseLevel;
        _tanTiltLimit = (float)Math.Tan(VbotNavTask.TiltLimitDegrees * Math.PI / 180);
        _sim = new VbotSimulation(_n, _settings.Substeps, _settings.Timestep, _settings.Cone, _settings.Impratio, VbotNavTask.Kp, VbotNavTask.Kd);

        _states = GC.AllocateArray<VbotState>(_n, pinned: true);
        _targets = GC.AllocateArray<float>(_n * J, pinned: true);
        _action = new float[_n * J];
        _lastQd = new float[_n * J];
        _actionRate = new float[_n];
        _obs = new float[_n * Dim];
        _finalObs = new float[_n * Dim];
        _prevDist = new float[_n]; _spawnDist = new float[_n]; _return = new float[_n]; _speedSum = new float[_n];
        _everReached = new bool[_n]; _everFence = new bool[_n];
        _steps = new int[_n]; _firstReachStep = new int[_n]; _holdSteps = new int[_n];
        _rng = new ulong[_n];
        _termSums = new float[_n * T.Count];
        _finalX = new float[_n]; _finalY = new float[_n];
        _finalOutcome = new EpisodeOutcome[_n];
        _finalMetrics = new double[_n * EpisodeTally.MetricNames.Count];

        _chunks = new ChunkedSteps(_n, J, _n, 1, options.Threads, T.Names, EnvName, StepRange);
        Reset(0);
    }

    public string Name => EnvName;
    public int NumEnvs => _n;
    public int ObsDim => Dim;
    public int ActDim => J;
    public int MaxEpisodeSteps => _settings.MaxEpisodeSteps;
    public IReadOnlyList<RewardTermInfo> RewardTerms => _terms;
    public VbotNavSettings Settings => _settings;
    /// <summary>The weights in use, in <see cref="VbotNavTerms"/> index order.</summary>
    public IReadOnlyList<float> Weights => _weights;
    public ReadOnlySpan<float> Observations => _obs;
    public ReadOnlySpan<float> FinalObservations => _finalObs;
    public IReadOnlyList<string> EpisodeMetricNames => EpisodeTally.MetricNames;

    /// <summary>Trunk position of env <paramref name="i"/> on the platform, metres.</summary>
    public (float X, float Y) Position(int i) => (_states[i].Pos[0], _states[i].Pos[1]);
    /// <summary>Trunk height of env <paramref name="i"/>, metres.</summary>
    public float Height(int i) => _states[i].Pos[2];

    /// <summary>Env <paramref name="i"/>'s pose as MuJoCo's qpos: trunk position, quaternion w x y z, the 12 joint angles.</summary>
    public void Pose(int i, Span<double> qpos)
    {
        ref var s = ref _states[i];
        for (int k = 0; k < 3; k++) qpos[k] = s.Pos[k];
        for (int k = 0; k < 4; k++) qpos[3 + k] = s.Quat[k];
        for (int j = 0; j < J; j++) qpos[7 + j] = s.Q[j];
    }
    public PlatformLayout Layout => new(_settings.SpawnInnerRadius, _settings.SpawnOuterRadius, _settings.TargetX, _settings.TargetY,
        _settings.MaxEpisodeSteps, VbotNavTask.ReachRadius, 1.0 / _settings.ControlHz, ComfortSpeed: null);

    public PlatformBody Body(int i)
    {
        ref var s = ref _states[i];
        float w = s.Quat[0], x = s.Quat[1], y = s.Quat[2], z = s.Quat[3];
        float roll = MathF.Atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y));
        float pitch = MathF.Asin(Math.Clamp(2 * (w * y - z * x), -1f, 1f));
        return new PlatformBody(s.Pos[0], s.Pos[1], s.LinVel[0], s.LinVel[1], s.Gyro[2], roll, pitch);
    }

    /// <summary>Where env i's robot was when its episode ended in the last step, before the reset.</summary>
    public (float X, float Y) FinalPosition(int i) => (_finalX[i], _finalY[i]);
    /// <summary>How env i's episode ended, for an env that ended in the last step.</summary>
    public EpisodeOutcome FinalOutcome(int i) => _finalOutcome[i];

    /// <summary>MuJoCo's warnings by kind, then non-finite states and caught errors, over all envs so far (see <see cref="VbotSimulation.Events"/>).</summary>
    public long[] PhysicsEvents() => _sim.Events();

    public void FinalEpisodeMetrics(int env, Span<double> values)
    {
        if ((uint)env >= (uint)_n) throw new ArgumentOutOfRangeException(nameof(env));
        _finalMetrics.AsSpan(env * EpisodeTally.MetricNames.Count, EpisodeTally.MetricNames.Count).CopyTo(values);
    }

    public void Reset(int seed)
    {
        for (int i = 0; i < _n; i++)
        {
            _rng[i] = SplitMix64.Mix((ulong)(uint)seed * SplitMix64.Gamma ^ SplitMix64.Mix((ulong)i + 0x632BE59BD9B4E019UL));
            ResetEnv(i);
        }
        _chunks.ClearTallies();
    }

    public void StaggerEpisodes(int seed)
    {
        var rng = new Numerics.Rng((ulong)(uint)seed ^ 0x5747A66E5UL);
        for (int i = 0; i < _n; i++) _steps[i] = rng.NextInt(_settings.MaxEpisodeSteps);
    }

    public void Step(ReadOnlySpan<float> actions, Span<float> rewards, Span<bool> terminated, Span<bool> truncated) =>
        _chunks.Step(actions, rewards, terminated, truncated);

    public EpisodeReport DrainEpisodes() => _chunks.Drain();

    private void StepRange(int begin, int end, in StepBuffers buffers, EpisodeTally tally)
    {
        float* actions = buffers.Actions, rewards = buffers.Rewards;
        bool* terminated = buffers.Terminated, truncated = buffers.Truncated;
        if (begin >= end) return;
        var pose = VbotNavTask.DefaultPose;
        for (int i = begin; i < end; i++)
        {
            ref var s = ref _states[i];
            float rate = 0;
            for (int j = 0; j < J; j++)
            {
                int k = i * J + j;
                float a = actions[k];
                // unclipped, as MotrixLab applies them (skrl samples without clip_actions); the motors' force range bounds the torque
                if (!float.IsFinite(a)) a = 0f;
                float filtered = VbotNavTask.FilterAlpha * a + (1f - VbotNavTask.FilterAlpha) * _action[k];
                rate += (filtered - _action[k]) * (filtered - _action[k]);
                _action[k] = filtered;
                _targets[k] = pose[j] + VbotNavTask.ActionScale * filtered;
                _lastQd[k] = s.Qd[j];
            }
            _actionRate[i] = rate;
        }
        fixed (float* targets = _targets)
        fixed (VbotState* states = _states)
            _sim.Step(begin, end, targets, states);

        Span<double> metrics = stackalloc double[EpisodeTally.MetricNames.Count];
        for (int i = begin; i < end; i++)
        {
            var outcome = Advance(i, out float reward);
            rewards[i] = reward;
            terminated[i] = outcome is EpisodeOutcome.Fall or EpisodeOutcome.LeftPlatform;
            // MotrixLab truncates on the success hold as on the time limit: the trainer bootstraps both from the value of the last state
            truncated[i] = outcome is EpisodeOutcome.Success or EpisodeOutcome.Timeout;
            if (outcome == EpisodeOutcome.Running) continue;
            ref var s = ref _states[i];
            _finalX[i] = s.Pos[0]; _finalY[i] = s.Pos[1];
            _finalOutcome[i] = outcome;
            _obs.AsSpan(i * Dim, Dim).CopyTo(_finalObs.AsSpan(i * Dim, Dim));
            int len = _steps[i];
            var m = _finalMetrics.AsSpan(i * EpisodeTally.MetricNames.Count, EpisodeTally.MetricNames.Count);
            EpisodeTally.Fill(m, len, outcome == EpisodeOutcome.Success, outcome == EpisodeOutcome.Fall, outcome == EpisodeOutcome.LeftPlatform,
                _everReached[i], _prevDist[i], _speedSum[i] / len);
            fixed (float* sums = &_termSums[i * T.Count])
                tally.Record(_return[i], len, m, sums, 1);
            ResetEnv(i);
        }
    }

    /// <summary>
    /// The task after env i's physics step: its reward (the weighted terms, summed into the episode),
    /// its observation and how its episode stands (Running, or how it ended).
    /// </summary>
    private EpisodeOutcome Advance(int i, out float reward)
    {
        ref var s = ref _states[i];
        float* w = stackalloc float[T.Count];
        float* raw = stackalloc float[T.Count];
        new Span<float>(raw, T.Count).Clear();
        _weights.CopyTo(new Span<float>(w, T.Count));
        int steps = _steps[i]++;
        bool unstable = s.Unstable != 0 || !Finite(ref s);

        EpisodeOutcome outcome;
        float weightedApproach = 0;
        if (unstable)
        {
            // the physics failed (MuJoCo reset or non-finite state): only the termination counts, the observation stays the last good one
            raw[T.Termination] = 1;
            outcome = EpisodeOutcome.Fall;
        }
        else
        {
            var k = Kinematics.Of(ref s, _targetX, _targetY);
            bool reached = k.Distance < VbotNavTask.ReachRadius;
            float speed = MathF.Sqrt(s.LinVel[0] * s.LinVel[0] + s.LinVel[1] * s.LinVel[1]);
            float yawRate = s.Gyro[2];

            float maxQd = 0, dofVel = 0, dofAcc = 0;
            for (int j = 0; j < J; j++)
            {
                float qd = s.Qd[j], dq = qd - _lastQd[i * J + j];
                maxQd = MathF.Max(maxQd, MathF.Abs(qd));
                dofVel += qd * qd;
                dofAcc += dq * dq;
            }
            float gxy = MathF.Sqrt(k.Gx * k.Gx + k.Gy * k.Gy);
            bool tilted = gxy > _tanTiltLimit * MathF.Abs(k.Gz);
            bool fell = s.BodyContact != 0 || tilted || maxQd > VbotNavTask.MaxJointSpeed;
            float r = MathF.Sqrt(s.Pos[0] * s.Pos[0] + s.Pos[1] * s.Pos[1]);
            bool left = !fell && r > VbotNavTask.PlatformRadius;

            bool firstReach = reached && !_everReached[i];
            if (firstReach) { _everReached[i] = true; _firstReachStep[i] = steps; }
            bool firstFence = k.Distance < VbotNavTask.InnerFenceRadius && !_everFence[i];
            if (firstFence) _everFence[i] = true;
            float delta = _prevDist[i] - k.Distance; // > 0: closer
            _prevDist[i] = k.Distance;

            raw[T.PositionTracking] = MathF.Exp(-k.Distance / 5f);
            raw[T.FinePositionTracking] = _everReached[i] && k.Distance < VbotNavTask.FineTrackingRadius ? MathF.Exp(-k.Distance / 0.5f) : 0f;
            raw[T.InnerFenceBonus] = firstFence ? 1 : 0;
            if (reached)
            {
                bool stopBudget = steps - _firstReachStep[i] < VbotNavTask.StopBudgetSteps;
                bool slow = speed < VbotNavTask.StopBonusSpeed && stopBudget;
                float yawTerm = MathF.Abs(yawRate) / 0.1f;
                raw[T.StopScale] = slow ? 0.8f * MathF.Exp(-(speed / 0.2f) * (speed / 0.2f)) + 1.2f * MathF.Exp(-yawTerm * yawTerm * yawTerm * yawTerm) : 0f;
                raw[T.ZeroAngBonus] = slow && MathF.Abs(yawRate) < VbotNavTask.ZeroAngYawRate ? 1 : 0;
                raw[T.ArrivalBonus] = firstReach ? 1 : 0;
                raw[T.DeparturePenalty] = -delta > 0.01f ? -delta : 0f;
            }
            else
            {
                float facing = Wrap(MathF.Atan2(k.Ey, k.Ex) - k.Yaw);
                raw[T.HeadingTracking] = MathF.Exp(-MathF.Abs(facing) / 0.5f);
                float inv = 1f / (k.Distance + 1e-8f);
                raw[T.ForwardVelocity] = Math.Clamp((s.LinVel[0] * k.Ex + s.LinVel[1] * k.Ey) * inv, VbotNavTask.ForwardVelocityMin, VbotNavTask.ForwardVelocityCap);
                raw[T.DistanceProgress] = Math.Clamp(1f - k.Distance / (_spawnDist[i] + 1e-8f), -0.5f, 1f);
                raw[T.AliveBonus] = 1;
                raw[T.ApproachScale] = delta;
                weightedApproach = Math.Clamp(w[T.ApproachScale] * delta, 0f, 1f);
            }
            float excess = MathF.Max(speed - Math.Clamp(0.5f * k.Distance, 0.05f, 0.6f), 0f);
            raw[T.NearTargetSpeed] = excess * excess;
            raw[T.BoundaryPenalty] = MathF.Max(r - VbotNavTask.BoundaryStart, 0f);
            raw[T.Orientation] = k.Gx * k.Gx + k.Gy * k.Gy;
            raw[T.LinVelZ] = s.LinVel[2] * s.LinVel[2];
            raw[T.AngVelXy] = s.Gyro[0] * s.Gyro[0] + s.Gyro[1] * s.Gyro[1];
            raw[T.Torques] = s.TorqueSq;
            raw[T.DofVel] = dofVel;
            raw[T.DofAcc] = dofAcc;
            raw[T.ActionRate] = _actionRate[i];
            raw[T.Termination] = fell || left ? 1 : 0;

            bool holding = reached && speed < VbotNavTask.HoldSpeed;
            _holdSteps[i] = holding ? _holdSteps[i] + 1 : 0;
            _speedSum[i] += speed;
            outcome = fell ? EpisodeOutcome.Fall : left ? EpisodeOutcome.LeftPlatform
                : _holdSteps[i] >= _settings.SuccessHoldSteps ? EpisodeOutcome.Success
                : steps + 1 >= _settings.MaxEpisodeSteps ? EpisodeOutcome.Timeout : EpisodeOutcome.Running;
            Observe(i, ref s, in k, reached);
        }

        float total = 0;
        fixed (float* termSums = &_termSums[i * T.Count])
            for (int t = 0; t < T.Count; t++)
            {
                float v = t == T.ApproachScale ? weightedApproach : w[t] * raw[t];
                termSums[t] += v;
                total += v;
            }
        _return[i] += total;
        reward = total;
        return outcome;
    }

    /// <summary>Writes env i's observation row from its state (with sensor noise from its stream).</summary>
    private void Observe(int i, ref VbotState s, in Kinematics k, bool reached)
    {
        var row = _obs.AsSpan(i * Dim, Dim);
        ref ulong rng = ref _rng[i];
        float nv = _noise * O.LinVelNoise, ng = _noise * O.GyroNoise, nGrav = _noise * O.GravityNoise;
        float nq = _noise * O.JointAngleNoise, nqd = _noise * O.JointVelNoise;
        for (int a = 0; a < 3; a++)
        {
            row[O.LinVel + a] = (s.LinVel[a] + nv * Uniform(ref rng)) * O.LinVelScale;
            row[O.Gyro + a] = (s.Gyro[a] + ng * Uniform(ref rng)) * O.GyroScale;
        }
        row[O.Gravity] = k.Gx + nGrav * Uniform(ref rng);
        row[O.Gravity + 1] = k.Gy + nGrav * Uniform(ref rng);
        row[O.Gravity + 2] = k.Gz + nGrav * Uniform(ref rng);
        var pose = VbotNavTask.DefaultPose;
        for (int j = 0; j < J; j++)
        {
            row[O.JointAngles + j] = s.Q[j] - pose[j] + nq * Uniform(ref rng);
            row[O.JointVelocities + j] = (s.Qd[j] + nqd * Uniform(ref rng)) * O.JointVelScale;
            row[O.LastAction + j] = _action[i * J + j];
        }
        // MotrixLab's scripted velocity command: toward the target at up to 1 m/s per axis, turning toward it
        float cmdX = reached ? 0 : Math.Clamp(k.Ex, -1f, 1f), cmdY = reached ? 0 : Math.Clamp(k.Ey, -1f, 1f);
        float turn = Wrap(MathF.Atan2(k.Ey, k.Ex) - k.Yaw);
        float cmdYaw = reached || MathF.Abs(turn) < VbotNavTask.YawDeadband ? 0 : Math.Clamp(turn, -1f, 1f);
        row[O.Command] = cmdX * O.CommandScale[0];
        row[O.Command + 1] = cmdY * O.CommandScale[1];
        row[O.Command + 2] = cmdYaw * O.CommandScale[2];
        row[O.PositionError] = k.Ex / 12f;
        row[O.PositionError + 1] = k.Ey / 12f;
        row[O.HeadingError] = Wrap(-k.Yaw) / MathF.PI; // the target heading is 0
        row[O.Distance] = Math.Clamp(k.Distance * O.DistanceScale, 0f, 1f);
        row[O.Reached] = reached ? 1 : 0;
        row[O.StopReady] = reached && MathF.Abs(s.Gyro[2]) < VbotNavTask.ZeroAngYawRate ? 1 : 0;
    }

    /// <summary>Starts a new episode for env i: a spawn point uniform over the ring around the target (clipped to 11 m from the centre), a random yaw, the default pose at rest.</summary>
    private void ResetEnv(int i)
    {
        ref ulong rng = ref _rng[i];
        double rIn = _settings.SpawnInnerRadius, rOut = _settings.SpawnOuterRadius;
        double u = 0.5 * (Uniform(ref rng) + 1), angle = Math.PI * Uniform(ref rng), yaw = Math.PI * Uniform(ref rng);
        double radius = Math.Sqrt(rIn * rIn + u * (rOut * rOut - rIn * rIn));
        double x = _settings.TargetX + radius * Math.Cos(angle), y = _settings.TargetY + radius * Math.Sin(angle);
        double fromCentre = Math.Sqrt(x * x + y * y);
        if (fromCentre > VbotNavTask.SpawnClipRadius) { x *= VbotNavTask.SpawnClipRadius / fromCentre; y *= VbotNavTask.SpawnClipRadius / fromCentre; }
        var qpos = _qpos.AsSpan();
        var qvel = _qvel.AsSpan();
        qvel.Clear();
        qpos[0] = x; qpos[1] = y; qpos[2] = VbotNavTask.SpawnHeight;
        qpos[3] = Math.Cos(yaw / 2); qpos[4] = 0; qpos[5] = 0; qpos[6] = Math.Sin(yaw / 2);
        for (int j = 0; j < J; j++) qpos[7 + j] = VbotNavTask.DefaultPose[j];
        StartEpisode(i, qpos, qvel);
    }

    /// <summary>Puts env i into a state and starts its episode there (sums, flags and filtered action cleared).</summary>
    private void StartEpisode(int i, ReadOnlySpan<double> qpos, ReadOnlySpan<double> qvel)
    {
        fixed (VbotState* state = &_states[i])
            _sim.Set(i, qpos, qvel, state);
        ref var s = ref _states[i];
        _action.AsSpan(i * J, J).Clear();
        for (int j = 0; j < J; j++) _lastQd[i * J + j] = s.Qd[j];
        var k = Kinematics.Of(ref s, _targetX, _targetY);
        _prevDist[i] = k.Distance;
        _spawnDist[i] = k.Distance;
        _return[i] = _speedSum[i] = 0;
        _everReached[i] = _everFence[i] = false;
        _steps[i] = _holdSteps[i] = 0;
        _firstReachStep[i] = -1;
        _termSums.AsSpan(i * T.Count, T.Count).Clear();
        Observe(i, ref s, in k, k.Distance < VbotNavTask.ReachRadius);
    }

    private static bool Finite(ref VbotState s)
    {
        for (int a = 0; a < 3; a++) if (!float.IsFinite(s.Pos[a]) || !float.IsFinite(s.LinVel[a]) || !float.IsFinite(s.Gyro[a])) return false;
        for (int j = 0; j < J; j++) if (!float.IsFinite(s.Q[j]) || !float.IsFinite(s.Qd[j])) return false;
        return true;
    }

    private static float Wrap(float angle)
    {
        if (angle > MathF.PI) angle -= 2 * MathF.PI;
        if (angle < -MathF.PI) angle += 2 * MathF.PI;
        return angle;
    }

    // Random numbers: a SplitMix64 stream per env (cheaper per draw than a generator object); uniform in [-1, 1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Uniform(ref ulong state) => (SplitMix64.Next(ref state) >> 40) * (2f / (1 << 24)) - 1f;

    public void Dispose()
    {
        _chunks.Dispose();
        _sim.Dispose();
    }

    // ---- internal access for tests: hand-built states and the running episode's term sums ----

    /// <summary>
    /// The state vector of a robot at (x, y, z) with yaw and roll (radians), joints at the default
    /// pose plus <paramref name="jointOffset"/>, moving at (vx, vy, vz) m/s and turning at yawRate rad/s.
    /// </summary>
    internal static (double[] Qpos, double[] Qvel) BuildState(double x, double y, double z, double yaw = 0, double roll = 0,
        double vx = 0, double vy = 0, double vz = 0, double yawRate = 0, double jointOffset = 0)
    {
        double cy = Math.Cos(yaw / 2), sy = Math.Sin(yaw / 2), cr = Math.Cos(roll / 2), sr = Math.Sin(roll / 2);
        var qpos = new double[VbotSimulation.Nq];
        var qvel = new double[VbotSimulation.Nv];
        qpos[0] = x; qpos[1] = y; qpos[2] = z;
        qpos[3] = cy * cr; qpos[4] = cy * sr; qpos[5] = sy * sr; qpos[6] = sy * cr; // yaw after roll
        for (int j = 0; j < J; j++) qpos[7 + j] = VbotNavTask.DefaultPose[j] + jointOffset;
        qvel[0] = vx; qvel[1] = vy; qvel[2] = vz; qvel[5] = yawRate;
        return (qpos, qvel);
    }

    /// <summary>Puts env i into a hand-built state and starts its episode there.</summary>
    internal void SetState(int i, ReadOnlySpan<double> qpos, ReadOnlySpan<double> qvel) => StartEpisode(i, qpos, qvel);

    internal float EpisodeTermSum(int i, int term) => _termSums[i * T.Count + term];

    public int EpisodeSteps(int i) => _steps[i];

    /// <summary>The trunk's yaw and gravity direction (body frame) and the target error (world frame) of one state.</summary>
    private readonly record struct Kinematics(float Yaw, float Gx, float Gy, float Gz, float Ex, float Ey, float Distance)
    {
        public static Kinematics Of(ref VbotState s, float targetX, float targetY)
        {
            float w = s.Quat[0], x = s.Quat[1], y = s.Quat[2], z = s.Quat[3];
            float yaw = MathF.Atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
            // gravity (0, 0, -1) in the body frame: minus the world z axis seen from the body
            float gx = -2 * (x * z - w * y), gy = -2 * (y * z + w * x), gz = -(1 - 2 * (x * x + y * y));
            float ex = targetX - s.Pos[0], ey = targetY - s.Pos[1];
            return new Kinematics(yaw, gx, gy, gz, ex, ey, MathF.Sqrt(ex * ex + ey * ey));
        }
    }
}
