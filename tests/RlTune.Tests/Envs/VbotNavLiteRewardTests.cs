using RlTune.Envs;
using RlTune.Envs.VbotNavLite;
using static RlTune.Tests.Envs.NavLiteTestKit;

namespace RlTune.Tests.Envs;

/// <summary>Each reward term's sign and magnitude on hand-built states (all weights 1, so sums are raw values).</summary>
public class VbotNavLiteRewardTests
{
    private const float Toward = MathF.PI; // heading of a body on the +x axis that faces the centre

    [Fact]
    public void PositionTrackingIsExpOfMinusDistanceOverFive()
    {
        using var env = UnitWeights();
        Assert.Equal(MathF.Exp(-1f), RawTerm(env, RewardTerms.PositionTracking, Body(5, 0, Toward), (0, 0, 0)), 3);
        Assert.Equal(MathF.Exp(-2f), RawTerm(env, RewardTerms.PositionTracking, Body(0, 10, 0), (0, 0, 0)), 3);
    }

    [Fact]
    public void FinePositionTrackingIsPaidOnlyAfterReachingAndWithinTwoAndAHalfMetres()
    {
        using var env = UnitWeights();
        Assert.Equal(0f, RawTerm(env, RewardTerms.FinePositionTracking, Body(1, 0, Toward), (0, 0, 0)));
        Assert.Equal(MathF.Exp(-2f), RawTerm(env, RewardTerms.FinePositionTracking, Body(1, 0, Toward), (0, 0, 0), everReached: true), 3);
        Assert.Equal(0f, RawTerm(env, RewardTerms.FinePositionTracking, Body(3, 0, Toward), (0, 0, 0), everReached: true));
    }

    [Fact]
    public void HeadingTrackingIsOneFacingTheTargetAndZeroFacingAway()
    {
        using var env = UnitWeights();
        Assert.Equal(1f, RawTerm(env, RewardTerms.HeadingTracking, Body(5, 0, Toward), (0, 0, 0)), 3);
        Assert.Equal(0.5f, RawTerm(env, RewardTerms.HeadingTracking, Body(5, 0, MathF.PI / 2), (0, 0, 0)), 3);
        Assert.Equal(0f, RawTerm(env, RewardTerms.HeadingTracking, Body(5, 0, 0), (0, 0, 0)), 3);
    }

    [Fact]
    public void ForwardVelocityIsVelocityTowardTheTargetCappedUntilReached()
    {
        using var env = UnitWeights();
        Assert.Equal(1.5f, RawTerm(env, RewardTerms.ForwardVelocity, Body(5, 0, Toward, vx: 1.5f), Hold(1.5f)), 2);
        Assert.Equal(-1.0f, RawTerm(env, RewardTerms.ForwardVelocity, Body(5, 0, 0, vx: 1.0f), Hold(1.0f)), 2);
        Assert.Equal(0f, RawTerm(env, RewardTerms.ForwardVelocity, Body(5, 0, MathF.PI / 2, vx: 1.0f), Hold(1.0f)), 1);
        Assert.Equal(BodyModel.ForwardVelocityCap, RawTerm(env, RewardTerms.ForwardVelocity, Body(8, 0, Toward, vx: 2.5f), Hold(2.5f)), 3);
        Assert.Equal(0f, RawTerm(env, RewardTerms.ForwardVelocity, Body(5, 0, Toward, vx: 1.5f), Hold(1.5f), everReached: true));
    }

    [Fact]
    public void DistanceProgressIsOneMinusDistanceOverSpawnDistanceClipped()
    {
        using var env = UnitWeights();
        Assert.Equal(0.5f, RawTerm(env, RewardTerms.DistanceProgress, Body(5, 0, Toward), (0, 0, 0), spawnDistance: 10), 3);
        Assert.Equal(-0.5f, RawTerm(env, RewardTerms.DistanceProgress, Body(10, 0, Toward), (0, 0, 0), spawnDistance: 4), 3);
    }

    [Fact]
    public void AliveBonusIsOneWhileUpAndZeroOnTheFall()
    {
        using var env = UnitWeights();
        Assert.Equal(1f, RawTerm(env, RewardTerms.AliveBonus, Body(5, 0, Toward), (0, 0, 0)));
        var fallen = Body(5, 0, Toward) with { Roll = 0.7f };
        Assert.Equal(0f, RawTerm(env, RewardTerms.AliveBonus, fallen, (0, 0, 0)));
    }

