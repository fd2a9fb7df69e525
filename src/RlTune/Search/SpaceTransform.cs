using RlTune.Numerics;
using RlTune.Trials;

namespace RlTune.Search;

/// <summary>How a <c>choice</c> or <c>categorical</c> parameter is laid out in model space.</summary>
public enum DiscreteLayout
{
    /// <summary>One numeric column: the value's position in the list, an order the model may use.</summary>
    Ordinal,
    /// <summary>One column holding a category number 0..k-1 that the model treats as unordered (TPE's categorical kernel, the forest's subset splits).</summary>
    Category,
    /// <summary>k columns, 1 at the value's position and 0 elsewhere, so every pair of values is equally far apart (the GP's distance).</summary>
    OneHot,
}

/// <summary>
/// What differs between the models that use <see cref="SpaceTransform"/>; the defaults are the plain
/// transform (natural coordinates, discrete axes padded, choices ordered, categoricals as categories).
/// </summary>
public sealed record TransformOptions
{
    /// <summary>Layout of numeric <c>choice</c> parameters.</summary>
    public DiscreteLayout Choices { get; init; } = DiscreteLayout.Ordinal;
    /// <summary>Layout of <c>categorical</c> parameters.</summary>
    public DiscreteLayout Categoricals { get; init; } = DiscreteLayout.Category;
    /// <summary>
    /// Ints and ordinal positions reach half a step past their end values, so each value owns an equal share of the
    /// axis (uniform draws, Parzen kernels, forest splits); off, the end values lie on the axis ends (the GP's cube).
    /// </summary>
    public bool PadDiscrete { get; init; } = true;
    /// <summary>Numeric columns rescaled onto [0, 1] (the GP's length scales are fractions of a range); off, a column holds the natural coordinate.</summary>
    public bool UnitScale { get; init; }

    /// <summary>The GP's layout: unit columns with the end values on the cube's faces, categoricals one-hot.</summary>
    public static readonly TransformOptions GaussianProcess = new() { Categoricals = DiscreteLayout.OneHot, PadDiscrete = false, UnitScale = true };
}

/// <summary>
/// One parameter's place in model space. Its natural coordinate is the value for <c>uniform</c>, ln|value| for
/// <c>loguniform</c> (and <c>int</c> with <c>log</c>), and the position in the list for <c>choice</c> and
/// <c>categorical</c>; a numeric column holds that coordinate (rescaled onto [0, 1] with
/// <see cref="TransformOptions.UnitScale"/>), a category column the position, one-hot columns a 1 at it.
/// </summary>
public sealed class ParamAxis
{
    /// <summary>The parameter.</summary>
    public ParamSpec Spec { get; }
    /// <summary>How a discrete parameter is laid out; <see cref="DiscreteLayout.Ordinal"/> for numeric kinds.</summary>
    public DiscreteLayout Layout { get; }
    /// <summary>The axis's first column in its space's rows.</summary>
    public int Offset { get; }
    /// <summary>Columns it fills: the number of values when one-hot, else 1.</summary>
    public int Width => Layout == DiscreteLayout.OneHot ? Spec.Values.Count : 1;
    /// <summary>Lower end of the natural coordinate (0 for a category or one-hot axis).</summary>
    public double Low { get; }
    /// <summary>Upper end of the natural coordinate (k-1 for a category or one-hot axis).</summary>
    public double High { get; }
    /// <summary>True when the model reads the column as a number (floats, ints, ordinal positions).</summary>
    public bool IsNumeric => Layout == DiscreteLayout.Ordinal;
    /// <summary>True when the column holds the natural coordinate rescaled onto [0, 1] (numeric columns under <see cref="TransformOptions.UnitScale"/>).</summary>
    public bool UnitScale { get; }
    /// <summary>Lower end of a numeric column (0 on the unit scale).</summary>
    public double ColumnLow => UnitScale ? 0 : Low;
    /// <summary>Upper end of a numeric column (1 on the unit scale).</summary>
    public double ColumnHigh => UnitScale ? 1 : High;

    /// <summary>The axis of one parameter laid out as <paramref name="options"/> say, starting at column <paramref name="offset"/>.</summary>
    public ParamAxis(ParamSpec spec, TransformOptions options, int offset = 0)
    {
        Spec = spec;
        Offset = offset;
        Layout = spec.Kind switch
        {
            ParamKind.Choice => options.Choices,
            ParamKind.Categorical => options.Categoricals,
            _ => DiscreteLayout.Ordinal,
        };
        UnitScale = options.UnitScale && Layout == DiscreteLayout.Ordinal;
        var pad = options.PadDiscrete;
        (Low, High) = spec.Kind switch
        {
            ParamKind.Uniform => (spec.Low, spec.High),
            ParamKind.LogUniform => (Math.Log(Math.Min(Math.Abs(spec.Low), Math.Abs(spec.High))), Math.Log(Math.Max(Math.Abs(spec.Low), Math.Abs(spec.High)))),
            ParamKind.Int when pad => PaddedIntRange(spec),
            ParamKind.Int => spec.Log ? (Math.Log(spec.Low), Math.Log(spec.High)) : (spec.Low, spec.High),
            _ when Layout != DiscreteLayout.Ordinal => (0, spec.Values.Count - 1),
            // an unpadded single-value list still gets a unit-wide axis
            _ => pad ? (-0.5, spec.Values.Count - 0.5) : (0, Math.Max(spec.Values.Count - 1, 1)),
        };
    }

