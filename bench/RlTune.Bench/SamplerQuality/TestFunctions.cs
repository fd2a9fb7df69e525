using RlTune.Trials;

namespace RlTune.Bench.SamplerQuality;

/// <summary>
/// The public objectives of shared/bench/functions.py (Branin, Hartmann-6, the PPO surrogate),
/// ported so our samplers are scored on exactly the functions Optuna is, and two of ours with a narrow
/// good region in many dimensions and ignored parameters (narrow_ppo, needle12; the same in
/// bench/sampler_noisy_optuna.py, with their spaces). All are minimized.
/// </summary>
public static class TestFunctions
{
    /// <param name="Flat">The flat level: a crowned configuration not below it found nothing (a plateau with a margin of
    /// about two noise sd for ours; the median under 20,000 uniform draws for the public ones, which have no plateau).</param>
    /// <param name="SpaceYaml">The search space of ours; the public ones load theirs from shared/bench.</param>
    public sealed record Objective(string Name, Func<IReadOnlyDictionary<string, object>, double> Evaluate, double Optimum, double Flat, string? SpaceYaml = null);

    public static readonly IReadOnlyDictionary<string, Objective> All = new Dictionary<string, Objective>
    {
        ["branin"] = new("branin", Branin, 0.397887, 35.09),
        ["hartmann6"] = new("hartmann6", Hartmann6, -3.32237, -0.1026),
        ["ppo_surrogate"] = new("ppo_surrogate", PpoSurrogate, -1.0, -0.0193),
        ["narrow_ppo"] = new("narrow_ppo", NarrowPpo, -1.0, -0.15, NarrowPpoSpace),
        ["needle12"] = new("needle12", Needle12, -1.0, -0.15, Needle12Space),
    };

    private const string NarrowPpoSpace = """
        search_space_id: "bench_narrow_ppo"
        ppo_params:
          learning_rate: { type: "loguniform", low: 1.0e-5, high: 1.0e-2 }
          entropy_loss_scale: { type: "loguniform", low: 1.0e-4, high: 1.0e-1 }
          discount_factor: { type: "uniform", low: 0.9, high: 0.999 }
          lambda: { type: "uniform", low: 0.8, high: 0.99 }
          ratio_clip: { type: "uniform", low: 0.1, high: 0.3 }
        reward_weights:
          arrival_bonus: { type: "uniform", low: 0.0, high: 40.0 }
          position_tracking: { type: "uniform", low: 0.5, high: 5.0 }
          heading_tracking: { type: "uniform", low: 0.1, high: 2.0 }
          lin_vel_z: { type: "uniform", low: -2.0, high: -0.1 }
          action_rate: { type: "uniform", low: -0.05, high: -0.001 }
        """;

    private const string Needle12Space = """
        search_space_id: "bench_needle12"
        ppo_params:
          x1: { type: "uniform", low: 0.0, high: 1.0 }
          x2: { type: "uniform", low: 0.0, high: 1.0 }
          x3: { type: "uniform", low: 0.0, high: 1.0 }
          x4: { type: "uniform", low: 0.0, high: 1.0 }
          x5: { type: "uniform", low: 0.0, high: 1.0 }
          x6: { type: "uniform", low: 0.0, high: 1.0 }
          x7: { type: "uniform", low: 0.0, high: 1.0 }
          x8: { type: "uniform", low: 0.0, high: 1.0 }
          x9: { type: "uniform", low: 0.0, high: 1.0 }
          x10: { type: "uniform", low: 0.0, high: 1.0 }
          x11: { type: "uniform", low: 0.0, high: 1.0 }
          x12: { type: "uniform", low: 0.0, high: 1.0 }
        reward_weights: {}
        """;

    /// <summary>
    /// A PPO + reward trial that succeeds only with a learning rate on a ridge that moves with the entropy scale AND an
    /// arrival bonus outweighing the per-step terms; flat at 0 elsewhere (about 9% of the space is below -0.15). Five
    /// parameters are ignored.
    /// </summary>
    public static double NarrowPpo(IReadOnlyDictionary<string, object> p)
    {
        var lr = Math.Log10(D(p, "learning_rate"));
        var ent = Math.Log10(D(p, "entropy_loss_scale"));
        var ridge = Math.Exp(-Math.Pow((lr - (-3.3 + 0.5 * (ent + 2.5))) / 0.25, 2));
        var budget = D(p, "arrival_bonus") / (8 * D(p, "position_tracking") + 4 * D(p, "heading_tracking"));
        var gate = 1 / (1 + Math.Exp(-10 * (budget - 1)));
        return -ridge * gate;
    }

