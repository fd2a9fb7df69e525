using System.Text.Json;
using RlTune.Analysis;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Tests.Cli;
using RlTune.Trials;

namespace RlTune.Tests.Analysis;

/// <summary>The analysis commands run as the real `rltune` program against a real SQLite store.</summary>
public sealed class AnalysisCommandsTests : IDisposable
{
    // RLTUNE_KEEP_REPORT=DIR keeps the study and its outputs for a person to look at.
    private static readonly string? Keep = Environment.GetEnvironmentVariable("RLTUNE_KEEP_REPORT");
    private readonly string _root = Keep is { Length: > 0 } ? Directory.CreateDirectory(Path.Combine(Keep, "cli-" + Guid.NewGuid().ToString("N")[..8])).FullName : Directory.CreateTempSubdirectory("rltune-cli-analysis-").FullName;
    private string Output => Path.Combine(_root, "runs");

    public void Dispose()
    {
        if (Keep is null) Directory.Delete(_root, true);
    }

    private const string SpaceYaml = """
        search_space_id: cli_test
        fixed:
          num_envs: 64
        ppo_params:
          learning_rate: { type: loguniform, low: 1.0e-5, high: 1.0e-3 }
          learning_epochs: { type: choice, values: [4, 5, 6, 8] }
          policy_hidden_layer_sizes: { type: categorical, choices: [[128, 64], [256, 128, 64]] }
        reward_weights:
          arrival_bonus: { type: uniform, low: 5.0, high: 25.0, category: navigation }
          orientation: { type: uniform, low: -0.3, high: -0.01, category: stability }
          termination: { type: choice, values: [-500, -200, -50], category: terminal }
        """;

    private void MakeStudy(string name, int trials, long stepsPerTrial = 20000, object? envOverrides = null)
    {
        Directory.CreateDirectory(Output);
        var spacePath = Path.Combine(_root, "space.yaml");
        File.WriteAllText(spacePath, SpaceYaml);
        using var store = new SqliteStudyStore(Path.Combine(Output, StoreFactory.DefaultFileName));
        var settings = JsonSerializer.Serialize(new { Space = spacePath, Env = "vbot-nav-lite", StepsPerTrial = stepsPerTrial, EnvOverrides = envOverrides ?? new { } });
        var study = store.CreateOrOpenStudy(name, "maximize", settings);
        foreach (var t in StudyReportTests.SyntheticStudy(Path.Combine(Output, name), trials, withEventFiles: false))
        {
            var added = store.AddTrial(study.Id, TrialState.Running, t.Params, 0, "sampler:random", null, "w1")!;
            foreach (var run in t.SeedRuns) store.AddSeedRun(study.Id, added.Number, run);
            store.FinishTrial(study.Id, added.Number, t.State, t.Metrics, t.Score, t.ScoreStd, t.Error);
        }
    }

    private static RltuneProcess.Result Run(params string[] args) => RltuneProcess.Run(args);

    private static RltuneProcess.Result RunIn(string? workingDirectory, params string[] args) => RltuneProcess.RunIn(workingDirectory, args);

