using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RlTune.Analysis;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary><c>rltune compare A B [...]</c>: trials, exported configs or studies side by side, with significance tests over seeds.</summary>
public sealed class CompareCommand : Command<CompareCommand.Settings>
{
    public sealed class Settings : StudyOptions
    {
        [CommandArgument(0, "<WHAT>"), Description("Two or more of: a trial of --study (12 or trial_0012), STUDY:12, a study name (its best trial; a study run with --mode eval: its evaluation), STUDY:eval, evaluations of one configuration pooled as A+B+C, or a config file written by export-best.")]
        public string[] What { get; init; } = [];
        [CommandOption("--metric <NAME>"), Description("Which trial is a study's best: score (default) or a metric.")]
        public string? Metric { get; init; }
        [CommandOption("--sort <ORDER>"), Description("descending or ascending (default: the study's direction for score).")]
        public string? Sort { get; init; }
        [CommandOption("--all"), Description("List every parameter, not only those that differ.")]
        public bool All { get; init; }
        [CommandOption("--json"), Description("Print the comparison as JSON.")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellationToken)
    {
        if (s.What.Length < 2) throw new UserError("compare: give at least two things to compare, e.g. `rltune compare 12 17` or `rltune compare best.json other.json`.");
        var needsStore = s.What.Any(w => !File.Exists(w));
        using var study = needsStore ? OpenedStudy.Open(s) : null;
        var sides = s.What.Select(w => Resolve(w, study, s)).ToList();
        var result = Comparison.Compare(sides);
        if (s.Json)
        {
            Console.WriteLine(ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }

        var console = Terminal.Console();
        var labels = sides.Select(x => Markup.Escape(x.Label)).ToArray();
        var rows = result.Params.Where(p => s.All || p.Differs).ToList();
        if (rows.Count == 0) console.WriteLine("The configurations are identical in every parameter.");
        else
        {
            var table = new Table().Title(s.All ? "Parameters" : "Parameters that differ").AddColumns(["parameter", .. labels]);
            foreach (var p in rows) table.AddRow([Markup.Escape(p.Parameter), .. p.Values.Select(v => Markup.Escape(DisplayText.Value(v)))]);
            console.Write(table);
        }
        var metrics = new Table().Title("Metrics over seeds (mean ± std, n)").AddColumns(["metric", .. labels]);
        foreach (var m in result.Metrics)
            metrics.AddRow([Markup.Escape(m.Metric), .. m.Sides.Select(Cell)]);
        console.Write(metrics);
        var tested = result.Metrics.Where(m => m.TestsAgainstFirst.Any(t => t is not null)).ToList();
        if (tested.Count > 0)
        {
            var tests = new Table().Title($"Against {labels[0]}: two-sided p-values (Welch's t / Mann-Whitney U)").AddColumns(["metric", .. labels.Skip(1)]);
            foreach (var m in tested)
                tests.AddRow([Markup.Escape(m.Metric), .. m.TestsAgainstFirst.Skip(1).Select(t => t is null ? "-" : $"{P(t.Welch.PValue)} / {P(t.MannWhitney.PValue)}")]);
            console.Write(tests);
        }
        else
        {
            console.WriteLine($"No significance test: each side needs at least {Comparison.MinSeedsForTest} seeds (seeds per trial in automl: --seeds-per-trial).");
        }
        return 0;
    }

    private static string Cell(Summary x) => x.Count switch
    {
        0 => "-",
        1 => $"{DisplayText.Number(x.Mean)} (1)",
        _ => $"{DisplayText.Number(x.Mean)} ± {DisplayText.Number(x.Std)} ({x.Count})",
    };

    private static string P(double p) => double.IsNaN(p) ? "n/a" : p < 0.001 ? "<0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);

    private static CompareSide Resolve(string what, OpenedStudy? study, Settings s)
    {
        if (File.Exists(what)) return FromFile(what);
        var output = study!.Output;
        if (what.Contains('+', StringComparison.Ordinal)) return FromPooledEvals(output, study, what);
        if (TrialNumber(what) is { } n) return FromTrial(study.Record.Name, study.Trials, n, what);
        var colon = what.LastIndexOf(':');
        var slash = what.LastIndexOf('/');
        var split = Math.Max(colon, slash);
        if (split > 0 && what[(split + 1)..] == "eval")
        {
            var name = what[..split];
            if (study.Store.FindStudy(name) is null) throw new UserError($"compare: '{what}' names study '{name}', which is not in {output}.");
            return FromEval(output, name, what)
                   ?? throw new UserError($"compare: study '{name}' has no evaluation ({EvalSummary.FileOf(output, name)} is missing); `rltune automl --mode eval --study {name}` writes one.");
        }
        if (split > 0 && TrialNumber(what[(split + 1)..]) is { } m)
        {
            var name = what[..split];
            var record = study.Store.FindStudy(name) ?? throw new UserError($"compare: '{what}' names study '{name}', which is not in {output}.");
            return FromTrial(name, study.Store.GetTrials(record.Id), m, what);
        }
        if (study.Store.FindStudy(what) is { } other)
        {
            var metric = MetricChoice.Resolve(s.Metric, s.Sort, other.Direction);
            var best = metric.Rank(study.Store.GetTrials(other.Id).Where(t => t.State == TrialState.Complete)).FirstOrDefault();
            if (best is not null) return CompareSide.FromTrial($"{what} (best: trial {best.Number})", best);
            return FromEval(output, what, what) ?? throw new UserError($"compare: study '{what}' has no complete trial with '{metric.Name}' yet, nor an evaluation (automl --mode eval).");
        }
        throw new UserError($"compare: '{what}' is not a file, a trial number (12 or trial_0012), STUDY:12, STUDY:eval, or a study in {output}.");
    }

    private static int? TrialNumber(string text)
    {
        var t = text.StartsWith("trial_", StringComparison.Ordinal) ? text["trial_".Length..] : text;
        return t.Length > 0 && t.All(char.IsAsciiDigit) && int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    private static CompareSide FromTrial(string study, IReadOnlyList<TrialRecord> trials, int number, string what)
    {
        var trial = trials.FirstOrDefault(t => t.Number == number) ?? throw new UserError($"compare: study '{study}' has no trial {number} ('{what}').");
        return CompareSide.FromTrial($"{study}:{number}" + (trial.State == TrialState.Complete ? "" : $" ({trial.State.ToText()})"), trial);
    }

    /// <summary>The evaluation study <paramref name="name"/> ran (<c>automl --mode eval</c>), or null when it has none.</summary>
    private static CompareSide? FromEval(string output, string name, string what)
    {
        var file = EvalSummary.FileOf(output, name);
        if (!File.Exists(file)) return null;
        var eval = EvalSummary.Load(file);
        if (eval.Runs.All(r => r.Score is null)) throw new UserError($"compare: the evaluation of study '{name}' ('{what}') has no seed run with a score ({file}).");
        return CompareSide.FromEval($"{name} (eval)", eval);
    }

    /// <summary>
    /// <c>A+B+C</c>: evaluations of one configuration run as separate studies (say one seed each, side by side) pooled
    /// into one side, so their seeds are one sample; their parameters must agree and no seed may repeat.
    /// </summary>
    private static CompareSide FromPooledEvals(string output, OpenedStudy study, string what)
    {
        var names = what.Split('+').Select(n => n.EndsWith(":eval", StringComparison.Ordinal) ? n[..^":eval".Length] : n).ToList();
        if (names.Any(n => n.Length == 0)) throw new UserError($"compare: '{what}': expected evaluation studies joined by '+', e.g. best-s1+best-s2+best-s3.");
        var evals = names.Select(n =>
        {
            if (study.Store.FindStudy(n) is null) throw new UserError($"compare: '{what}' names study '{n}', which is not in {output}.");
            var file = EvalSummary.FileOf(output, n);
            if (!File.Exists(file)) throw new UserError($"compare: '{what}': study '{n}' has no evaluation ({file} is missing); only evaluations (automl --mode eval) can be pooled with '+'.");
            return (Name: n, Eval: EvalSummary.Load(file));
        }).ToList();
        var first = evals[0];
        foreach (var (name, eval) in evals.Skip(1))
        {
            var differs = first.Eval.Params.Keys.Union(eval.Params.Keys)
                .FirstOrDefault(k => !first.Eval.Params.TryGetValue(k, out var a) || !eval.Params.TryGetValue(k, out var b) || ParamValues.Canonical(a) != ParamValues.Canonical(b));
            if (differs is not null)
                throw new UserError($"compare: '{what}': studies '{first.Name}' and '{name}' evaluated different configurations ('{differs}' differs); only evaluations of one configuration can be pooled.");
        }
        var runs = evals.SelectMany(e => e.Eval.Runs).ToList();
        if (runs.GroupBy(r => r.Seed).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UserError($"compare: '{what}': seed {twice.Key} was evaluated in more than one of these studies; pooled seeds must differ.");
        var pooled = new EvalSummary(first.Eval.Evaluated, first.Eval.Params, runs);
        if (pooled.Runs.All(r => r.Score is null)) throw new UserError($"compare: the evaluations '{what}' have no seed run with a score.");
        return CompareSide.FromEval($"{string.Join('+', names)} (eval)", pooled);
    }

    private static CompareSide FromFile(string path)
    {
        var (config, measured) = BestConfigExport.Load(path);
        var parameters = config.Params.Count > 0
            ? config.Params
            : config.RlOverrides.Where(kv => kv.Key is not "seed" and not "max_env_steps" and not "num_envs")
                .Concat(config.RewardScales.Select(kv => KeyValuePair.Create(kv.Key, (object)kv.Value))).ToDictionary();
        var values = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal);
        var seeds = new List<int>();
        if (measured is not null)
        {
            values[MetricChoice.Score] = measured.Seeds.Where(x => x.Score is not null).Select(x => x.Score!.Value).ToList();
            foreach (var name in measured.Seeds.SelectMany(x => x.Metrics.Keys).Distinct(StringComparer.Ordinal))
                values[name] = measured.Seeds.Where(x => x.Metrics.ContainsKey(name)).Select(x => x.Metrics[name]).ToList();
            if (measured.Seeds.Count == 0 && measured.Score is { } score) values[MetricChoice.Score] = [score];
            seeds.AddRange(measured.Seeds.Select(x => x.Seed));
        }
        return new CompareSide(Path.GetFileName(path), parameters, values.Where(kv => kv.Value.Count > 0).ToDictionary(), seeds);
    }

    private static JsonObject ToJson(ComparisonResult r)
    {
        static JsonNode? Num(double d) => double.IsFinite(d) ? JsonValue.Create(d) : null;
        return new JsonObject
        {
            ["sides"] = new JsonArray(r.Sides.Select(x => (JsonNode)JsonValue.Create(x.Label)).ToArray()),
            ["params"] = new JsonArray(r.Params.Select(p => (JsonNode)new JsonObject
            {
                ["parameter"] = p.Parameter, ["differs"] = p.Differs,
                ["values"] = new JsonArray(p.Values.Select(v => v is null ? null : ParamValues.ToJson(v)).ToArray()),
            }).ToArray()),
            ["metrics"] = new JsonArray(r.Metrics.Select(m => (JsonNode)new JsonObject
            {
                ["metric"] = m.Metric,
                ["sides"] = new JsonArray(m.Sides.Select(x => (JsonNode)new JsonObject { ["n"] = x.Count, ["mean"] = Num(x.Mean), ["std"] = Num(x.Std) }).ToArray()),
                ["tests_against_first"] = new JsonArray(m.TestsAgainstFirst.Select(t => t is null ? null : (JsonNode)new JsonObject
                {
                    ["welch_t"] = Num(t.Welch.Statistic), ["welch_df"] = t.Welch.DegreesOfFreedom is { } df ? Num(df) : null, ["welch_p"] = Num(t.Welch.PValue),
                    ["mann_whitney_u"] = Num(t.MannWhitney.Statistic), ["mann_whitney_p"] = Num(t.MannWhitney.PValue),
                }).ToArray()),
            }).ToArray()),
        };
    }
}
