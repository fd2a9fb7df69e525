namespace RlTune.Search;

/// <summary>
/// Counts which constraints rejected candidates during one suggestion, so that a space whose
/// constraints leave (almost) nothing feasible ends with a message naming the culprits.
/// </summary>
internal sealed class FeasibilityTally(SearchSpace space)
{
    private readonly Dictionary<Constraint, int> _rejections = [];

    /// <summary>Bounded number of candidates a sampler draws before giving up on the constraints.</summary>
    public const int MaxTries = 10_000;

    public int Tries { get; private set; }

    /// <summary>Records one candidate; returns true when it is feasible.</summary>
    public bool Accept(IReadOnlyDictionary<string, object> candidate)
    {
        Tries++;
        var broken = space.ViolatedConstraints(candidate);
        foreach (var c in broken) _rejections[c] = _rejections.GetValueOrDefault(c) + 1;
        return broken.Count == 0;
    }

    /// <summary>The error to throw when no feasible candidate was found.</summary>
    public UserError NoFeasibleConfiguration()
    {
        var worst = _rejections.OrderByDescending(kv => kv.Value).Take(3)
            .Select(kv => $"\"{kv.Key.Text}\"" + (kv.Key.Line > 0 ? $" (line {kv.Key.Line})" : "") + $" rejected {kv.Value}");
        return new UserError($"{space.Source}: constraints: no feasible configuration in {Tries} tries; the constraints rejecting most were {string.Join(", ", worst)}; loosen them or widen the ranges.");
    }
}
