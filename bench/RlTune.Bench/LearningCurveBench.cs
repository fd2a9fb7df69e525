using System.Globalization;
using RlTune.TensorBoard;

namespace RlTune.Bench;

/// <summary>
/// `rltune-bench learning-curve RUN_DIR [--every N]`: a training run's curve from its TensorBoard
/// scalars, one row per N-th update: env steps, wall seconds since the first update, steps/s so far,
/// and the episodes' success, fall rate, mean speed and return. Reads a run still in progress too.
/// </summary>
public static class LearningCurveBench
{
    public const string Help = "a run's learning curve from its TensorBoard scalars: steps, wall s, success, falls, speed (RUN_DIR [--every N])";

    public static int Run(string[] args)
    {
        if (args.Length < 1) { Console.Error.WriteLine("learning-curve: give a run directory (rltune train's --output)"); return 1; }
        string dir = args[0];
        int every = args.Length >= 3 && args[1] == "--every" ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        if (!Directory.Exists(dir)) { Console.Error.WriteLine($"learning-curve: {dir} is not a directory"); return 1; }
        var log = EventFileReader.ReadDirectory(dir);
        var rewards = log["Reward / Instantaneous reward (mean)"];
        if (rewards.Count == 0) { Console.Error.WriteLine($"learning-curve: {dir} has no rltune scalars yet"); return 1; }
        var columns = new (string Name, string Tag)[]
        {
            ("success", "metrics / success (mean)"), ("fall", "metrics / fall (mean)"), ("reached", "metrics / reached_fraction (mean)"),
            ("speed_m_s", "metrics / mean_speed (mean)"), ("distance_m", "metrics / distance_to_target (mean)"),
            ("length", "Episode / Total timesteps (mean)"), ("return", "Reward / Total reward (mean)"), ("policy_std", "Policy / Standard deviation"),
        };
        var byStep = columns.Select(c => log[c.Tag].ToDictionary(p => p.Step, p => p.Value)).ToArray();
        double start = rewards[0].WallTime;
        long firstStep = rewards[0].Step;
        Console.WriteLine("env_steps\twall_s\tsteps_per_s\t" + string.Join("\t", columns.Select(c => c.Name)));
        for (int i = 0; i < rewards.Count; i++)
        {
            if (i % every != 0 && i != rewards.Count - 1) continue;
            var p = rewards[i];
            double wall = p.WallTime - start;
            string rate = wall > 0 ? ((p.Step - firstStep) / wall).ToString("F0", CultureInfo.InvariantCulture) : "";
            var cells = byStep.Select(d => d.TryGetValue(p.Step, out var v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Step}\t{wall:F0}\t{rate}\t") + string.Join("\t", cells));
        }
        return 0;
    }
}