    [Fact]
    public void ApproachScaleIsTheDecreaseOfDistanceThisStepUntilReached()
    {
        using var env = UnitWeights();
        Assert.Equal(0.015f, RawTerm(env, RewardTerms.ApproachScale, Body(5, 0, Toward, vx: 1.5f), Hold(1.5f)), 4);
        Assert.Equal(-0.01f, RawTerm(env, RewardTerms.ApproachScale, Body(5, 0, 0, vx: 1.0f), Hold(1.0f)), 4);
        Assert.Equal(0f, RawTerm(env, RewardTerms.ApproachScale, Body(5, 0, Toward, vx: 1.5f), Hold(1.5f), everReached: true));
    }

    [Fact]
    public void ArrivalAndInnerFenceBonusesArePaidOnce()
    {
        using var env = UnitWeights();
        Assert.Equal(1f, RawTerm(env, RewardTerms.ArrivalBonus, Body(0.2f, 0, Toward), (0, 0, 0)));
        Step(env, (0, 0, 0));
        Assert.Equal(1f, env.EpisodeTermSum(0, RewardTerms.ArrivalBonus)); // the second step adds nothing
        Assert.Equal(0f, RawTerm(env, RewardTerms.ArrivalBonus, Body(0.2f, 0, Toward), (0, 0, 0), everReached: true));
        Assert.Equal(0f, RawTerm(env, RewardTerms.ArrivalBonus, Body(0.5f, 0, Toward), (0, 0, 0)));

        Assert.Equal(1f, RawTerm(env, RewardTerms.InnerFenceBonus, Body(0.5f, 0, Toward), (0, 0, 0)));
        Step(env, (0, 0, 0));
        Assert.Equal(1f, env.EpisodeTermSum(0, RewardTerms.InnerFenceBonus));
        Assert.Equal(0f, RawTerm(env, RewardTerms.InnerFenceBonus, Body(0.5f, 0, Toward), (0, 0, 0), fencePaid: true));
        Assert.Equal(0f, RawTerm(env, RewardTerms.InnerFenceBonus, Body(1.0f, 0, Toward), (0, 0, 0)));
    }

    [Fact]
    public void StopScaleAndZeroAngBonusPayForStandingStillWithinTheSuccessRadiusAfterReaching()
    {
        using var env = UnitWeights();
        Assert.Equal(1f, RawTerm(env, RewardTerms.StopScale, Body(0.1f, 0, Toward), (0, 0, 0), everReached: true), 3);
        Assert.Equal(0f, RawTerm(env, RewardTerms.StopScale, Body(0.5f, 0, Toward), (0, 0, 0), everReached: true));
        Assert.Equal(0f, RawTerm(env, RewardTerms.StopScale, Body(0.5f, 0, Toward), (0, 0, 0)));
        // 0.15 m/s is half the stop speed: 1 - 0.5^2
        Assert.Equal(0.75f, RawTerm(env, RewardTerms.StopScale, Body(0.1f, 0, MathF.PI / 2, vx: 0.15f), Hold(0.15f), everReached: true), 2);
        Assert.Equal(0f, RawTerm(env, RewardTerms.StopScale, Body(0.1f, 0, MathF.PI / 2, vx: 0.4f), Hold(0.4f), everReached: true));

        Assert.Equal(1f, RawTerm(env, RewardTerms.ZeroAngBonus, Body(0.1f, 0, Toward), (0, 0, 0), everReached: true), 3);
        Assert.Equal(0.75f, RawTerm(env, RewardTerms.ZeroAngBonus, Body(0.1f, 0, Toward, yawRate: 0.25f), Hold(0, 0, 0.25f), everReached: true), 2);
        Assert.Equal(0f, RawTerm(env, RewardTerms.ZeroAngBonus, Body(0.5f, 0, Toward), (0, 0, 0)));
    }

    [Fact]
    public void NearTargetSpeedGrowsWithSpeedSquaredCloseToTheTarget()
    {
        using var env = UnitWeights();
        // 1 m/s sideways at d = 1 m: 1^2 * (1 - 1/2)
        Assert.Equal(0.5f, RawTerm(env, RewardTerms.NearTargetSpeed, Body(1, 0, MathF.PI / 2, vx: 1f), Hold(1f)), 2);
        Assert.Equal(0f, RawTerm(env, RewardTerms.NearTargetSpeed, Body(3, 0, MathF.PI / 2, vx: 1f), Hold(1f)));
        Assert.Equal(0f, RawTerm(env, RewardTerms.NearTargetSpeed, Body(1, 0, Toward), (0, 0, 0)));
    }

    [Fact]
    public void BoundaryPenaltyGrowsNearTheEdge()
    {
        using var env = UnitWeights();
        Assert.Equal(0.25f, RawTerm(env, RewardTerms.BoundaryPenalty, Body(11.5f, 0, Toward), (0, 0, 0)), 3);
        Assert.Equal(0f, RawTerm(env, RewardTerms.BoundaryPenalty, Body(9, 0, Toward), (0, 0, 0)));
    }