    /// <summary>The natural coordinate of a valid value (see <see cref="ParamSpec.Normalize"/>).</summary>
    public double Natural(object value) => Spec.Kind switch
    {
        ParamKind.Uniform => ParamValues.AsDouble(value)!.Value,
        ParamKind.LogUniform => Math.Log(Math.Abs(ParamValues.AsDouble(value)!.Value)),
        ParamKind.Int => Spec.Log ? Math.Log(ParamValues.AsDouble(value)!.Value) : ParamValues.AsDouble(value)!.Value,
        _ => Spec.IndexOf(value),
    };

    /// <summary>The value at a natural coordinate (clamped into range, ints rounded onto their step, positions onto the list).</summary>
    public object ValueAt(double u)
    {
        switch (Spec.Kind)
        {
            case ParamKind.Uniform:
                return Math.Clamp(u, Spec.Low, Spec.High);
            case ParamKind.LogUniform:
                return Math.Clamp((Spec.High <= 0 ? -1.0 : 1.0) * Math.Exp(u), Spec.Low, Spec.High);
            case ParamKind.Int:
                return Spec.SnapInt(Spec.Log ? Math.Exp(u) : u);
            default:
                return Spec.Values[(int)Math.Clamp(Math.Round(u), 0, Spec.Values.Count - 1)];
        }
    }

    /// <summary>Writes a valid value into the axis's columns of <paramref name="row"/>.</summary>
    public void Encode(object value, Span<double> row) => Put(Natural(value), row);

    /// <summary>The value the axis's columns of <paramref name="row"/> stand for (the largest column of a one-hot axis).</summary>
    public object Decode(ReadOnlySpan<double> row) => ValueAt(NaturalAt(row));

    /// <summary>Moves a discrete axis's columns onto the value they stand for (ints onto their step, positions onto the list); floats stay.</summary>
    public void Snap(Span<double> row)
    {
        if (Spec.Kind == ParamKind.Int) Put(Natural(ValueAt(NaturalAt(row))), row);
        else if (Spec.IsIndexed) Put(Math.Clamp(Math.Round(NaturalAt(row)), 0, Spec.Values.Count - 1), row);
    }

    /// <summary>A value drawn uniformly on the padded natural coordinate (log-uniform for log kinds), or uniformly among the values of a list.</summary>
    public object DrawValue(Rng rng)
    {
        if (Spec.IsIndexed) return Spec.Values[rng.NextInt(Spec.Values.Count)];
        var (low, high) = Spec.Kind == ParamKind.Int ? PaddedIntRange(Spec) : (Low, High);
        return ValueAt(rng.Uniform(low, high));
    }

    /// <summary>A uniform draw (as <see cref="DrawValue"/> draws) written straight into the axis's columns.</summary>
    public void Draw(Rng rng, Span<double> row)
    {
        if (Spec.IsIndexed) Put(rng.NextInt(Spec.Values.Count), row);
        else if (Spec.Kind == ParamKind.Int) Encode(DrawValue(rng), row);
        else row[Offset] = UnitScale ? rng.NextDouble() : rng.Uniform(Low, High);
    }

    /// <summary>Redraws a list's value uniformly (a category, a one-hot group or an ordinal position).</summary>
    internal void Redraw(Rng rng, Span<double> row) => Put(rng.NextInt(Spec.Values.Count), row);

    /// <summary>Writes a natural coordinate into the columns (a position into a one-hot group).</summary>
    private void Put(double u, Span<double> row)
    {
        if (Layout == DiscreteLayout.OneHot)
        {
            row.Slice(Offset, Width).Clear();
            row[Offset + (int)u] = 1;
        }
        else row[Offset] = UnitScale ? (u - Low) / (High - Low) : u;
    }

    /// <summary>The natural coordinate the columns hold (a one-hot group's largest column).</summary>
    private double NaturalAt(ReadOnlySpan<double> row)
    {
        if (Layout != DiscreteLayout.OneHot) return UnitScale ? Low + row[Offset] * (High - Low) : row[Offset];
        var best = 0;
        for (var c = 1; c < Width; c++)
            if (row[Offset + c] > row[Offset + best]) best = c;
        return best;
    }

