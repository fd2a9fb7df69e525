using RlTune.Trials;

namespace RlTune.Search;

/// <summary>
/// One searched parameter as declared in a search space. Models see it through its <see cref="ParamAxis"/>
/// (one of a <see cref="SpaceTransform"/>'s axes).
/// </summary>
public sealed record ParamSpec
{
    public required string Name { get; init; }
    public required ParamKind Kind { get; init; }
    public required ParamSection Section { get; init; }
    /// <summary>Free-text group used in reports (navigation, stability, efficiency, terminal, ...); null when absent.</summary>
    public string? Category { get; init; }
    /// <summary>The declared default and centre of the search; null when absent.</summary>
    public object? Prior { get; init; }
    /// <summary>Lower bound (numeric kinds).</summary>
    public double Low { get; init; }
    /// <summary>Upper bound (numeric kinds).</summary>
    public double High { get; init; }
    /// <summary>Log scale: always for <c>loguniform</c>, optional for <c>int</c>.</summary>
    public bool Log { get; init; }
    /// <summary>Step of an <c>int</c> parameter (1 unless declared).</summary>
    public long Step { get; init; } = 1;
    /// <summary>The values of a <c>choice</c> or the choices of a <c>categorical</c>; empty otherwise.</summary>
    public IReadOnlyList<object> Values { get; init; } = [];
    /// <summary>Line of the entry in its file (1-based; 0 when built in code).</summary>
    public int Line { get; init; }

    /// <summary>True for <c>choice</c> and <c>categorical</c>: a value is one of a list.</summary>
    public bool IsIndexed => Kind is ParamKind.Choice or ParamKind.Categorical;

    /// <summary>Number of distinct values of a discrete parameter (choices, or the integers of an <c>int</c> range); null for floats.</summary>
    public long? DiscreteCount => Kind switch
    {
        ParamKind.Choice or ParamKind.Categorical => Values.Count,
        ParamKind.Int => ((long)High - (long)Low) / Step + 1,
        _ => null,
    };

    /// <summary>The nearest valid integer of an <c>int</c> parameter.</summary>
    internal long SnapInt(double x)
    {
        var k = Math.Round((x - Low) / Step);
        var value = (long)Low + (long)k * Step;
        return Math.Clamp(value, (long)Low, (long)Low + ((long)High - (long)Low) / Step * Step);
    }

    /// <summary>Index of a value among <see cref="Values"/> (numbers compare by value), or -1.</summary>
    public int IndexOf(object value)
    {
        if (Kind == ParamKind.Choice)
        {
            var d = ParamValues.AsDouble(value);
            if (d is null || value is bool) return -1;
            for (var i = 0; i < Values.Count; i++)
                if (ParamValues.AsDouble(Values[i]) == d) return i;
            return -1;
        }
        var key = CanonicalLoose(value);
        for (var i = 0; i < Values.Count; i++)
            if (CanonicalLoose(Values[i]) == key) return i;
        return -1;
    }

    // 5 and 5.0 name the same choice; JSON and YAML disagree on which one a user wrote.
    private static string CanonicalLoose(object value) => value switch
    {
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(System.Globalization.CultureInfo.InvariantCulture),
        IEnumerable<object> list when value is not string => "[" + string.Join(",", list.Select(CanonicalLoose)) + "]",
        _ => ParamValues.Canonical(value),
    };

    /// <summary>
    /// The value in this parameter's own type (double for floats, long for ints, the declared
    /// choice object for choices) when it is valid for this parameter; null when it is not.
    /// </summary>
    public object? Normalize(object value)
    {
        switch (Kind)
        {
            case ParamKind.Uniform:
            case ParamKind.LogUniform:
            {
                if (value is bool) return null;
                var d = ParamValues.AsDouble(value);
                return d is { } x && double.IsFinite(x) && x >= Low && x <= High ? x : null;
            }
            case ParamKind.Int:
            {
                if (value is bool) return null;
                var d = ParamValues.AsDouble(value);
                if (d is not { } x || x != Math.Floor(x) || x < Low || x > High) return null;
                var l = (long)x;
                return (l - (long)Low) % Step == 0 ? l : null;
            }
            default:
            {
                var i = IndexOf(value);
                return i < 0 ? null : Values[i];
            }
        }
    }

    /// <summary>
    /// The value used when nothing is sampled: the prior when declared; otherwise the centre of the
    /// range (geometric centre for log scales, rounded onto the step for ints) or the first of the
    /// values for <c>choice</c> and <c>categorical</c>.
    /// </summary>
    public object DefaultValue => Prior ?? Kind switch
    {
        ParamKind.Uniform => (Low + High) / 2,
        ParamKind.LogUniform => (High <= 0 ? -1.0 : 1.0) * Math.Sqrt(Math.Abs(Low) * Math.Abs(High)),
        ParamKind.Int => SnapInt(Log ? Math.Sqrt(Low * High) : (Low + High) / 2),
        _ => Values[0],
    };

    /// <summary>A short human description of the domain, e.g. "loguniform [1e-05, 0.001]".</summary>
    public string Describe() => Kind switch
    {
        ParamKind.Uniform => $"uniform [{Fmt(Low)}, {Fmt(High)}]",
        ParamKind.LogUniform => $"loguniform [{Fmt(Low)}, {Fmt(High)}]",
        ParamKind.Int => $"int [{Fmt(Low)}, {Fmt(High)}]" + (Step != 1 ? $" step {Step}" : "") + (Log ? " log" : ""),
        ParamKind.Choice => "choice of " + string.Join(", ", Values.Select(ParamValues.Canonical)),
        _ => "categorical of " + string.Join(", ", Values.Select(ParamValues.Canonical)),
    };

    internal static string Fmt(double d) => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture).Replace("E", "e");
}
