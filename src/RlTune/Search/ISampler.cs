using RlTune.Trials;

namespace RlTune.Search;

/// <summary>Whether a study minimizes or maximizes its score.</summary>
public enum ObjectiveDirection
{
    Minimize,
    Maximize,
}

/// <summary>
/// What a sampler may know besides the space and the history. Samplers derive every random
/// choice from <see cref="StudySeed"/> and <see cref="TrialNumber"/>, so a resumed study or
/// several workers get the same suggestions a single uninterrupted run would.
/// </summary>
/// <param name="StudySeed">The study's seed.</param>
/// <param name="TrialNumber">Number of the trial being suggested (its position in the study).</param>
/// <param name="Direction">Whether higher or lower <see cref="TrialRecord.Score"/> is better.</param>
public sealed record SamplerContext(int StudySeed, int TrialNumber, ObjectiveDirection Direction = ObjectiveDirection.Maximize);

/// <summary>
/// A suggested configuration: parameter name to value (double for float kinds, long for
/// integers and integral choices, the declared object for categoricals, List&lt;object&gt; for
/// list choices). <see cref="UniqueKey"/>, when set, must be passed to the store's
/// <c>AddTrial</c>, which refuses a second trial with the same key (a grid point is run once).
/// <see cref="Note"/>, when set, says why the sampler chose it (the study log shows it).
/// </summary>
public sealed record Suggestion(Dictionary<string, object> Params, string? UniqueKey = null, string? Note = null);

/// <summary>
/// Proposes the next configuration of a study. Implementations keep no state between calls:
/// everything comes from the history and the context, which makes resume and parallel workers safe.
/// </summary>
public interface ISampler
{
    /// <summary>Short name as used on the command line: grid, random, bayesian.</summary>
    string Name { get; }

    /// <summary>
    /// True when the sampler should see the trials of one configuration (extra seeds) as one point with
    /// their mean score; false when it sees each as a repeat (a model with a noise term learns from repeats).
    /// </summary>
    bool AveragesRepeats => false;

    /// <summary>
    /// The next configuration to run, feasible under the space's constraints; null when the
    /// sampler has nothing left to propose (an exhausted grid). Throws <see cref="UserError"/>
    /// when the constraints leave no feasible configuration within a bounded number of tries.
    /// </summary>
    /// <param name="space">The search space.</param>
    /// <param name="history">Every trial of the study so far, in any state (waiting and running ones included).</param>
    /// <param name="context">Study seed, trial number and direction.</param>
    Suggestion? Suggest(SearchSpace space, IReadOnlyList<TrialRecord> history, SamplerContext context);
}
