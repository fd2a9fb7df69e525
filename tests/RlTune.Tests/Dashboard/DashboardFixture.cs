using System.Net.Http.Json;
using System.Text.Json;
using RlTune.Analysis;
using RlTune.Dashboard;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
using RlTune.TensorBoard;
using RlTune.Tests.Automl;
using RlTune.Trials;

namespace RlTune.Tests.Dashboard;

/// <summary>
/// A run root the dashboard reads: study "demo" run by automl with the fake trainer's learning
/// curves (4 trials), and study "audited" on the built-in vbot-nav-lite env's reward terms, written
/// through the store, whose trial 0 logged a lazy robot's curves. A symbolic link in demo's trial 0
/// leads out of the run root (what the API must never serve).
/// </summary>
public sealed class DashboardFixture : IDisposable
{
    public AutomlHarness Harness { get; } = new();
    public string Output => Harness.Output;
    public string Secret { get; }
    public const string AuditedPreset = "nav_lite_rewards";

    public DashboardFixture()
    {
        AutomlHarness.Run(Harness.Settings("curve", "demo") with { HpTrials = 4, Parallel = 2 }).GetAwaiter().GetResult();
        Secret = Harness.WriteFile("secret.txt", "outside the run root");
        var trialDir = new StudyPaths(Output, "demo").TrialDir(0);
        File.CreateSymbolicLink(Path.Combine(trialDir, "leak.txt"), Secret);
        Directory.CreateSymbolicLink(Path.Combine(trialDir, "outdir"), Harness.Root);
        WriteAuditedStudy(Output);
    }

    /// <summary>Study "audited" under <paramref name="output"/>: two trials at the preset's extremes of arrival_bonus; trial 0's seed logged a rising reward, a flat reached fraction and full-length episodes.</summary>
    public static void WriteAuditedStudy(string output)
    {
        using var store = StoreFactory.Open(null, output);
        var settings = AutomlPipeline.SerializeSettings(new StudySettings { StudyName = "audited", Env = "vbot-nav-lite", Preset = AuditedPreset, HpTrials = 2, Output = output });
        var study = store.CreateStudy("audited", "maximize", settings)!;
        store.SetStudyAttr(study.Id, "settings", settings);
        var space = Presets.Resolve(AuditedPreset);
        var arrival = space.Find("arrival_bonus")!;
        var limit = StudyContext.Load(store, study, output).EpisodeLimit!.Value;
        foreach (var (bonus, lazy) in new[] { (arrival.Low, true), (arrival.High, false) })
        {
            var p = space.Defaults();
            p["arrival_bonus"] = bonus;
            var t = store.AddTrial(study.Id, TrialState.Running, p, 0, "sampler:random", null, "test")!;
            var runDir = new StudyPaths(output, "audited").SeedRunDir(t.Number, 0);
            using (var w = new EventFileWriter(runDir))
                for (var k = 0; k < 30; k++)
                {
                    var u = k / 29.0;
                    w.AddScalar(TrainingCurves.RewardTags[0], -40 + (lazy ? 60 : 20) * u, k * 2048);
                    w.AddScalar(TrainingCurves.ReachedTags[0], lazy ? 0.05 : 0.7 * u, k * 2048);
                    w.AddScalar(TrainingCurves.LengthTags[0], lazy ? 0.99 * limit : limit * (1 - 0.5 * u), k * 2048);
                }
            var score = lazy ? 0.05 : 0.7;
            store.AddSeedRun(study.Id, t.Number, new SeedRun(0, new Dictionary<string, double> { ["success_rate"] = score }, score, runDir, null));
            store.FinishTrial(study.Id, t.Number, TrialState.Complete, new Dictionary<string, double> { ["success_rate"] = score }, score, 0, null);
        }
    }

    /// <summary>A dashboard over this run root on a free port.</summary>
    public Task<DashboardServer> Start(bool allowActions = false, string? token = null, string host = "127.0.0.1") =>
        DashboardServer.StartAsync(new DashboardOptions { Output = Output, Port = 0, AllowActions = allowActions, Token = token, Host = host }.Checked());

    public void Dispose() => Harness.Dispose();
}

/// <summary>HTTP helpers for the API tests.</summary>
internal static class Api
{
    public static HttpClient Client(DashboardServer server, HttpMessageHandler? handler = null) =>
        handler is null ? new HttpClient { BaseAddress = server.Url } : new HttpClient(handler) { BaseAddress = server.Url };

    public static async Task<JsonElement> Get(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The status and the one-sentence error of a request that must fail.</summary>
    public static async Task<(int Status, string Error)> Fails(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.False(response.IsSuccessStatusCode, $"{request.Method} {request.RequestUri} succeeded: {body}");
        return ((int)response.StatusCode, JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!);
    }

    public static Task<(int Status, string Error)> FailsGet(HttpClient client, string path) => Fails(client, new HttpRequestMessage(HttpMethod.Get, path));

    public static HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
}
