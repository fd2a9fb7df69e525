using Xunit.Abstractions;

namespace RlTune.Tests.Architecture;

/// <summary>
/// The library's namespaces (RlTune.Search, RlTune.Study, RlTune.Storage, ...) and the CLI's depend on each
/// other without a cycle, so each can be read, tested and replaced from the ones below it; so do their
/// sub-namespaces (RlTune.Envs.VbotNav builds on RlTune.Envs, which does not reach back into it).
/// </summary>
public class NamespaceCycleTests(ITestOutputHelper output)
{
    // compiled once for all the tests here: binding the library takes seconds
    private static readonly Lazy<NamespaceGraph> Library = new(() => NamespaceGraph.OfDirectory(Path.Combine(RepositoryRoot(), "src", "RlTune"), "RlTune.Core", NamespaceGraph.AllParts));

    [Theory]
    [InlineData(2)]
    [InlineData(NamespaceGraph.AllParts)]
    public void The_library_namespaces_depend_on_each_other_without_a_cycle(int depth)
    {
        var graph = Library.Value.Folded(depth);
        output.WriteLine(graph.ToStringWithNames());
        var cycle = graph.FindCycle();
        Assert.True(cycle is null, $"src/RlTune has a namespace cycle:\n{(cycle is null ? "" : graph.Describe(cycle))}");
    }

    [Fact]
    public void The_cli_namespaces_depend_on_each_other_without_a_cycle()
    {
        var whole = NamespaceGraph.OfDirectory(Path.Combine(RepositoryRoot(), "src", "RlTune.Cli"), "rltune", NamespaceGraph.AllParts);
        foreach (var graph in new[] { whole.Folded(3), whole })
        {
            output.WriteLine(graph.ToStringWithNames());
            var cycle = graph.FindCycle();
            Assert.True(cycle is null, $"src/RlTune.Cli has a namespace cycle:\n{(cycle is null ? "" : graph.Describe(cycle))}");
        }
    }

    [Fact]
    public void The_graph_sees_a_library_namespace_the_study_uses()
    {
        var graph = Library.Value.Folded(2);
        Assert.Contains(("RlTune.Study", "RlTune.Storage"), graph.Edges.Keys);
        Assert.Contains(("RlTune.Study", "RlTune.Search"), graph.Edges.Keys);
        Assert.Contains(("RlTune.Envs.VbotNav", "RlTune.Envs"), Library.Value.Edges.Keys);
    }

    [Fact]
    public void A_parent_namespace_that_reaches_into_its_child_is_a_cycle_only_when_namespaces_are_whole()
    {
        var graph = NamespaceGraph.Of([
            ("A/Registry.cs", "namespace Demo.A; public static class Registry { public static object Make() => new Demo.A.Sub.Env(); }"),
            ("A/Sub/Env.cs", "namespace Demo.A.Sub; public sealed class Env { public Options Built { get; } = new(); }"),
            ("A/Options.cs", "namespace Demo.A; public sealed class Options;"),
        ], depth: NamespaceGraph.AllParts);
        Assert.Equal(["Demo.A", "Demo.A.Sub", "Demo.A"], graph.FindCycle());
        Assert.Equal("Demo.A -> Demo.A.Sub (A/Registry.cs:1 uses Env)\nDemo.A.Sub -> Demo.A (A/Sub/Env.cs:1 uses Options)", graph.Describe(graph.FindCycle()!));
        Assert.Null(graph.Folded(2).FindCycle());
    }

    [Fact]
    public void A_cycle_through_a_qualified_name_a_const_and_an_enclosing_namespace_is_found()
    {
        var graph = NamespaceGraph.Of([
            ("A/Sampler.cs", "namespace Demo.A; public static class Sampler { public static int Keep() => Demo.B.Record.Limit; }"),
            ("B/Record.cs", "using Demo.A.Inner; namespace Demo.B; public static class Record { public const int Limit = 3; public static int Use() => Helper.One; }"),
            ("A/Inner/Helper.cs", "namespace Demo.A.Inner; public static class Helper { public static int One => 1; }"),
        ]);
        var cycle = graph.FindCycle();
        Assert.NotNull(cycle);
        Assert.Equal(["Demo.A", "Demo.B", "Demo.A"], cycle);
        Assert.Equal("Demo.A -> Demo.B (A/Sampler.cs:1 uses Record)\nDemo.B -> Demo.A (B/Record.cs:1 uses Helper)", graph.Describe(cycle));
    }

    [Fact]
    public void Layered_namespaces_have_no_cycle()
    {
        var graph = NamespaceGraph.Of([
            ("A/Trial.cs", "namespace Demo.A; public sealed record Trial(int Number);"),
            ("B/Store.cs", "using Demo.A; namespace Demo.B; public sealed class Store { public Trial First() => new(0); }"),
            ("C/Loop.cs", "namespace Demo.C; public sealed class Loop { public int Run(Demo.B.Store s) => s.First().Number; }"),
        ]);
        Assert.Null(graph.FindCycle());
        Assert.Equal("Demo.B -> Demo.A\nDemo.C -> Demo.A\nDemo.C -> Demo.B", graph.ToString());
    }

    /// <summary>The checkout the tests were built from (the directory holding RlTune.slnx).</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "RlTune.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no RlTune.slnx above {AppContext.BaseDirectory}");
    }
}
