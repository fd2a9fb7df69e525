using System.Diagnostics;
using RlTune.Storage;
using RlTune.Tests.Cli;

namespace RlTune.Tests.Dashboard;

/// <summary>The real <c>rltune dashboard</c> program: it serves what it prints, stops on SIGTERM, and names the flag of a mistake.</summary>
public sealed class DashboardCliTests(DashboardFixture f) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task ItPrintsAnAddressThatServesTheStudy()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "rltune.dll"), "dashboard", "--output", f.Output, "--study", "demo", "--port", "0" }) psi.ArgumentList.Add(a);
        psi.Environment.Remove(StoreFactory.EnvironmentVariable);
        using var p = Process.Start(psi)!;
        try
        {
            var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("rltune dashboard: http://127.0.0.1:", line);
            using var http = new HttpClient();
            var page = new Uri(line!["rltune dashboard: ".Length..]);
            Assert.Equal("/studies/demo", page.AbsolutePath);
            Assert.Contains("dashboard.js", await http.GetStringAsync(page));
            Assert.Contains("\"name\":\"demo\"", await http.GetStringAsync(new Uri(page, "/api/studies/demo")));
        }
        finally
        {
            // SIGTERM ends it cleanly (exit 0), as Ctrl+C does
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            Assert.True(p.WaitForExit(30_000), "rltune dashboard did not stop on SIGTERM");
        }
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void MistakesAreOneSentenceNamingTheFlag()
    {
        var r = RltuneProcess.Run("dashboard", "--output", Path.Combine(f.Harness.Root, "nowhere"));
        Assert.Equal(1, r.Code);
        Assert.Contains("--output: there is no study store in", r.Err);
        r = RltuneProcess.Run("dashboard", "--output", f.Output, "--study", "nope", "--port", "0");
        Assert.Equal(1, r.Code);
        Assert.Contains("--study: there is no study 'nope'", r.Err);
        r = RltuneProcess.Run("dashboard", "--output", f.Output, "--port", "99999");
        Assert.Equal(1, r.Code);
        Assert.Contains("--port: 99999 is not a TCP port", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }
}
