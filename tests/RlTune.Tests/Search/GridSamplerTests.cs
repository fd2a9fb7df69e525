using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Tests.Search;

public class GridSamplerTests
{
    private static readonly SearchSpace Space = SearchSpace.Parse("""
        ppo_params:
          epochs: { type: choice, values: [4, 8] }
          net: { type: categorical, choices: ["small", "large", [256, 128]] }
        reward_weights:
          scale: { type: uniform, low: 0.0, high: 1.0 }
        constraints:
          - "epochs > 4 and scale > 0.9"
        """, "grid.yaml");

    private static TrialRecord Record(int n, Dictionary<string, object> p, TrialState state) =>
        // stored params come back through JSON, as from the store
        new() { StudyId = 1, Number = n, State = state, Params = ParamValues.FromJsonText(ParamValues.ToJsonText(p)) };

    [Fact]
    public void SizeAndOrderAreTheCartesianProductLastParameterFastest()
    {
        var grid = new GridSampler(gridPoints: 3);
        Assert.Equal(18, (int)grid.Size(Space));
        var points = grid.Points(Space).ToList();
        Assert.Equal(18, points.Count);
        Assert.Equal("{\"epochs\":4,\"net\":\"small\",\"scale\":0}", ParamValues.Canonical(points[0]));
        Assert.Equal("{\"epochs\":4,\"net\":\"small\",\"scale\":0.5}", ParamValues.Canonical(points[1]));
        Assert.Equal("{\"epochs\":4,\"net\":\"large\",\"scale\":0}", ParamValues.Canonical(points[3]));
        Assert.Equal("{\"epochs\":8,\"net\":[256,128],\"scale\":1}", ParamValues.Canonical(points[17]));
    }

    [Fact]
    public void LogKindsAreLogSpacedAndIntsEnumeratedWhenFew()
    {
        var s = SearchSpace.Parse("""
            ppo_params:
              lr: { type: loguniform, low: 1.0e-5, high: 1.0e-3 }
              torque: { type: loguniform, low: -1.0e-2, high: -1.0e-4 }
              epochs: { type: int, low: 3, high: 5 }
              wide: { type: int, low: 0, high: 100, step: 10 }
            """, "s.yaml");
        var grid = new GridSampler(gridPoints: 3);
        var lr = grid.Axis(s.Find("lr")!).Cast<double>().ToList();
        Assert.Equal(1e-5, lr[0], 12);
        Assert.Equal(1e-4, lr[1], 12);
        Assert.Equal(1e-3, lr[2], 12);
        var torque = grid.Axis(s.Find("torque")!).Cast<double>().ToList();
        Assert.Equal(-1e-2, torque[0], 12);
        Assert.Equal(-1e-3, torque[1], 12);
        Assert.Equal(-1e-4, torque[2], 12);
        Assert.Equal([3L, 4L, 5L], grid.Axis(s.Find("epochs")!).Cast<long>());
        Assert.Equal([0L, 50L, 100L], grid.Axis(s.Find("wide")!).Cast<long>());
    }

    [Fact]
    public void ConstraintsAreAppliedAndEveryPointRunsOnceAcrossAResume()
    {
        var history = new List<TrialRecord>();
        var seen = new HashSet<string>();
        // first session: 7 trials, the last two still running when it stops
        for (var n = 0; n < 7; n++)
        {
            var s = new GridSampler(3).Suggest(Space, history, new SamplerContext(0, n))!;
            Assert.True(seen.Add(s.UniqueKey!));
            history.Add(Record(n, s.Params, n < 5 ? TrialState.Complete : TrialState.Running));
        }
        // resume with a fresh sampler, the stored history given back
        for (var n = 7; ; n++)
        {
            var s = new GridSampler(3).Suggest(Space, history, new SamplerContext(0, n));
            if (s is null) break;
            Assert.True(Space.IsFeasible(s.Params));
            Assert.True(seen.Add(s.UniqueKey!), $"grid point {s.UniqueKey} proposed twice");
            history.Add(Record(n, s.Params, TrialState.Complete));
        }
        // 18 points minus the 3 with epochs 8 and scale 1.0
        Assert.Equal(15, seen.Count);
    }

    [Fact]
    public void RefusesAGridAboveTheCapWithItsSize()
    {
        var e = Assert.Throws<UserError>(() => new GridSampler(gridPoints: 3, maxPoints: 10).Suggest(Space, [], new SamplerContext(0, 0)));
        Assert.Contains("18 points (2 x 3 x 3)", e.Message);
        Assert.Contains("cap of 10", e.Message);
        Assert.NotNull(new GridSampler(gridPoints: 3, maxPoints: 18).Suggest(Space, [], new SamplerContext(0, 0)));
    }
}
