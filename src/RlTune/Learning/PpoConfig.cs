using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RlTune.Learning;

/// <summary>How a PPO setting changes over training: the learning rate takes any of them, the entropy bonus none or linear.</summary>
public enum ScheduleKind { None, KlAdaptive, Linear }

/// <summary>
/// PPO settings with skrl's names (as MotrixLab's search spaces use them) and MotrixLab's defaults.
/// <see cref="MaxEnvSteps"/> counts env steps over all envs (num_envs per vectorised step).
/// </summary>
public sealed record PpoConfig
{
    public int Rollouts { get; init; } = 24;
    public int LearningEpochs { get; init; } = 5;
    public int MiniBatches { get; init; } = 32;
    public double DiscountFactor { get; init; } = 0.99;
    public double Lambda { get; init; } = 0.95;
    public double LearningRate { get; init; } = 3e-4;
    public ScheduleKind LearningRateScheduler { get; init; } = ScheduleKind.KlAdaptive;
    /// <summary>KL-adaptive target: lr /= 1.5 above 2x this KL, lr *= 1.5 below half of it (skrl's KLAdaptiveLR).</summary>
    public double KlThreshold { get; init; } = 0.008;
    public double RatioClip { get; init; } = 0.2;
    public double ValueClip { get; init; } = 0.2;
    public bool ClipPredictedValues { get; init; } = true;
    public double EntropyLossScale { get; init; } = 1e-3;
    /// <summary>None keeps <see cref="EntropyLossScale"/>; Linear lowers it to 0 by the last update (explore early, settle late).</summary>
    public ScheduleKind EntropyLossScaleScheduler { get; init; } = ScheduleKind.None;
    public double ValueLossScale { get; init; } = 1.0;
    public double GradNormClip { get; init; } = 1.0;
    public bool StatePreprocessor { get; init; } = true;
    public bool ValuePreprocessor { get; init; } = true;
    public bool TimeLimitBootstrap { get; init; } = true;
    public IReadOnlyList<int> PolicyHiddenLayerSizes { get; init; } = [256, 128, 64];
    public IReadOnlyList<int> ValueHiddenLayerSizes { get; init; } = [512, 256, 128];
    public Activation Activation { get; init; } = Activation.Elu;
    public double InitialLogStd { get; init; }
    public int NumEnvs { get; init; } = 2048;
    public long MaxEnvSteps { get; init; } = 10_000_000;
    /// <summary>Env steps over which the linear schedules fall to 0 (0: <see cref="MaxEnvSteps"/>); a run trained in rungs keeps the whole budget's schedule.</summary>
    public long ScheduleEnvSteps { get; init; }
    public int Seed { get; init; } = 42;
    /// <summary>Env steps between interval checkpoints (0: only best and final).</summary>
    public long CheckpointInterval { get; init; }
    /// <summary>Start training with each env part-way through its first episode (legged_gym's init_at_random_ep_len; envs implementing IStaggeredEpisodes).</summary>
    public bool InitAtRandomEpLen { get; init; }

    /// <summary>Samples per mini-batch (skrl drops the remainder).</summary>
    public int MiniBatchSize => Rollouts * NumEnvs / MiniBatches;

