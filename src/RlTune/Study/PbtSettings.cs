using System.Globalization;

namespace RlTune.Study;

/// <summary>
/// Population-based training (<c>--mode pbt</c>, study YAML <c>pbt:</c>): <see cref="Population"/> members each
/// trained <see cref="Generations"/> intervals of <c>steps_per_trial</c> env steps; after every interval the bottom
/// <see cref="Quantile"/> copies the checkpoint of a top member and perturbs its PPO parameters and reward weights.
/// Defaults follow Ray Tune's PBT (quantile 0.25, resample probability 0.25, factors 0.8 and 1.2).
/// </summary>
public sealed record PbtSettings
{
    public int Population { get; init; } = 8;
    public int Generations { get; init; } = 4;
    /// <summary>Share of the population, at the bottom, that copies the top after each interval (and the share counted as the top).</summary>
    public double Quantile { get; init; } = 0.25;
    /// <summary>Chance that an explored parameter is drawn afresh from its domain instead of scaled by a factor.</summary>
    public double ResampleProbability { get; init; } = 0.25;
    /// <summary>A float or integer parameter is multiplied by one of these (then kept within its domain); a choice moves to a neighbouring value.</summary>
    public IReadOnlyList<double> PerturbFactors { get; init; } = [0.8, 1.2];

    /// <summary>Members copied (and members counted as the top) after an interval: the quantile of the population, at least one, at most half.</summary>
    public int Replaced => Math.Min(Population / 2, Math.Max(1, (int)Math.Ceiling(Quantile * Population - 1e-9)));

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"population {Population}, {Generations} generations, bottom {Replaced} copy the top {Replaced} after each interval (resample probability {ResampleProbability}, factors {string.Join("/", PerturbFactors)})");

    /// <summary>Checks the values; each problem one sentence naming the setting as the user wrote it.</summary>
    public void Validate(SettingNames names)
    {
        void Require(bool ok, string key, string problem)
        {
            if (!ok) throw new UserError($"{names["pbt." + key]}: {problem}");
        }
        Require(Population >= 2, "population", $"expected at least 2 members (the bottom copies the top), got {Population}.");
        Require(Generations >= 1, "generations", $"expected at least 1, got {Generations}.");
        Require(Quantile is > 0 and <= 0.5, "quantile", string.Create(CultureInfo.InvariantCulture, $"expected a share above 0 and at most 0.5, got {Quantile}."));
        Require(ResampleProbability is >= 0 and <= 1, "resample_probability", string.Create(CultureInfo.InvariantCulture, $"expected a probability from 0 to 1, got {ResampleProbability}."));
        Require(PerturbFactors.Count >= 1 && PerturbFactors.All(f => f > 0 && double.IsFinite(f)), "perturb_factors",
            $"expected a list of positive factors such as [0.8, 1.2], got [{string.Join(", ", PerturbFactors.Select(f => f.ToString(CultureInfo.InvariantCulture)))}].");
    }
}
