using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector256<float>;

namespace RlTune.Envs.VbotNavLite;

/// <summary>
/// One robot's body as the locomotion layer sees it (a snapshot, for tests and tools). Velocities
/// are in the body frame (x forward, y left); heading and gait phase are unit vectors.
/// </summary>
public struct BodyLane
{
    public float X, Y;              // position on the platform, m
    public float HeadingCos, HeadingSin;
    public float Vx, Vy;            // body-frame planar velocity, m/s
    public float YawRate;           // rad/s
    public float Roll, Pitch;       // rad
    public float RollRate, PitchRate;
    public float GaitCos, GaitSin;  // gait phase as a unit vector
    public float Height;            // body height above the platform, m
    public float Vz;                // vertical body velocity, m/s
    public float Unsteady;          // 0..1: how long the gait has been above the comfortable speed (see BodyModel.UnsteadyBuildUp)
}

/// <summary>Eight bodies at once, one per vector lane (the env's hot loop works on these).</summary>
public struct BodyBlock
{
    public V X, Y, HeadingCos, HeadingSin, Vx, Vy, YawRate, Roll, Pitch, RollRate, PitchRate, GaitCos, GaitSin, Height, Vz, Unsteady;
}

/// <summary>
/// The body-level locomotion model of <c>vbot-nav-lite</c> (not a joint-level simulation): the policy
/// commands a body velocity that a locomotion layer tracks with a lag, an acceleration limit and a
/// speed cap; roll, pitch and height respond to acceleration and the gait; above
/// <see cref="ComfortSpeed"/> the gait stumbles. Going fast and turning hard at speed costs
/// stability, the trade-off a reward search must find. Why each piece is shaped as it is:
/// docs/vbot-nav-lite.md.
/// </summary>
public static class BodyModel
{
    public const float ControlDt = 0.01f;           // 100 Hz control
    public const float PlatformRadius = 12.5f;
    public const float SuccessRadius = 0.3f;
    public const float InnerFenceRadius = 0.75f;
    public const float StopSpeed = 0.3f;            // planar speed below which the robot counts as stopped
    public const float StopYawRate = 0.5f;
    public const float FineTrackingGate = 2.5f;
    public const float BoundaryStart = 10.5f;       // boundary_penalty grows from here to the edge
    public const float NearTargetRadius = PlatformLayout.NearTargetRadius;

    public const float MaxForwardSpeed = 2.5f;      // command +1 on vx
    public const float MaxBackwardSpeed = 1.0f;     // command -1 on vx
    public const float MaxLateralSpeed = 1.0f;
    public const float MaxYawRate = 2.5f;
    public const float MaxPlanarSpeed = 2.5f;       // speed cap on |(vx, vy)|
    public const float ForwardVelocityCap = 2.5f;   // forward_velocity pays no more than this (the speed cap)

    public const float VelocityLag = 0.15f;         // first-order time constant of vx, vy, s
    public const float YawLag = 0.10f;
    public const float MaxLinearAccel = 3.0f;       // m/s^2, magnitude of the planar acceleration (any direction)
    public const float MaxYawAccel = 10.0f;         // rad/s^2

    public const float Gravity = 9.81f;
    public const float LeanPerG = 0.6f;             // tilt target (rad) per g of body acceleration (the legs take most of it)
    public const float TiltNaturalFreq = 10.0f;     // rad/s of the roll/pitch spring
    public const float TiltDamping = 0.7f;          // damping ratio (a balancing gait is well damped)
    public const float GaitDisturbanceAtMaxSpeed = 71.0f; // rad/s^2 rms at the speed cap, growing as speed^1.5
    public const float ComfortSpeed = 1.8f;         // m/s: no stumbles at or below this planar speed
    public const float BoundFromSpeed = 1.6f;       // m/s: from here to ComfortSpeed the trot stiffens into a bound
    public const float BoundBounceSpeed = 0.45f;    // m/s added to the bounce's vertical speed amplitude by the bound
    public const float GallopFromSpeed = 1.8f;      // m/s: from here the bound settles into a gallop, its extra bounce fading linearly
    public const float GallopSpeed = 2.0f;          // m/s: a gallop: the bounce is the trot's law again, with no bound extra
    public const float StumbleRateAboveComfort = 0.1f; // stumbles per second just past ComfortSpeed (the bound's edge)
    public const float StumbleRateAtMaxSpeed = 0.25f; // stumbles per second at the speed cap (linear from StumbleRateAboveComfort)
    public const float UnsteadyBuildUp = 0.3f;      // s: time constant over which the stumble rate builds up above ComfortSpeed (and decays below it)
    public const float StumbleKick = 13.0f;         // rad/s of forward pitch rate per stumble (peaks ~0.7 rad from upright)

