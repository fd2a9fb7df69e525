using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Dashboard;

/// <summary>
/// The three things <c>--allow-actions</c> lets a person do, each one write to the shared store that
/// the study's workers (in any process or machine) act on: stop (no new trial starts; running ones
/// finish), enqueue a configuration and re-run a trial (a waiting trial the next free slot takes).
/// </summary>
public sealed class StudyActions(IStudyStore store, StudyReader reader)
{
    public const string EnqueuedOrigin = "enqueued";
    public const string RerunOrigin = "rerun";

    public ActionResultView Stop(string name)
    {
        var record = reader.Find(name);
        store.SetStudyAttr(record.Id, StudyAttributes.StopRequestedAt, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        return new ActionResultView("stop", name, null, "no new trial will start; running trials finish and are recorded");
    }

    /// <summary>Adds <paramref name="parameters"/> (checked against the study's space, missing ones at their defaults) as a waiting trial.</summary>
    public ActionResultView Enqueue(string name, JsonObject? parameters)
    {
        var s = reader.Load(reader.Find(name));
        if (parameters is null) throw new UserError("body: expected a JSON object {\"params\": {\"name\": value, ...}}.");
        var space = s.Context.Space ?? throw new UserError($"study {name}'s search space could not be loaded, so a configuration cannot be checked against it.");
        Dictionary<string, object> given;
        try
        {
            given = parameters.ToDictionary(kv => kv.Key, kv => ParamValues.FromJson(kv.Value), StringComparer.Ordinal);
        }
        catch (FormatException e)
        {
            throw new UserError($"params: {e.Message}.");
        }
        var config = space.Complete(given, "params");
        var seed = s.Context.Settings?.Seed ?? 0;
        var added = store.AddTrial(s.Record.Id, TrialState.Waiting, config, seed, EnqueuedOrigin, "enqueued:" + ParamValues.Canonical(config), null)
                    ?? throw new UserError("params: this configuration was enqueued before (a configuration is enqueued once).");
        return new ActionResultView("enqueue", name, added.Number, $"trial {added.Number} waits for the study's next free slot" + Resume(s));
    }

    /// <summary>Adds a waiting trial with trial <paramref name="number"/>'s parameters and seed.</summary>
    public ActionResultView Rerun(string name, int number)
    {
        var s = reader.Load(reader.Find(name));
        var t = s.Trials.FirstOrDefault(x => x.Number == number) ?? throw new StudyNotFound($"study {name} has no trial {number}.");
        var repeats = s.Trials.Count(x => x.Origin == $"{RerunOrigin}:{number}");
        var added = store.AddTrial(s.Record.Id, TrialState.Waiting, t.Params, t.Seed, $"{RerunOrigin}:{number}", $"{RerunOrigin}:{number}:{repeats + 1}", null)
                    ?? throw new UserError($"trial {number} was just re-run by another request; reload to see it.");
        return new ActionResultView("rerun", name, added.Number, $"trial {added.Number} re-runs trial {number}'s configuration" + Resume(s));
    }

    private static string Resume(StudyReader.Snapshot s) =>
        s.Attrs.GetValueOrDefault(StudyAttributes.Status) == "stopped" ? $" (the study is stopped: rltune automl --resume --study {s.Record.Name} runs it)" : "";
}
