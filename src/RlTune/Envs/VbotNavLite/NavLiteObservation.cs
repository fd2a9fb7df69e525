namespace RlTune.Envs.VbotNavLite;

/// <summary>
/// The observation row of <c>vbot-nav-lite</c> (19 floats) and the sensor noise added to it,
/// after MotrixLab's NoiseConfig: uniform noise in [-1, 1] x scale x noise_level on the
/// velocity, gyro and gravity sensors; the target error is exact, as in MotrixLab.
/// </summary>
public static class NavLiteObservation
{
    public const int Dim = 19;

    public const int LinVel = 0;          // vx, vy, vz (body frame) x LinVelScale
    public const int Gyro = 3;            // roll rate, pitch rate, yaw rate x GyroScale
    public const int Gravity = 6;         // projected gravity gx, gy, gz
    public const int LastAction = 9;      // the previous clipped action
    public const int PositionError = 12;  // target minus position in the body frame x PositionScale
    public const int HeadingError = 14;   // sin and cos of the angle from the body's heading to the target
    public const int NormalisedDistance = 16; // d / d_spawn, at most 2
    public const int ReachedFlag = 17;    // 1 once the robot has been within the success radius
    public const int StopReadyFlag = 18;  // 1 once the success hold has begun (stopped within the success radius), to the episode's end

    public const float LinVelScale = 0.5f;
    public const float GyroScale = 0.25f;
    public const float PositionScale = 0.2f;

    public const float LinVelNoise = 0.1f;   // m/s
    public const float GyroNoise = 0.2f;     // rad/s
    public const float GravityNoise = 0.05f;

    public static readonly IReadOnlyList<string> Names =
    [
        "lin_vel_x", "lin_vel_y", "lin_vel_z", "gyro_x", "gyro_y", "gyro_z", "gravity_x", "gravity_y", "gravity_z",
        "last_action_vx", "last_action_vy", "last_action_yaw", "target_error_x", "target_error_y",
        "heading_error_sin", "heading_error_cos", "normalised_distance", "reached", "stop_ready",
    ];
}
