using System.Net;
using System.Text;
using RlTune.Dashboard;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Tests.Automl;
using RlTune.Trials;

namespace RlTune.Tests.Dashboard;

/// <summary>With --allow-actions: stop, enqueue and re-run write to the store, and a running study's workers act on them.</summary>
public sealed class DashboardActionsTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    private Task<DashboardServer> Start() => DashboardServer.StartAsync(new DashboardOptions { Output = _h.Output, Port = 0, AllowActions = true }.Checked());

    [Fact]
    public async Task StopEndsARunningStudyAfterItsRunningTrials()
    {
        var run = AutomlHarness.Run(_h.Settings("curve", "long") with { HpTrials = 30 });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(Path.Combine(_h.Output, StoreFactory.DefaultFileName)) || _h.Read("long").Trials.All(t => t.State != TrialState.Complete))
        {
            Assert.True(DateTime.UtcNow < deadline, "no trial completed within 60 s");
            await Task.Delay(100);
        }
        await using var server = await Start();
        using var http = Api.Client(server);
        using var stop = await http.SendAsync(Api.Post("/api/studies/long/stop", new { }));
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
        var (_, trials, attrs) = _h.Read("long");
        Assert.StartsWith("stop asked for at ", attrs["stop_reason"]);
        Assert.True(trials.Count < 30, $"{trials.Count} trials ran after the stop");
        Assert.All(trials, t => Assert.True(t.State.IsFinished(), $"trial {t.Number} is {t.State.ToText()}"));
        Assert.Contains("stop asked for", result.StopReason);
    }

    [Fact]
    public async Task EnqueueAddsAWaitingTrialCheckedAgainstTheSpace()
    {
        await AutomlHarness.Run(_h.Settings("metrics", "s") with { HpTrials = 2 });
        await using var server = await Start();
        using var http = Api.Client(server);
        var added = await http.SendAsync(Api.Post("/api/studies/s/enqueue", new { @params = new { x = 0.25, arrival_bonus = 0.5 } }));
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var t = _h.Read().Trials.Single(x => x.State == TrialState.Waiting);
        Assert.Equal(StudyActions.EnqueuedOrigin, t.Origin);
        Assert.Equal(0.25, (double)t.Params["x"]);
        Assert.Equal(3e-4, (double)t.Params["learning_rate"], 12); // left out: the space's default
        Assert.Contains("automl --resume --study s", await added.Content.ReadAsStringAsync());

        var (status, error) = await Api.Fails(http, Api.Post("/api/studies/s/enqueue", new { @params = new { x = 0.25, arrival_bonus = 0.5 } }));
        Assert.Equal(400, status);
        Assert.Contains("enqueued before", error);
        (status, error) = await Api.Fails(http, Api.Post("/api/studies/s/enqueue", new { @params = new { x = 7.0 } }));
        Assert.Equal(400, status);
        Assert.Contains("x = 7", error);
        (status, error) = await Api.Fails(http, Api.Post("/api/studies/s/enqueue", new { @params = new { gamma = 0.9 } }));
        Assert.Equal(400, status);
        Assert.Contains("'gamma' is not a parameter", error);
    }

    [Fact]
    public async Task RerunQueuesTheTrialsConfigurationAndSeedAgain()
    {
        await AutomlHarness.Run(_h.Settings("metrics", "s") with { HpTrials = 2 });
        await using var server = await Start();
        using var http = Api.Client(server);
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Post("/api/studies/s/trials/1/rerun", new { }))).StatusCode);
        var trials = _h.Read().Trials;
        var original = trials.Single(t => t.Number == 1);
        var reruns = trials.Where(t => t.Origin == $"{StudyActions.RerunOrigin}:1").ToList();
        Assert.Equal(2, reruns.Count);
        Assert.All(reruns, r =>
        {
            Assert.Equal(TrialState.Waiting, r.State);
            Assert.Equal(original.Seed, r.Seed);
            Assert.Equal(ParamValues.Canonical(original.Params), ParamValues.Canonical(r.Params));
        });
        // resuming runs them
        await AutomlHarness.Run(_h.Settings("metrics", "s") with { HpTrials = 2, Resume = true });
        Assert.All(_h.Read().Trials.Where(t => t.Origin == $"{StudyActions.RerunOrigin}:1"), r => Assert.Equal(TrialState.Complete, r.State));
    }

    [Fact]
    public async Task AnActionWithoutAJsonBodyIsRefused()
    {
        await AutomlHarness.Run(_h.Settings("metrics", "s") with { HpTrials = 1 });
        await using var server = await Start();
        using var http = Api.Client(server);
        // what a cross-site form can send without a preflight
        var form = new HttpRequestMessage(HttpMethod.Post, "/api/studies/s/stop") { Content = new StringContent("x=1", Encoding.UTF8, "application/x-www-form-urlencoded") };
        var (status, error) = await Api.Fails(http, form);
        Assert.Equal(415, status);
        Assert.Contains("application/json", error);
        Assert.False(_h.Read().Attrs.ContainsKey(StudyAttributes.StopRequestedAt));
    }

    public void Dispose() => _h.Dispose();
}