    public const float StandHeight = 0.28f;
    public const float SquatPerAccel = 0.004f;      // m of squat per m/s^2
    public const float BounceSpeedBase = 0.02f;     // m/s amplitude of the bounce's vertical velocity when standing
    public const float BounceSpeedAtMaxSpeed = 0.9f; // m/s of that amplitude at the speed cap, growing as speed^1.5
    public const float GaitFreqBase = 1.5f;         // Hz
    public const float GaitFreqPerSpeed = 1.4f;     // Hz per m/s

    /// <summary>
    /// Advances eight bodies by one control step. The commands are the actions clipped to
    /// [-1, 1]; the kicks are unit-variance random numbers for the gait disturbance;
    /// <paramref name="stumbleDraw"/> is uniform in [-1, 1) and decides whether the gait stumbles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Advance(ref BodyBlock b, V cmdX, V cmdY, V cmdYaw, V kickRoll, V kickPitch, V stumbleDraw)
    {
        const float dt = ControlDt;
        // the planar command is taken within the unit disc: each axis reaches its limit only alone, so a
        // diagonal command walks no faster than its axes' ellipse (a gait cannot add a sidestep to a full stride)
        V cmdScale = Vector256.Min(V.One, V.One / Vector256.Sqrt(Vector256.Max(cmdX * cmdX + cmdY * cmdY, Vector256.Create(1e-12f))));
        cmdX *= cmdScale; cmdY *= cmdScale;
        V targetVx = cmdX * Vector256.Create(MaxForwardSpeed);
        targetVx = Vector256.ConditionalSelect(Vector256.LessThan(cmdX, V.Zero), cmdX * Vector256.Create(MaxBackwardSpeed), targetVx);
        V targetVy = cmdY * Vector256.Create(MaxLateralSpeed);
        V targetWz = cmdYaw * Vector256.Create(MaxYawRate);

        V dvMax = Vector256.Create(MaxLinearAccel * dt), dwMax = Vector256.Create(MaxYawAccel * dt);
        V dvx = (targetVx - b.Vx) * Vector256.Create(dt / VelocityLag);
        V dvy = (targetVy - b.Vy) * Vector256.Create(dt / VelocityLag);
        // the limit is on the planar acceleration's magnitude: walking diagonally accelerates no harder than straight
        V dvScale = Vector256.Min(V.One, dvMax / Vector256.Sqrt(Vector256.Max(dvx * dvx + dvy * dvy, Vector256.Create(1e-12f))));
        dvx *= dvScale; dvy *= dvScale;
        V dwz = Clamp((targetWz - b.YawRate) * Vector256.Create(dt / YawLag), -dwMax, dwMax);
        V vx = b.Vx + dvx, vy = b.Vy + dvy, wz = b.YawRate + dwz;
        V speedSq = vx * vx + vy * vy;
        V cap = Vector256.Min(V.One, Vector256.Create(MaxPlanarSpeed) / Vector256.Sqrt(Vector256.Max(speedSq, Vector256.Create(1e-12f))));
        vx *= cap; vy *= cap;
        speedSq = Vector256.Min(speedSq, Vector256.Create(MaxPlanarSpeed * MaxPlanarSpeed));
        dvx = vx - b.Vx; dvy = vy - b.Vy;
        // body-frame acceleration: change of velocity plus the centripetal part of turning at speed
        V ax = dvx * Vector256.Create(1f / dt) - wz * vy;
        V ay = dvy * Vector256.Create(1f / dt) + wz * vx;

        RotateUnit(b.HeadingCos, b.HeadingSin, wz * Vector256.Create(dt), out V hc, out V hs);
        b.X += (vx * hc - vy * hs) * Vector256.Create(dt);
        b.Y += (vx * hs + vy * hc) * Vector256.Create(dt);
        b.HeadingCos = hc; b.HeadingSin = hs;
        b.Vx = vx; b.Vy = vy; b.YawRate = wz;

        // roll/pitch: a damped spring toward the lean the acceleration asks for, kicked by the gait
        V speed = Vector256.Sqrt(speedSq);
        V frac = speed * Vector256.Create(1f / MaxPlanarSpeed);
        V frac15 = frac * Vector256.Sqrt(frac);
        V kick = Vector256.Create(GaitDisturbanceAtMaxSpeed) * frac15;
        V w2 = Vector256.Create(TiltNaturalFreq * TiltNaturalFreq), c = Vector256.Create(2f * TiltDamping * TiltNaturalFreq);
        V rollTarget = ay * Vector256.Create(LeanPerG / Gravity);
        V pitchTarget = ax * Vector256.Create(-LeanPerG / Gravity);
        b.RollRate += (w2 * (rollTarget - b.Roll) - c * b.RollRate + kick * kickRoll) * Vector256.Create(dt);
        b.PitchRate += (w2 * (pitchTarget - b.Pitch) - c * b.PitchRate + kick * kickPitch) * Vector256.Create(dt);
        // a stumble this step with probability rate(speed) * unsteady * dt: P(draw01 < p) = p. A stumble takes a few
        // strides of the fast gait: unsteady builds up towards 1 over UnsteadyBuildUp above the comfortable speed, back to 0 below
        V over = speed - Vector256.Create(ComfortSpeed);
        V above = Vector256.GreaterThan(over, V.Zero);
        b.Unsteady += ((above & V.One) - b.Unsteady) * Vector256.Create(dt / UnsteadyBuildUp);
        V stumbleChance = above & ((Vector256.Create(StumbleRateAboveComfort) + over *
            Vector256.Create((StumbleRateAtMaxSpeed - StumbleRateAboveComfort) / (MaxPlanarSpeed - ComfortSpeed))) * b.Unsteady * Vector256.Create(dt));
        V stumbled = Vector256.LessThan((stumbleDraw + V.One) * Vector256.Create(0.5f), stumbleChance);
        b.PitchRate += stumbled & Vector256.Create(StumbleKick);
        b.Roll += b.RollRate * Vector256.Create(dt);
        b.Pitch += b.PitchRate * Vector256.Create(dt);

        // height: squat under acceleration, gait bounce growing with speed; vz is its rate of change
        V gaitOmega = (Vector256.Create(GaitFreqBase) + Vector256.Create(GaitFreqPerSpeed) * speed) * Vector256.Create(2f * MathF.PI);
        V gaitStep = gaitOmega * Vector256.Create(dt);
        RotateUnit(b.GaitCos, b.GaitSin, gaitStep, out V gc, out V gs);
        b.GaitCos = gc; b.GaitSin = gs;
        V accel = Vector256.Sqrt(ax * ax + ay * ay);
        // the trot gives way to a bound between BoundFromSpeed and ComfortSpeed, its bounce BoundBounceSpeed faster; the extra fades as the bound settles into a gallop (GallopFromSpeed to GallopSpeed)
        V bound = Vector256.Create(BoundBounceSpeed) * Clamp((speed - Vector256.Create(BoundFromSpeed)) * Vector256.Create(1f / (ComfortSpeed - BoundFromSpeed)), V.Zero, V.One)
            * (V.One - Clamp((speed - Vector256.Create(GallopFromSpeed)) * Vector256.Create(1f / (GallopSpeed - GallopFromSpeed)), V.Zero, V.One));
        // bounce amplitude = vertical speed amplitude / gait angular frequency
        V bounce = (Vector256.Create(BounceSpeedBase) + Vector256.Create(BounceSpeedAtMaxSpeed) * frac15 + bound) / gaitOmega;
        V height = Vector256.Create(StandHeight) - Vector256.Create(SquatPerAccel) * accel + bounce * gs;
        b.Vz = (height - b.Height) * Vector256.Create(1f / dt);
        b.Height = height;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Clamp(V x, V lo, V hi) => Vector256.Min(Vector256.Max(x, lo), hi);

    /// <summary>Rotates unit vectors by small angles (second order) and renormalises them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RotateUnit(V c, V s, V angle, out V rc, out V rs)
    {
        V half = V.One - Vector256.Create(0.5f) * angle * angle;
        V nc = c * half - s * angle;
        V ns = s * half + c * angle;
        V norm = Vector256.Create(1.5f) - Vector256.Create(0.5f) * (nc * nc + ns * ns); // one Newton step towards length 1
        rc = nc * norm; rs = ns * norm;
    }

    /// <summary>Gravity in the body frame for a roll and pitch (yaw does not matter).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ProjectedGravity(V roll, V pitch, out V gx, out V gy, out V gz)
    {
        SinCos(roll, out V sr, out V cr);
        SinCos(pitch, out V sp, out V cp);
        gx = sp;
        gy = -sr * cp;
        gz = -cr * cp;
    }

    /// <summary>Scalar twin of <see cref="ProjectedGravity(V, V, out V, out V, out V)"/>.</summary>
    public static void ProjectedGravity(float roll, float pitch, out float gx, out float gy, out float gz)
    {
        ProjectedGravity(Vector256.Create(roll), Vector256.Create(pitch), out V x, out V y, out V z);
        gx = x.ToScalar(); gy = y.ToScalar(); gz = z.ToScalar();
    }

    /// <summary>sin and cos by polynomial, accurate to ~1e-5 for |x| up to 1.6 rad (larger tilts are falls).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCos(V x, out V s, out V c)
    {
        x = Clamp(x, Vector256.Create(-1.6f), Vector256.Create(1.6f));
        V x2 = x * x;
        s = x * (V.One + x2 * (Vector256.Create(-1f / 6f) + x2 * (Vector256.Create(1f / 120f) + x2 * (Vector256.Create(-1f / 5040f) + x2 * Vector256.Create(1f / 362880f)))));
        c = V.One + x2 * (Vector256.Create(-0.5f) + x2 * (Vector256.Create(1f / 24f) + x2 * (Vector256.Create(-1f / 720f) + x2 * (Vector256.Create(1f / 40320f) + x2 * Vector256.Create(-1f / 3628800f)))));
    }
}
