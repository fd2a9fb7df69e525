using RlTune.Analysis;
using RlTune.Search;
using RlTune.Study;
using RlTune.TensorBoard;
using RlTune.Trials;

namespace RlTune.Tests.Analysis;

public class StudyReportTests
{
    private const string SpaceYaml = """
        search_space_id: report_test
        ppo_params:
          learning_rate: { type: loguniform, low: 1.0e-5, high: 1.0e-3 }
          learning_epochs: { type: choice, values: [4, 5, 6, 8] }
          policy_hidden_layer_sizes: { type: categorical, choices: [[128, 64], [256, 128, 64]] }
        reward_weights:
          arrival_bonus: { type: uniform, low: 5.0, high: 25.0, category: navigation }
          orientation: { type: uniform, low: -0.3, high: -0.01, category: stability }
          termination: { type: choice, values: [-500, -200, -50], category: terminal }
        """;

    /// <summary>A study whose score is known: log(lr) near -3.6 and a big arrival bonus help, the rest barely matters.</summary>
    internal static List<TrialRecord> SyntheticStudy(string root, int count, bool withEventFiles)
    {
        var rng = new Random(3);
        var trials = new List<TrialRecord>();
        for (var i = 0; i < count; i++)
        {
            var lr = Math.Pow(10, -5 + 2 * rng.NextDouble());
            var p = new Dictionary<string, object>
            {
                ["learning_rate"] = lr,
                ["learning_epochs"] = (long)new[] { 4, 5, 6, 8 }[rng.Next(4)],
                ["policy_hidden_layer_sizes"] = rng.Next(2) == 0 ? new List<object> { 128L, 64L } : new List<object> { 256L, 128L, 64L },
                ["arrival_bonus"] = 5 + 20 * rng.NextDouble(),
                ["orientation"] = -0.3 + 0.29 * rng.NextDouble(),
                ["termination"] = (long)new[] { -500, -200, -50 }[rng.Next(3)],
            };
            var score = Math.Exp(-Math.Pow((Math.Log10(lr) + 3.6) / 0.5, 2)) * 0.7 + 0.3 * ((double)p["arrival_bonus"] - 5) / 20;
            var state = i % 9 == 4 ? TrialState.Failed : i % 9 == 7 ? TrialState.Pruned : TrialState.Complete;
            var seeds = new List<SeedRun>();
            if (state != TrialState.Failed)
                for (var s = 0; s < 2; s++)
                {
                    var seedScore = score + 0.02 * (rng.NextDouble() - 0.5);
                    string? runDir = null;
                    if (withEventFiles)
                    {
                        runDir = Path.Combine(root, "trials", $"trial_{i:D4}", $"seed_{s}");
                        // trial 0 learns to farm shaping reward without arriving (a lazy robot)
                        var lazy = i == 0;
                        using var w = new EventFileWriter(runDir);
                        for (var k = 0; k < 30; k++)
                        {
                            var u = k / 29.0;
                            w.AddScalar("Reward / Total reward (mean)", -40 + 60 * seedScore * u + (lazy ? 30 * u : 0), k * 2048);
                            w.AddScalar("metrics / reached_fraction (mean)", lazy ? 0.05 : seedScore * u, k * 2048);
                            w.AddScalar("Episode / Total timesteps (mean)", lazy ? 995 : 1000 - 500 * seedScore * u, k * 2048);
                        }
                    }
                    seeds.Add(new SeedRun(s, new Dictionary<string, double> { ["success_rate"] = seedScore }, seedScore, runDir, null));
                }
            trials.Add(new TrialRecord
            {
                StudyId = 1,
                Number = i,
                State = state,
                Params = p,
                Score = state == TrialState.Failed ? null : state == TrialState.Pruned ? score * 0.5 : seeds.Average(s => s.Score),
                ScoreStd = state == TrialState.Complete ? Summary.Of(seeds.Select(s => s.Score!.Value).ToList()).Std : null,
                SeedRuns = seeds,
                Metrics = state == TrialState.Failed ? new Dictionary<string, double>() : new Dictionary<string, double> { ["success_rate"] = seeds.Average(s => s.Score!.Value) },
                Error = state == TrialState.Failed ? "trainer exited with code 1" : null,
            });
        }
        return trials;
    }

    private static string TempDir() =>
        Environment.GetEnvironmentVariable("RLTUNE_KEEP_REPORT") is { Length: > 0 } keep
            ? Directory.CreateDirectory(Path.Combine(keep, Guid.NewGuid().ToString("N")[..8])).FullName
            : Directory.CreateTempSubdirectory("rltune-report-").FullName;

