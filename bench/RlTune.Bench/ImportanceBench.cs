using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Analysis;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Bench;

/// <summary>
/// `rltune-bench importance [--seed S] [--python /usr/bin/python3]`: our fANOVA against Optuna's
/// FanovaImportanceEvaluator (the peer; needs python3-optuna and python3-sklearn) on the same
/// randomly sampled trials: two functions with known variance shares, and the shared
/// ppo_surrogate objective. Prints each parameter's importance from both and the wall time of each.
/// </summary>
public static class ImportanceBench
{
    public const string Help = "our fANOVA vs Optuna's on known-answer functions and ppo_surrogate (--seed --python); the peer needs scripts/install-bench-deps";

    private static readonly (string Case, int Trials, Dictionary<string, double>? Known)[] Cases =
    [
        // shares of the main effects: 100/101, 1/101, 0 and, for x1 + 3 x1 x2 on [-1,1]^2, x1 alone (the interaction is in neither)
        ("linear", 300, new() { ["x1"] = 100.0 / 101, ["x2"] = 1.0 / 101, ["x3"] = 0 }),
        ("interaction", 400, new() { ["x1"] = 1.0, ["x2"] = 0, ["x3"] = 0 }),
        ("ppo_surrogate", 200, null),
    ];

    public static int Run(string[] args)
    {
        var a = new BenchArgs(args);
        var seed = a.Int("seed", 1);
        var python = args.SkipWhile(x => x != "--python").Skip(1).FirstOrDefault() ?? "/usr/bin/python3";
        var script = FindUp(Path.Combine("bench", "importance", "optuna_fanova.py"));
        if (script is null) { Console.Error.WriteLine("importance: bench/importance/optuna_fanova.py not found above the working directory"); return 1; }
        var work = Directory.CreateTempSubdirectory("rltune-importance-").FullName;
        try
        {
            foreach (var (name, n, known) in Cases)
            {
                var json = Path.Combine(work, name + ".json");
                var psi = new ProcessStartInfo(python) { RedirectStandardError = true };
                foreach (var x in new[] { script, name, n.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture), json }) psi.ArgumentList.Add(x);
                using (var p = Process.Start(psi)!)
                {
                    var err = p.StandardError.ReadToEnd();
                    p.WaitForExit();
                    if (p.ExitCode != 0) { Console.Error.WriteLine($"importance: the Optuna peer failed on {name}: {err.Trim()}"); return 1; }
                }
                var root = JsonNode.Parse(File.ReadAllText(json))!;
                var trials = root["trials"]!.AsArray().Select((t, i) => new TrialRecord
                {
                    StudyId = 1, Number = i, State = TrialState.Complete,
                    Params = ParamValues.FromJsonText(t!["params"]!.ToJsonString()),
                    Score = t["value"]!.GetValue<double>(),
                }).ToList();
                var optuna = root["optuna"]!["importances"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
                var optunaSeconds = root["optuna"]!["seconds"]!.GetValue<double>();
                var spacePath = Path.Combine(SharedBench.Dir(), "ppo_surrogate.yaml");
                var space = name == "ppo_surrogate" && File.Exists(spacePath) ? SearchSpace.Load(spacePath) : null;

                StudyAnalysis.Analyze(name, trials, new MetricChoice("score", false), space); // warm-up (JIT)
                var sw = Stopwatch.StartNew();
                var ours = StudyAnalysis.Analyze(name, trials, new MetricChoice("score", false), space, forest: new ForestOptions(Seed: (ulong)seed));
                var seconds = sw.Elapsed.TotalSeconds;

                // Optuna's evaluator works on linear coordinates even for log-scaled parameters; the same space with them made linear isolates that choice.
                var linear = space is null ? null : new SearchSpace(space.Id, space.Source, space.Fixed,
                    space.Params.Select(p => p.Kind == ParamKind.LogUniform ? p with { Kind = ParamKind.Uniform, Log = false } : p).ToList(), space.Constraints);
                var oursLinear = linear is null ? null : StudyAnalysis.Analyze(name, trials, new MetricChoice("score", false), linear, forest: new ForestOptions(Seed: (ulong)seed))
                    .Ranking.ToDictionary(r => r.Parameter, r => r.Importance);

                Console.WriteLine($"== {name}: {n} random trials, seed {seed}" + (space is null ? "" : " ('ours': log coordinates for loguniform, as sampled; 'ours-lin': linear, as Optuna)"));
                Console.WriteLine($"{"parameter",-26} {(known is null ? "" : "known"),8} {"ours",8} {"±std",7} {(oursLinear is null ? "" : "ours-lin"),8} {"optuna",8}");
                foreach (var r in ours.Ranking)
                    Console.WriteLine($"{r.Parameter,-26} {(known is null ? "" : known[r.Parameter].ToString("0.000", CultureInfo.InvariantCulture)),8} {r.Importance,8:0.000} {r.ImportanceStd,7:0.000} " +
                                      $"{(oursLinear is null ? "" : oursLinear[r.Parameter].ToString("0.000", CultureInfo.InvariantCulture)),8} {optuna.GetValueOrDefault(r.Parameter),8:0.000}");
                var pairs = ours.Interactions.Where(i => i.VarianceFraction >= 0.02).Select(i => $"{i.A} x {i.B} {i.VarianceFraction:0.000}");
                Console.WriteLine($"interactions (share of variance): {string.Join(", ", pairs.DefaultIfEmpty("none above 0.02"))}");
                Console.WriteLine($"time: ours {seconds:0.000} s (forest + fANOVA + interactions), optuna {optunaSeconds:0.000} s; optuna/ours = {optunaSeconds / seconds:0.0}x");
                Console.WriteLine();
            }
            return 0;
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static string? FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        return null;
    }
}
