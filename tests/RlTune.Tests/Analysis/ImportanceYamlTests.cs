using RlTune.Analysis;
using RlTune.Trials;
using YamlDotNet.RepresentationModel;

namespace RlTune.Tests.Analysis;

public class ImportanceYamlTests
{
    // Only x varies, so it carries all the importance and the output is exactly predictable.
    private static List<TrialRecord> Trials() =>
    [
        .. Enumerable.Range(0, 6).Select(i => new TrialRecord
        {
            StudyId = 1,
            Number = i,
            State = TrialState.Complete,
            Params = new Dictionary<string, object> { ["x"] = i * 0.5, ["arch"] = new List<object> { 256L, 128L }, ["termination"] = -200.0 },
            Score = i * 0.5,
        }),
        new TrialRecord { StudyId = 1, Number = 6, State = TrialState.Failed, Params = new Dictionary<string, object> { ["x"] = 9.0 } },
        new TrialRecord { StudyId = 1, Number = 7, State = TrialState.Pruned, Params = new Dictionary<string, object> { ["x"] = 8.0 }, Score = 100 },
    ];

    [Fact]
    public void YamlHasTheSeedShapeExactly()
    {
        var result = StudyAnalysis.Analyze("demo", Trials(), new MetricChoice("score", true), null, top: 2);
        var yaml = ImportanceYaml.ToYaml(result, 2);
        Assert.Equal("""
            study: demo
            metric: score
            sort: descending
            n_trials: 8
            n_complete: 6
            n_pruned: 1
            n_failed: 1
            importance_method: fanova
            importance_ranking:
            - parameter: x
              importance: 1.0
              best_value: 2.5
            - parameter: arch
              importance: 0.0
              best_value: [256, 128]
            - parameter: termination
              importance: 0.0
              best_value: -200.0
            top_2_configs:
            - config_id: trial_0005
              x: 2.5
              arch: [256, 128]
              termination: -200.0
              score: 2.5
            - config_id: trial_0004
              x: 2.0
              arch: [256, 128]
              termination: -200.0
              score: 2.0

            """.ReplaceLineEndings("\n"), yaml.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void DefaultTopFiveKeyAndTypesReadBack()
    {
        var result = StudyAnalysis.Analyze("demo", Trials(), new MetricChoice("score", false), null);
        var stream = new YamlStream();
        stream.Load(new StringReader(ImportanceYaml.ToYaml(result, 5)));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var top = (YamlSequenceNode)root["top_5_configs"];
        Assert.Equal(5, top.Children.Count);
        Assert.Equal("trial_0000", ((YamlScalarNode)((YamlMappingNode)top[0])["config_id"]).Value);
        Assert.Equal("ascending", ((YamlScalarNode)root["sort"]).Value);
        var ranking = (YamlSequenceNode)root["importance_ranking"];
        Assert.Equal(["parameter", "importance", "best_value"], ((YamlMappingNode)ranking[0]).Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void EmptyStudyWritesANoteAndEmptyLists()
    {
        var result = StudyAnalysis.Analyze("empty", [], new MetricChoice("score", true), null);
        var yaml = ImportanceYaml.ToYaml(result, 5);
        Assert.Contains("importance_note: importance needs at least 3 complete trials with 'score' (this study has 0)", yaml);
        Assert.Contains("importance_ranking: []", yaml);
        Assert.Contains("top_5_configs: []", yaml);
    }
}
