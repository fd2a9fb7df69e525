using System.Diagnostics;
using System.Globalization;
using System.Text;
using RlTune.Envs.VbotNav;
using RlTune.Envs.VbotNav.MuJoCoInterop;

namespace RlTune.Bench;

/// <summary>
/// What MuJoCo does alone on vbot-nav's model, for env-speed to compare against: a C loop
/// (mujoco_reference_loop.c, compiled here with gcc) doing the env's physics work on one thread, and
/// Debian's mujoco-testspeed (libmujoco-samples) when it is installed.
/// </summary>
internal static class MuJoCoReference
{
    public static void Print(VbotNavSettings settings, int envs, double seconds, double envStepsPerSecond, double envStepsPerCpuSecond, int threads)
    {
        string dir = Directory.CreateTempSubdirectory("rltune-mujoco-ref").FullName;
        try
        {
            string model = Path.Combine(dir, "vbot.xml");
            File.WriteAllText(model, ModelWithSolver(settings));
            string binary = Path.Combine(dir, "mujoco_reference_loop");
            var (gccCode, gccOut) = Exec("gcc", ["-std=c11", "-O2", "-D_GNU_SOURCE", "-o", binary, Path.Combine(AppContext.BaseDirectory, "mujoco_reference_loop.c"), "-lmujoco", "-lm"]);
            if (gccCode != 0) { Console.WriteLine($"reference: gcc failed: {gccOut.Trim()}"); return; }
            var (code, output) = Exec(binary, [model, envs.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture),
                settings.Substeps.ToString(CultureInfo.InvariantCulture), settings.Timestep.ToString("R", CultureInfo.InvariantCulture),
                ((int)settings.Cone).ToString(CultureInfo.InvariantCulture), settings.Impratio.ToString(CultureInfo.InvariantCulture)]);
            Console.Write(output);
            if (code == 0 && Figure(output, "reference_control_steps_per_s") is double reference
                && Figure(output, "reference_control_steps_per_cpu_s") is double referencePerCpu)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"env_over_reference={envStepsPerSecond / reference:F3} (wall: env on {threads} thread(s) / the C loop on one)\n" +
                    $"env_over_reference_per_cpu_s={envStepsPerCpuSecond / referencePerCpu:F3} (steps per CPU-second of each process)"));
            // testspeed counts physics steps of one data under control noise (the robot falls and lies there)
            var (tsCode, tsOut) = Exec("mujoco-testspeed", [model, "20000", "1", "0.01"]);
            if (tsCode == 0 && tsOut.Split('\n').FirstOrDefault(l => l.Contains("Steps per second")) is { } line)
            {
                double physics = double.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"testspeed_physics_steps_per_s={physics:F0}\ntestspeed_control_steps_per_s={physics / settings.Substeps:F0} (at {settings.Substeps} substeps)"));
            }
            else Console.WriteLine("testspeed: mujoco-testspeed is not installed (Debian's libmujoco-samples); skipped");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The embedded model with the env's solver settings in its option element.</summary>
    private static string ModelWithSolver(VbotNavSettings s)
    {
        string xml = Encoding.UTF8.GetString(VbotNative.ModelXml()).TrimEnd('\0');
        const string option = """<option cone="elliptic" impratio="100" timestep="0.005" />""";
        if (!xml.Contains(option)) throw new InvalidOperationException("the model's option element changed; update MuJoCoReference");
        return xml.Replace(option, string.Create(CultureInfo.InvariantCulture,
            $"""<option cone="{(s.Cone == FrictionCone.Elliptic ? "elliptic" : "pyramidal")}" impratio="{s.Impratio}" timestep="{s.Timestep:R}" />"""));
    }

    private static double? Figure(string output, string name) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + "=", StringComparison.Ordinal)) is { } l
            ? double.Parse(l[(name.Length + 1)..], CultureInfo.InvariantCulture) : null;

    private static (int Code, string Output) Exec(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }
}
