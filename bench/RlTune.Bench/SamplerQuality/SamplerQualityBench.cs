using System.Diagnostics;
using System.Globalization;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Bench.SamplerQuality;

/// <summary>
/// `rltune-bench sampler-quality`: our samplers on the public objectives, in the format of
/// shared/bench/optuna_anchor.py (median over seeds of the best value after N trials, gap to the
/// optimum, time per suggestion). `--history N` instead times one suggestion given N trials of history.
/// `--noise SD` adds Gaussian noise to every observed value (a trial's training luck; the same draws as
/// bench/sampler_noisy_optuna.py, Optuna's side) and `--pad N` adds N parameters the objective ignores; then
/// each study is judged by the true value of the configuration it crowns (see <see cref="TruthSummary"/>), and
/// the default functions add our narrow ones (narrow_ppo, needle12).
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
                    var (median, cpu) = TimeWithHistory(LoadSpace(spacesDir, TestFunctions.All[fn]), TestFunctions.All[fn], MakeSampler(s, tpe, gp), history);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{fn,-14} {s,-17} history={history} ms_per_suggestion={median:F2} cpu_ms={cpu:F2}"));
                }
            return 0;
        }
        var noisy = noise > 0 || pad > 0;
        Console.WriteLine(noisy
            ? $"rltune, {trials} trials, {seeds} seeds, noise sd {noise.ToString(CultureInfo.InvariantCulture)}, {pad} ignored parameters added; true value of the crowned (best observed) configuration"
            : $"rltune, {trials} trials, {seeds} seeds; median best (gap to optimum), time per suggestion");
        foreach (var fn in functions)
        {
            var objective = TestFunctions.All[fn];
            var space = LoadSpace(spacesDir, objective, pad);
            foreach (var s in samplers)
            {
                var sampler = MakeSampler(s, tpe, gp);
                var results = Enumerable.Range(0, seeds).Select(seed => RunStudy(space, objective, sampler, seed, trials, noise)).ToList();
                var best = Median(results.Select(r => r.Best));
                var ms = results.Average(r => r.MsPerSuggestion);
                Console.WriteLine(noisy
                    ? string.Create(CultureInfo.InvariantCulture, $"{fn,-14} {s,-17} {TruthSummary(results, objective)} median_best={best:F4} explored={results.Average(r => r.ExploreShare):F2} overhead_ms={ms:F2}")
                    : string.Create(CultureInfo.InvariantCulture, $"{fn,-14} {s,-17} median_best={best:F4} gap={best - objective.Optimum:F4} explored={results.Average(r => r.ExploreShare):F3} overhead_ms={ms:F2}"));
            }
        }
        return 0;
    }

    private static (int, int, string[], string[], int, string, TpeOptions, GpOptions, double, int)? ParseArgs(string[] args)
    {
        int trials = 50, seeds = 20, history = 0, pad = 0;
        var noise = 0.0;
        string[]? functions = null;
        string[] samplers = ["random", "bayesian"];
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
                    Console.Error.WriteLine($"unknown option {args[i]}; usage: sampler-quality [--trials 50] [--seeds 20] [--functions branin,hartmann6,ppo_surrogate,narrow_ppo,needle12] [--samplers random,bayesian,tpe] [--history 200] [--spaces DIR] [--gp name=value] [--tpe name=value] [--noise SD] [--pad N]");
                    return null;
            }
        }
        functions ??= noise > 0 || pad > 0 ? [.. TestFunctions.All.Keys] : ["branin", "hartmann6", "ppo_surrogate"];
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
        var (k, d) = (kv.Split('=')[0], double.Parse(kv.Split('=')[1], CultureInfo.InvariantCulture));
        var v = (int)d;
        return k switch
        {
            "signalr2" => o with { SignalR2 = d },
            "signalrank" => o with { SignalRank = d },
            "explorecandidates" => o with { ExploreCandidates = v },
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

    /// <summary>
    /// What the issue judges a noisy search by: the TRUE value of the configuration each study crowns (its best observed
    /// trial), as the mean and 90th percentile over seeds of the gap to the optimum, and the seeds whose crowned
    /// configuration lies in the flat region or that never tried one below the flat level.
    /// </summary>
    private static string TruthSummary(IReadOnlyList<StudyOutcome> results, TestFunctions.Objective objective)
    {
        var gaps = results.Select(r => r.TrueOfBest - objective.Optimum).OrderBy(g => g).ToList();
        var crownedFlat = results.Count(r => r.TrueOfBest >= objective.Flat);
        var neverBelow = results.Count(r => r.BestTrue >= objective.Flat);
        return string.Create(CultureInfo.InvariantCulture,
            $"true_gap_mean={gaps.Average():F4} true_gap_p90={Percentile(gaps, 0.9):F4} crowned_flat={crownedFlat} never_below_flat={neverBelow}");
    }

    // Linear interpolation between order statistics, as Python's statistics.quantiles(method="inclusive").
    private static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        var h = (sorted.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        return lo + 1 < sorted.Count ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
    }

    private static SearchSpace LoadSpace(string dir, TestFunctions.Objective objective, int pad = 0)
    {
        var path = Path.Combine(dir, objective.Name + ".yaml");
        var text = objective.SpaceYaml ?? File.ReadAllText(path);
        if (pad == 0) return SearchSpace.Parse(text, objective.Name + ".yaml");
        // the padding parameters go under reward_weights, the section every space here can take more of
        var yaml = text.Replace("reward_weights: {}", "reward_weights:", StringComparison.Ordinal);
        var extra = string.Concat(Enumerable.Range(1, pad).Select(i => $"\n  ignored_{i}: {{ type: uniform, low: 0.0, high: 1.0 }}"));
        yaml = yaml.Contains("reward_weights:", StringComparison.Ordinal)
            ? yaml.Replace("reward_weights:", "reward_weights:" + extra, StringComparison.Ordinal)
            : yaml.TrimEnd() + "\nreward_weights:" + extra + "\n";
        return SearchSpace.Parse(yaml, objective.Name + ".yaml");
    }

    internal static ISampler MakeSampler(string name, TpeOptions tpe, GpOptions gp) => name switch
    {
        "random" => new RandomSampler(),
        "bayesian" or "gp" => new GpSampler(gp),
        "tpe" => new TpeSampler(tpe),
        _ => throw new ArgumentException($"unknown sampler {name}"),
    };

    /// <summary>One study: its best observed value, the true value of that (crowned) trial, the best true value it tried, ms per suggestion.</summary>
    private sealed record StudyOutcome(double Best, double TrueOfBest, double BestTrue, double MsPerSuggestion, double ExploreShare);

    private static StudyOutcome RunStudy(SearchSpace space, TestFunctions.Objective objective, ISampler sampler, int seed, int trials, double noise)
    {
        var history = new List<TrialRecord>(trials);
        var best = double.PositiveInfinity;
        var trueOfBest = double.NaN;
        var bestTrue = double.PositiveInfinity;
        var explored = 0;
        var ticks = 0L;
        for (var n = 0; n < trials; n++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var suggestion = sampler.Suggest(space, history, new SamplerContext(seed, n, ObjectiveDirection.Minimize))!;
            ticks += Stopwatch.GetTimestamp() - t0;
            if (suggestion.Note?.StartsWith("explore", StringComparison.Ordinal) == true) explored++;
            var truth = objective.Evaluate(suggestion.Params);
            var value = truth + noise * NoiseZ(seed, n); // the same noise for every sampler of a seed, and for Optuna's
            if (value < best) (best, trueOfBest) = (value, truth);
            bestTrue = Math.Min(bestTrue, truth);
            history.Add(new TrialRecord { StudyId = 1, Number = n, State = TrialState.Complete, Params = suggestion.Params, Score = value });
        }
        return new StudyOutcome(best, trueOfBest, bestTrue, ticks * 1000.0 / Stopwatch.Frequency / trials, (double)explored / trials);
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

    /// <summary>Standard normal of (seed, trial): two splitmix64 uniforms through Box-Muller, as bench/sampler_noisy_optuna.py draws it.</summary>
    internal static double NoiseZ(int seed, int trial)
    {
        var h1 = SplitMix64((ulong)((long)seed * 1_000_003 + trial));
        var h2 = SplitMix64(h1);
        var u1 = 1.0 - (h1 >> 11) * Math.Pow(2, -53); // (0, 1]
        var u2 = (h2 >> 11) * Math.Pow(2, -53);
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
