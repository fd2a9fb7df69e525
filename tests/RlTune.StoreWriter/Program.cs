using RlTune.Storage;
using RlTune.Trials;

// A separate OS process that shares one study with others, for the store's multi-process tests:
// store-writer URL STUDY TRIALS GRID_POINTS WORKER
// Adds TRIALS own trials and tries every shared grid point, claiming and finishing what waits as it goes.
// Prints "claimed N" and "finished N" lines for the test to check that nothing was taken twice.
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: store-writer URL STUDY TRIALS GRID_POINTS WORKER");
    return 1;
}
var (url, studyName, trials, gridPoints, worker) = (args[0], args[1], int.Parse(args[2]), int.Parse(args[3]), args[4]);
using var store = StoreFactory.Open(url, ".");
var study = store.CreateOrOpenStudy(studyName, "maximize", "{}");
for (var i = 0; i < trials; i++)
{
    store.AddTrial(study.Id, TrialState.Waiting, new Dictionary<string, object> { ["worker"] = worker, ["i"] = (long)i }, i, "test", $"{worker}/{i}", null);
    store.AddTrial(study.Id, TrialState.Waiting, new Dictionary<string, object> { ["grid"] = (long)(i % gridPoints) }, 0, "grid", $"grid/{i % gridPoints}", null);
    var claimed = store.ClaimWaitingTrial(study.Id, worker);
    if (claimed is null) continue;
    Console.WriteLine($"claimed {claimed.Number}");
    store.Heartbeat(study.Id, claimed.Number, worker);
    store.ReportIntermediate(study.Id, claimed.Number, 1, i);
    store.AddSeedRun(study.Id, claimed.Number, new SeedRun(claimed.Seed, new Dictionary<string, double> { ["reward"] = i }, i, null, null));
    if (store.FinishTrial(study.Id, claimed.Number, TrialState.Complete, new Dictionary<string, double> { ["reward"] = i }, i, 0, null))
        Console.WriteLine($"finished {claimed.Number}");
}
return 0;
