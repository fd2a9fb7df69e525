using System.Globalization;
using Microsoft.Data.Sqlite;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Bench.SamplerQuality;

/// <summary>
/// `rltune-bench sampler-replay --db rltune.db --study NAME --space FILE`: replays a stored study's history
/// to a sampler trial by trial and prints where each suggestion lands (distance to the nearest earlier trial
/// and to the best so far, in [0, 1] units per parameter), to see whether a model explores or re-samples.
/// </summary>
public static class SamplerReplayBench
{
    public const string Help = "replay a stored study's history to a sampler: where would each suggestion land (--db --study --space [--sampler bayesian] [--warmup 5])";

    public static int Run(string[] args)
    {
        string? db = null, study = null, spacePath = null;
        var samplerName = "bayesian";
        var warmup = 5;
        for (var i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--db": db = args[i + 1]; break;
                case "--study": study = args[i + 1]; break;
                case "--space": spacePath = args[i + 1]; break;
                case "--sampler": samplerName = args[i + 1]; break;
                case "--warmup": warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 1;
            }
        if (db is null || study is null || spacePath is null) { Console.Error.WriteLine("usage: sampler-replay --db FILE --study NAME --space FILE [--sampler bayesian] [--warmup 5]"); return 1; }
        var space = SearchSpace.Load(spacePath);
        var trials = Load(db, study);
        var sampler = Samplers.Create(samplerName, warmupTrials: warmup);
        var enc = new SpaceTransform(space, TransformOptions.GaussianProcess);
        for (var n = warmup; n <= trials.Count; n++)
        {
            var history = trials.Take(n).ToList();
            var s = sampler.Suggest(space, history, new SamplerContext(0, n, ObjectiveDirection.Maximize))!.Params;
            var x = enc.Encode(new Dictionary<string, object>(s));
            var rows = history.Select(t => enc.Encode(enc.Normalize(t.Params)!)).ToList();
            var best = history.Where(t => t.Score is not null).MaxBy(t => t.Score!.Value)!;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"after {n,2} trials (best {best.Score:F3} at #{best.Number}): nearest {rows.Min(r => Rms(r, x)):F3} to best {Rms(enc.Encode(enc.Normalize(best.Params)!), x):F3}"));
        }
        return 0;
    }

    private static double Rms(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (u, v) => (u - v) * (u - v)).Sum() / a.Length);

    private static List<TrialRecord> Load(string db, string study)
    {
        using var con = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        con.Open();
        using var cmd = con.CreateCommand();
        cmd.CommandText = "SELECT t.number, t.params_json, t.score FROM trials t JOIN studies s ON s.id = t.study_id WHERE s.name = $n AND t.state = 'complete' ORDER BY t.number";
        cmd.Parameters.AddWithValue("$n", study);
        using var r = cmd.ExecuteReader();
        var list = new List<TrialRecord>();
        while (r.Read())
            list.Add(new TrialRecord { StudyId = 1, Number = r.GetInt32(0), State = TrialState.Complete, Params = ParamValues.FromJsonText(r.GetString(1)), Score = r.GetDouble(2) });
        return list;
    }
}
