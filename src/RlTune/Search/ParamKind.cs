namespace RlTune.Search;

/// <summary>How a parameter's values are drawn (the <c>type</c> field of a search-space entry).</summary>
public enum ParamKind
{
    /// <summary>A float between <c>low</c> and <c>high</c>.</summary>
    Uniform,
    /// <summary>A float whose magnitude is log-uniform between <c>low</c> and <c>high</c> (both of one sign; the sign is kept).</summary>
    LogUniform,
    /// <summary>An integer from <c>low</c> to <c>high</c> in steps of <c>step</c>, optionally log-spaced.</summary>
    Int,
    /// <summary>One of a list of numbers (<c>values</c>).</summary>
    Choice,
    /// <summary>One of a list of arbitrary YAML values (<c>choices</c>), including lists such as <c>[256, 128, 64]</c>.</summary>
    Categorical,
}

/// <summary>The search-space section a parameter came from, which decides where a trial config carries it.</summary>
public enum ParamSection
{
    /// <summary><c>ppo_params</c>: goes to the trial config's <c>rl_overrides</c>.</summary>
    PpoParams,
    /// <summary><c>reward_weights</c>: goes to the trial config's <c>reward_scales</c>.</summary>
    RewardWeights,
}