    [Fact]
    public void AnalyzeExportCompareAndReportWorkOnAStoredStudy()
    {
        MakeStudy("demo", 30);

        var analyze = Run("analyze", "--output", Output, "--study", "demo", "--top", "3");
        Assert.True(analyze.Code == 0, analyze.Err);
        Assert.Contains("learning_rate", analyze.Out);
        var yaml = File.ReadAllText(Path.Combine(Output, "demo", ImportanceYaml.RelativePath));
        Assert.Contains("top_3_configs:", yaml);
        Assert.Contains("- parameter: learning_rate", yaml);

        var json = Run("analyze", "--output", Output, "--json");
        Assert.True(json.Code == 0, json.Err);
        var parsed = JsonDocument.Parse(json.Out).RootElement;
        var bestTrial = parsed.GetProperty("top_configs")[0].GetProperty("trial").GetInt32();

        // export-best: JSON and YAML load back to the same train-ready config
        var bestJson = Path.Combine(_root, "best.json");
        var export = Run("export-best", "--output", Output, "--out", bestJson);
        Assert.True(export.Code == 0, export.Err);
        var config = TrialConfig.Load(bestJson);
        Assert.Equal("vbot-nav-lite", config.EnvName);
        Assert.Equal(["arrival_bonus", "orientation", "termination"], config.RewardScales.Keys.Order());
        Assert.Equal(20000, config.MaxEnvSteps);
        Assert.Equal(0, config.Seed);
        Assert.Equal(64L, config.RlOverrides["num_envs"]);
        Assert.True(config.RlOverrides.ContainsKey("learning_rate"));
        var (fromJson, measured) = BestConfigExport.Load(bestJson);
        Assert.Equal(bestTrial, measured!.Trial);
        Assert.Equal(2, measured.Seeds.Count);
        var bestYaml = Path.Combine(_root, "best.yaml");
        var jsonText = File.ReadAllText(bestJson);
        Assert.Equal(0, Run("export-best", "--output", Output, "--out", bestYaml).Code);
        Assert.Equal(jsonText, File.ReadAllText(bestJson)); // the YAML's JSON twin, the same document
        var (fromYaml, measuredYaml) = BestConfigExport.Load(bestYaml);
        Assert.Equal(fromJson.ToJson(), fromYaml.ToJson());
        Assert.Equal(measured.ToJson().ToJsonString(), measuredYaml!.ToJson().ToJsonString());

        var compare = Run("compare", "--output", Output, "1", "trial_0002", bestJson);
        Assert.True(compare.Code == 0, compare.Err);
        Assert.Contains("demo:1", compare.Out);
        Assert.Contains("best.json", compare.Out);
        Assert.Contains("No significance test", compare.Out); // two seeds a side

        var report = Run("report", "--output", Output, "--study", "demo");
        Assert.True(report.Code == 0, report.Err);
        Assert.True(File.Exists(Path.Combine(Output, "demo", StudyReport.HtmlName)));
    }

    [Fact]
    public void RegenerateAtStudyEndReadsTheStoredSettings()
    {
        MakeStudy("done", 12);
        using var store = new SqliteStudyStore(Path.Combine(Output, StoreFactory.DefaultFileName));
        var record = store.FindStudy("done")!;
        var context = StudyContext.Load(store, record, Output);
        Assert.Equal("cli_test", context.Space!.Id);
        Assert.Equal(20000, context.StepsPerTrial);
        Assert.Equal(1000, context.EpisodeLimit);
        // a study whose episodes were shortened by its env_overrides is judged against its own limit
        MakeStudy("short", 4, envOverrides: new { max_episode_steps = 400, spawn_ring = new[] { 2, 5 } });
        Assert.Equal(400, StudyContext.Load(store, store.FindStudy("short")!, Output).EpisodeLimit);
        var report = StudyContext.Regenerate(store, record, Output);
        Assert.Null(report.Message);
        Assert.Equal(Path.Combine(Output, "done", StudyReport.HtmlName), report.HtmlPath);
        Assert.True(report.Analysis.Metric.Descending); // the study maximizes
    }