    private static readonly double[] NeedleCentre = [0.72, 0.31, 0.58, 0.15];

    /// <summary>A bump of width 0.2 around one point of 4 of 12 unit parameters; the other 8 are ignored; flat at 0 elsewhere (about 9% below -0.15).</summary>
    public static double Needle12(IReadOnlyDictionary<string, object> p)
    {
        var r2 = 0.0;
        for (var i = 0; i < NeedleCentre.Length; i++) r2 += Math.Pow(D(p, $"x{i + 1}") - NeedleCentre[i], 2);
        return -Math.Exp(-r2 / (2 * 0.2 * 0.2));
    }

    private static double D(IReadOnlyDictionary<string, object> p, string name) => ParamValues.AsDouble(p[name])!.Value;

    public static double Branin(IReadOnlyDictionary<string, object> p)
    {
        double x1 = D(p, "x1"), x2 = D(p, "x2");
        const double a = 1.0, r = 6.0, s = 10.0;
        var b = 5.1 / (4 * Math.PI * Math.PI);
        var c = 5 / Math.PI;
        var t = 1 / (8 * Math.PI);
        var q = x2 - b * x1 * x1 + c * x1 - r;
        return a * q * q + s * (1 - t) * Math.Cos(x1) + s;
    }

    private static readonly double[,] HA = { { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 } };
    private static readonly double[,] HP = { { 1312, 1696, 5569, 124, 8283, 5886 }, { 2329, 4135, 8307, 3736, 1004, 9991 }, { 2348, 1451, 3522, 2883, 3047, 6650 }, { 4047, 8828, 8732, 5743, 1091, 381 } };
    private static readonly double[] HAlpha = [1.0, 1.2, 3.0, 3.2];

    public static double Hartmann6(IReadOnlyDictionary<string, object> p)
    {
        var x = Enumerable.Range(1, 6).Select(i => D(p, $"x{i}")).ToArray();
        var total = 0.0;
        for (var i = 0; i < 4; i++)
        {
            var inner = 0.0;
            for (var j = 0; j < 6; j++)
            {
                var dx = x[j] - HP[i, j] * 1e-4;
                inner += HA[i, j] * dx * dx;
            }
            total += HAlpha[i] * Math.Exp(-inner);
        }
        return -total;
    }

    private static readonly Dictionary<string, double> Arch = new()
    {
        ["[128,64]"] = 0.35,
        ["[256,128,64]"] = 0.0,
        ["[512,256,128]"] = 0.15,
        ["[256,256,256]"] = 0.25,
    };

    /// <summary>Stand-in for "negative success score of a PPO + reward trial"; minimum about -1.0.</summary>
    public static double PpoSurrogate(IReadOnlyDictionary<string, object> p)
    {
        var lr = Math.Log10(D(p, "learning_rate"));
        var ent = Math.Log10(D(p, "entropy_loss_scale"));
        var term = D(p, "termination");
        var lrOpt = -3.6 - 0.0015 * (Math.Abs(term) - 200);
        var score = Math.Exp(-Math.Pow((lr - lrOpt) / 0.35, 2));
        score *= Math.Exp(-Math.Pow((ent + 2.6) / 0.6, 2)) * 0.3 + 0.7;
        if (D(p, "learning_epochs") >= 8 && lr > -3.4) score *= 0.4;
        score *= 1.0 - 0.08 * Math.Abs((long)D(p, "rollouts") - 32) / 16;
        score *= 1.0 - 0.05 * Math.Abs(Math.Log2((long)D(p, "mini_batches") / 32.0));
        score *= 1.0 - Arch[ParamValues.Canonical(p["policy_hidden_layer_sizes"])];
        var budget = D(p, "arrival_bonus") / (D(p, "position_tracking") * 10 + D(p, "heading_tracking") * 5);
        score *= 1.0 / (1.0 + Math.Exp(-3 * (budget - 0.6)));
        score *= Math.Exp(-Math.Pow((D(p, "approach_scale") - 6.2) / 3.0, 2)) * 0.25 + 0.75;
        score *= 1.0 - 0.6 * Math.Max(0.0, -D(p, "orientation") - 0.15);
        score *= 1.0 - 0.1 * Math.Abs(D(p, "lin_vel_z") + 0.5);
        score *= 1.0 - 4.0 * Math.Abs(D(p, "action_rate") + 0.01);
        return -score;
    }
}
