using RlTune.Numerics;
using RlTune.Search;
using RlTune.Trials;

namespace RlTune.Tests.Search;

public class SpaceTransformTests
{
    private static readonly SearchSpace Space = SearchSpace.Parse("""
        search_space_id: every_kind
        ppo_params:
          lr: { type: loguniform, low: 1.0e-5, high: 1.0e-2 }
          penalty: { type: loguniform, low: -1.0, high: -0.001 }
          clip: { type: uniform, low: -2.0, high: 3.0 }
          epochs: { type: int, low: 1, high: 4 }
          batch: { type: int, low: 2, high: 512, log: true }
          steps: { type: int, low: 10, high: 100, step: 15 }
          mini_batches: { type: choice, values: [4, 5, 6, 8] }
          layers: { type: categorical, choices: [[128, 64], [256, 128], "wide"] }
        reward_weights:
          w: { type: uniform, low: 0.0, high: 1.0 }
        """, "every_kind.yaml");

    private static readonly TransformOptions[] Layouts =
    [
        new(),
        TransformOptions.GaussianProcess,
        new() { Choices = DiscreteLayout.Category },
        new() { Choices = DiscreteLayout.OneHot, Categoricals = DiscreteLayout.Ordinal, UnitScale = true },
    ];

    // every valid value of the discrete parameters, the ends and the middle of the floats
    private static IEnumerable<object> Values(ParamSpec p) => p.Kind switch
    {
        ParamKind.Int => Enumerable.Range(0, (int)p.DiscreteCount!.Value).Select(i => (object)((long)p.Low + i * p.Step)),
        ParamKind.Choice or ParamKind.Categorical => p.Values,
        ParamKind.LogUniform => [p.Low, p.High, Math.Sign(p.Low) * Math.Sqrt(p.Low * p.High)],
        _ => [p.Low, p.High, (p.Low + p.High) / 2],
    };

    [Fact]
    public void EveryValueComesBackFromItsColumnsInEveryLayout()
    {
        foreach (var options in Layouts)
        {
            var t = new SpaceTransform(Space, options);
            foreach (var a in t.Axes)
                foreach (var v in Values(a.Spec))
                {
                    var row = new double[t.Columns];
                    a.Encode(v, row);
                    var back = a.Decode(row);
                    if (v is double d) Assert.Equal(d, (double)back, 1e-12 * Math.Max(1, Math.Abs(d)));
                    else Assert.Equal(ParamValues.Canonical(v), ParamValues.Canonical(back));
                    for (var c = a.Offset; c < a.Offset + a.Width; c++)
                        Assert.InRange(row[c], a.IsNumeric ? a.ColumnLow : 0, a.IsNumeric ? a.ColumnHigh : Math.Max(1, a.High));
                }
        }
    }

    [Fact]
    public void TheGaussianProcessLayoutPutsTheEndValuesOnTheUnitCubeAndCategoriesOneHot()
    {
        var t = new SpaceTransform(Space, TransformOptions.GaussianProcess);
        Assert.Equal(Space.Params.Count + 2, t.Columns); // three layouts share one length scale
        Assert.Equal(new[] { 7, 7, 7 }, t.Groups.Where(g => g == 7));
        var low = t.Encode(Space.Params.ToDictionary(p => p.Name, p => p.IsIndexed ? p.Values[0] : p.Kind == ParamKind.Int ? (object)(long)p.Low : p.Low));
        var high = t.Encode(Space.Params.ToDictionary(p => p.Name, p => p.IsIndexed ? p.Values[^1] : p.Kind == ParamKind.Int ? (object)(long)p.High : p.High));
        foreach (var a in t.Axes.Where(a => a.IsNumeric))
        {
            // penalty is negative: its largest magnitude (the low end) is the top of the log axis
            var (lo, hi) = a.Spec.Name == "penalty" ? (1.0, 0.0) : (0.0, 1.0);
            Assert.Equal(lo, low[a.Offset], 12);
            Assert.Equal(hi, high[a.Offset], 12);
        }
        Assert.Equal(new[] { 1.0, 0, 0 }, low.Skip(7).Take(3));
        Assert.Equal(new[] { 0, 0, 1.0 }, high.Skip(7).Take(3));
    }

