using RlTune.Search;

namespace RlTune.Tests.Search;

public class ConstraintTests
{
    private static readonly Dictionary<string, double> Values = new()
    {
        ["learning_rate"] = 8e-4,
        ["learning_epochs"] = 10,
        ["rollouts"] = 24,
        ["freeze"] = 1,
    };

    private static bool Holds(string text) => Constraint.Parse(text).IsViolatedBy(n => Values[n]);

    [Theory]
    [InlineData("learning_rate > 5e-4 and learning_epochs > 8", true)]
    [InlineData("learning_rate > 5E-4 and learning_epochs > 12", false)]
    [InlineData("learning_rate < 1.0e-3", true)]
    [InlineData("learning_rate > .001", false)]
    [InlineData("1 + 2 * 3 == 7", true)]            // * binds tighter than +
    [InlineData("(1 + 2) * 3 == 9", true)]
    [InlineData("10 - 4 - 3 == 3", true)]           // left associative
    [InlineData("8 / 4 / 2 == 1", true)]
    [InlineData("-2 * -3 == 6", true)]
    [InlineData("true or false and false", true)]  // and binds tighter than or
    [InlineData("(true or false) and false", false)]
    [InlineData("not learning_epochs > 8", false)] // not binds looser than comparison
    [InlineData("not not freeze", true)]
    [InlineData("freeze == 1", true)]
    [InlineData("16 < rollouts <= 24", true)]        // chained comparison
    [InlineData("16 < rollouts < 24", false)]
    [InlineData("rollouts * learning_epochs >= 240 and rollouts != 48", true)]
    public void EvaluatesWithPythonPrecedence(string text, bool expected) => Assert.Equal(expected, Holds(text));

    [Fact]
    public void CollectsNames() =>
        Assert.Equal(["learning_epochs", "learning_rate"], Constraint.Parse("learning_rate > 5e-4 and learning_epochs > 8 and true").Names);

    [Theory]
    [InlineData("__import__('os')", 12)]
    [InlineData("System.IO.File.Delete(x)", 7)]
    [InlineData("learning_rate.__class__", 14)]
    [InlineData("exec(\"rm -rf /\")", 6)]
    [InlineData("learning_rate > 1e-4; rm", 21)]
    [InlineData("learning_rate = 1", 15)]
    [InlineData("learning_rate > ", 17)]
    [InlineData("(learning_rate > 1", 19)]
    [InlineData("learning_rate ** 2 > 1", 15)]
    [InlineData("learning_rate > 1 &&  rollouts", 19)]
    [InlineData("\"text\" == 1", 1)]
    public void RejectsAnythingButArithmeticWithTheColumn(string text, int column)
    {
        var e = Assert.Throws<ConstraintSyntaxException>(() => Constraint.Parse(text));
        Assert.Equal(column, e.Column);
        Assert.Contains($"column {column}", e.Message);
    }

    [Fact]
    public void InjectionThroughANameNeverResolvesAnythingButTheGivenValues()
    {
        // a bare identifier is only looked up in the values given, never in the runtime
        var asked = new List<string>();
        Constraint.Parse("GC > 0 or Environment < 1").IsViolatedBy(n => { asked.Add(n); return 0; });
        Assert.Equal(["GC", "Environment"], asked);
    }

    [Fact]
    public void UnknownNamesAreRejectedWhenTheSpaceLoads()
    {
        var e = Assert.Throws<UserError>(() => SearchSpace.Parse("""
            ppo_params:
              lr: { type: uniform, low: 0.1, high: 0.5 }
            constraints:
              - "System > 1"
            """, "s.yaml"));
        Assert.Contains("names 'System'", e.Message);
    }

    [Fact]
    public void FixedNumericParametersMayBeNamed()
    {
        var s = SearchSpace.Parse("""
            fixed: { num_envs: 64 }
            ppo_params:
              mini_batches: { type: choice, values: [16, 32, 128] }
            constraints:
              - "mini_batches > num_envs"
            """, "s.yaml");
        Assert.True(s.IsFeasible(new Dictionary<string, object> { ["mini_batches"] = 32L }));
        Assert.False(s.IsFeasible(new Dictionary<string, object> { ["mini_batches"] = 128L }));
    }

    [Fact]
    public void CategoricalListsCannotBeCompared()
    {
        var e = Assert.Throws<UserError>(() => SearchSpace.Parse("""
            ppo_params:
              net: { type: categorical, choices: [[64], [128]] }
            constraints:
              - "net > 1"
            """, "s.yaml"));
        Assert.Contains("s.yaml:4: constraints[1]", e.Message);
        Assert.Contains("not all numbers", e.Message);
    }
}