    [Fact]
    public void ExportedBestTrainsWithTrainOne()
    {
        MakeStudy("small", 8, stepsPerTrial: 2048);
        // the config trial 0 ran with, as the runner leaves it in configs/: export-best must start from it
        var ran = new TrialConfig
        {
            RunTag = "small_0", EnvName = "vbot-nav-lite", Study = "small", Trial = 0, RunDir = Path.Combine(Output, "small", "trials", "trial_0000", "seed_0"),
            RewardScales = new Dictionary<string, double> { ["arrival_bonus"] = 12.5 },
            RlOverrides = new Dictionary<string, object> { ["learning_rate"] = 3e-4, ["num_envs"] = 16L, ["rollouts"] = 16L, ["mini_batches"] = 4L, ["max_env_steps"] = 512L, ["seed"] = 0L },
            EnvOverrides = new System.Text.Json.Nodes.JsonObject { ["max_episode_steps"] = 40 },
        };
        Directory.CreateDirectory(Path.Combine(Output, "small", "configs"));
        ran.Save(Path.Combine(Output, "small", "configs", "trial_0000_seed_0.json"));
        // asked for YAML, export-best also writes the JSON trainers read and names the command to train it
        var export = Run("export-best", "--output", Output, "--study", "small", "--trial", "0", "--out", Path.Combine(_root, "best.yaml"));
        Assert.True(export.Code == 0, export.Err);
        Assert.Contains("from the config it ran with", export.Out);
        var best = Path.Combine(_root, "best.json");
        Assert.Contains($"train it: rltune train-one --config {best}", export.Out);
        Assert.StartsWith("# small trial 0, exported by rltune export-best.", File.ReadAllText(Path.Combine(_root, "best.yaml")));
        Assert.Equal(BestConfigExport.Load(best).Config.ToJson(), BestConfigExport.Load(Path.Combine(_root, "best.yaml")).Config.ToJson());
        var exported = TrialConfig.Load(best);
        Assert.Null(exported.RunDir);
        Assert.Equal(40, exported.EnvOverrides["max_episode_steps"]!.GetValue<int>());
        Assert.Equal(12.5, exported.RewardScales["arrival_bonus"]);

        var train = RunIn(_root, "train-one", "--config", best, "--threads", "1", "--env-threads", "1", "--eval-episodes", "8");
        Assert.True(train.Code == 0, train.Out + train.Err);
        var runDir = train.Out.Split('\n').Single(l => l.StartsWith("PIPELINE_RUN_DIR=", StringComparison.Ordinal))["PIPELINE_RUN_DIR=".Length..].Trim();
        Assert.StartsWith(Path.Combine(_root, "runs", "small_best_trial_"), runDir);
        Assert.True(File.Exists(Path.Combine(runDir, "metrics.json")));
        var metrics = MetricsReader.Read(runDir)!;
        Assert.True(metrics.Values.ContainsKey("episode_reward_mean"));
    }

    [Fact]
    public void AnalyzeByAnUnknownMetricListsTheMetricsAndAnotherMetricLeavesTheReportsRankingAlone()
    {
        MakeStudy("m", 12);
        Assert.Equal(0, Run("analyze", "--output", Output, "--study", "m").Code);
        var reportFile = Path.Combine(Output, "m", "analysis", "hyperparameter_importance.yaml");
        var byScore = File.ReadAllText(reportFile);

        var unknown = Run("analyze", "--output", Output, "--study", "m", "--metric", "no_such_metric");
        Assert.Equal(1, unknown.Code);
        Assert.Single(unknown.Err.Trim().Split('\n'));
        Assert.Contains("--metric: no trial of study m has a metric 'no_such_metric'; they have score, ", unknown.Err);
        Assert.Contains("success_rate", unknown.Err);
        Assert.Equal(byScore, File.ReadAllText(reportFile));

        var bySuccess = Run("analyze", "--output", Output, "--study", "m", "--metric", "success_rate");
        Assert.True(bySuccess.Code == 0, bySuccess.Err);
        Assert.Equal(byScore, File.ReadAllText(reportFile));
        Assert.Contains("metric: success_rate", File.ReadAllText(Path.Combine(Output, "m", "analysis", "hyperparameter_importance.success_rate.yaml")));
    }

    [Fact]
    public void EmptyStudyAndBadInputGiveOneClearSentence()
    {
        MakeStudy("empty", 0);
        var report = Run("report", "--output", Output, "--study", "empty");
        Assert.Equal(0, report.Code);
        Assert.Contains("has no trials yet", report.Out);

        var export = Run("export-best", "--output", Output, "--study", "empty", "--out", Path.Combine(_root, "x.json"));
        Assert.Equal(1, export.Code);
        Assert.Equal("rltune: --study: study 'empty' has no complete trial with 'score' yet, so there is no best configuration to export.", export.Err.Trim());

        var missing = Run("analyze", "--output", Output, "--study", "nope");
        Assert.Equal(1, missing.Code);
        Assert.Contains("there is no study 'nope'", missing.Err);

        var badSort = Run("analyze", "--output", Output, "--study", "empty", "--sort", "sideways");
        Assert.Equal(1, badSort.Code);
        Assert.Contains("--sort: 'sideways' is not a sort order", badSort.Err);

        var noStore = Run("analyze", "--output", Path.Combine(_root, "elsewhere"));
        Assert.Equal(1, noStore.Code);
        Assert.Contains("there is no study store", noStore.Err);
    }
}
