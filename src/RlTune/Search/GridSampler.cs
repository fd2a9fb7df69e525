using System.Numerics;
using RlTune.Trials;

namespace RlTune.Search;

/// <summary>
/// Exhaustive grid: the cartesian product of every parameter's axis, in a fixed order (file order
/// of parameters, the last one varying fastest). Choices and categoricals contribute all their
/// values; ints all their values when they have at most <c>gridPoints</c>, else that many evenly
/// spaced ones; floats <c>gridPoints</c> values from low to high, log-spaced for log kinds.
/// Infeasible points are skipped, points already in the history (any state) are never proposed
/// again, and each suggestion carries <see cref="UniqueKey"/> so the store refuses a point that
/// a concurrent worker added first.
/// </summary>
/// <param name="gridPoints">Values per float (and per wide int) parameter.</param>
/// <param name="maxPoints">Largest grid accepted; a bigger one is refused with its size.</param>
public sealed class GridSampler(int gridPoints = 5, long maxPoints = GridSampler.DefaultMaxPoints) : ISampler
{
    /// <summary>Default cap on the number of grid points.</summary>
    public const long DefaultMaxPoints = 10_000;

    /// <inheritdoc />
    public string Name => "grid";

    /// <summary>The unique key of a grid point (pass it to the store's <c>AddTrial</c>).</summary>
    public static string UniqueKey(IReadOnlyDictionary<string, object> point) => "grid:" + ParamValues.Canonical(point);

    private static readonly TransformOptions ExactBounds = new() { PadDiscrete = false };

    /// <summary>The values one parameter takes on the grid, ascending for numbers.</summary>
    public IReadOnlyList<object> Axis(ParamSpec p)
    {
        if (gridPoints < 1) throw new UserError($"grid_points must be at least 1, not {gridPoints}.");
        if (p.IsIndexed) return p.Values;
        if (p.Kind == ParamKind.Int && p.DiscreteCount <= gridPoints)
            return Enumerable.Range(0, (int)p.DiscreteCount!.Value).Select(i => (object)((long)p.Low + i * p.Step)).ToList();
        if (gridPoints == 1) return [p.DefaultValue];
        // evenly spaced on the natural coordinate between the exact bounds (log scale for log kinds)
        var axis = new ParamAxis(p, ExactBounds);
        var (lo, hi) = (axis.Low, axis.High);
        var values = new List<object>();
        for (var i = 0; i < gridPoints; i++)
        {
            var v = axis.ValueAt(i == gridPoints - 1 ? hi : lo + (hi - lo) * i / (gridPoints - 1));
            if (!values.Any(x => ParamValues.Canonical(x) == ParamValues.Canonical(v))) values.Add(v);
        }
        return values.OrderBy(v => ParamValues.AsDouble(v)).ToList();
    }

    /// <summary>Number of grid points before constraints are applied.</summary>
    public BigInteger Size(SearchSpace space) => space.Params.Aggregate(BigInteger.One, (acc, p) => acc * Axis(p).Count);

    /// <summary>Every grid point in order, constraints not applied; refuses a grid above the cap.</summary>
    public IEnumerable<Dictionary<string, object>> Points(SearchSpace space)
    {
        var axes = space.Params.Select(Axis).ToList();
        var size = Size(space);
        if (size > maxPoints)
            throw new UserError($"{space.Source}: the grid has {size} points ({string.Join(" x ", axes.Select(a => a.Count))}), above the cap of {maxPoints}; lower grid_points, narrow the space, or raise the cap.");
        return Enumerate(space, axes, (long)size);
    }

    private static IEnumerable<Dictionary<string, object>> Enumerate(SearchSpace space, List<IReadOnlyList<object>> axes, long size)
    {
        for (long index = 0; index < size; index++)
        {
            var point = new Dictionary<string, object>(axes.Count, StringComparer.Ordinal);
            var rest = index;
            for (var j = axes.Count - 1; j >= 0; j--)
            {
                point[space.Params[j].Name] = axes[j][(int)(rest % axes[j].Count)];
                rest /= axes[j].Count;
            }
            yield return point;
        }
    }

    /// <inheritdoc />
    /// <remarks>Returns null when every feasible point is already in the history.</remarks>
    public Suggestion? Suggest(SearchSpace space, IReadOnlyList<TrialRecord> history, SamplerContext context)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in history)
            if (KeyOf(space, t.Params) is { } key) seen.Add(key);
        var tally = new FeasibilityTally(space);
        var anySeen = false;
        foreach (var point in Points(space))
        {
            var key = UniqueKey(point);
            if (seen.Contains(key)) { anySeen = true; continue; }
            if (!tally.Accept(point)) continue;
            return new Suggestion(point, key);
        }
        if (!anySeen && tally.Tries > 0) throw tally.NoFeasibleConfiguration();
        return null;
    }

    // The key a stored trial's parameters would have had as a grid point (values normalised to their parameter's type).
    private static string? KeyOf(SearchSpace space, IReadOnlyDictionary<string, object> config)
    {
        var point = new Dictionary<string, object>(space.Params.Count, StringComparer.Ordinal);
        foreach (var p in space.Params)
        {
            if (!config.TryGetValue(p.Name, out var raw) || p.Normalize(raw) is not { } v) return null;
            point[p.Name] = v;
        }
        return UniqueKey(point);
    }
}
