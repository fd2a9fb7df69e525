using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Terms = RlTune.Envs.VbotNavLite.RewardTerms;
using V = System.Runtime.Intrinsics.Vector256<float>;
using VU = System.Runtime.Intrinsics.Vector256<uint>;

namespace RlTune.Envs.VbotNavLite;

/// <summary>
/// <c>vbot-nav-lite</c>: the VBot navigation task of MotrixArena S1 (navigation1, section001) at
/// the level of the robot's body (see <see cref="BodyModel"/>; this is not a joint simulation).
/// A circular platform of radius 12.5 m; the robot spawns on a ring with a random heading and must
/// reach the target (default: the centre), get within 0.3 m and stop. The episode ends on a fall
/// (tilt past the threshold) or on leaving the platform (terminated, paying the termination term),
/// 50 steps after first stopping at the target (terminated too: the task is done and there is no
/// value beyond it) or at the episode limit (truncated). 100 Hz control, 1000 steps by default.
/// State is structure of arrays, stepped eight envs per AVX vector; a step allocates nothing;
/// every env draws from its own random stream, so results depend on the seed, not the thread count.
/// </summary>
public sealed unsafe class VbotNavLiteEnv : IPlatformEnv, IEnvSnapshot
{
    public const string EnvName = "vbot-nav-lite";
    private const int Lanes = 8;
    private const int Dim = NavLiteObservation.Dim;
    private const uint Golden = 0x9E3779B9u;

    private readonly int _n, _padded;
    private readonly NavLiteSettings _settings;
    private readonly float[] _weights;
    private readonly RewardTermInfo[] _terms; // Terms.All with this env's success hold as the bound of the hold's terms
    private readonly float _fallThresholdSq, _targetX, _targetY, _noise;
    private readonly int _maxSteps, _holdSteps;

    // structure of arrays, one pinned array per field, padded to a whole number of vectors
    private readonly float* _x, _y, _hc, _hs, _vx, _vy, _wz, _roll, _pitch, _rollRate, _pitchRate, _gc, _gs, _height, _vz, _unsteady;
    private readonly float* _a0, _a1, _a2, _prevDist, _spawnDist, _speedSum, _return, _everReached, _fencePaid;
    private readonly int* _steps, _successSteps;
    private readonly uint* _rng;
    private readonly float* _termSums; // [term * padded + env], weighted
    private readonly float* _obs, _finalObs;
    private readonly float* _finalX, _finalY; // where envs that ended in the last step were, before their reset
    private readonly int* _finalOutcome;     // how they ended (EpisodeOutcome)
    private readonly double[] _finalMetrics; // [env * metric count], their episode metrics (EpisodeTally.MetricNames)
    private readonly List<Array> _pins = new();

    private readonly ChunkedSteps _chunks;

    public VbotNavLiteEnv(EnvOptions options)
    {
        if (options.NumEnvs < 1) throw new UserError($"num_envs: expected at least 1 environment, got {options.NumEnvs}.");
        if (options.Threads < 1) throw new UserError($"threads: expected at least 1, got {options.Threads}.");
        _n = options.NumEnvs;
        _padded = (_n + Lanes - 1) / Lanes * Lanes;
        _settings = NavLiteOverrides.Parse(options.Overrides);
        _weights = Terms.ResolveWeights(options.RewardScales, EnvName);
        _terms = Terms.ForSettings(_settings);
        _fallThresholdSq = (float)(_settings.FallThreshold * _settings.FallThreshold);
        _targetX = (float)_settings.TargetX;
        _targetY = (float)_settings.TargetY;
        _noise = (float)_settings.NoiseLevel;
        _maxSteps = _settings.MaxEpisodeSteps;
        _holdSteps = _settings.SuccessHoldSteps;

        _x = Floats(); _y = Floats(); _hc = Floats(); _hs = Floats(); _vx = Floats(); _vy = Floats(); _wz = Floats();
        _roll = Floats(); _pitch = Floats(); _rollRate = Floats(); _pitchRate = Floats(); _gc = Floats(); _gs = Floats();
        _height = Floats(); _vz = Floats(); _unsteady = Floats();
        _a0 = Floats(); _a1 = Floats(); _a2 = Floats(); _prevDist = Floats(); _spawnDist = Floats(); _speedSum = Floats();
        _return = Floats(); _everReached = Floats(); _fencePaid = Floats();
        _steps = (int*)Pin<int>(_padded); _successSteps = (int*)Pin<int>(_padded);
        _rng = (uint*)Pin<uint>(_padded);
        _termSums = (float*)Pin<float>(_padded * Terms.Count);
        _obs = (float*)Pin<float>(_n * Dim);
        _finalObs = (float*)Pin<float>(_n * Dim);
        _finalX = Floats(); _finalY = Floats();
        _finalOutcome = (int*)Pin<int>(_padded);
        _finalMetrics = new double[_n * EpisodeTally.MetricNames.Count];

        _chunks = new ChunkedSteps(_n, 3, _padded, Lanes, options.Threads, Terms.Names, EnvName, StepRange);
        Reset(0);
    }

