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
        Assert.Equal(9, MetricsReader.TailMean(eleven)); // ceil(2.2) = 3 entries: 8, 9, 10
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
}