    [Fact]
    public void PaddedIntsGiveEachValueAnEqualShareOfUniformDraws()
    {
        var epochs = new ParamAxis(Space.Find("epochs")!, new TransformOptions());
        Assert.Equal((0.5, 4.5), (epochs.Low, epochs.High));
        var rng = new Rng(3);
        var counts = Enumerable.Range(0, 8000).Select(_ => (long)epochs.DrawValue(rng)).GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new[] { 1L, 2, 3, 4 }, counts.Keys.Order());
        Assert.All(counts.Values, n => Assert.InRange(n, 1800, 2200)); // without the padding the end values would get half a share
        var exact = new ParamAxis(Space.Find("epochs")!, new TransformOptions { PadDiscrete = false });
        Assert.Equal((1.0, 4.0), (exact.Low, exact.High));
    }

    [Fact]
    public void SnappingMovesDiscreteColumnsOntoTheValueTheyDecodeToAndLeavesFloats()
    {
        foreach (var options in Layouts)
        {
            var t = new SpaceTransform(Space, options);
            var rng = new Rng(11);
            for (var i = 0; i < 200; i++)
            {
                var x = t.RandomPoint(rng);
                foreach (var a in t.Axes.Where(a => a.IsNumeric)) x[a.Offset] = rng.Uniform(a.ColumnLow, a.ColumnHigh); // off the values
                var decoded = t.Decode(x);
                var snapped = (double[])x.Clone();
                t.Snap(snapped);
                Assert.Equal(ParamValues.Canonical(decoded), ParamValues.Canonical(t.Decode(snapped)));
                Assert.Equal(t.Encode(decoded).Where((_, c) => !IsFloat(t, c)), snapped.Where((_, c) => !IsFloat(t, c)));
                Assert.Equal(x.Where((_, c) => IsFloat(t, c)), snapped.Where((_, c) => IsFloat(t, c)));
            }
        }
    }

    private static bool IsFloat(SpaceTransform t, int column) => t.Axes[t.Groups[column]].Spec.Kind is ParamKind.Uniform or ParamKind.LogUniform;

    [Fact]
    public void RandomPointsAndNeighboursAreValidConfigurations()
    {
        foreach (var options in Layouts)
        {
            var t = new SpaceTransform(Space, options);
            var rng = new Rng(5);
            for (var i = 0; i < 200; i++)
            {
                var x = t.RandomPoint(rng);
                var near = t.Perturb(x, 0.3, rng);
                foreach (var row in new[] { x, near })
                {
                    var config = t.Decode(row);
                    Assert.NotNull(t.Normalize(config));
                    Assert.Equal(ParamValues.Canonical(config), ParamValues.Canonical(t.Decode(t.Encode(config))));
                }
            }
        }
    }

    [Fact]
    public void AStoredConfigurationThatNoLongerFitsHasNoRow()
    {
        var t = new SpaceTransform(Space, new TransformOptions());
        var valid = Space.Defaults();
        Assert.NotNull(t.TryEncode(valid));
        Assert.Null(t.TryEncode(new Dictionary<string, object>(valid) { ["epochs"] = 9L }));
        Assert.Null(t.TryEncode(new Dictionary<string, object>(valid) { ["mini_batches"] = 7L }));
        Assert.Null(t.TryEncode(valid.Where(kv => kv.Key != "lr").ToDictionary()));
        // a value written as 5.0 where the space says 5 is the same value
        Assert.NotNull(t.TryEncode(new Dictionary<string, object>(valid) { ["mini_batches"] = 5.0 }));
    }
}
