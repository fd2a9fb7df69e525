namespace RlTune.Envs.VbotNav;

/// <summary>
/// MotrixLab's navigation1 task constants (starter_kit/navigation1/vbot: cfg.py, vbot_section001_np.py):
/// the controller, the platform, the radii and speeds its rewards and terminations use.
/// </summary>
public static class VbotNavTask
{
    public const int Joints = 12;
    /// <summary>PD controller: torque = Kp (target - q) - Kd qdot, target = default + ActionScale x filtered action.</summary>
    public const double Kp = 80.0, Kd = 6.0;
    public const float ActionScale = 0.25f;
    /// <summary>Filtered action = alpha x action + (1 - alpha) x previous filtered action.</summary>
    public const float FilterAlpha = 0.3f;
    /// <summary>Default pose per leg (hip, thigh, calf), radians.</summary>
    public const float DefaultHip = 0f, DefaultThigh = 0.9f, DefaultCalf = -1.8f;
    /// <summary>Trunk height at spawn, metres: the legs at the default pose just clear the floor and the PD loop settles it near 0.26 m.</summary>
    public const double SpawnHeight = 0.36;

    /// <summary>The competition platform's radius; the robot beyond it has left the platform.</summary>
    public const double PlatformRadius = 12.5;
    /// <summary>MotrixLab's platform_radius: spawn points are clipped to it, and the boundary penalty starts 1 m inside it.</summary>
    public const double SpawnClipRadius = 11.0;
    public const float BoundaryStart = 10f;
    /// <summary>Within this distance of the target the robot has reached it (MotrixLab's position_threshold).</summary>
    public const float ReachRadius = 0.5f;
    public const float InnerFenceRadius = 0.75f;
    public const float FineTrackingRadius = 2.5f;
    /// <summary>The stop bonus pays under this planar speed, for the first StopBudgetSteps steps after the first reach.</summary>
    public const float StopBonusSpeed = 0.3f;
    public const int StopBudgetSteps = 50;
    public const float ZeroAngYawRate = 0.05f;
    /// <summary>The success hold counts consecutive steps within the reach radius under this planar speed.</summary>
    public const float HoldSpeed = 0.15f;
    public const float ForwardVelocityMin = -1f, ForwardVelocityCap = 0.6f;
    /// <summary>Terminations: tilt past 75 degrees, a joint faster than 100 rad/s.</summary>
    public const double TiltLimitDegrees = 75;
    public const float MaxJointSpeed = 100f;
    /// <summary>Yaw-rate command deadband, radians (8 degrees).</summary>
    public const float YawDeadband = 8f * MathF.PI / 180f;

    public static readonly float[] DefaultPose =
    [
        DefaultHip, DefaultThigh, DefaultCalf, DefaultHip, DefaultThigh, DefaultCalf,
        DefaultHip, DefaultThigh, DefaultCalf, DefaultHip, DefaultThigh, DefaultCalf,
    ];

    /// <summary>Actuator (and joint) order of the model and of every joint block of the observation.</summary>
    public static readonly IReadOnlyList<string> JointNames =
    [
        "FR_hip", "FR_thigh", "FR_calf", "FL_hip", "FL_thigh", "FL_calf",
        "RR_hip", "RR_thigh", "RR_calf", "RL_hip", "RL_thigh", "RL_calf",
    ];
}
