using System.Diagnostics;
using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using RlTune.Dashboard;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Tests.Automl;
using Xunit.Abstractions;

namespace RlTune.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless browser (Debian's chromium through its chromedriver, driven by
/// Selenium): a study with the fake trainer's learning curves runs while the page is open; its
/// trials appear without a reload, the table sorts and filters, a trial's page opens, and every
/// chart holds data points. Screenshots are kept under the test output's artifacts/dashboard/.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper log) : IDisposable
{
    private readonly AutomlHarness _h = new();

    /// <summary>Where the screenshots go: RLTUNE_TEST_ARTIFACTS, else artifacts/dashboard beside the test assembly.</summary>
    public static string ArtifactsDir()
    {
        var dir = Environment.GetEnvironmentVariable("RLTUNE_TEST_ARTIFACTS") is { Length: > 0 } d ? Path.Combine(d, "dashboard") : Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public async Task TrialsAppearLiveSortOpenAndEveryChartHasData()
    {
        const int trials = 6;
        // the browser first (its start is the slow part), so the page opens while the study runs
        using var driver = Browser();
        var run = AutomlHarness.Run(_h.Settings("curve@1", "live") with { HpTrials = trials, Parallel = 2 });
        var store = Path.Combine(_h.Output, StoreFactory.DefaultFileName);
        await Until(() => File.Exists(store) && _h.Read("live").Trials.Count > 0, "the study to start");

        await using var server = await DashboardServer.StartAsync(new DashboardOptions { Output = _h.Output, Port = 0 }.Checked());
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        var loadClock = Stopwatch.StartNew();
        driver.Navigate().GoToUrl(new Uri(server.Url, "studies/live"));
        wait.Until(d => d.FindElements(By.CssSelector("#trials tbody tr[data-trial]")).Count > 0);
        log.WriteLine($"study page: first trial rows drawn {loadClock.ElapsedMilliseconds} ms after navigation");
        Js(driver, "window.__notReloaded = true;");

        // while the study runs: each trial's row turning complete, timed against the store's end time
        var seenRunning = new HashSet<int>();
        var seenComplete = new HashSet<int>();
        var runningShot = false;
        while (!run.IsCompleted || seenComplete.Count < trials)
        {
            foreach (var (n, state) in Rows(driver))
                (state == "complete" ? seenComplete : state == "running" ? seenRunning : []).Add(n);
            // the moment worth a picture: trials done and others learning
            if (!runningShot && seenComplete.Count >= 2 && (long)Js(driver, "return (Chart.getChart('chart-curves')?.data.datasets.filter(x => x.running && x.data.length > 2).length) ?? 0") > 0)
            {
                Screenshot(driver, "dashboard-study-running.png");
                runningShot = true;
            }
            Assert.True(loadClock.Elapsed < TimeSpan.FromSeconds(120), $"the page showed {seenComplete.Count} of {trials} trials complete after 120 s");
            await Task.Delay(100);
        }
        await run;
        // trials the page drew running and later complete, all on one page load: it follows the study live
        Assert.True(seenRunning.Intersect(seenComplete).Count() >= 2, $"the page drew trials {string.Join(", ", seenRunning)} running and {string.Join(", ", seenComplete)} complete");
        if (!runningShot) log.WriteLine("no moment with two trials complete and a running trial's curve drawn was caught, so there is no dashboard-study-running.png");
        Assert.Equal(true, Js(driver, "return window.__notReloaded === true"));
        var stored = _h.Read("live").Trials;
        // the page marks (User Timing) the moment it first draws each trial complete; the store has the moment it ended (one clock: same machine)
        var drawn = ((IReadOnlyCollection<object>)Js(driver, "return performance.getEntriesByType('mark').filter(m => m.name.endsWith('-complete')).map(m => m.name + ' ' + (performance.timeOrigin + m.startTime))"))
            .Select(o => ((string)o).Split(' ')).ToDictionary(p => int.Parse(p[0].Split('-')[1], CultureInfo.InvariantCulture), p => double.Parse(p[1], CultureInfo.InvariantCulture));
        var lags = stored.Select(t => (drawn[t.Number] - t.EndedAt!.Value.ToUnixTimeMilliseconds()) / 1000.0).Order().ToList();
        log.WriteLine($"update latency, trial ended in the store -> drawn complete on the page (polling every 1 s): median {lags[lags.Count / 2]:F2} s, " +
                      $"max {lags[^1]:F2} s over {lags.Count} trials; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

        // sort by score, both ways; filter by state
        driver.FindElement(By.CssSelector("#trials th[data-sort='score']")).Click();
        Assert.Equal(stored.OrderBy(t => t.Score).Select(t => t.Number), Rows(driver).Select(r => r.Number));
        driver.FindElement(By.CssSelector("#trials th[data-sort='score']")).Click();
        Assert.Equal(stored.OrderByDescending(t => t.Score).Select(t => t.Number), Rows(driver).Select(r => r.Number));
        new SelectElement(driver.FindElement(By.Id("state-filter"))).SelectByText("failed");
        Assert.Empty(Rows(driver));
        new SelectElement(driver.FindElement(By.Id("state-filter"))).SelectByText("complete");
        Assert.Equal(trials, Rows(driver).Count);

        // every chart of the study page holds data points
        foreach (var id in new[] { "chart-history", "chart-curves", "chart-importance", "chart-importance-category", "chart-parallel", "chart-slice-0" })
            wait.Until(d => Points(d, id) > 0);
        Assert.Equal(trials * 10, Points(driver, "chart-curves")); // 10 PROGRESS lines per trial
        Screenshot(driver, "dashboard-study.png");

        // open the best trial from its row
        var best = stored.MinBy(t => t.Score)!;
        wait.Until(d => d.FindElement(By.CssSelector($"#trials tr[data-trial='{best.Number}'] a")).Text == best.Number.ToString(CultureInfo.InvariantCulture));
        driver.FindElement(By.CssSelector($"#trials tr[data-trial='{best.Number}'] a")).Click();
        wait.Until(d => d.Url.EndsWith($"/studies/live/trials/{best.Number}", StringComparison.Ordinal));
        wait.Until(d => d.FindElement(By.Id("trial-config")).Text.Contains($"\"run_tag\": \"live_trial_{best.Number:D4}_seed_0\"", StringComparison.Ordinal));
        wait.Until(d => Points(d, "chart-trial-curves") == 10);
        Assert.Contains($"trials/trial_{best.Number:D4}/seed_0/metrics.json", ((IReadOnlyCollection<object>)Js(driver, "return [...document.querySelectorAll('#trial-files a')].map(a => a.textContent)")).Cast<string>());
        Screenshot(driver, "dashboard-trial.png");

        // a study on the built-in env's reward terms: the audit chart per trial, and trial 0's lazy-robot flag in the table
        DashboardFixture.WriteAuditedStudy(_h.Output);
        driver.Navigate().GoToUrl(new Uri(server.Url, "studies/audited"));
        wait.Until(d => Points(d, "chart-audit") == 4); // two trials, two bars each
        wait.Until(d => d.FindElements(By.CssSelector("#trials tr[data-trial='0'] .flag")).Count == 1);
        Assert.StartsWith(RlTune.Study.RewardHackingFlag.LazyRobot, driver.FindElement(By.CssSelector("#trials tr[data-trial='0'] .flag")).Text);
        Screenshot(driver, "dashboard-audit.png");

        driver.Navigate().GoToUrl(server.Url);
        wait.Until(d => d.FindElements(By.CssSelector("#studies tr[data-study='live']")).Count == 1);
        Assert.Contains($"{trials} / {trials}", driver.FindElement(By.CssSelector("#studies tr[data-study='live']")).Text);
        Assert.Equal(2, driver.FindElements(By.CssSelector("#studies tr[data-study]")).Count);
        Screenshot(driver, "dashboard-studies.png");
    }

    private static ChromeDriver Browser()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(OnPath("chromedriver"))!, "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = OnPath("chromium") };
        // a tall window, so one screenshot shows the whole study page
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1600,2300", "--hide-scrollbars", "--lang=en-US");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(120));
    }

    // scripts/install-deps installs Debian's chromium and chromium-driver; the test finds them on PATH
    private static string OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not on PATH; scripts/install-deps installs it (Debian's chromium and chromium-driver).");

    private static object Js(IWebDriver d, string script) => ((IJavaScriptExecutor)d).ExecuteScript(script)!;

    private static List<(int Number, string State)> Rows(IWebDriver d) =>
        ((IReadOnlyCollection<object>)Js(d, "return [...document.querySelectorAll('#trials tbody tr[data-trial]')].map(r => r.dataset.trial + ' ' + r.dataset.state)"))
        .Select(o => ((string)o).Split(' ')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), p[1])).ToList();

    private static long Points(IWebDriver d, string canvas) =>
        Convert.ToInt64(Js(d, $"const c = Chart.getChart('{canvas}'); return c ? c.data.datasets.reduce((n, s) => n + s.data.length, 0) : 0;"), CultureInfo.InvariantCulture);

    private void Screenshot(IWebDriver d, string name)
    {
        var path = Path.Combine(ArtifactsDir(), name);
        ((ITakesScreenshot)d).GetScreenshot().SaveAsFile(path);
        log.WriteLine($"screenshot: {path}");
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 60 s for {what}");
            await Task.Delay(100);
        }
    }

    public void Dispose() => _h.Dispose();
}