    [Fact]
    public void DeparturePenaltyIsPaidOutsideTheFenceAfterReaching()
    {
        using var env = UnitWeights();
        Assert.Equal(1f, RawTerm(env, RewardTerms.DeparturePenalty, Body(1, 0, Toward), (0, 0, 0), everReached: true));
        Assert.Equal(0f, RawTerm(env, RewardTerms.DeparturePenalty, Body(0.5f, 0, Toward), (0, 0, 0), everReached: true));
        Assert.Equal(0f, RawTerm(env, RewardTerms.DeparturePenalty, Body(1, 0, Toward), (0, 0, 0)));
    }

    [Fact]
    public void StabilityPenaltiesMeasureTiltBounceAndBodyRates()
    {
        using var env = UnitWeights();
        float tilt = RawTerm(env, RewardTerms.Orientation, Body(5, 0, Toward) with { Roll = 0.3f }, (0, 0, 0));
        Assert.InRange(tilt, 0.08f, 0.088f); // sin^2(0.3) = 0.0873, the spring has begun to pull it back
        Assert.Equal(0f, RawTerm(env, RewardTerms.Orientation, Body(5, 0, Toward), (0, 0, 0)), 6);

        // the body starts 1 cm above its standing height, so it drops at about 1 m/s this step
        float bounce = RawTerm(env, RewardTerms.LinVelZ, Body(5, 0, Toward) with { Height = BodyModel.StandHeight + 0.01f }, (0, 0, 0));
        Assert.InRange(bounce, 0.85f, 1.0f);

        float rates = RawTerm(env, RewardTerms.AngVelXy, Body(5, 0, Toward) with { RollRate = 2f }, (0, 0, 0));
        Assert.InRange(rates, 2.7f, 3.3f); // 2 rad/s, damped to about 1.72 over the step
    }

    [Fact]
    public void ActionRateIsTheSquaredChangeOfTheAction()
    {
        using var env = UnitWeights();
        Assert.Equal(1.25f, RawTerm(env, RewardTerms.ActionRate, Body(5, 0, Toward), (0.5f, 0, 1f), lastAction: (0, 0, 0)), 4);
        Assert.Equal(0f, RawTerm(env, RewardTerms.ActionRate, Body(5, 0, Toward), (0, 0, 0)));
        Assert.Equal(4f, RawTerm(env, RewardTerms.ActionRate, Body(5, 0, Toward), (1, 0, 0), lastAction: (-1, 0, 0)), 4); // clipped to [-1, 1]
    }

    [Fact]
    public void TerminationIsPaidOnAFallOrLeavingThePlatform()
    {
        using var env = UnitWeights();
        Assert.Equal(1f, RawTerm(env, RewardTerms.Termination, Body(5, 0, Toward) with { Pitch = -0.7f }, (0, 0, 0)));
        Assert.Equal(1f, RawTerm(env, RewardTerms.Termination, Body(12.49f, 0, 0, vx: 2f), Hold(2f)));
        Assert.Equal(0f, RawTerm(env, RewardTerms.Termination, Body(5, 0, Toward), (0, 0, 0)));
    }

    [Fact]
    public void RewardIsTheWeightedSumOfTheTerms()
    {
        var scales = new Dictionary<string, double> { ["position_tracking"] = 2.0, ["termination"] = -50, ["heading_tracking"] = 0 };
        using var env = Create(8, scales, """{"noise_level": 0}""");
        env.SetBody(0, Body(5, 0, 0) with { Roll = 0.7f });
        env.DrainEpisodes();
        var r = Step(env, (0, 0, 0));
        var report = env.DrainEpisodes(); // the fall ended env 0's one-step episode
        Assert.Equal(1, report.Episodes);
        Assert.Equal(report.TermMeans.Values.Sum(), r.Rewards[0], 4);
        Assert.Equal(report.ReturnMean, r.Rewards[0], 4);
        Assert.Equal(2 * Math.Exp(-1), report.TermMeans["position_tracking"], 3);
        Assert.Equal(0.0, report.TermMeans["heading_tracking"]);
        Assert.Equal(-50.0, report.TermMeans["termination"]);
    }

    [Fact]
    public void DefaultWeightsMatchEachTermsKind()
    {
        foreach (var t in RewardTerms.All)
        {
            Assert.True(t.MaxRawPerStep > 0, t.Name);
            if (t.Kind == RewardTermKind.Penalty) Assert.True(t.DefaultWeight < 0, t.Name);
            else Assert.True(t.DefaultWeight > 0, t.Name);
        }
        Assert.Equal(RewardTermKind.OneTime, RewardTerms.All[RewardTerms.ArrivalBonus].Kind);
        Assert.Equal(19, RewardTerms.Count);
        Assert.Equal(RewardTerms.Count, RewardTerms.Names.Distinct().Count());
    }
}