    [Fact]
    public void ReportBuildsOnAStudyWithFailedAndPrunedTrials()
    {
        var dir = TempDir();
        try
        {
            var trials = SyntheticStudy(dir, 45, withEventFiles: true);
            var space = SearchSpace.Parse(SpaceYaml, "report_test.yaml");
            var output = StudyReport.Build(new ReportInputs
            {
                Study = "demo", Trials = trials, Metric = new MetricChoice("score", true), StudyDir = dir, Space = space, EpisodeLimit = 1000,
            });

            Assert.Null(output.Message);
            Assert.Equal(5, output.Analysis.FailedTrials);
            Assert.Equal(5, output.Analysis.PrunedTrials);
            Assert.Equal(["learning_rate", "arrival_bonus"], output.Analysis.Ranking.Take(2).Select(r => r.Parameter));
            Assert.Null(output.Analysis.ImportanceCaution); // 35 complete trials for 6 parameters, a clear leader
            var names = output.Pictures.Select(Path.GetFileName).ToList();
            foreach (var expected in new[] { "history.png", "importance.png", "slice_learning_rate.png", "parallel_coordinates.png", "learning_reward.png", "learning_reached.png" })
                Assert.Contains(expected, names);
            foreach (var png in output.Pictures)
                Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png).Take(4));

            var html = File.ReadAllText(output.HtmlPath);
            Assert.Equal(output.Pictures.Count, CountOf(html, "data:image/png;base64,"));
            Assert.DoesNotContain("src=\"analysis/", html); // self-contained
            var flag = Assert.Single(output.Flags);
            Assert.Equal(0, flag.TrialNumber);
            Assert.All(flag.Flags, f => Assert.Equal(RewardHackingFlag.LazyRobot, f.Flag.Kind));
            Assert.Contains("lazy_robot", File.ReadAllText(output.MarkdownPath));
            Assert.True(File.Exists(Path.Combine(dir, "analysis", "hyperparameter_importance.yaml")));
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("RLTUNE_KEEP_REPORT") is null) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ARankingFromFewerTrialsThanParametersCarriesACaution()
    {
        var trials = SyntheticStudy(Path.GetTempPath(), 4, withEventFiles: false); // 4 complete trials; no file is written
        var space = SearchSpace.Parse(SpaceYaml, "report_test.yaml");
        var analysis = StudyAnalysis.Analyze("few", trials, new MetricChoice("score", true), space);
        Assert.NotEmpty(analysis.Ranking);
        Assert.Matches(@"^this ranking is mostly noise \(4 trials for [56] varying parameters", analysis.ImportanceCaution);
    }

    [Fact]
    public void TheReportsLinkEachOtherAndTheLiveReport()
    {
        var dir = TempDir();
        try
        {
            var output = StudyReport.Build(new ReportInputs { Study = "linked", Trials = [], Metric = new MetricChoice("score", true), StudyDir = dir });
            var live = Path.Combine(dir, "report.md"); // where automl's projections keep the study's live status
            static List<string> Targets(string text, string pattern) =>
                System.Text.RegularExpressions.Regex.Matches(text, pattern).Select(m => m.Groups[1].Value).ToList();
            var fromMarkdown = Targets(File.ReadAllText(output.MarkdownPath), @"\]\(([^)]+)\)")
                .Select(t => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(output.MarkdownPath)!, t))).ToList();
            Assert.Equal([output.HtmlPath, live], fromMarkdown);
            var fromHtml = Targets(File.ReadAllText(output.HtmlPath), "href=\"([^\"]+)\"")
                .Select(t => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(output.HtmlPath)!, t))).ToList();
            Assert.Equal([live, output.MarkdownPath], fromHtml);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("RLTUNE_KEEP_REPORT") is null) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void EmptyStudyGivesAClearMessage()
    {
        var dir = TempDir();
        try
        {
            var output = StudyReport.Build(new ReportInputs { Study = "nothing", Trials = [], Metric = new MetricChoice("score", true), StudyDir = dir });
            Assert.Equal("Study 'nothing' has no trials yet, so there is nothing to analyse; run `rltune automl --study nothing` first.", output.Message);
            Assert.Empty(output.Pictures);
            Assert.Contains(output.Message!.Replace("'", "&#39;").Replace("`", "&#96;")[..20], File.ReadAllText(output.HtmlPath));
            Assert.Contains(output.Message, File.ReadAllText(output.MarkdownPath));
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("RLTUNE_KEEP_REPORT") is null) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void StudyWithOnlyFailedTrialsSaysSo()
    {
        var dir = TempDir();
        try
        {
            var trials = Enumerable.Range(0, 3).Select(i => new TrialRecord
            {
                StudyId = 1, Number = i, State = TrialState.Failed, Params = new Dictionary<string, object> { ["x"] = (double)i }, Error = "boom",
            }).ToList();
            var output = StudyReport.Build(new ReportInputs { Study = "bad", Trials = trials, Metric = new MetricChoice("score", true), StudyDir = dir });
            Assert.Contains("none completed", output.Message);
            Assert.Contains("3 failed", output.Message);
            Assert.Equal(["history.png"], output.Pictures.Select(Path.GetFileName));
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("RLTUNE_KEEP_REPORT") is null) Directory.Delete(dir, true);
        }
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
