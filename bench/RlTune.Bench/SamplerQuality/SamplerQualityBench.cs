using System.Diagnostics;
using System.Globalization;
using RlTune.Search;
using RlTune.Study;

namespace RlTune.Bench.SamplerQuality;

/// <summary>
/// `rltune-bench sampler-quality`: our samplers on the public objectives, in the format of
/// shared/bench/optuna_anchor.py (median over seeds of the best value after N trials, gap to the
/// optimum, time per suggestion). `--history N` instead times one suggestion given N trials of history.
/// `--noise SD` adds Gaussian noise to every observed value (a trial's training luck) and `--pad N` adds N
/// parameters the objective ignores (a wide space with few parameters that matter); then it also prints the
/// median true value of the configuration each study would hand the user (its best observed trial).
/// </summary>
public static class SamplerQualityBench
{
    public const string Help = "median best / gap to optimum / ms per suggestion of our samplers on branin, hartmann6, ppo_surrogate";

    public static int Run(string[] args)
    {
        var opts = ParseArgs(args);
        if (opts is null) return 1;
        var (trials, seeds, functions, samplers, history, spacesDir, tpe, gp, noise, pad) = opts.Value;
        if (history > 0)
        {
            Console.WriteLine($"rltune, suggestion time with {history} trials of history (medians of 50 suggestions: wall clock, and CPU time of the process, which a loaded machine inflates less)");
            foreach (var fn in functions)
                foreach (var s in samplers)
                {
                    var (median, cpu) = TimeWithHistory(LoadSpace(spacesDir, fn), TestFunctions.All[fn], MakeSampler(s, tpe, gp), history);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{fn,-14} {s,-17} history={history} ms_per_suggestion={median:F2} cpu_ms={cpu:F2}"));
                }
            return 0;
        }
        var noisy = noise > 0 || pad > 0;
        Console.WriteLine($"rltune, {trials} trials, {seeds} seeds; median best (gap to optimum), time per suggestion" +
                          (noisy ? $"; noise sd {noise.ToString(CultureInfo.InvariantCulture)}, {pad} ignored parameters; true = median true value of each study's best observed trial" : ""));
        foreach (var fn in functions)
        {
            var space = LoadSpace(spacesDir, fn, pad);
            var objective = TestFunctions.All[fn];
            foreach (var s in samplers)
            {
                var sampler = MakeSampler(s, tpe, gp);
                var results = Enumerable.Range(0, seeds).Select(seed => RunStudy(space, objective, sampler, seed, trials, noise)).ToList();
                var best = Median(results.Select(r => r.Best));
                var ms = results.Average(r => r.MsPerSuggestion);
                var trueOfBest = Median(results.Select(r => r.TrueOfBest));
                var truth = noisy ? string.Create(CultureInfo.InvariantCulture, $" true={trueOfBest:F4} true_gap={trueOfBest - objective.Optimum:F4}") : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{fn,-14} {s,-17} median_best={best:F4} gap={best - objective.Optimum:F4}{truth} overhead_ms={ms:F2}"));
            }
        }
        return 0;
    }

