using System.Text.Json.Nodes;
using RlTune.Envs;
using RlTune.Envs.VbotNav;
using RlTune.Envs.VbotNav.MuJoCoInterop;
using SkiaSharp;

namespace RlTune.Tests.Envs;

/// <summary>A test that renders with MuJoCo: skipped, with the reason, only when this machine has no renderer built.</summary>
public sealed class RendererFactAttribute : FactAttribute
{
    public RendererFactAttribute()
    {
        if (VbotRenderer.Unavailable is { } why) Skip = "needs the VBot renderer: " + why;
    }
}

public class VbotRendererTests
{
    // standing at the default pose on the platform centre
    private static readonly double[] Standing = [0, 0, 0.27, 1, 0, 0, 0, 0, 0.9, -1.8, 0, 0.9, -1.8, 0, 0.9, -1.8, 0, 0.9, -1.8];

    /// <summary>Pixels of the robot's colour (orange: red high, blue low) and of the target's (red).</summary>
    private static (int Robot, int Target) Count(byte[] rgb)
    {
        int robot = 0, target = 0;
        for (int p = 0; p < rgb.Length; p += 3)
        {
            int r = rgb[p], g = rgb[p + 1], b = rgb[p + 2];
            if (r > 90 && g > r / 3 && b < r / 3) robot++;
            else if (r > 60 && g < r / 4 && b < r / 4) target++;
        }
        return (robot, target);
    }

    [RendererFact]
    public void TheRobotIsInTheFrameWhereTheCameraLooksAndNotElsewhere()
    {
        using var renderer = new VbotRenderer(160, 120);
        var atRobot = renderer.Render(Standing, new CameraView(0, 0, 0.2, 1.4, 90, -15), (5, 5));
        var away = renderer.Render(Standing, new CameraView(8, 8, 0.2, 1.4, 45, -15), (5, 5));
        var atTarget = renderer.Render(Standing, new CameraView(5, 5, 0, 2, 45, -45), (5, 5));
        Assert.Equal(160 * 120 * 3, atRobot.Length);
        Assert.InRange(Count(atRobot).Robot, 500, 160 * 120 / 2);
        Assert.Equal(0, Count(away).Robot);
        Assert.Equal(0, Count(atRobot).Target);
        Assert.InRange(Count(atTarget).Target, 200, 160 * 120);
    }

    [RendererFact]
    public void TheRobotsPoseMovesItInThePicture()
    {
        using var renderer = new VbotRenderer(160, 120);
        var camera = new CameraView(0, 0, 0.2, 1.4, 90, -15);
        var moved = (double[])Standing.Clone();
        moved[0] = 0.3; // 30 cm along x, across the view from this azimuth
        Assert.NotEqual(renderer.Render(Standing, camera, (5, 5)), renderer.Render(moved, camera, (5, 5)));
        Assert.Equal(renderer.Render(Standing, camera, (5, 5)), renderer.Render(Standing, camera, (5, 5)));
    }

    [RendererFact]
    public void AFilmHasOnePosePerStepAndItsStripOneFramePerStep()
    {
        using var env = new VbotNavEnv(new EnvOptions(2, null, (JsonObject)JsonNode.Parse("""{"max_episode_steps": 40}""")!));
        // zero actions: the robot stands until the episode limit
        var film = VbotNavFilm.Record(env, (_, actions) => actions.Clear(), seed: 3, robot: 1);
        Assert.Equal(EpisodeOutcome.Timeout, film.Outcome);
        Assert.Equal(40, film.Poses.Count); // the spawn pose and the 39 steps before the last (the env resets on the last)
        Assert.InRange(film.DistanceToTarget(0), 2, 5);
        Assert.Equal([0, 13, 26, 39], film.EvenSteps(4));
        using var renderer = new VbotRenderer(64, 48);
        var path = Path.Combine(Path.GetTempPath(), $"rltune-strip-{Guid.NewGuid():N}.png");
        try
        {
            film.SaveStrip(renderer, film.EvenSteps(4), path, "test");
            using var strip = SKBitmap.Decode(path);
            Assert.Equal(4 * 64, strip.Width);
            Assert.True(strip.Height > 48);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
