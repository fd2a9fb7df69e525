using System.Text;

namespace RlTune.Envs.VbotNav.MuJoCoInterop;

/// <summary>MuJoCo's friction cone (mjtCone).</summary>
public enum FrictionCone { Pyramidal = 0, Elliptic = 1 }

/// <summary>
/// One loaded VBot model (read-only, shared) and one MuJoCo data per env, behind the shim. Stepping
/// different env ranges from different threads at once is safe; a range is stepped by one call.
/// </summary>
internal sealed unsafe class VbotSimulation : IDisposable
{
    public const int Nq = 7 + VbotState.Joints;
    public const int Nv = 6 + VbotState.Joints;
    internal const int ErrorLength = 512;
    private nint _sim;

    public int Envs { get; }

    /// <summary>Loads the model with these solver settings; the PD gains drive every substep's torques.</summary>
    public VbotSimulation(int envs, int substeps, double timestep, FrictionCone cone, double impratio, double kp, double kd)
    {
        if (VbotNative.Unavailable is { } why) throw new UserError(why);
        Envs = envs;
        byte* err = stackalloc byte[ErrorLength];
        err[0] = 0;
        fixed (byte* xml = VbotNative.ModelXml())
            _sim = VbotNative.Create(xml, envs, substeps, timestep, (int)cone, impratio, kp, kd, err, ErrorLength);
        if (_sim == 0) throw new UserError($"vbot-nav: {Message(err)}.");
    }

    /// <summary>Puts env <paramref name="env"/> into a state (qpos: position, quaternion w x y z, 12 joints; qvel: 18) and reads it back.</summary>
    public void Set(int env, ReadOnlySpan<double> qpos, ReadOnlySpan<double> qvel, VbotState* state)
    {
        if ((uint)env >= (uint)Envs || qpos.Length != Nq || qvel.Length != Nv) throw new ArgumentOutOfRangeException(nameof(env));
        byte* err = stackalloc byte[ErrorLength];
        int failed;
        fixed (double* p = qpos)
        fixed (double* v = qvel)
            failed = VbotNative.Set(Handle, env, p, v, state, err, ErrorLength);
        if (failed != 0) throw new InvalidOperationException($"MuJoCo failed to set env {env}: {Message(err)}");
    }

    /// <summary>Steps envs [begin, end) one control step towards their joint targets (rows of 12).</summary>
    public void Step(int begin, int end, float* targets, VbotState* states) => VbotNative.Step(Handle, begin, end, targets, states);

    /// <summary>
    /// MuJoCo events over all envs since the model was made: its warnings by kind (inertia, contact
    /// list full, constraints full, visual geoms full, bad qpos, bad qvel, bad qacc, bad ctrl), then
    /// non-finite states and caught errors.
    /// </summary>
    public long[] Events()
    {
        var totals = new long[VbotNative.EventKinds()];
        fixed (long* t = totals) VbotNative.Events(Handle, t);
        return totals;
    }

    private nint Handle => _sim != 0 ? _sim : throw new ObjectDisposedException(nameof(VbotSimulation));

    internal static string Message(byte* err) => Encoding.UTF8.GetString(err, new ReadOnlySpan<byte>(err, ErrorLength).IndexOf((byte)0) is var n and >= 0 ? n : ErrorLength).Trim();

    public void Dispose()
    {
        if (_sim == 0) return;
        VbotNative.Destroy(_sim);
        _sim = 0;
    }
}