    public string Name => EnvName;
    public int NumEnvs => _n;
    public int ObsDim => Dim;
    public int ActDim => 3;
    public int MaxEpisodeSteps => _maxSteps;
    public IReadOnlyList<RewardTermInfo> RewardTerms => _terms;
    public NavLiteSettings Settings => _settings;
    /// <summary>The weights in use, in <see cref="Terms"/> index order.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>Body position of env <paramref name="i"/> on the platform in metres (read by the report's trajectory picture).</summary>
    public (float X, float Y) Position(int i) => (uint)i < (uint)_n ? (_x[i], _y[i]) : throw new ArgumentOutOfRangeException(nameof(i));

    public ReadOnlySpan<float> Observations => new(_obs, _n * Dim);

    /// <summary>Where env i's robot was when its episode ended in the last step, before the reset.</summary>
    public PlatformLayout Layout => new(_settings.SpawnInnerRadius, _settings.SpawnOuterRadius, _settings.TargetX, _settings.TargetY,
        _maxSteps, BodyModel.SuccessRadius, BodyModel.ControlDt, BodyModel.ComfortSpeed);

    public PlatformBody Body(int i)
    {
        var b = GetBody(i);
        return new PlatformBody(b.X, b.Y, b.Vx, b.Vy, b.YawRate, b.Roll, b.Pitch);
    }

    public (float X, float Y) FinalPosition(int i) => ((uint)i < (uint)_n) ? (_finalX[i], _finalY[i]) : throw new ArgumentOutOfRangeException(nameof(i));

    /// <summary>How env i's episode ended, for an env that ended in the last step.</summary>
    public EpisodeOutcome FinalOutcome(int i) => ((uint)i < (uint)_n) ? (EpisodeOutcome)_finalOutcome[i] : throw new ArgumentOutOfRangeException(nameof(i));
    public ReadOnlySpan<float> FinalObservations => new(_finalObs, _n * Dim);

    public IReadOnlyList<string> EpisodeMetricNames => EpisodeTally.MetricNames;

    public void FinalEpisodeMetrics(int env, Span<double> values)
    {
        if ((uint)env >= (uint)_n) throw new ArgumentOutOfRangeException(nameof(env));
        _finalMetrics.AsSpan(env * EpisodeTally.MetricNames.Count, EpisodeTally.MetricNames.Count).CopyTo(values);
    }

    public void Reset(int seed)
    {
        for (int i = 0; i < _padded; i++)
        {
            _rng[i] = Hash((uint)seed * 0x85EBCA6Bu ^ Hash((uint)i + 0x27D4EB2Fu));
            ResetEnv(i);
        }
        for (int i = 0; i < _padded; i += Lanes) WriteObservations(i, 0xFF);
        _chunks.ClearTallies();
    }

    public void Step(ReadOnlySpan<float> actions, Span<float> rewards, Span<bool> terminated, Span<bool> truncated) =>
        _chunks.Step(actions, rewards, terminated, truncated);