    private static (double Low, double High) PaddedIntRange(ParamSpec spec) => spec.Log
        ? (Math.Log(spec.Low - 0.5), Math.Log(spec.High + 0.5))
        : (spec.Low - 0.5 * spec.Step, spec.High + 0.5 * spec.Step);
}

/// <summary>
/// The one map between configurations and model rows, shared by the samplers (TPE, GP, random, grid) and the
/// importance analysis: each searched parameter is a <see cref="ParamAxis"/> laid out by <see cref="TransformOptions"/>.
/// Fixed values never enter a row (they are the same in every trial); the space has no conditional parameters.
/// </summary>
public sealed class SpaceTransform
{
    /// <summary>The space.</summary>
    public SearchSpace Space { get; }
    /// <summary>One axis per searched parameter, in the space's order.</summary>
    public IReadOnlyList<ParamAxis> Axes { get; }
    /// <summary>Columns of a row.</summary>
    public int Columns { get; }
    /// <summary>The parameter (its index in <see cref="Axes"/>) of each column: one-hot columns share one.</summary>
    public int[] Groups { get; }

    public SpaceTransform(SearchSpace space, TransformOptions options)
    {
        Space = space;
        var axes = new List<ParamAxis>(space.Params.Count);
        var groups = new List<int>();
        foreach (var p in space.Params)
        {
            var axis = new ParamAxis(p, options, groups.Count);
            for (var c = 0; c < axis.Width; c++) groups.Add(axes.Count);
            axes.Add(axis);
        }
        Axes = axes;
        Groups = groups.ToArray();
        Columns = groups.Count;
    }

    /// <summary>The configuration's searched values in their parameter's type, or null when one is missing or invalid (the space changed since it was stored).</summary>
    public Dictionary<string, object>? Normalize(IReadOnlyDictionary<string, object> config)
    {
        var result = new Dictionary<string, object>(Axes.Count, StringComparer.Ordinal);
        foreach (var a in Axes)
        {
            if (!config.TryGetValue(a.Spec.Name, out var raw) || a.Spec.Normalize(raw) is not { } v) return null;
            result[a.Spec.Name] = v;
        }
        return result;
    }

    /// <summary>The row of a configuration whose values are valid (see <see cref="Normalize"/>).</summary>
    public double[] Encode(IReadOnlyDictionary<string, object> config)
    {
        var x = new double[Columns];
        foreach (var a in Axes) a.Encode(config[a.Spec.Name], x);
        return x;
    }

    /// <summary>The row of any stored configuration, or null when it does not fit the space (TPE encodes its whole history on every call: no dictionary in between).</summary>
    public double[]? TryEncode(IReadOnlyDictionary<string, object> config)
    {
        var x = new double[Columns];
        foreach (var a in Axes)
        {
            if (!config.TryGetValue(a.Spec.Name, out var raw) || a.Spec.Normalize(raw) is not { } v) return null;
            a.Encode(v, x);
        }
        return x;
    }

    /// <summary>The configuration a row stands for.</summary>
    public Dictionary<string, object> Decode(double[] x)
    {
        var config = new Dictionary<string, object>(Axes.Count, StringComparer.Ordinal);
        foreach (var a in Axes) config[a.Spec.Name] = a.Decode(x);
        return config;
    }

    /// <summary>Moves every discrete axis onto a valid value in place (see <see cref="ParamAxis.Snap"/>).</summary>
    public void Snap(double[] x)
    {
        foreach (var a in Axes) a.Snap(x);
    }

    /// <summary>A uniform draw over the space, as <see cref="RandomSampler"/> draws, directly as a row.</summary>
    public double[] RandomPoint(Rng rng)
    {
        var x = new double[Columns];
        foreach (var a in Axes) a.Draw(rng, x);
        return x;
    }

    /// <summary>
    /// A neighbour of a row: numeric columns moved by N(0, scale of their range), except that an ordinal list moves one
    /// position and a category is redrawn, each with probability 1/#params; snapped onto valid values.
    /// </summary>
    public double[] Perturb(double[] centre, double scale, Rng rng)
    {
        var x = (double[])centre.Clone();
        var flip = 1.0 / Axes.Count;
        foreach (var a in Axes)
        {
            var o = a.Offset;
            if (!a.IsNumeric)
            {
                if (rng.NextDouble() < flip) a.Redraw(rng, x);
            }
            else if (a.Spec.IsIndexed)
            {
                if (rng.NextDouble() < flip)
                {
                    var sign = rng.NextDouble() < 0.5 ? -1 : 1;
                    x[o] = Math.Clamp(x[o] + (a.UnitScale ? sign / (a.High - a.Low) : sign), a.ColumnLow, a.ColumnHigh);
                }
            }
            else
            {
                x[o] = Math.Clamp(x[o] + scale * (a.ColumnHigh - a.ColumnLow) * rng.NextGaussian(), a.ColumnLow, a.ColumnHigh);
            }
        }
        Snap(x);
        return x;
    }
}
