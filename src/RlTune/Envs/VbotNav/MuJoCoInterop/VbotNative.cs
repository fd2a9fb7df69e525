using System.Reflection;
using System.Runtime.InteropServices;

namespace RlTune.Envs.VbotNav.MuJoCoInterop;

/// <summary>One env's state after a step, as the shim writes it (vb_state in vbot_mujoco.c; checked at load).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VbotState
{
    public const int Joints = 12;
    public fixed float Pos[3];        // trunk position, world frame
    public fixed float Quat[4];       // trunk orientation w, x, y, z
    public fixed float LinVel[3];     // trunk velocity, world frame
    public fixed float Gyro[3];       // trunk angular velocity, body frame
    public fixed float Q[Joints];     // joint angles, actuator order
    public fixed float Qd[Joints];    // joint velocities
    public float TorqueSq;            // sum of squared torques, mean over the substeps
    public int BodyContact;           // trunk or head on the floor
    public int Unstable;              // 0 ok, 1 non-finite, 2 MuJoCo warned, 3 MuJoCo error

    internal static readonly string[] FieldOrder = ["Pos", "Quat", "LinVel", "Gyro", "Q", "Qd", "TorqueSq", "BodyContact", "Unstable"];
}

/// <summary>The shim's exported functions (vbot_mujoco.c); every argument is blittable.</summary>
internal static unsafe partial class VbotNative
{
    internal const string Library = "vbot_mujoco";
    internal const string MuJoCoLibrary = "libmujoco.so.2.2.2";

    [LibraryImport(Library, EntryPoint = "vb_header_version")] internal static partial int HeaderVersion();
    [LibraryImport(Library, EntryPoint = "vb_library_version")] internal static partial int LibraryVersion();
    [LibraryImport(Library, EntryPoint = "vb_layout")] internal static partial int Layout(int* offsets, int count);
    [LibraryImport(Library, EntryPoint = "vb_event_kinds")] internal static partial int EventKinds();

    [LibraryImport(Library, EntryPoint = "vb_create")]
    internal static partial nint Create(byte* xml, int envs, int substeps, double timestep, int cone, double impratio, double kp, double kd, byte* err, int errLength);

    [LibraryImport(Library, EntryPoint = "vb_destroy")] internal static partial void Destroy(nint sim);
    [LibraryImport(Library, EntryPoint = "vb_set")]
    internal static partial int Set(nint sim, int env, double* qpos, double* qvel, VbotState* state, byte* err, int errLength);
    [LibraryImport(Library, EntryPoint = "vb_step")] internal static partial void Step(nint sim, int begin, int end, float* targets, VbotState* states);
    [LibraryImport(Library, EntryPoint = "vb_events")] internal static partial void Events(nint sim, long* totals);

    private static readonly Lazy<string?> Problem = new(() => Probe(Library, MuJoCoLibrary));

    /// <summary>Why vbot-nav cannot run on this machine (one sentence), or null when it can.</summary>
    public static string? Unavailable => Problem.Value;

    /// <summary>
    /// Loads the shim <paramref name="shim"/> and checks it against the MuJoCo library it finds; the
    /// sentence says what is missing or wrong and how to fix it (null: all well).
    /// </summary>
    internal static string? Probe(string shim, string mujoco)
    {
        if (!NativeLibrary.TryLoad(mujoco, typeof(VbotNative).Assembly, null, out var mujocoHandle))
            return $"vbot-nav needs MuJoCo 2.2.2 and {mujoco} was not found; install Debian's libmujoco-dev (scripts/install-deps does) and rebuild.";
        NativeLibrary.Free(mujocoHandle);
        if (!NativeLibrary.TryLoad(shim, typeof(VbotNative).Assembly, null, out var shimHandle))
            return $"vbot-nav's MuJoCo shim (lib{shim}.so) is not beside {Path.GetFileName(typeof(VbotNative).Assembly.Location)}: the build found no gcc or MuJoCo header; run scripts/install-deps and rebuild.";
        NativeLibrary.Free(shimHandle);
        if (shim != Library) return null; // a probe of other names (tests) stops at loading
        int header = HeaderVersion(), library = LibraryVersion();
        if (header != library)
            return $"libmujoco is version {library} but vbot-nav's shim was compiled against MuJoCo {header}; install MuJoCo {header / 100}.{header / 10 % 10}.{header % 10} or rebuild RlTune against this one.";
        return CheckLayout();
    }

    private static string? CheckLayout()
    {
        int* offsets = stackalloc int[VbotState.FieldOrder.Length];
        int size = Layout(offsets, VbotState.FieldOrder.Length);
        if (size != sizeof(VbotState))
            return $"vbot-nav's shim writes {size}-byte states but RlTune reads {sizeof(VbotState)}; rebuild RlTune.";
        for (int k = 0; k < VbotState.FieldOrder.Length; k++)
        {
            int expected = (int)Marshal.OffsetOf<VbotState>(VbotState.FieldOrder[k]);
            if (offsets[k] != expected)
                return $"vbot-nav's shim puts {VbotState.FieldOrder[k]} at byte {offsets[k]} but RlTune reads it at {expected}; rebuild RlTune.";
        }
        return null;
    }

    /// <summary>The VBot model's XML, embedded in the assembly (Model/vbot.xml).</summary>
    public static byte[] ModelXml()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("RlTune.Envs.VbotNav.vbot.xml")
            ?? throw new InvalidOperationException("the VBot model is missing from the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.WriteByte(0);
        return copy.ToArray();
    }
}