    public EpisodeReport DrainEpisodes() => _chunks.Drain();

    private void StepRange(int begin, int end, in StepBuffers buffers, EpisodeTally tally)
    {
        float* actions = buffers.Actions, rewards = buffers.Rewards;
        bool* terminated = buffers.Terminated, truncated = buffers.Truncated;
        V* w = stackalloc V[Terms.Count];
        for (int k = 0; k < Terms.Count; k++) w[k] = Vector256.Create(_weights[k]);
        float* cmd = stackalloc float[3 * Lanes];
        V tx = Vector256.Create(_targetX), ty = Vector256.Create(_targetY), fallSq = Vector256.Create(_fallThresholdSq);
        var maxSteps = Vector256.Create(_maxSteps);
        var hold = Vector256.Create(_holdSteps);
        int n = _n, padded = _padded;
        V one = V.One, zero = V.Zero;

        for (int i = begin; i < end; i += Lanes)
        {
            for (int l = 0; l < Lanes; l++)
            {
                int e = i + l;
                for (int j = 0; j < 3; j++)
                {
                    float a = e < n ? actions[3 * e + j] : 0f;
                    cmd[j * Lanes + l] = float.IsNaN(a) ? 0f : a;
                }
            }
            V a0 = BodyModel.Clamp(Vector256.Load(cmd), -one, one);
            V a1 = BodyModel.Clamp(Vector256.Load(cmd + Lanes), -one, one);
            V a2 = BodyModel.Clamp(Vector256.Load(cmd + 2 * Lanes), -one, one);
            V d0 = a0 - Vector256.Load(_a0 + i), d1 = a1 - Vector256.Load(_a1 + i), d2 = a2 - Vector256.Load(_a2 + i);
            a0.Store(_a0 + i); a1.Store(_a1 + i); a2.Store(_a2 + i);

            VU rng = Vector256.Load(_rng + i);
            V kickRoll = Uniform(ref rng) * Vector256.Create(1.7320508f), kickPitch = Uniform(ref rng) * Vector256.Create(1.7320508f);
            V stumbleDraw = Uniform(ref rng);
            rng.Store(_rng + i);
            var b = Load(i);
            BodyModel.Advance(ref b, a0, a1, a2, kickRoll, kickPitch, stumbleDraw);
            Store(i, in b);

            V ex = tx - b.X, ey = ty - b.Y;
            V dist = Vector256.Sqrt(ex * ex + ey * ey);
            V farEnough = Vector256.GreaterThan(dist, Vector256.Create(1e-6f));
            V invD = Vector256.ConditionalSelect(farEnough, one / dist, zero);
            V bx = ex * b.HeadingCos + ey * b.HeadingSin;     // target error in the body frame
            V by = ey * b.HeadingCos - ex * b.HeadingSin;
            V cosErr = Vector256.ConditionalSelect(farEnough, bx * invD, one);
            V speedSq = b.Vx * b.Vx + b.Vy * b.Vy;
            V speed = Vector256.Sqrt(speedSq);

            V inSuccess = Vector256.LessThan(dist, Vector256.Create(BodyModel.SuccessRadius));
            V insideFence = Vector256.LessThan(dist, Vector256.Create(BodyModel.InnerFenceRadius));
            V everBefore = Vector256.Load(_everReached + i), fenceBefore = Vector256.Load(_fencePaid + i);
            V firstReach = Vector256.AndNot(inSuccess & one, everBefore);      // 1 on the first step inside
            V firstFence = Vector256.AndNot(insideFence & one, fenceBefore);
            V ever = Vector256.Max(everBefore, inSuccess & one);
            ever.Store(_everReached + i);
            Vector256.Max(fenceBefore, insideFence & one).Store(_fencePaid + i);
            V everMask = Vector256.GreaterThan(ever, zero);
            V stopped = inSuccess & Vector256.LessThan(speed, Vector256.Create(BodyModel.StopSpeed))
                        & Vector256.LessThan(Vector256.Abs(b.YawRate), Vector256.Create(BodyModel.StopYawRate));
            var succ = Vector256.Load(_successSteps + i);
            var counting = Vector256.GreaterThan(succ, Vector256<int>.Zero) | stopped.AsInt32(); // the success hold has begun
            succ += counting & Vector256<int>.One;
            succ.Store(_successSteps + i);

            BodyModel.ProjectedGravity(b.Roll, b.Pitch, out V gx, out V gy, out _);
            V fell = Vector256.GreaterThan(b.Roll * b.Roll + b.Pitch * b.Pitch, fallSq);
            V r2 = b.X * b.X + b.Y * b.Y;
            V left = Vector256.GreaterThan(r2, Vector256.Create(BodyModel.PlatformRadius * BodyModel.PlatformRadius));
            V down = fell | left;
            // stop terms pay only within the success radius once the robot has stopped there (the success hold),
            // so hovering or spinning on the spot never earns them
            V gate = everMask & inSuccess & counting.AsSingle();
            V prev = Vector256.Load(_prevDist + i);
            dist.Store(_prevDist + i);
            V edge = Vector256.Max(zero, (Vector256.Sqrt(r2) - Vector256.Create(BodyModel.BoundaryStart)) * Vector256.Create(0.5f));

            float* sums = _termSums + i;
            V reward = zero;
            Accumulate(ref reward, sums, padded, w, Terms.PositionTracking, Vector256.Exp(dist * Vector256.Create(-0.2f)));
            Accumulate(ref reward, sums, padded, w, Terms.FinePositionTracking,
                everMask & Vector256.LessThan(dist, Vector256.Create(BodyModel.FineTrackingGate)) & Vector256.Exp(dist * Vector256.Create(-2f)));
            Accumulate(ref reward, sums, padded, w, Terms.HeadingTracking,
                Vector256.ConditionalSelect(inSuccess, one, Vector256.Create(0.5f) * (one + cosErr)));
            // the approach terms stop once the target is reached: afterwards only stopping pays, and
            // running through the target and back cannot farm discounted approach reward
            V approaching = Vector256.AndNot(one, everMask);
            Accumulate(ref reward, sums, padded, w, Terms.ForwardVelocity, approaching *
                BodyModel.Clamp((b.Vx * bx + b.Vy * by) * invD, Vector256.Create(-BodyModel.ForwardVelocityCap), Vector256.Create(BodyModel.ForwardVelocityCap)));
            Accumulate(ref reward, sums, padded, w, Terms.DistanceProgress,
                BodyModel.Clamp(one - dist / Vector256.Load(_spawnDist + i), Vector256.Create(-0.5f), one));
            Accumulate(ref reward, sums, padded, w, Terms.AliveBonus, Vector256.AndNot(one, down));
            Accumulate(ref reward, sums, padded, w, Terms.ApproachScale, approaching * (prev - dist));
            Accumulate(ref reward, sums, padded, w, Terms.ArrivalBonus, firstReach);
            Accumulate(ref reward, sums, padded, w, Terms.InnerFenceBonus, firstFence);
            Accumulate(ref reward, sums, padded, w, Terms.StopScale,
                gate & Vector256.Max(zero, one - speedSq * Vector256.Create(1f / (BodyModel.StopSpeed * BodyModel.StopSpeed))));
            Accumulate(ref reward, sums, padded, w, Terms.ZeroAngBonus,
                gate & Vector256.Max(zero, one - b.YawRate * b.YawRate * Vector256.Create(1f / (BodyModel.StopYawRate * BodyModel.StopYawRate))));
            Accumulate(ref reward, sums, padded, w, Terms.NearTargetSpeed,
                speedSq * Vector256.Max(zero, one - dist * Vector256.Create(1f / BodyModel.NearTargetRadius)));
            Accumulate(ref reward, sums, padded, w, Terms.BoundaryPenalty, edge * edge);
            Accumulate(ref reward, sums, padded, w, Terms.DeparturePenalty, Vector256.AndNot(everMask, insideFence) & one);
            Accumulate(ref reward, sums, padded, w, Terms.Orientation, gx * gx + gy * gy);
            Accumulate(ref reward, sums, padded, w, Terms.LinVelZ, b.Vz * b.Vz);
            Accumulate(ref reward, sums, padded, w, Terms.AngVelXy, b.RollRate * b.RollRate + b.PitchRate * b.PitchRate);
            Accumulate(ref reward, sums, padded, w, Terms.ActionRate, d0 * d0 + d1 * d1 + d2 * d2);
            Accumulate(ref reward, sums, padded, w, Terms.Termination, down & one);

            (Vector256.Load(_return + i) + reward).Store(_return + i);
            (Vector256.Load(_speedSum + i) + speed).Store(_speedSum + i);
            var steps = Vector256.Load(_steps + i) + Vector256<int>.One;
            steps.Store(_steps + i);
            var success = Vector256.AndNot(Vector256.GreaterThanOrEqual(succ, hold), down.AsInt32());
            var term = down.AsInt32() | success;
            var trunc = Vector256.AndNot(Vector256.GreaterThanOrEqual(steps, maxSteps), term);
            uint termBits = term.ExtractMostSignificantBits(), truncBits = trunc.ExtractMostSignificantBits();
            int lanes = Math.Min(Lanes, n - i);
            for (int l = 0; l < lanes; l++)
            {
                rewards[i + l] = reward.GetElement(l);
                terminated[i + l] = (termBits >> l & 1) != 0;
                truncated[i + l] = (truncBits >> l & 1) != 0;
            }

            WriteObservations(i, 0xFF);
            uint doneBits = termBits | truncBits;
            if (doneBits == 0) continue;
            uint fellBits = fell.ExtractMostSignificantBits(), leftBits = left.ExtractMostSignificantBits();
            uint successBits = success.ExtractMostSignificantBits();
            for (int l = 0; l < Lanes; l++)
            {
                if ((doneBits >> l & 1) == 0) continue;
                int e = i + l;
                _finalX[e] = _x[e]; _finalY[e] = _y[e];
                _finalOutcome[e] = (int)((successBits >> l & 1) != 0 ? EpisodeOutcome.Success
                    : (fellBits >> l & 1) != 0 ? EpisodeOutcome.Fall
                    : (leftBits >> l & 1) != 0 ? EpisodeOutcome.LeftPlatform : EpisodeOutcome.Timeout);
                if (e < n)
                {
                    new Span<float>(_obs + (long)e * Dim, Dim).CopyTo(new Span<float>(_finalObs + (long)e * Dim, Dim));
                    int len = _steps[e];
                    var metrics = _finalMetrics.AsSpan(e * EpisodeTally.MetricNames.Count, EpisodeTally.MetricNames.Count);
                    EpisodeTally.Fill(metrics, len, (successBits >> l & 1) != 0, (fellBits >> l & 1) != 0, (leftBits >> l & 1) != 0,
                        _everReached[e] != 0, dist.GetElement(l), _speedSum[e] / len);
                    tally.Record(_return[e], len, metrics, _termSums + e, padded);
                }
                ResetEnv(e);
            }
            WriteObservations(i, doneBits);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref V reward, float* sums, int stride, V* w, int term, V raw)
    {
        V weighted = w[term] * raw;
        reward += weighted;
        float* p = sums + (long)term * stride;
        (Vector256.Load(p) + weighted).Store(p);
    }

    /// <summary>
    /// Writes the observation rows of the eight envs from <paramref name="i"/> whose bit is set in
    /// <paramref name="laneMask"/>, drawing their sensor noise (only their random streams advance).
    /// </summary>
    private void WriteObservations(int i, uint laneMask)
    {
        VU rngBefore = Vector256.Load(_rng + i), rng = rngBefore;
        V u0 = Uniform(ref rng), u1 = Uniform(ref rng), u2 = Uniform(ref rng), u3 = Uniform(ref rng), u4 = Uniform(ref rng);
        V u5 = Uniform(ref rng), u6 = Uniform(ref rng), u7 = Uniform(ref rng), u8 = Uniform(ref rng);
        var laneBits = Vector256.Create(1u, 2u, 4u, 8u, 16u, 32u, 64u, 128u);
        var selected = Vector256.Equals(laneBits & Vector256.Create(laneMask), laneBits);
        Vector256.ConditionalSelect(selected, rng, rngBefore).Store(_rng + i);

        V vn = Vector256.Create(_noise * NavLiteObservation.LinVelNoise), wn = Vector256.Create(_noise * NavLiteObservation.GyroNoise);
        V gn = Vector256.Create(_noise * NavLiteObservation.GravityNoise);
        V lv = Vector256.Create(NavLiteObservation.LinVelScale), gs = Vector256.Create(NavLiteObservation.GyroScale);
        V* o = stackalloc V[Dim];
        V vx = Vector256.Load(_vx + i), vy = Vector256.Load(_vy + i), wz = Vector256.Load(_wz + i);
        o[0] = (vx + vn * u0) * lv;
        o[1] = (vy + vn * u1) * lv;
        o[2] = (Vector256.Load(_vz + i) + vn * u2) * lv;
        o[3] = (Vector256.Load(_rollRate + i) + wn * u3) * gs;
        o[4] = (Vector256.Load(_pitchRate + i) + wn * u4) * gs;
        o[5] = (wz + wn * u5) * gs;
        BodyModel.ProjectedGravity(Vector256.Load(_roll + i), Vector256.Load(_pitch + i), out V gx, out V gy, out V gz);
        o[6] = gx + gn * u6;
        o[7] = gy + gn * u7;
        o[8] = gz + gn * u8;
        o[9] = Vector256.Load(_a0 + i); o[10] = Vector256.Load(_a1 + i); o[11] = Vector256.Load(_a2 + i);
        V ex = Vector256.Create(_targetX) - Vector256.Load(_x + i), ey = Vector256.Create(_targetY) - Vector256.Load(_y + i);
        V hc = Vector256.Load(_hc + i), hs = Vector256.Load(_hs + i);
        V bx = ex * hc + ey * hs, by = ey * hc - ex * hs;
        V dist = Vector256.Sqrt(ex * ex + ey * ey);
        V far = Vector256.GreaterThan(dist, Vector256.Create(1e-6f));
        V inv = Vector256.ConditionalSelect(far, V.One / dist, V.Zero);
        o[12] = bx * Vector256.Create(NavLiteObservation.PositionScale);
        o[13] = by * Vector256.Create(NavLiteObservation.PositionScale);
        o[14] = by * inv;
        o[15] = Vector256.ConditionalSelect(far, bx * inv, V.One);
        o[16] = Vector256.Min(dist / Vector256.Load(_spawnDist + i), Vector256.Create(2f));
        o[17] = Vector256.Load(_everReached + i);
        // up from the first stopped step inside the success radius to the episode's end: the hold ends the
        // episode whatever the robot does next, so the policy and critic must see that it has begun
        var holding = Vector256.GreaterThan(Vector256.Load(_successSteps + i), Vector256<int>.Zero);
        o[18] = holding.AsSingle() & V.One;

        float* lanes = (float*)o;
        int count = Math.Min(Lanes, _n - i);
        for (int l = 0; l < count; l++)
        {
            if ((laneMask >> l & 1) == 0) continue;
            float* row = _obs + (long)(i + l) * Dim;
            for (int k = 0; k < Dim; k++) row[k] = lanes[k * Lanes + l];
        }
    }

    /// <summary>Starts a new episode for env i: a spawn point uniform over the ring's area, a random heading.</summary>
    private void ResetEnv(int i)
    {
        uint rng = _rng[i];
        double u0 = UniformScalar(ref rng), u1 = UniformScalar(ref rng), u2 = UniformScalar(ref rng), u3 = UniformScalar(ref rng);
        _rng[i] = rng;
        double rIn = _settings.SpawnInnerRadius, rOut = _settings.SpawnOuterRadius;
        double radius = Math.Sqrt(rIn * rIn + 0.5 * (u0 + 1) * (rOut * rOut - rIn * rIn));
        double angle = Math.PI * u1, heading = Math.PI * u2, phase = Math.PI * u3;
        _x[i] = (float)(radius * Math.Cos(angle));
        _y[i] = (float)(radius * Math.Sin(angle));
        _hc[i] = (float)Math.Cos(heading);
        _hs[i] = (float)Math.Sin(heading);
        _vx[i] = _vy[i] = _wz[i] = 0f;
        _roll[i] = _pitch[i] = _rollRate[i] = _pitchRate[i] = 0f;
        _gc[i] = (float)Math.Cos(phase);
        _gs[i] = (float)Math.Sin(phase);
        _height[i] = BodyModel.StandHeight + BodyModel.BounceSpeedBase / (2 * MathF.PI * BodyModel.GaitFreqBase) * _gs[i];
        _vz[i] = _unsteady[i] = 0f;
        _a0[i] = _a1[i] = _a2[i] = 0f;
        float ex = _targetX - _x[i], ey = _targetY - _y[i];
        float dist = MathF.Sqrt(ex * ex + ey * ey);
        _prevDist[i] = dist;
        _spawnDist[i] = MathF.Max(dist, 0.5f);
        _speedSum[i] = _return[i] = _everReached[i] = _fencePaid[i] = 0f;
        _steps[i] = _successSteps[i] = 0;
        for (int k = 0; k < Terms.Count; k++) _termSums[(long)k * _padded + i] = 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private BodyBlock Load(int i) => new()
    {
        X = Vector256.Load(_x + i), Y = Vector256.Load(_y + i), HeadingCos = Vector256.Load(_hc + i), HeadingSin = Vector256.Load(_hs + i),
        Vx = Vector256.Load(_vx + i), Vy = Vector256.Load(_vy + i), YawRate = Vector256.Load(_wz + i), Roll = Vector256.Load(_roll + i), Pitch = Vector256.Load(_pitch + i),
        RollRate = Vector256.Load(_rollRate + i), PitchRate = Vector256.Load(_pitchRate + i), GaitCos = Vector256.Load(_gc + i), GaitSin = Vector256.Load(_gs + i),
        Height = Vector256.Load(_height + i), Vz = Vector256.Load(_vz + i), Unsteady = Vector256.Load(_unsteady + i),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(int i, in BodyBlock b)
    {
        b.X.Store(_x + i); b.Y.Store(_y + i); b.HeadingCos.Store(_hc + i); b.HeadingSin.Store(_hs + i);
        b.Vx.Store(_vx + i); b.Vy.Store(_vy + i); b.YawRate.Store(_wz + i); b.Roll.Store(_roll + i); b.Pitch.Store(_pitch + i);
        b.RollRate.Store(_rollRate + i); b.PitchRate.Store(_pitchRate + i); b.GaitCos.Store(_gc + i); b.GaitSin.Store(_gs + i);
        b.Height.Store(_height + i); b.Vz.Store(_vz + i); b.Unsteady.Store(_unsteady + i);
    }

    // Random numbers: a 32-bit counter per env hashed by Wellons' lowbias32, cheap in AVX2 (no 64-bit multiply).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(uint x)
    {
        x ^= x >> 16; x *= 0x7FEB352Du; x ^= x >> 15; x *= 0x846CA68Bu; x ^= x >> 16;
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V Uniform(ref VU state)
    {
        state += Vector256.Create(Golden);
        VU x = state;
        x ^= Vector256.ShiftRightLogical(x, 16); x *= Vector256.Create(0x7FEB352Du);
        x ^= Vector256.ShiftRightLogical(x, 15); x *= Vector256.Create(0x846CA68Bu);
        x ^= Vector256.ShiftRightLogical(x, 16);
        return Vector256.ConvertToSingle(Vector256.ShiftRightLogical(x, 8).AsInt32()) * Vector256.Create(2f / (1 << 24)) - V.One;
    }

    private static double UniformScalar(ref uint state)
    {
        state += Golden;
        return (Hash(state) >> 8) * (2.0 / (1 << 24)) - 1.0;
    }

    // every per-env field lives in one of the pinned arrays, so they are the whole state between steps
    public byte[] SaveState()
    {
        using var stream = new MemoryStream();
        foreach (var array in _pins) stream.Write(ArrayBytes(array));
        return stream.ToArray();
    }

    public bool RestoreState(ReadOnlySpan<byte> state)
    {
        if (state.Length != _pins.Sum(a => ArrayBytes(a).Length)) return false;
        foreach (var array in _pins)
        {
            var bytes = ArrayBytes(array);
            state[..bytes.Length].CopyTo(bytes);
            state = state[bytes.Length..];
        }
        return true;
    }

    private static Span<byte> ArrayBytes(Array array) => array switch
    {
        float[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()),
        int[] i => System.Runtime.InteropServices.MemoryMarshal.AsBytes(i.AsSpan()),
        uint[] u => System.Runtime.InteropServices.MemoryMarshal.AsBytes(u.AsSpan()),
        _ => throw new InvalidOperationException($"unexpected pinned array {array.GetType().Name}"),
    };

    private float* Floats() => (float*)Pin<float>(_padded);

    private void* Pin<T>(int count) where T : unmanaged
    {
        var array = GC.AllocateArray<T>(count, pinned: true);
        _pins.Add(array);
        return Unsafe.AsPointer(ref array[0]);
    }

    public void Dispose() => _chunks.Dispose();

    // ---- internal access for tests and the trajectory recorder: body states, hand-built states, the running episode's term sums ----

    internal BodyLane GetBody(int i) => new()
    {
        X = _x[i], Y = _y[i], HeadingCos = _hc[i], HeadingSin = _hs[i], Vx = _vx[i], Vy = _vy[i], YawRate = _wz[i],
        Roll = _roll[i], Pitch = _pitch[i], RollRate = _rollRate[i], PitchRate = _pitchRate[i],
        GaitCos = _gc[i], GaitSin = _gs[i], Height = _height[i], Vz = _vz[i], Unsteady = _unsteady[i],
    };

    /// <summary>Puts env i into a hand-built state and starts its episode sums afresh.</summary>
    internal void SetBody(int i, BodyLane b, bool everReached = false, bool fencePaid = false, float? spawnDistance = null)
    {
        _x[i] = b.X; _y[i] = b.Y; _hc[i] = b.HeadingCos; _hs[i] = b.HeadingSin; _vx[i] = b.Vx; _vy[i] = b.Vy; _wz[i] = b.YawRate;
        _roll[i] = b.Roll; _pitch[i] = b.Pitch; _rollRate[i] = b.RollRate; _pitchRate[i] = b.PitchRate;
        _gc[i] = b.GaitCos; _gs[i] = b.GaitSin; _height[i] = b.Height; _vz[i] = b.Vz; _unsteady[i] = b.Unsteady;
        float ex = _targetX - b.X, ey = _targetY - b.Y;
        _prevDist[i] = MathF.Sqrt(ex * ex + ey * ey);
        if (spawnDistance is float s) _spawnDist[i] = s;
        _everReached[i] = everReached ? 1f : 0f;
        _fencePaid[i] = fencePaid ? 1f : 0f;
        _successSteps[i] = _steps[i] = 0;
        _return[i] = _speedSum[i] = 0f;
        for (int k = 0; k < Terms.Count; k++) _termSums[(long)k * _padded + i] = 0f;
        WriteObservations(i / Lanes * Lanes, 1u << (i % Lanes));
    }

    internal void SetLastAction(int i, float a0, float a1, float a2) { _a0[i] = a0; _a1[i] = a1; _a2[i] = a2; }

    internal float EpisodeTermSum(int i, int term) => _termSums[(long)term * _padded + i];

    public int EpisodeSteps(int i) => _steps[i];

    internal bool EverReached(int i) => _everReached[i] != 0;

    internal float SpawnDistance(int i) => _spawnDist[i];
}
