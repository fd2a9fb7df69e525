namespace RlTune.Envs.VbotNav;

/// <summary>
/// The reward terms of <c>vbot-nav</c>: every key of MotrixLab's section001 RewardConfig.scales plus
/// departure_penalty (read with its code default), under the same names, formulas and default
/// weights (cfg.py, vbot_section001_np.py, as they stand since MotrixLab's Round6, the version whose
/// formulas these are). d is the distance to the target, v the planar speed,
/// "reached" d &lt; 0.5 m. As in MotrixLab, heading, forward velocity, distance progress, alive and
/// approach pay only while not reached, arrival and the stop terms only while reached.
/// </summary>
public static class VbotNavTerms
{
    public const int PositionTracking = 0;
    public const int FinePositionTracking = 1;
    public const int HeadingTracking = 2;
    public const int ForwardVelocity = 3;
    public const int DistanceProgress = 4;
    public const int AliveBonus = 5;
    public const int ApproachScale = 6;
    public const int ArrivalBonus = 7;
    public const int InnerFenceBonus = 8;
    public const int StopScale = 9;
    public const int ZeroAngBonus = 10;
    public const int NearTargetSpeed = 11;
    public const int BoundaryPenalty = 12;
    public const int DeparturePenalty = 13;
    public const int Orientation = 14;
    public const int LinVelZ = 15;
    public const int AngVelXy = 16;
    public const int Torques = 17;
    public const int DofVel = 18;
    public const int DofAcc = 19;
    public const int ActionRate = 20;
    public const int Termination = 21;
    public const int Count = 22;

    // bounds on a raw term for the audit: planar speed up to 2 m/s, a control step of 0.01 s
    private const double TopSpeed = 2.0, StepSeconds = 0.01;

    /// <summary>Every term in index order, with MotrixLab's default weight and the audit's metadata.</summary>
    public static readonly IReadOnlyList<RewardTermInfo> All =
    [
        new("position_tracking", RewardTermKind.PerStepPositive, 1.5, 1.0, "navigation", "exp(-d/5)"),
        new("fine_position_tracking", RewardTermKind.PerStepPositive, 8.0, 1.0, "navigation",
            "exp(-d/0.5) while d < 2.5 m, once the target was reached in the episode"),
        new("heading_tracking", RewardTermKind.PerStepPositive, 0.8, 1.0, "navigation",
            "exp(-|facing error|/0.5), facing error = bearing to the target - yaw; while not reached"),
        new("forward_velocity", RewardTermKind.PerStepPositive, 1.5, VbotNavTask.ForwardVelocityCap, "navigation",
            "planar velocity toward the target clipped to [-1, 0.6] m/s; while not reached"),
        new("distance_progress", RewardTermKind.PerStepPositive, 1.5, 1.0, "navigation",
            "clip(1 - d/d_spawn, -0.5, 1); while not reached"),
        new("alive_bonus", RewardTermKind.PerStepPositive, 0.15, 1.0, "survival", "1 every step while not reached"),
        new("approach_scale", RewardTermKind.PerStepPositive, 30.0, TopSpeed * StepSeconds, "navigation",
            "decrease of d since the previous step (m); the weighted value is clipped to [0, 1] (MotrixLab clips after scaling); while not reached"),
        new("arrival_bonus", RewardTermKind.OneTime, 100.0, 1.0, "arrival", "1 on the first step within 0.5 m of the target"),
        new("inner_fence_bonus", RewardTermKind.OneTime, 40.0, 1.0, "arrival", "1 on the first step within 0.75 m of the target"),
        new("stop_scale", RewardTermKind.PerStepPositive, 5.0, 2.0, "stopping",
            "0.8 exp(-(v/0.2)^2) + 1.2 exp(-(|yaw rate|/0.1)^4) while reached with v < 0.3 m/s, for 50 steps after the first reach",
            MaxStepsPerEpisode: VbotNavTask.StopBudgetSteps),
        new("zero_ang_bonus", RewardTermKind.PerStepPositive, 10.0, 1.0, "stopping",
            "1 while the stop bonus pays and |yaw rate| < 0.05 rad/s", MaxStepsPerEpisode: VbotNavTask.StopBudgetSteps),
        new("near_target_speed", RewardTermKind.Penalty, -2.0, TopSpeed * TopSpeed, "stopping",
            "max(v - clip(0.5 d, 0.05, 0.6), 0)^2: faster than the speed for this distance"),
        new("boundary_penalty", RewardTermKind.Penalty, -3.0, VbotNavTask.PlatformRadius - VbotNavTask.BoundaryStart, "safety",
            "max(r - 10, 0) for the distance r from the platform centre (m)"),
        new("departure_penalty", RewardTermKind.Penalty, -5.0, TopSpeed * StepSeconds, "stopping",
            "the increase of d since the previous step when reached and it exceeds 0.01 m"),
        new("orientation", RewardTermKind.Penalty, -0.05, 1.0, "stability", "gx^2 + gy^2 of the projected gravity"),
        new("lin_vel_z", RewardTermKind.Penalty, -0.3, 4.0, "stability", "vertical trunk velocity squared"),
        new("ang_vel_xy", RewardTermKind.Penalty, -0.03, 100.0, "stability", "roll rate^2 + pitch rate^2 (gyro x, y)"),
        new("torques", RewardTermKind.Penalty, -1e-5, 8 * 17.0 * 17.0 + 4 * 34.0 * 34.0, "effort", "sum of squared joint torques"),
        new("dof_vel", RewardTermKind.Penalty, -5e-5, VbotNavTask.Joints * 100.0 * 100.0, "effort", "sum of squared joint velocities"),
        new("dof_acc", RewardTermKind.Penalty, -2.5e-7, VbotNavTask.Joints * 200.0 * 200.0, "effort",
            "sum of squared changes of joint velocity since the previous step"),
        new("action_rate", RewardTermKind.Penalty, -0.01, VbotNavTask.Joints * 0.6 * 0.6, "smoothness",
            "sum of squared changes of the filtered action since the previous step"),
        new("termination", RewardTermKind.Penalty, -100.0, 1.0, "safety",
            "1 on the step the trunk or head touches the floor, the tilt passes 75 degrees, a joint passes 100 rad/s, the physics fails or the robot leaves the platform"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(t => t.Name).ToArray();
}
