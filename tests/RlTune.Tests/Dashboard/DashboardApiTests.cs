using System.Net;
using System.Text.Json;
using RlTune.Analysis;
using RlTune.Dashboard;
using RlTune.Search;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Trials;

namespace RlTune.Tests.Dashboard;

/// <summary>Each endpoint of the dashboard's JSON API against a real study store and run root (docs/dashboard.md).</summary>
public sealed class DashboardApiTests(DashboardFixture f) : IClassFixture<DashboardFixture>
{
    private (StudyRecord Study, IReadOnlyList<TrialRecord> Trials) Stored(string name)
    {
        using var store = StoreFactory.Open(null, f.Output);
        var study = store.FindStudy(name)!;
        return (study, store.GetTrials(study.Id));
    }

    [Fact]
    public async Task StudiesListsEachStudyWithItsCountsAndBest()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var studies = (await Api.Get(http, "/api/studies")).EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(["audited", "demo"], studies.Keys.Order());
        var demo = studies["demo"];
        var (_, trials) = Stored("demo");
        Assert.Equal("stopped", demo.GetProperty("status").GetString());
        Assert.Equal(4, demo.GetProperty("target_trials").GetInt32());
        Assert.Equal(trials.Count(t => t.State == TrialState.Complete), demo.GetProperty("complete").GetInt32());
        Assert.Equal(trials.Count(t => t.State.IsFinished()), demo.GetProperty("finished").GetInt32());
        // the fake trainer's "value" is minimized: the best is the lowest score
        var best = trials.Where(t => t.Score is not null).MinBy(t => t.Score)!;
        Assert.Equal(best.Number, demo.GetProperty("best_trial").GetInt32());
        Assert.Equal(best.Score!.Value, demo.GetProperty("best_score").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, demo.GetProperty("budget_left_seconds").ValueKind);
    }

    [Fact]
    public async Task StudyDetailCarriesTheSpaceTheCurvesAndWhetherActionsAreOn()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var demo = await Api.Get(http, "/api/studies/demo");
        Assert.Equal(["arrival_bonus", "learning_rate", "x"], demo.GetProperty("params").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order());
        var lr = demo.GetProperty("params").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "learning_rate");
        Assert.True(lr.GetProperty("log").GetBoolean());
        Assert.Equal("ppo_params", lr.GetProperty("section").GetString());
        Assert.Contains("success", demo.GetProperty("curve_metrics").EnumerateArray().Select(m => m.GetString()));
        Assert.False(demo.GetProperty("actions_allowed").GetBoolean());
        Assert.Equal("value", demo.GetProperty("objective").GetString());
        var (_, trials) = Stored("demo");
        var best = trials.Where(t => t.Score is not null).MinBy(t => t.Score)!;
        Assert.Equal((double)best.Params["x"], demo.GetProperty("best_params").GetProperty("x").GetDouble(), 12);
    }

    [Fact]
    public async Task TrialsListEveryTrialAndFilterByState()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var (_, stored) = Stored("demo");
        var rows = (await Api.Get(http, "/api/studies/demo/trials")).EnumerateArray().ToList();
        Assert.Equal(stored.Select(t => t.Number), rows.Select(r => r.GetProperty("number").GetInt32()));
        foreach (var (row, t) in rows.Zip(stored))
        {
            Assert.Equal(t.State.ToText(), row.GetProperty("state").GetString());
            Assert.Equal(t.Score!.Value, row.GetProperty("score").GetDouble(), 12);
            Assert.Equal((double)t.Params["learning_rate"], row.GetProperty("params").GetProperty("learning_rate").GetDouble(), 15);
            Assert.Equal([0], row.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()));
            Assert.Equal((t.EndedAt!.Value - t.StartedAt!.Value).TotalSeconds, row.GetProperty("duration_seconds").GetDouble(), 3);
        }
        Assert.Empty((await Api.Get(http, "/api/studies/demo/trials?state=running")).EnumerateArray());
        Assert.Equal(stored.Count, (await Api.Get(http, "/api/studies/demo/trials?state=complete")).GetArrayLength());
        var (status, error) = await Api.FailsGet(http, "/api/studies/demo/trials?state=done");
        Assert.Equal(400, status);
        Assert.Contains("unknown trial state 'done'", error);
    }

    [Fact]
    public async Task ATrialShowsItsConfigSeedsFilesAndTheirContent()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var trial = await Api.Get(http, "/api/studies/demo/trials/1");
        Assert.Equal("demo_trial_0001_seed_0", trial.GetProperty("config").GetProperty("run_tag").GetString());
        Assert.Equal("configs/trial_0001_seed_0.json", trial.GetProperty("config_file").GetString());
        var seed = trial.GetProperty("seed_runs")[0];
        Assert.Equal("trials/trial_0001/seed_0", seed.GetProperty("run_dir").GetString());
        Assert.True(seed.GetProperty("run_dir_served").GetBoolean());
        var files = trial.GetProperty("files").EnumerateArray().Select(x => x.GetProperty("path").GetString()!).ToList();
        Assert.Contains("trials/trial_0001/summary.yaml", files);
        Assert.Contains("trials/trial_0001/seed_0/metrics.json", files);
        var metrics = await http.GetStringAsync("/api/studies/demo/files?path=trials/trial_0001/seed_0/metrics.json");
        Assert.Equal(File.ReadAllText(new StudyPaths(f.Output, "demo").SeedRunDir(1, 0) + "/metrics.json"), metrics);
        var (status, error) = await Api.FailsGet(http, "/api/studies/demo/trials/99");
        Assert.Equal(404, status);
        Assert.Contains("no trial 99", error);
    }

    [Fact]
    public async Task CurvesAreTheTrainersProgressLinesPerTrialAndSeed()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var (study, trials) = Stored("demo");
        var set = await Api.Get(http, "/api/studies/demo/curves?metric=success");
        var curves = set.GetProperty("curves").EnumerateArray().ToList();
        Assert.Equal(trials.Select(t => t.Number), curves.Select(c => c.GetProperty("trial").GetInt32()).Order());
        using var store = StoreFactory.Open(null, f.Output);
        var stored = store.GetIntermediateMetrics(study.Id, "success");
        foreach (var c in curves)
        {
            var points = c.GetProperty("points").EnumerateArray().Select(p => (p[0].GetInt64(), p[1].GetDouble())).ToList();
            Assert.Equal(10, points.Count); // the fake trainer's curve mode prints 10 PROGRESS lines
            Assert.Equal(stored.Where(v => v.Number == c.GetProperty("trial").GetInt32()).Select(v => (v.Step, v.Value)), points);
        }
        Assert.Empty((await Api.Get(http, "/api/studies/demo/curves?metric=no_such_metric")).GetProperty("curves").EnumerateArray());
    }

    [Fact]
    public async Task ImportanceIsTheAnalysisRankingWithCategorySums()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var imp = await Api.Get(http, "/api/studies/demo/importance");
        var (study, trials) = Stored("demo");
        var expected = StudyAnalysis.Analyze("demo", trials, MetricChoice.Resolve(null, null, study.Direction), SearchSpace.Load(Path.Combine(f.Harness.Root, "tiny.yaml")), 0);
        var got = imp.GetProperty("parameters").EnumerateArray().ToList();
        Assert.Equal(expected.Ranking.Select(p => p.Parameter), got.Select(p => p.GetProperty("parameter").GetString()));
        Assert.Equal(expected.Ranking.Select(p => p.Importance), got.Select(p => p.GetProperty("importance").GetDouble()));
        var categories = imp.GetProperty("categories").EnumerateArray().ToList();
        // the tiny space has no categories, so parameters sum by section
        Assert.Equal(["ppo_params", "reward_weights"], categories.Select(c => c.GetProperty("category").GetString()).Order());
        Assert.Equal(1.0, categories.Sum(c => c.GetProperty("importance").GetDouble()), 9);
    }

    [Fact]
    public async Task AuditChecksEachTrialsRewardWeightsAndFlagsComeFromTheCurves()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var audit = await Api.Get(http, "/api/studies/audited/audit");
        Assert.True(audit.GetProperty("available").GetBoolean());
        var space = Presets.Resolve(DashboardFixture.AuditedPreset);
        var (_, trials) = Stored("audited");
        var rules = RewardBudgetAudit.ForEnv("vbot-nav-lite", null, null)!;
        var rows = audit.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        foreach (var (row, t) in rows.Zip(trials))
        {
            var finding = rules.Check(space.ToTrialSections(t.Params).RewardScales.ToDictionary(kv => kv.Key, kv => ParamValues.AsDouble(kv.Value)!.Value));
            Assert.Equal(finding.Passed, row.GetProperty("passed").GetBoolean());
            Assert.Equal(finding.Message, row.GetProperty("message").GetString());
        }
        Assert.Equal(JsonValueKind.False, (await Api.Get(http, "/api/studies/demo/audit")).GetProperty("available").ValueKind);

        var flags = (await Api.Get(http, "/api/studies/audited/trials")).EnumerateArray().Select(r => r.GetProperty("flags")).ToList();
        Assert.Equal(RewardHackingFlag.LazyRobot, Assert.Single(flags[0].EnumerateArray()).GetProperty("kind").GetString());
        Assert.Empty(flags[1].EnumerateArray());
    }

    [Theory]
    [InlineData("../rltune.db", "leads outside the study directory")]
    [InlineData("trials/../../rltune.db", "leads outside the study directory")]
    [InlineData("/etc/passwd", "is not a relative path")]
    [InlineData("trials/trial_0000/leak.txt", "leads outside the study directory")]
    [InlineData("trials/trial_0000/outdir/secret.txt", "leads outside the study directory")]
    [InlineData("", "expected a file's path relative to the study directory")]
    public async Task NoPathEscapesTheStudyDirectory(string path, string message)
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var (status, error) = await Api.FailsGet(http, "/api/studies/demo/files?path=" + Uri.EscapeDataString(path));
        Assert.Equal(400, status);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task LinksLeadingOutAreNotListedAndAStudyNameCannotWalkOut()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var files = (await Api.Get(http, "/api/studies/demo/trials/0")).GetProperty("files").EnumerateArray().Select(x => x.GetProperty("path").GetString()!).ToList();
        Assert.Contains("trials/trial_0000/summary.yaml", files);
        Assert.DoesNotContain(files, p => p.Contains("leak") || p.Contains("outdir") || p.Contains("secret"));
        var (status, error) = await Api.FailsGet(http, "/api/studies/..%2F..%2Fetc/files?path=passwd");
        Assert.Equal(404, status);
        Assert.Contains("its studies are audited, demo", error);
        (status, _) = await Api.FailsGet(http, "/api/studies/demo/files?path=trials/trial_0000/missing.txt");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task UnknownStudiesAndEndpointsAreOneSentence404s()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var (status, error) = await Api.FailsGet(http, "/api/studies/nav/trials");
        Assert.Equal(404, status);
        Assert.Equal("there is no study 'nav' in this store; its studies are audited, demo.", error);
        (status, error) = await Api.FailsGet(http, "/api/nothing");
        Assert.Equal(404, status);
        Assert.Contains("docs/dashboard.md", error);
    }

    [Fact]
    public async Task WithATokenEveryRequestNeedsIt()
    {
        const string token = "s3cret-dashboard-token";
        await using var server = await f.Start(token: token);
        using var bare = Api.Client(server);
        foreach (var path in new[] { "/api/studies", "/", "/assets/dashboard.js", "/api/studies/demo/files?path=trials/trial_0000/summary.yaml" })
        {
            var (status, error) = await Api.FailsGet(bare, path);
            Assert.Equal(401, status);
            Assert.Contains("needs its token", error);
        }
        Assert.Equal(401, (await Api.FailsGet(bare, "/api/studies?token=wrong-token-here")).Status);
        using var withHeader = new HttpRequestMessage(HttpMethod.Get, "/api/studies");
        withHeader.Headers.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await bare.SendAsync(withHeader)).StatusCode);
        // the address printed at start sets a cookie, so the page's own requests need no token in their URLs
        var cookies = new HttpClientHandler { CookieContainer = new CookieContainer() };
        using var browser = Api.Client(server, cookies);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(server.OpenUrl("api/studies"))).StatusCode);
        Assert.Equal(2, (await Api.Get(browser, "/api/studies")).GetArrayLength());
    }

    [Fact]
    public async Task BeyondLoopbackATokenIsGeneratedAndRequired()
    {
        var options = new DashboardOptions { Output = f.Output, Host = "0.0.0.0", Port = 0 }.Checked();
        Assert.NotNull(options.Token);
        Assert.True(options.Token!.Length >= 40);
        Assert.NotEqual(options.Token, new DashboardOptions { Output = f.Output, Host = "0.0.0.0" }.Checked().Token);
        await using var server = await DashboardServer.StartAsync(options);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Url.Port}/") };
        Assert.Equal(401, (await Api.FailsGet(http, "/api/studies")).Status);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/studies?token={options.Token}")).StatusCode);
    }

    [Fact]
    public async Task OnLoopbackAnotherHostNameIsRefused()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        using var rebinding = new HttpRequestMessage(HttpMethod.Get, "/api/studies");
        rebinding.Headers.Host = "attacker.example";
        var (status, error) = await Api.Fails(http, rebinding);
        Assert.Equal(400, status);
        Assert.Contains("is not this machine", error);
    }

    [Theory]
    [InlineData("/api/studies/demo/stop")]
    [InlineData("/api/studies/demo/enqueue")]
    [InlineData("/api/studies/demo/trials/0/rerun")]
    public async Task ReadOnlyByDefault(string action)
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        var (status, error) = await Api.Fails(http, Api.Post(action, new { @params = new { x = 0.5 } }));
        Assert.Equal(403, status);
        Assert.Contains("--allow-actions", error);
    }

    [Fact]
    public async Task PagesAndTheVendoredChartLibraryAreServedFromTheAssemblyOnly()
    {
        await using var server = await f.Start();
        using var http = Api.Client(server);
        foreach (var page in new[] { "/", "/studies/demo", "/studies/demo/trials/2" })
        {
            using var r = await http.GetAsync(page);
            Assert.Equal("text/html", r.Content.Headers.ContentType!.MediaType);
            Assert.Contains("/assets/vendor/chart.js/chart.umd.min.js", await r.Content.ReadAsStringAsync());
        }
        using var chartJs = await http.GetAsync("/assets/vendor/chart.js/chart.umd.min.js");
        Assert.Equal("text/javascript", chartJs.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("/*!\n * Chart.js v4.6.1", await chartJs.Content.ReadAsStringAsync());
        foreach (var missing in new[] { "/assets/vendor/chart.js/ORIGIN.md", "/assets/..%2F..%2Frltune.db", "/assets/dashboard.js.map" })
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(missing)).StatusCode);
    }

    [Fact]
    public void BadFlagsAreOneSentenceNamingTheFlag()
    {
        Assert.Contains("--port", Assert.Throws<UserError>(() => new DashboardOptions { Output = f.Output, Port = 70000 }.Checked()).Message);
        Assert.Contains("--host", Assert.Throws<UserError>(() => new DashboardOptions { Output = f.Output, Host = "http://x/" }.Checked()).Message);
        Assert.Contains("--token", Assert.Throws<UserError>(() => new DashboardOptions { Output = f.Output, Token = "short" }.Checked()).Message);
    }
}
