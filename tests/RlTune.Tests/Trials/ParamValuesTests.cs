using RlTune.Trials;

namespace RlTune.Tests.Trials;

public class ParamValuesTests
{
    [Fact]
    public void JsonRoundTripKeepsTypes()
    {
        var values = new Dictionary<string, object>
        {
            ["learning_rate"] = 3e-4,
            ["rollouts"] = 24L,
            ["policy_hidden_layer_sizes"] = new List<object> { 256L, 128L, 64L },
            ["activation"] = "elu",
            ["freeze"] = true,
            ["termination"] = -200.0,
        };
        var back = ParamValues.FromJsonText(ParamValues.ToJsonText(values));
        Assert.Equal(ParamValues.Canonical(values), ParamValues.Canonical(back));
        Assert.IsType<long>(back["rollouts"]);
        Assert.IsType<double>(back["termination"]);
        Assert.IsType<double>(back["learning_rate"]);
    }

    [Fact]
    public void CanonicalIgnoresKeyOrder()
    {
        var a = new Dictionary<string, object> { ["x"] = 1.5, ["y"] = 2L };
        var b = new Dictionary<string, object> { ["y"] = 2L, ["x"] = 1.5 };
        Assert.Equal(ParamValues.Canonical(a), ParamValues.Canonical(b));
        Assert.NotEqual(ParamValues.Canonical(a), ParamValues.Canonical(new Dictionary<string, object> { ["x"] = 1.5, ["y"] = 3L }));
    }
}
