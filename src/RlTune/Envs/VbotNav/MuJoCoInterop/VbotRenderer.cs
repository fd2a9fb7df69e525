using System.Runtime.InteropServices;

namespace RlTune.Envs.VbotNav.MuJoCoInterop;

/// <summary>Where a frame's camera looks from: at a point, from a distance, azimuth and elevation (degrees, MuJoCo's free camera).</summary>
public readonly record struct CameraView(double LookAtX, double LookAtY, double LookAtZ, double Distance, double Azimuth, double Elevation);

/// <summary>
/// MuJoCo's own renderer on the VBot model, headless (vbot_render.c: an EGL context on Mesa's
/// surfaceless platform, MuJoCo's offscreen framebuffer): pictures of the robot in given poses.
/// </summary>
public sealed unsafe partial class VbotRenderer : IDisposable
{
    private const string Library = "vbot_render";
    private const int ErrorLength = VbotSimulation.ErrorLength;
    private nint _renderer;

    public int Width { get; }
    public int Height { get; }

    [LibraryImport(Library, EntryPoint = "vr_create")]
    private static partial nint Create(byte* xml, int width, int height, byte* err, int errLength);
    [LibraryImport(Library, EntryPoint = "vr_frame")]
    private static partial int Frame(nint renderer, double* qpos, double* lookat, double distance, double azimuth, double elevation, double* target, byte* rgb, byte* err, int errLength);
    [LibraryImport(Library, EntryPoint = "vr_destroy")]
    private static partial void Destroy(nint renderer);

    private static readonly Lazy<string?> Problem = new(() =>
    {
        if (VbotNative.Unavailable is { } why) return why;
        if (!NativeLibrary.TryLoad(Library, typeof(VbotRenderer).Assembly, null, out var handle))
            return $"the VBot renderer (lib{Library}.so) is not beside {Path.GetFileName(typeof(VbotRenderer).Assembly.Location)} or cannot load EGL: the build found no EGL header; run scripts/install-deps (libegl-dev, Mesa's EGL) and rebuild.";
        NativeLibrary.Free(handle);
        return null;
    });

    /// <summary>Why pictures cannot be rendered on this machine (one sentence), or null when they can.</summary>
    public static string? Unavailable => Problem.Value;

    public VbotRenderer(int width, int height)
    {
        if (Unavailable is { } why) throw new UserError(why);
        Width = width;
        Height = height;
        byte* err = stackalloc byte[ErrorLength];
        err[0] = 0;
        fixed (byte* xml = VbotNative.ModelXml())
            _renderer = Create(xml, width, height, err, ErrorLength);
        if (_renderer == 0) throw new UserError($"rendering the VBot: {VbotSimulation.Message(err)}.");
    }

    /// <summary>The robot at <paramref name="qpos"/> (position, quaternion w x y z, 12 joints) with the target as a red disc: RGB rows, top first.</summary>
    public byte[] Render(ReadOnlySpan<double> qpos, CameraView camera, (double X, double Y) target)
    {
        if (qpos.Length != VbotSimulation.Nq) throw new ArgumentException($"qpos has {qpos.Length} values, the model {VbotSimulation.Nq}", nameof(qpos));
        var rgb = new byte[Width * Height * 3];
        byte* err = stackalloc byte[ErrorLength];
        err[0] = 0;
        double* lookat = stackalloc double[] { camera.LookAtX, camera.LookAtY, camera.LookAtZ };
        double* at = stackalloc double[] { target.X, target.Y };
        int failed;
        fixed (double* q = qpos)
        fixed (byte* pixels = rgb)
            failed = Frame(Handle, q, lookat, camera.Distance, camera.Azimuth, camera.Elevation, at, pixels, err, ErrorLength);
        if (failed != 0) throw new InvalidOperationException($"MuJoCo failed to render: {VbotSimulation.Message(err)}");
        return rgb;
    }

    private nint Handle => _renderer != 0 ? _renderer : throw new ObjectDisposedException(nameof(VbotRenderer));

    public void Dispose()
    {
        if (_renderer == 0) return;
        Destroy(_renderer);
        _renderer = 0;
    }
}