    /// <summary>The names <see cref="FromJson"/> accepts, in the order they are listed.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "rollouts", "learning_epochs", "mini_batches", "discount_factor", "lambda", "learning_rate",
        "learning_rate_scheduler", "kl_threshold", "ratio_clip", "value_clip", "clip_predicted_values",
        "entropy_loss_scale", "entropy_loss_scale_scheduler", "value_loss_scale", "grad_norm_clip", "state_preprocessor", "value_preprocessor",
        "time_limit_bootstrap", "policy_hidden_layer_sizes", "value_hidden_layer_sizes", "activation",
        "initial_log_std", "num_envs", "max_env_steps", "schedule_env_steps", "seed", "checkpoint_interval", "init_at_random_ep_len",
    ];

    /// <summary>Applies overrides (skrl names) on top of this config; <paramref name="source"/> names the file for messages.</summary>
    public PpoConfig With(JsonObject? overrides, string source)
    {
        if (overrides is null) return this;
        var c = this;
        foreach (var (key, node) in overrides)
        {
            string where = $"{source}: rl_overrides.{key}";
            c = key switch
            {
                "rollouts" => c with { Rollouts = Int(node, where) },
                "learning_epochs" => c with { LearningEpochs = Int(node, where) },
                "mini_batches" => c with { MiniBatches = Int(node, where) },
                "discount_factor" => c with { DiscountFactor = Real(node, where) },
                "lambda" => c with { Lambda = Real(node, where) },
                "learning_rate" => c with { LearningRate = Real(node, where) },
                "learning_rate_scheduler" => c with { LearningRateScheduler = Schedule(node, where) },
                "kl_threshold" => c with { KlThreshold = Real(node, where) },
                "ratio_clip" => c with { RatioClip = Real(node, where) },
                "value_clip" => c with { ValueClip = Real(node, where) },
                "clip_predicted_values" => c with { ClipPredictedValues = Bool(node, where) },
                "entropy_loss_scale" => c with { EntropyLossScale = Real(node, where) },
                "entropy_loss_scale_scheduler" => c with { EntropyLossScaleScheduler = Schedule(node, where, klAdaptive: false) },
                "value_loss_scale" => c with { ValueLossScale = Real(node, where) },
                "grad_norm_clip" => c with { GradNormClip = Real(node, where) },
                "state_preprocessor" => c with { StatePreprocessor = Bool(node, where) },
                "value_preprocessor" => c with { ValuePreprocessor = Bool(node, where) },
                "time_limit_bootstrap" => c with { TimeLimitBootstrap = Bool(node, where) },
                "policy_hidden_layer_sizes" => c with { PolicyHiddenLayerSizes = Sizes(node, where) },
                "value_hidden_layer_sizes" => c with { ValueHiddenLayerSizes = Sizes(node, where) },
                "activation" => c with { Activation = Activations.Parse(Text(node, where)) },
                "initial_log_std" => c with { InitialLogStd = Real(node, where) },
                "num_envs" => c with { NumEnvs = Int(node, where) },
                "max_env_steps" => c with { MaxEnvSteps = Long(node, where) },
                "schedule_env_steps" => c with { ScheduleEnvSteps = Long(node, where) },
                "seed" => c with { Seed = Int(node, where) },
                "checkpoint_interval" => c with { CheckpointInterval = Long(node, where) },
                "init_at_random_ep_len" => c with { InitAtRandomEpLen = Bool(node, where) },
                _ => throw new UserError($"{source}: rl_overrides has an unknown key '{key}'; known keys: {string.Join(", ", Keys)}."),
            };
        }
        c.Validate(source);
        return c;
    }

    /// <summary>Checks every value; throws a <see cref="UserError"/> naming the first bad one.</summary>
    public void Validate(string source)
    {
        void Need(bool ok, string key, string expected)
        {
            if (!ok) throw new UserError($"{source}: rl_overrides.{key} must be {expected}.");
        }
        Need(Rollouts >= 1, "rollouts", "an integer of at least 1");
        Need(LearningEpochs >= 1, "learning_epochs", "an integer of at least 1");
        Need(MiniBatches >= 1, "mini_batches", "an integer of at least 1");
        Need(NumEnvs >= 1, "num_envs", "an integer of at least 1");
        Need((long)Rollouts * NumEnvs >= MiniBatches, "mini_batches", $"at most rollouts x num_envs ({(long)Rollouts * NumEnvs})");
        Need((long)Rollouts * NumEnvs <= 50_000_000, "rollouts", "small enough that rollouts x num_envs is at most 50,000,000");
        Need(DiscountFactor is >= 0 and <= 1, "discount_factor", "a number in [0, 1]");
        Need(Lambda is >= 0 and <= 1, "lambda", "a number in [0, 1]");
        // Adam steps above 1 throw the weights far outside any trained range: such a value is a typo
        Need(LearningRate is > 0 and <= 1, "learning_rate", "a positive number of at most 1 (PPO's are about 1e-5 to 1e-3)");
        Need(KlThreshold > 0 && double.IsFinite(KlThreshold), "kl_threshold", "a positive number");
        Need(RatioClip > 0 && double.IsFinite(RatioClip), "ratio_clip", "a positive number");
        Need(ValueClip > 0 && double.IsFinite(ValueClip), "value_clip", "a positive number");
        Need(EntropyLossScale >= 0 && double.IsFinite(EntropyLossScale), "entropy_loss_scale", "a number of at least 0");
        Need(ValueLossScale >= 0 && double.IsFinite(ValueLossScale), "value_loss_scale", "a number of at least 0");
        Need(GradNormClip >= 0 && double.IsFinite(GradNormClip), "grad_norm_clip", "a number of at least 0 (0 turns clipping off)");
        Need(PolicyHiddenLayerSizes.Count > 0 && PolicyHiddenLayerSizes.All(s => s is >= 1 and <= 8192), "policy_hidden_layer_sizes", "a non-empty list of integers between 1 and 8192");
        Need(ValueHiddenLayerSizes.Count > 0 && ValueHiddenLayerSizes.All(s => s is >= 1 and <= 8192), "value_hidden_layer_sizes", "a non-empty list of integers between 1 and 8192");
        Need(double.IsFinite(InitialLogStd) && InitialLogStd is >= GaussianPolicy.MinLogStd and <= GaussianPolicy.MaxLogStd, "initial_log_std", "a number in [-20, 2]");
        Need(MaxEnvSteps >= 1, "max_env_steps", "a positive integer");
        Need(ScheduleEnvSteps >= 0, "schedule_env_steps", "an integer of at least 0 (0: max_env_steps)");
        Need(CheckpointInterval >= 0, "checkpoint_interval", "an integer of at least 0");
    }

    private static double Real(JsonNode? node, string where)
    {
        // parsed text and values built from long/int/double all print as JSON numbers
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return d;
        throw new UserError($"{where} must be a finite number, not {Show(node)}.");
    }

    private static long Long(JsonNode? node, string where)
    {
        double d = Real(node, where);
        if (d != Math.Floor(d)) throw new UserError($"{where} must be an integer, not {Show(node)}.");
        if (Math.Abs(d) > 9e15) throw new UserError($"{where} is too large: {Show(node)}; expected an integer of at most 9e15.");
        return (long)d;
    }

    private static int Int(JsonNode? node, string where)
    {
        long l = Long(node, where);
        if (l is < int.MinValue or > int.MaxValue) throw new UserError($"{where} is out of range: {l}.");
        return (int)l;
    }

    private static bool Bool(JsonNode? node, string where) =>
        node is JsonValue v && (v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) ? v.GetValue<bool>()
            : throw new UserError($"{where} must be true or false, not {Show(node)}.");

    private static string Text(JsonNode? node, string where) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new UserError($"{where} must be a string, not {Show(node)}.");

    private static IReadOnlyList<int> Sizes(JsonNode? node, string where)
    {
        if (node is not JsonArray a) throw new UserError($"{where} must be a list of layer sizes such as [256, 128, 64], not {Show(node)}.");
        return a.Select((n, i) => Int(n, $"{where}[{i}]")).ToArray();
    }

    /// <summary>A schedule's name; <paramref name="klAdaptive"/> false for a scale with no KL rule (the entropy bonus).</summary>
    private static ScheduleKind Schedule(JsonNode? node, string where, bool klAdaptive = true)
    {
        if (node is null) return ScheduleKind.None;
        return Text(node, where).ToLowerInvariant().Replace("-", "_") switch
        {
            "none" or "" or "constant" => ScheduleKind.None,
            "kl_adaptive" or "kladaptivelr" or "kladaptive" when klAdaptive => ScheduleKind.KlAdaptive,
            "linear" => ScheduleKind.Linear,
            var s => throw new UserError($"{where} must be {(klAdaptive ? "none, kl_adaptive or linear" : "none or linear")}, not '{s}'."),
        };
    }

    private static string ScheduleName(ScheduleKind schedule) =>
        schedule switch { ScheduleKind.KlAdaptive => "kl_adaptive", ScheduleKind.Linear => "linear", _ => "none" };

    private static string Show(JsonNode? node) => node is null ? "null" : node.ToJsonString();

    /// <summary>The config as rl_overrides JSON (skrl names), for checkpoints and logs.</summary>
    public JsonObject ToJson() => new()
    {
        ["rollouts"] = Rollouts, ["learning_epochs"] = LearningEpochs, ["mini_batches"] = MiniBatches,
        ["discount_factor"] = DiscountFactor, ["lambda"] = Lambda, ["learning_rate"] = LearningRate,
        ["learning_rate_scheduler"] = ScheduleName(LearningRateScheduler),
        ["kl_threshold"] = KlThreshold, ["ratio_clip"] = RatioClip, ["value_clip"] = ValueClip,
        ["clip_predicted_values"] = ClipPredictedValues, ["entropy_loss_scale"] = EntropyLossScale,
        ["entropy_loss_scale_scheduler"] = ScheduleName(EntropyLossScaleScheduler),
        ["value_loss_scale"] = ValueLossScale, ["grad_norm_clip"] = GradNormClip,
        ["state_preprocessor"] = StatePreprocessor, ["value_preprocessor"] = ValuePreprocessor,
        ["time_limit_bootstrap"] = TimeLimitBootstrap,
        ["policy_hidden_layer_sizes"] = new JsonArray(PolicyHiddenLayerSizes.Select(s => (JsonNode?)s).ToArray()),
        ["value_hidden_layer_sizes"] = new JsonArray(ValueHiddenLayerSizes.Select(s => (JsonNode?)s).ToArray()),
        ["activation"] = Activation.ToString().ToLowerInvariant(), ["initial_log_std"] = InitialLogStd,
        ["num_envs"] = NumEnvs, ["max_env_steps"] = MaxEnvSteps, ["schedule_env_steps"] = ScheduleEnvSteps, ["seed"] = Seed, ["checkpoint_interval"] = CheckpointInterval,
        ["init_at_random_ep_len"] = InitAtRandomEpLen,
    };

    public override string ToString() => ToJson().ToJsonString();

}
