using System.Diagnostics;
using RlTune.Envs.Builtin;
using RlTune.Envs;
using RlTune.Envs.VbotNav;

namespace RlTune.Bench;

/// <summary>
/// `rltune-bench env-speed --env NAME --envs N --threads T [--seconds S]`: steps the env alone with
/// pre-drawn random actions (auto-resets included) and prints env_steps_per_s, with the load
/// average. For vbot-nav it also prints MuJoCo's events and MuJoCo's own speed on the same model
/// (<see cref="MuJoCoReference"/>).
/// </summary>
public static class EnvSpeedBench
{
    public static int Run(string[] args)
    {
        string env = "vbot-nav-lite";
        int envs = 2048, threads = 1, seed = 1;
        double seconds = 3;
        string? overridesText = null;
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--env": env = value; break;
                case "--envs": envs = int.Parse(value); break;
                case "--threads": threads = int.Parse(value); break;
                case "--seconds": seconds = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(value); break;
                case "--env-overrides": overridesText = value; break;
                default: Console.Error.WriteLine($"env-speed: unknown option {args[i]}"); return 1;
            }
            i++;
        }

        System.Text.Json.Nodes.JsonObject? overrides = null;
        if (overridesText is not null) overrides = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(overridesText)!;
        using var vec = EnvRegistry.Create(env, new EnvOptions(envs, Overrides: overrides, Threads: threads));
        vec.Reset(seed);
        // a few batches of random actions, cycled, so bodies move, turn, fall and reset as in training
        const int batches = 16;
        var rng = new Random(seed);
        var actions = new float[batches][];
        for (int b = 0; b < batches; b++)
        {
            actions[b] = new float[envs * vec.ActDim];
            for (int k = 0; k < actions[b].Length; k++) actions[b][k] = (float)(rng.NextDouble() * 2 - 1);
        }
        var rewards = new float[envs];
        var terminated = new bool[envs];
        var truncated = new bool[envs];

        for (int s = 0; s < 200; s++) vec.Step(actions[s % batches], rewards, terminated, truncated); // JIT tiers up
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        long steps = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int s = 0; s < 100; s++) vec.Step(actions[(int)(steps / envs + s) % batches], rewards, terminated, truncated);
            steps += 100L * envs;
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        var report = vec.DrainEpisodes();
        Console.WriteLine($"env={env} envs={envs} threads={threads} steps={steps} seconds={elapsed:F2} episodes={report.Episodes} allocated_bytes={allocated}");
        Console.WriteLine($"ns_per_env_step={elapsed * 1e9 / steps:F1}");
        Console.WriteLine($"env_steps_per_s={steps / elapsed:F0}");
        // throughput per CPU-second of the whole process: what a loaded shared machine distorts least
        Console.WriteLine($"env_steps_per_cpu_s={steps / cpu:F0}");
        Console.WriteLine($"load_average={File.ReadAllText("/proc/loadavg").Trim()}");
        if (vec is VbotNavEnv nav)
        {
            Console.WriteLine($"mujoco_events={string.Join(",", nav.PhysicsEvents())} (warnings by kind, non-finite states, errors)");
            MuJoCoReference.Print(nav.Settings, envs, seconds, steps / elapsed, steps / cpu, threads);
            Console.WriteLine($"load_average={File.ReadAllText("/proc/loadavg").Trim()}");
        }
        return 0;
    }
}
