using RlTune.Search;

namespace RlTune.Tests.Search;

/// <summary>One test per validation mistake: each must be one sentence naming file, line and field.</summary>
public class SearchSpaceValidationTests
{
    private static UserError Fails(string yaml)
    {
        var e = Assert.Throws<UserError>(() => SearchSpace.Parse(yaml, "bad.yaml"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.EndsWith(".", e.Message);
        return e;
    }

    private static void Names(UserError e, int line, string field, string what)
    {
        Assert.StartsWith($"bad.yaml:{line}: {field}", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void LowNotBelowHigh() => Names(Fails("""
        ppo_params:
          lr: { type: uniform, low: 0.5, high: 0.1 }
        """), 2, "ppo_params.lr.low", "must be below high");

    [Fact]
    public void LogRangeCrossingZero() => Names(Fails("""
        reward_weights:
          torque: { type: loguniform, low: -1.0e-3, high: 1.0e-6 }
        """), 2, "reward_weights.torque.low", "must not include or cross zero");

    [Fact]
    public void LogRangeIncludingZero() => Names(Fails("""
        ppo_params:
          lr: { type: loguniform, low: 0, high: 1.0e-3 }
        """), 2, "ppo_params.lr.low", "must not include or cross zero");

    [Fact]
    public void PriorOutsideRange() => Names(Fails("""
        ppo_params:
          lr: { type: uniform, low: 0.1, high: 0.5, prior: 0.9 }
        """), 2, "ppo_params.lr.prior", "is not inside the range");

    [Fact]
    public void PriorNotAmongChoices() => Names(Fails("""
        ppo_params:
          net:
            type: categorical
            choices: [[128, 64], [256, 128]]
            prior: [64, 64]
        """), 5, "ppo_params.net.prior", "is not one of the choices");

    [Fact]
    public void EmptyChoices() => Names(Fails("""
        ppo_params:
          rollouts: { type: choice, values: [] }
        """), 2, "ppo_params.rollouts.values", "is empty");

    [Fact]
    public void UnknownKind() => Names(Fails("""
        ppo_params:
          lr: { type: normal, low: 0.1, high: 0.5 }
        """), 2, "ppo_params.lr.type", "'normal' is not a parameter kind");

    [Fact]
    public void NameInBothSections() => Names(Fails("""
        ppo_params:
          scale: { type: uniform, low: 0.1, high: 0.5 }
        reward_weights:
          scale: { type: uniform, low: 0.1, high: 0.5 }
        """), 4, "reward_weights.scale", "also in ppo_params at line 2");

    [Fact]
    public void MixedTypesInValues() => Names(Fails("""
        ppo_params:
          rollouts: { type: choice, values: [16, "many"] }
        """), 2, "ppo_params.rollouts.values", "mixes number and text");

    [Fact]
    public void ConstraintThatDoesNotParseSaysWhere() => Names(Fails("""
        ppo_params:
          lr: { type: uniform, low: 0.1, high: 0.5 }
        constraints:
          - "lr > 0.3 and (lr < 0.4"
        """), 4, "constraints[1]", "missing ')' at column 23 to close the '(' at column 14");

    [Fact]
    public void ConstraintNamingUnknownParameter() => Names(Fails("""
        ppo_params:
          lr: { type: uniform, low: 0.1, high: 0.5 }
        constraints:
          - "lr > 0.3 and epochs > 8"
        """), 4, "constraints[1]", "names 'epochs', which is neither a searched nor a fixed parameter");

    [Fact]
    public void MissingBound() => Names(Fails("""
        ppo_params:
          lr: { type: uniform, low: 0.1 }
        """), 2, "ppo_params.lr", "has no high");

    [Fact]
    public void UnknownTopLevelKey() => Names(Fails("""
        ppo_param:
          lr: { type: uniform, low: 0.1, high: 0.5 }
        """), 1, "ppo_param", "is not a search-space key");

    [Fact]
    public void InvalidYamlSyntax()
    {
        var e = Fails("ppo_params:\n  lr: { type: uniform, low: 0.1, high: 0.5\n");
        Assert.StartsWith("bad.yaml:", e.Message);
        Assert.Contains("not valid YAML", e.Message);
    }

    [Fact]
    public void IntHighOffTheStep() => Names(Fails("""
        ppo_params:
          epochs: { type: int, low: 2, high: 9, step: 2 }
        """), 2, "ppo_params.epochs.high", "whole number of steps");

    [Fact]
    public void NoParameterAtAll() => Names(Fails("""
        search_space_id: empty
        ppo_params: {}
        reward_weights: {}
        """), 1, "ppo_params, reward_weights", "declares no parameter");

    [Fact]
    public void MissingFileIsAUserError()
    {
        var e = Assert.Throws<UserError>(() => SearchSpace.Load("/nonexistent/space.yaml"));
        Assert.Contains("/nonexistent/space.yaml", e.Message);
    }
}
