using RlTune.TensorBoard;
using RlTune.Trials;

namespace RlTune.Tests.Trials;

public sealed class MetricsReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rltune-metrics-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void MetricsJsonWinsOverTensorBoard()
    {
        using (var w = new EventFileWriter(_dir)) w.AddScalar("Reward / Total reward (mean)", 99, 1);
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), """{"episode_reward_mean": 3.5, "success_rate": 0.5, "note": "text is ignored", "nested": {"a": 1}}""");
        var m = MetricsReader.Read(_dir)!;
        Assert.Equal(3.5, m.Values["episode_reward_mean"]);
        Assert.Equal(0.5, m.Values["success_rate"]);
        Assert.False(m.Values.ContainsKey("note"));
        Assert.EndsWith("metrics.json", m.Source);
        Assert.Null(m.TrainerError);
    }

    [Fact]
    public void AMetricWrittenAsTextIsNamedAsNotANumber()
    {
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), """{"value": "high", "flag": true, "other": 1}""");
        var m = MetricsReader.Read(_dir)!;
        var why = new RlTune.Study.MetricObjective("value", RlTune.Search.ObjectiveDirection.Maximize).Score(m).Failure!;
        Assert.Equal($"metric 'value' in {m.Source} is \"high\", not a number; the trainer must write a number there (NaN or Infinity mark a diverged run)", why);
        Assert.StartsWith("metric 'flag' in ", m.DescribeMissing("flag"));
        Assert.StartsWith("no metric 'absent' in the trial's metrics", m.DescribeMissing("absent"));
    }

    [Fact]
    public void PythonNaNLiteralsAndTrainerErrorsAreRead()
    {
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), """{"a": NaN, "b": -Infinity, "c": 1, "error": "policy loss became NaN, at step 4"}""");
        var m = MetricsReader.Read(_dir)!;
        Assert.True(double.IsNaN(m.Values["a"]));
        Assert.Equal(double.NegativeInfinity, m.Values["b"]);
        Assert.Equal("policy loss became NaN, at step 4", m.TrainerError);
    }

    [Fact]
    public void TensorBoardFallbackMapsSkrlTagsAndAveragesTheLastFifthOfEntries()
    {
        var sub = Path.Combine(_dir, "skrl_experiment");
        using (var w = new EventFileWriter(sub))
        {
            for (var i = 0; i < 10; i++)
            {
                w.AddScalar("Reward / Total reward (mean)", i, i * 100);
                w.AddScalar("Episode / Total timesteps (mean)", 100 + i, i * 100);
                w.AddScalar("metrics / reached_fraction (mean)", i / 10.0, i * 100);
                w.AddScalar("metrics / fall (mean)", 0.5, i * 100);
                w.AddScalar("Reward Instant / arrival_bonus (mean)", 2, i * 100);
            }
            w.AddScalar("custom/thing", 7, 1);
        }
        var m = MetricsReader.Read(_dir)!;
        Assert.Equal("tensorboard", m.Source);
        Assert.Equal(8.5, m.Values["episode_reward_mean"]);          // mean of 8 and 9
        Assert.Equal(108.5, m.Values["episode_length_mean"]);
        Assert.Equal(0.85, m.Values["reached_fraction"], 6);
        Assert.Equal(0.85, m.Values["success_rate"], 6);             // alias for the score
        Assert.Equal(0.5, m.Values["termination_rate"]);             // fall -> termination_rate
        Assert.Equal(2, m.Values["reward_instant/arrival_bonus"]);
        Assert.Equal(7, m.Values["custom/thing"]);
    }

    [Fact]
    public void TailMeanOfFewEntriesUsesAtLeastOne()
    {
        Assert.Equal(3, MetricsReader.TailMean([new ScalarPoint(0, 0, 1), new ScalarPoint(1, 0, 3)]));
        var eleven = Enumerable.Range(0, 11).Select(i => new ScalarPoint(i, 0, i)).ToList();
        Assert.Equal(9.5, MetricsReader.TailMean(eleven)); // 11 / 5 = 2 entries, as MotrixLab's evaluate.py: 9, 10
    }

    [Fact]
    public void EmptyRunDirHasNoMetrics()
    {
        Assert.Null(MetricsReader.Read(_dir));
        Assert.Null(MetricsReader.Read(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void MalformedMetricsJsonIsAUserErrorNamingTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), "{oops");
        var e = Assert.Throws<UserError>(() => MetricsReader.Read(_dir));
        Assert.Contains("metrics.json: not valid JSON", e.Message);
    }

    /// <summary>A run as MotrixLab's PPO logs it: the termination term's per-step mean, and no rate.</summary>
    private void WriteMotrixLabRun(double weight, double fallShare, bool withFallRate = false)
    {
        using var w = new EventFileWriter(_dir);
        for (var i = 0; i < 10; i++)
        {
            // early entries fall more; the last fifth (2 of 10) sits at fallShare
            var fall = i < 8 ? 0.5 : fallShare;
            w.AddScalar("Reward / Total reward (mean)", 8, i * 100);
            w.AddScalar("metrics / reached_fraction (mean)", 0.5, i * 100);
            w.AddScalar(MetricsReader.TerminationRewardTag, weight * fall, i * 100);
            if (withFallRate) w.AddScalar("metrics / fall_rate (mean)", fall, i * 100);
        }
    }

    [Fact]
    public void TerminationRateIsDerivedFromTheTerminationTermAndTheRunsWeight()
    {
        WriteMotrixLabRun(weight: -150, fallShare: 0.04);
        var m = MetricsReader.Read(_dir, termination: new TerminationWeight(-150, "the trial's reward_scales.termination"))!;
        Assert.Equal(0.04, m.Values["termination_rate"], 6);
        Assert.Equal(-6, m.Values["reward_instant/termination"], 5);   // the raw term stays beside it
        Assert.StartsWith("derived as MotrixLab does: the mean of the last fifth of 'Reward Instant / termination (mean)' / termination weight -150 (the trial's reward_scales.termination)",
            m.Notes["termination_rate"]);
    }

    [Fact]
    public void WithoutAKnownWeightTheRateIsMissingAndTheScoreSaysWhy()
    {
        WriteMotrixLabRun(weight: -100, fallShare: 0.1);
        var m = MetricsReader.Read(_dir, termination: new TerminationWeight(null, "the trial sets no reward_scales.termination and env 'x' is not built in, so its default is unknown"))!;
        Assert.False(m.Values.ContainsKey("termination_rate"));   // not a silent 0
        var why = new RlTune.Study.NavigationScore().Score(m).Failure!;
        Assert.StartsWith("no metric 'termination_rate' in the trial's metrics ('Reward Instant / termination (mean)' was logged, but no termination weight is known to turn it into a rate: the trial sets no reward_scales.termination and env 'x' is not built in", why);
        Assert.Contains("the trainer wrote metrics episode_reward_mean, reached_fraction, reward_instant/termination, success_rate from TensorBoard tags 'Reward / Total reward (mean)', 'Reward Instant / termination (mean)', 'metrics / reached_fraction (mean)'", why);
        Assert.EndsWith("map one to it with --metric-map 'termination_rate=TAG_OR_KEY' (study YAML: metrics:)", why);
        Assert.DoesNotContain('\n', why);

        var zero = MetricsReader.Read(_dir, termination: new TerminationWeight(0, "the trial's reward_scales.termination"))!;
        Assert.Contains("the termination weight is 0 (the trial's reward_scales.termination), so it says nothing about terminations", zero.NotDerived["termination_rate"]);
    }

    [Fact]
    public void TheMetricMapReadsTagsAndKeysWithSignAndScaleAndWinsOverDerivation()
    {
        WriteMotrixLabRun(weight: -100, fallShare: 0.2, withFallRate: true);
        var map = new[]
        {
            MetricMapping.Parse("termination_rate=metrics / fall_rate (mean)", "--metric-map"),
            MetricMapping.Parse("cost=-Reward / Total reward (mean)", "--metric-map"),
            MetricMapping.Parse("per_hundred=-0.01*Reward Instant / termination (mean)", "--metric-map"),
            MetricMapping.Parse("reach=2*reached_fraction", "--metric-map"),           // a metric name the reader gives
        };
        var m = MetricsReader.Read(_dir, map, new TerminationWeight(-100, "w"))!;
        Assert.Equal(0.2, m.Values["termination_rate"], 6);
        Assert.Equal(-8, m.Values["cost"], 6);
        Assert.Equal(0.2, m.Values["per_hundred"], 6);
        Assert.Equal(1.0, m.Values["reach"], 6);
        Assert.Equal("mapped by --metric-map: termination_rate = 'metrics / fall_rate (mean)' (TensorBoard tag, mean of its last fifth)", m.Notes["termination_rate"]);
        Assert.Null(m.MapProblem);

        File.WriteAllText(Path.Combine(_dir, "metrics.json"), """{"falls": 0.3}""");
        var json = MetricsReader.Read(_dir, [MetricMapping.Parse("termination_rate=falls", "x"), MetricMapping.Parse("success_rate=metrics / reached_fraction (mean)", "x")])!;
        Assert.Equal(0.3, json.Values["termination_rate"]);
        Assert.Equal(0.5, json.Values["success_rate"], 6);   // a tag, read beside metrics.json

        var missing = MetricsReader.Read(_dir, [MetricMapping.Parse("termination_rate=metrics / nope (mean)", "x")])!;
        Assert.Equal("the metric map's source 'metrics / nope (mean)' (for termination_rate) is neither a metrics.json key nor a TensorBoard tag of the run", missing.MapProblem);
    }

    [Theory]
    [InlineData("termination_rate=metrics / fall_rate (mean)", "termination_rate", "metrics / fall_rate (mean)", 1.0)]
    [InlineData(" termination_rate = -Reward Instant / termination (mean) ", "termination_rate", "Reward Instant / termination (mean)", -1.0)]
    [InlineData("termination_rate=-0.01*Reward Instant / termination (mean)", "termination_rate", "Reward Instant / termination (mean)", -0.01)]
    [InlineData("x=1e-2 * a/b", "x", "a/b", 0.01)]
    public void MappingsParse(string text, string metric, string source, double scale) =>
        Assert.Equal(new MetricMapping(metric, source, scale), MetricMapping.Parse(text, "--metric-map"));

    [Theory]
    [InlineData("termination_rate", "is not a mapping; expected METRIC=SOURCE")]
    [InlineData("=tag", "is not a mapping")]
    [InlineData("rate=", "is not a mapping")]
    [InlineData("a b=tag", "is not a mapping")]
    [InlineData("rate=0*tag", "expected a finite number other than 0 before '*'")]
    public void BadMappingsAreOneSentenceNamingTheFlag(string text, string expected)
    {
        var e = Assert.Throws<UserError>(() => MetricMapping.Parse(text, "--metric-map"));
        Assert.StartsWith($"--metric-map: '{text}'", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