    private static (int, int, string[], string[], int, string, TpeOptions, GpOptions, double, int)? ParseArgs(string[] args)
    {
        int trials = 50, seeds = 20, history = 0, pad = 0;
        var noise = 0.0;
        string[] functions = ["branin", "hartmann6", "ppo_surrogate"], samplers = ["random", "bayesian"];
        string? spacesDir = null;
        var tpe = new TpeOptions();
        var gp = new GpOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--trials": trials = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seeds": seeds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--history": history = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--functions": functions = Value().Split(','); break;
                case "--samplers": samplers = Value().Split(','); break;
                case "--spaces": spacesDir = Value(); break;
                case "--tpe": tpe = ApplyTpeOption(tpe, Value()); break;
                case "--gp": gp = ApplyGpOption(gp, Value()); break;
                case "--noise": noise = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--pad": pad = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; usage: sampler-quality [--trials 50] [--seeds 20] [--functions branin,hartmann6,ppo_surrogate] [--samplers random,bayesian,tpe] [--history 200] [--spaces DIR] [--gp name=value] [--tpe name=value] [--noise SD] [--pad N]");
                    return null;
            }
        }
        foreach (var fn in functions)
            if (!TestFunctions.All.ContainsKey(fn)) { Console.Error.WriteLine($"unknown function {fn}"); return null; }
        spacesDir ??= SharedBench.Dir();
        return (trials, seeds, functions, samplers, history, spacesDir, tpe, gp, noise, pad);
    }

    // Tuning knob for development: --tpe candidates=64 (one TpeOptions property per flag).
    private static TpeOptions ApplyTpeOption(TpeOptions o, string kv)
    {
        var (k, v) = (kv.Split('=')[0], kv.Split('=')[1]);
        double D() => double.Parse(v, CultureInfo.InvariantCulture);
        return k switch
        {
            "warmup" => o with { WarmupTrials = (int)D() },
            "candidates" => o with { Candidates = (int)D() },
            "gamma" => o with { GoodFraction = D() },
            "maxgood" => o with { MaxGood = (int)D() },
            "prior" => o with { PriorWeight = D() },
            "bandwidth" => o with { Bandwidth = D() },
            "minbandwidth" => o with { MinBandwidth = D() },
            "ordinal" => o with { OrdinalChoices = v == "true" },
            _ => throw new ArgumentException($"unknown TPE option {k}"),
        };
    }

    private static GpOptions ApplyGpOption(GpOptions o, string kv)
    {
        var (k, v) = (kv.Split('=')[0], int.Parse(kv.Split('=')[1], CultureInfo.InvariantCulture));
        return k switch
        {
            "warmup" => o with { WarmupTrials = v },
            "steps" => o with { FitSteps = v },
            "random" => o with { RandomCandidates = v },
            "local" => o with { LocalCandidates = v },
            "starts" => o with { LocalStarts = v },
            "prior" => o with { PriorCandidates = v },
            "refine" => o with { RefineRounds = v },
            "maxpoints" => o with { MaxModelPoints = v },
            _ => throw new ArgumentException($"unknown GP option {k}"),
        };
    }

    private static SearchSpace LoadSpace(string dir, string fn, int pad = 0)
    {
        if (pad == 0) return SearchSpace.Load(Path.Combine(dir, fn + ".yaml"));
        // the padding parameters go under reward_weights, the section every public space can take more of
        var yaml = File.ReadAllText(Path.Combine(dir, fn + ".yaml")).Replace("reward_weights: {}", "reward_weights:", StringComparison.Ordinal);
        var extra = string.Concat(Enumerable.Range(1, pad).Select(i => $"\n  ignored_{i}: {{ type: uniform, low: 0.0, high: 1.0 }}"));
        yaml = yaml.Contains("reward_weights:", StringComparison.Ordinal)
            ? yaml.Replace("reward_weights:", "reward_weights:" + extra, StringComparison.Ordinal)
            : yaml.TrimEnd() + "\nreward_weights:" + extra + "\n";
        return SearchSpace.Parse(yaml, fn + ".yaml");
    }

    internal static ISampler MakeSampler(string name, TpeOptions tpe, GpOptions gp) => name switch
    {
        "random" => new RandomSampler(),
        "bayesian" or "gp" => new GpSampler(gp),
        "tpe" => new TpeSampler(tpe),
        _ => throw new ArgumentException($"unknown sampler {name}"),
    };

    private static (double Best, double TrueOfBest, double MsPerSuggestion) RunStudy(SearchSpace space, TestFunctions.Objective objective, ISampler sampler, int seed, int trials, double noise)
    {
        var history = new List<TrialRecord>(trials);
        var best = double.PositiveInfinity;
        var trueOfBest = double.NaN;
        var luck = new Random(seed * 7919 + 17); // the same noise sequence for every sampler of a seed
        var ticks = 0L;
        for (var n = 0; n < trials; n++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var suggestion = sampler.Suggest(space, history, new SamplerContext(seed, n, ObjectiveDirection.Minimize))!;
            ticks += Stopwatch.GetTimestamp() - t0;
            var truth = objective.Evaluate(suggestion.Params);
            var value = truth + noise * Gaussian(luck);
            if (value < best) (best, trueOfBest) = (value, truth);
            history.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = suggestion.Params, Score = value });
        }
        return (best, trueOfBest, ticks * 1000.0 / Stopwatch.Frequency / trials);
    }

    private static (double Median, double Cpu) TimeWithHistory(SearchSpace space, TestFunctions.Objective objective, ISampler sampler, int n)
    {
        var random = new RandomSampler();
        var history = new List<TrialRecord>(n);
        for (var i = 0; i < n; i++)
        {
            var p = random.Suggest(space, history, new SamplerContext(0, i))!.Params;
            history.Add(new TrialRecord { StudyId = 1, Number = i, State = TrialState.Complete, Params = p, Score = objective.Evaluate(p) });
        }
        sampler.Suggest(space, history, new SamplerContext(0, n, ObjectiveDirection.Minimize)); // warm the JIT
        var times = new List<double>();
        var cpu = new List<double>();
        var process = Process.GetCurrentProcess();
        for (var k = 0; k < 50; k++)
        {
            process.Refresh();
            var c0 = process.TotalProcessorTime;
            var t0 = Stopwatch.GetTimestamp();
            sampler.Suggest(space, history, new SamplerContext(0, n + k, ObjectiveDirection.Minimize));
            times.Add((Stopwatch.GetTimestamp() - t0) * 1000.0 / Stopwatch.Frequency);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - c0).TotalMilliseconds);
        }
        return (Median(times), Median(cpu));
    }

    private static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
