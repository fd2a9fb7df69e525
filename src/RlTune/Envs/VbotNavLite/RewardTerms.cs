namespace RlTune.Envs.VbotNavLite;

/// <summary>
/// MotrixLab's navigation reward terms for <c>vbot-nav-lite</c>: their order (the index the env
/// uses internally), metadata for the reward-budget audit and the default weight table.
/// Each raw term is computed once per control step (100 Hz) and multiplied by its weight.
/// </summary>
public static class RewardTerms
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
    public const int ActionRate = 17;
    public const int Termination = 18;
    public const int Count = 19;

    /// <summary>Every term in index order, with its default weight (the tuned table) and audit metadata.</summary>
    public static readonly IReadOnlyList<RewardTermInfo> All =
    [
        new("position_tracking", RewardTermKind.PerStepPositive, 0.001, 1.0, "navigation",
            "exp(-d/5), d = distance to the target in metres"),
        new("fine_position_tracking", RewardTermKind.PerStepPositive, 0.01, 1.0, "navigation",
            "exp(-d/0.5), paid only after the target was reached and while d < 2.5 m"),
        new("heading_tracking", RewardTermKind.PerStepPositive, 0.001, 1.0, "navigation",
            "(1 + cos(heading error))/2, facing the target; 1 inside the success radius"),
        new("forward_velocity", RewardTermKind.PerStepPositive, 0.05, BodyModel.ForwardVelocityCap, "navigation",
            "planar velocity toward the target, clipped to +-2.5 m/s (the speed cap); 0 once the target was reached"),
        new("distance_progress", RewardTermKind.PerStepPositive, 0.001, 1.0, "navigation",
            "clip(1 - d/d_spawn, -0.5, 1)"),
        new("alive_bonus", RewardTermKind.PerStepPositive, 0.001, 1.0, "survival",
            "1 every step the robot is up"),
        new("approach_scale", RewardTermKind.PerStepPositive, 0.5, BodyModel.MaxPlanarSpeed * BodyModel.ControlDt, "navigation",
            "decrease of d since the previous step, in metres; 0 once the target was reached"),
        new("arrival_bonus", RewardTermKind.OneTime, 150.0, 1.0, "arrival",
            "1 on the first step within 0.3 m of the target"),
        new("inner_fence_bonus", RewardTermKind.OneTime, 10.0, 1.0, "arrival",
            "1 on the first step within the 0.75 m inner fence"),
        new("stop_scale", RewardTermKind.PerStepPositive, 0.5, 1.0, "stopping",
            "max(0, 1 - (v/0.3)^2), planar speed v, within the 0.3 m success radius once stopped there (the success hold)",
            MaxStepsPerEpisode: NavLiteSettings.DefaultSuccessHoldSteps),
        new("zero_ang_bonus", RewardTermKind.PerStepPositive, 0.1, 1.0, "stopping",
            "max(0, 1 - (yaw rate/0.5)^2), within the success radius during the success hold",
            MaxStepsPerEpisode: NavLiteSettings.DefaultSuccessHoldSteps),
        new("near_target_speed", RewardTermKind.Penalty, -0.1, BodyModel.MaxPlanarSpeed * BodyModel.MaxPlanarSpeed, "stopping",
            "v^2 * max(0, 1 - d/2): speed close to the target"),
        new("boundary_penalty", RewardTermKind.Penalty, -0.2, 1.0, "safety",
            "((r - 10.5)/2)^2 for platform radius r beyond 10.5 m (edge at 12.5 m)"),
        new("departure_penalty", RewardTermKind.Penalty, -0.2, 1.0, "stopping",
            "1 every step outside the inner fence after the target was reached"),
        new("orientation", RewardTermKind.Penalty, -0.05, 1.0, "stability",
            "gx^2 + gy^2 of the projected gravity (sin^2 of the tilt)"),
        new("lin_vel_z", RewardTermKind.Penalty, -0.14, 4.0, "stability",
            "vertical body velocity squared (gait bounce)"),
        new("ang_vel_xy", RewardTermKind.Penalty, -0.007, 50.0, "stability",
            "roll rate^2 + pitch rate^2"),
        new("action_rate", RewardTermKind.Penalty, -0.0005, 12.0, "smoothness",
            "sum of squared changes of the action since the previous step"),
        new("termination", RewardTermKind.Penalty, -100.0, 1.0, "safety",
            "1 on the step the robot falls or leaves the platform"),
    ];

    /// <summary>
    /// The terms' metadata for a task: the stop terms pay for the success hold's steps at most, and
    /// the progress terms (velocity toward the target, decrease of distance, both 0 once it was reached)
    /// sum over an episode to no more than the farthest spawn's distance from the target.
    /// </summary>
    public static RewardTermInfo[] ForSettings(NavLiteSettings settings)
    {
        double farthest = settings.SpawnOuterRadius + Math.Sqrt(settings.TargetX * settings.TargetX + settings.TargetY * settings.TargetY);
        var terms = All.Select(t => t.MaxStepsPerEpisode is null ? t : t with { MaxStepsPerEpisode = settings.SuccessHoldSteps }).ToArray();
        terms[ForwardVelocity] = terms[ForwardVelocity] with { MaxRawPerEpisode = farthest / BodyModel.ControlDt }; // m/s summed over steps
        terms[ApproachScale] = terms[ApproachScale] with { MaxRawPerEpisode = farthest };
        return terms;
    }

    /// <summary>The term names in index order.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(t => t.Name).ToArray();

    /// <summary>
    /// The weight vector in index order: defaults, replaced by any entry of <paramref name="scales"/>.
    /// A name the env lacks is the user's mistake and lists the env's names.
    /// </summary>
    public static float[] ResolveWeights(IReadOnlyDictionary<string, double>? scales, string envName) => RewardWeights.Resolve(All, scales, envName);

    public static int IndexOf(string name) => RewardWeights.IndexOf(All, name);
}
