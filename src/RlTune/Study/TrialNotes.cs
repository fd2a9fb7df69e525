using System.Text.Json;
using RlTune.Storage;

namespace RlTune.Study;

/// <summary>
/// Facts about one trial that the store has no column for (which device ran it, how a metric was
/// derived), kept as study attributes named <c>trial.N.KIND</c> (<see cref="StudyAttributes.Trial"/>) so
/// every worker, <c>status</c> and the projections read them alike.
/// </summary>
public static class TrialNotes
{
    /// <summary>The device (CUDA_VISIBLE_DEVICES value) the trial ran on.</summary>
    public const string Device = "device";

    /// <summary>ASHA/Hyperband: how each rung's piece was trained ("3M continued from 1M", "3M from step 0").</summary>
    public const string RungPieces = "rung_pieces";

    /// <summary>ASHA/Hyperband: the rung the trial trains to, or stopped or ended at (JSON of <see cref="RungReached"/>).</summary>
    public const string Rung = "rung";

    /// <summary>Why a waiting trial waits: the budget's hard limit paused it part-way (a rung piece or a PBT interval).</summary>
    public const string Paused = "paused";

    /// <summary>JSON object of metric name to how it was obtained (mapped by the metric map, or derived).</summary>
    public const string MetricNotes = "metric_notes";

    public static void Set(IStudyStore store, long studyId, int trial, string kind, string value) => store.SetStudyAttr(studyId, StudyAttributes.Trial(trial, kind), value);

    public static string? Get(IReadOnlyDictionary<string, string> attrs, int trial, string kind) => attrs.GetValueOrDefault(StudyAttributes.Trial(trial, kind));

    public static void SetMetricNotes(IStudyStore store, long studyId, int trial, IReadOnlyDictionary<string, string> notes) =>
        Set(store, studyId, trial, MetricNotes, JsonSerializer.Serialize(notes.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary()));

    /// <summary>The trial's metric notes, metric name to how it was obtained; empty when it has none.</summary>
    public static IReadOnlyDictionary<string, string> GetMetricNotes(IReadOnlyDictionary<string, string> attrs, int trial)
    {
        if (Get(attrs, trial, MetricNotes) is not { } json) return new Dictionary<string, string>();
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
        }
        catch (JsonException)
        {
            return new Dictionary<string, string>();
        }
    }

    /// <summary>Which trials ran on which device, devices in their order of first use; empty when no trial had one.</summary>
    public static IReadOnlyDictionary<string, List<int>> DeviceTrials(IEnumerable<int> trials, IReadOnlyDictionary<string, string> attrs)
    {
        var byDevice = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var n in trials.Order())
            if (Get(attrs, n, Device) is { } d)
                (byDevice.TryGetValue(d, out var list) ? list : byDevice[d] = []).Add(n);
        return byDevice;
    }
}
