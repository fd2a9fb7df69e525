using RlTune.Dashboard;
using RlTune.Storage;
using RlTune.Tests.Storage;
using RlTune.Trials;

namespace RlTune.Tests.Dashboard;

/// <summary>The dashboard reads a PostgreSQL store as it reads SQLite: a study written by another connection (another machine's worker) shows live.</summary>
[Collection("postgres")]
public sealed class DashboardPostgresTests(PostgresServerFixture server)
{
    [Fact]
    public async Task AStudyInPostgresShowsWithItsTrialsAsTheyEnd()
    {
        var url = server.Cluster.CreateDatabase("dashboard_api");
        var output = Directory.CreateTempSubdirectory("rltune-dash-pg-").FullName;
        try
        {
            using var worker = StoreFactory.Open(url, output);
            var study = worker.CreateStudy("remote", "maximize", "{}")!;
            var running = worker.AddTrial(study.Id, TrialState.Running, new Dictionary<string, object> { ["x"] = 0.5 }, 0, "sampler:random", null, "other-machine")!;
            await using var dashboard = await DashboardServer.StartAsync(new DashboardOptions { Output = output, Storage = url, Port = 0 }.Checked());
            using var http = Api.Client(dashboard);
            var row = Assert.Single((await Api.Get(http, "/api/studies")).EnumerateArray());
            Assert.Equal("remote", row.GetProperty("name").GetString());
            Assert.Equal(1, row.GetProperty("running").GetInt32());
            Assert.Equal("other-machine", (await Api.Get(http, "/api/studies/remote/trials"))[0].GetProperty("worker").GetString());

            worker.FinishTrial(study.Id, running.Number, TrialState.Complete, new Dictionary<string, double> { ["value"] = 0.8 }, 0.8, null, null);
            var trial = (await Api.Get(http, "/api/studies/remote/trials"))[0];
            Assert.Equal("complete", trial.GetProperty("state").GetString());
            Assert.Equal(0.8, trial.GetProperty("score").GetDouble());
        }
        finally
        {
            Directory.Delete(output, true);
        }
    }
}
