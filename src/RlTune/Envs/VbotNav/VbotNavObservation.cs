namespace RlTune.Envs.VbotNav;

/// <summary>
/// The 54-float observation row of <c>vbot-nav</c>, in MotrixLab's order and scales
/// (vbot_section001_np.py), and the sensor noise of the seed's NoiseConfig: uniform in [-1, 1] x
/// scale x noise_level, added to the raw sensor before scaling.
/// </summary>
public static class VbotNavObservation
{
    public const int Dim = 54;

    public const int LinVel = 0;            // trunk velocity (world frame) x LinVelScale
    public const int Gyro = 3;              // trunk angular velocity (body frame) x GyroScale
    public const int Gravity = 6;           // gravity direction in the body frame
    public const int JointAngles = 9;       // q - default pose, 12
    public const int JointVelocities = 21;  // qdot x JointVelScale, 12
    public const int LastAction = 33;       // the filtered action applied, 12
    public const int Command = 45;          // scripted velocity command vx, vy, yaw rate x CommandScale
    public const int PositionError = 48;    // target minus position (world frame) / 12
    public const int HeadingError = 50;     // (target heading 0 - yaw) / pi
    public const int Distance = 51;         // distance / 12, clipped to [0, 1]
    public const int Reached = 52;          // 1 within the reach radius
    public const int StopReady = 53;        // 1 within the reach radius with |yaw rate| < 0.05

    public const float LinVelScale = 2.0f, GyroScale = 0.25f, JointVelScale = 0.05f, DistanceScale = 1f / 12f;
    public static readonly float[] CommandScale = [2.0f, 2.0f, 0.25f];

    // NoiseConfig
    public const float JointAngleNoise = 0.03f, JointVelNoise = 1.5f, GyroNoise = 0.2f, GravityNoise = 0.05f, LinVelNoise = 0.1f;

    public static readonly IReadOnlyList<string> Names = BuildNames();

    private static string[] BuildNames()
    {
        var names = new List<string> { "lin_vel_x", "lin_vel_y", "lin_vel_z", "gyro_x", "gyro_y", "gyro_z", "gravity_x", "gravity_y", "gravity_z" };
        names.AddRange(VbotNavTask.JointNames.Select(j => j + "_angle"));
        names.AddRange(VbotNavTask.JointNames.Select(j => j + "_velocity"));
        names.AddRange(VbotNavTask.JointNames.Select(j => j + "_last_action"));
        names.AddRange(["command_vx", "command_vy", "command_yaw_rate", "position_error_x", "position_error_y", "heading_error", "distance", "reached", "stop_ready"]);
        return names.ToArray();
    }
}
