namespace RlTune.Search;

/// <summary>
/// A constraint of a search space, e.g. <c>learning_rate &gt; 5e-4 and learning_epochs &gt; 8</c>.
/// A configuration for which the expression is TRUE is infeasible and skipped. Names refer to
/// sampled and fixed parameters; booleans count as 1 and 0.
/// </summary>
public sealed class Constraint
{
    private readonly ConstraintNode _root;

    /// <summary>The expression as written.</summary>
    public string Text { get; }
    /// <summary>Line in the search-space file (0 when built in code).</summary>
    public int Line { get; }
    /// <summary>The parameter names the expression reads.</summary>
    public IReadOnlySet<string> Names { get; }

    private Constraint(string text, int line, ConstraintNode root)
    {
        Text = text;
        Line = line;
        _root = root;
        var names = new SortedSet<string>(StringComparer.Ordinal);
        root.CollectNames(names);
        Names = names;
    }

    /// <summary>Parses an expression; throws <see cref="ConstraintSyntaxException"/> (with the column) when it does not parse.</summary>
    public static Constraint Parse(string text, int line = 0) => new(text, line, ConstraintParser.Parse(text));

    /// <summary>True when the configuration breaks this constraint (the expression evaluates to non-zero).</summary>
    /// <param name="valueOf">The numeric value of a name; every name in <see cref="Names"/> must resolve.</param>
    public bool IsViolatedBy(Func<string, double> valueOf)
    {
        var v = _root.Eval(valueOf);
        return v != 0 && !double.IsNaN(v);
    }

    public override string ToString() => Text;
}
