using System.Globalization;
using RlTune.Envs.VbotNav.MuJoCoInterop;
using SkiaSharp;

namespace RlTune.Envs.VbotNav;

/// <summary>
/// One robot's first episode under a policy, pose by pose (MuJoCo qpos after every control step), and
/// pictures of it from MuJoCo's renderer: a camera beside the robot, following its trunk.
/// </summary>
public sealed class VbotNavFilm
{
    public IReadOnlyList<double[]> Poses { get; }
    public EpisodeOutcome Outcome { get; }
    public PlatformLayout Layout { get; }
    // the side the camera looks from: square to the line from spawn to target
    private readonly double _azimuth;

    private VbotNavFilm(List<double[]> poses, EpisodeOutcome outcome, PlatformLayout layout)
    {
        Poses = poses;
        Outcome = outcome;
        Layout = layout;
        double dx = layout.TargetX - poses[0][0], dy = layout.TargetY - poses[0][1];
        _azimuth = Math.Atan2(dy, dx) * 180 / Math.PI + 90;
    }

    /// <summary>Runs <paramref name="env"/> from <c>Reset(seed)</c> under <paramref name="policy"/> until env <paramref name="robot"/>'s first episode ends.</summary>
    public static VbotNavFilm Record(VbotNavEnv env, PolicyFunction policy, int seed, int robot)
    {
        env.Reset(seed);
        var poses = new List<double[]> { PoseOf(env, robot) };
        var actions = new float[env.NumEnvs * env.ActDim];
        var rewards = new float[env.NumEnvs];
        var terminated = new bool[env.NumEnvs];
        var truncated = new bool[env.NumEnvs];
        var layout = env.Layout;
        for (int step = 0; step < layout.MaxEpisodeSteps + 10; step++)
        {
            policy(env.Observations, actions);
            env.Step(actions, rewards, terminated, truncated);
            if (terminated[robot] || truncated[robot]) return new VbotNavFilm(poses, env.FinalOutcome(robot), layout); // the env has reset it already
            poses.Add(PoseOf(env, robot));
        }
        throw new InvalidOperationException($"the episode did not end within {layout.MaxEpisodeSteps + 10} steps");
    }

    private static double[] PoseOf(VbotNavEnv env, int robot)
    {
        var qpos = new double[VbotSimulation.Nq];
        env.Pose(robot, qpos);
        return qpos;
    }

    public double Seconds(int step) => step * Layout.ControlDt;

    public double DistanceToTarget(int step) => Math.Sqrt(Math.Pow(Poses[step][0] - Layout.TargetX, 2) + Math.Pow(Poses[step][1] - Layout.TargetY, 2));

    /// <summary>The picture of the pose after <paramref name="step"/> control steps.</summary>
    public SKBitmap Frame(VbotRenderer renderer, int step)
    {
        var q = Poses[step];
        var rgb = renderer.Render(q, new CameraView(q[0], q[1], 0.2, 1.4, _azimuth, -15), (Layout.TargetX, Layout.TargetY));
        var bitmap = new SKBitmap(renderer.Width, renderer.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = new byte[renderer.Width * renderer.Height * 4];
        for (int p = 0, n = renderer.Width * renderer.Height; p < n; p++)
        {
            pixels[4 * p] = rgb[3 * p];
            pixels[4 * p + 1] = rgb[3 * p + 1];
            pixels[4 * p + 2] = rgb[3 * p + 2];
            pixels[4 * p + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        return bitmap;
    }

    /// <summary>Evenly spaced steps from the first pose to the last, <paramref name="count"/> of them (fewer for a short episode).</summary>
    public IReadOnlyList<int> EvenSteps(int count) =>
        Enumerable.Range(0, count).Select(k => (int)Math.Round(k * (Poses.Count - 1) / (double)Math.Max(1, count - 1))).Distinct().ToList();

    /// <summary>Writes the frames at <paramref name="steps"/> side by side as one PNG, each labelled with its time and distance to the target.</summary>
    public void SaveStrip(VbotRenderer renderer, IReadOnlyList<int> steps, string path, string title)
    {
        const int titleHeight = 26, labelHeight = 22;
        using var strip = new SKBitmap(renderer.Width * steps.Count, titleHeight + renderer.Height + labelHeight);
        using var canvas = new SKCanvas(strip);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(SKTypeface.Default, 15);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, 6, titleHeight - 8, font, ink);
        for (int k = 0; k < steps.Count; k++)
        {
            using var frame = Frame(renderer, steps[k]);
            canvas.DrawBitmap(frame, k * renderer.Width, titleHeight);
            var label = string.Create(CultureInfo.InvariantCulture, $"t = {Seconds(steps[k]):0.0} s, {DistanceToTarget(steps[k]):0.0} m to go");
            canvas.DrawText(label, k * renderer.Width + 6, titleHeight + renderer.Height + labelHeight - 6, font, ink);
        }
        SavePng(strip, path);
    }

    /// <summary>Writes every <paramref name="every"/>-th pose as DIR/frame_NNNN.png (for a clip: ffmpeg -framerate F -i DIR/frame_%04d.png); returns how many.</summary>
    public int SaveFrames(VbotRenderer renderer, int every, string directory)
    {
        Directory.CreateDirectory(directory);
        int written = 0;
        for (int step = 0; step < Poses.Count; step += every)
        {
            using var frame = Frame(renderer, step);
            SavePng(frame, Path.Combine(directory, $"frame_{written++:0000}.png"));
        }
        return written;
    }

    private static void SavePng(SKBitmap bitmap, string path)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
