using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace RlTune.Tests.Architecture;

/// <summary>One use of a name from another namespace: the file and line that makes the edge, and the name used.</summary>
public sealed record NamespaceUse(string File, int Line, string Name)
{
    public override string ToString() => $"{File}:{Line} uses {Name}";
}

/// <summary>
/// Which namespace of a C# source tree uses which, read from Roslyn's binding of every name (so a type
/// reached through a using, a fully qualified name, an extension method, a const or an enclosing
/// namespace all count). Namespaces are folded to their unit (RlTune.Envs.VbotNav counts as RlTune.Envs at
/// depth 2), or kept whole with <see cref="AllParts"/>, where a parent that uses its child while the child builds
/// on it is a cycle too.
/// </summary>
public sealed class NamespaceGraph
{
    // Microsoft.NET.Sdk's implicit usings (ImplicitUsings=enable in Directory.Build.props)
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    // a partial method whose body a source generator writes ([GeneratedRegex], [LibraryImport]): no generators run here
    private const string GeneratorOutputMissing = "CS8795";

    private readonly Dictionary<(string From, string To), NamespaceUse> _edges = new();
    private readonly Dictionary<(string From, string To), SortedSet<string>> _names = new();
    private readonly int _depth;

    private NamespaceGraph(int depth) => _depth = depth;

    /// <summary>The depth that keeps every namespace whole (RlTune.Envs.VbotNav is its own unit).</summary>
    public const int AllParts = int.MaxValue;

    /// <summary>This graph with its namespaces folded to <paramref name="depth"/> parts (no second compilation).</summary>
    public NamespaceGraph Folded(int depth)
    {
        var folded = new NamespaceGraph(depth);
        foreach (var (edge, use) in _edges)
            foreach (var name in _names[edge])
                folded.Add(edge.From, edge.To, name == use.Name ? use : use with { Name = name });
        return folded;
    }

    /// <summary>Edges between units, each with the first use found that makes it.</summary>
    public IReadOnlyDictionary<(string From, string To), NamespaceUse> Edges => _edges;

    public IEnumerable<string> Units => _edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Order(StringComparer.Ordinal);

    /// <summary>The unit of a namespace: its first <paramref name="depth"/> parts (RlTune.Envs.VbotNav -> RlTune.Envs at depth 2).</summary>
    public static string UnitOf(string ns, int depth = 2) => string.Join('.', ns.Split('.').Take(depth));

    /// <summary>
    /// The graph of every .cs file under <paramref name="sourceDir"/> (bin/ and obj/ left out), the project
    /// that builds <paramref name="assembly"/>; namespaces folded to <paramref name="depth"/> parts.
    /// </summary>
    public static NamespaceGraph OfDirectory(string sourceDir, string assembly, int depth = 2)
    {
        var files = Directory.EnumerateFiles(sourceDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(sourceDir, f).Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(sourceDir, f), File.ReadAllText(f)));
        return Of(files, assembly, depth);
    }

    /// <summary>The graph of the given sources, compiled together against this process's platform and package assemblies.</summary>
    public static NamespaceGraph Of(IEnumerable<(string Path, string Text)> sources, string assembly = "Demo", int depth = 2)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, s.Path)).ToList();
        trees.Add(CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "ImplicitUsings.g.cs"));
        // a program of top-level statements (the CLI) is an executable
        var kind = trees.Any(t => t.GetRoot().ChildNodes().OfType<GlobalStatementSyntax>().Any()) ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary;
        var compilation = CSharpCompilation.Create(assembly, trees, References(assembly),
            new CSharpCompilationOptions(kind, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != GeneratorOutputMissing).Take(5).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("the sources do not compile here, so some names would go unseen:\n" + string.Join("\n", errors));

        var graph = new NamespaceGraph(depth);
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                var enclosing = model.GetEnclosingSymbol(node.SpanStart);
                var from = (enclosing as INamespaceSymbol ?? enclosing?.ContainingNamespace) is { IsGlobalNamespace: false } ns ? ns : DeclaredNamespace(model, node);
                if (from is null) continue;
                var used = node switch
                {
                    SimpleNameSyntax name => model.GetSymbolInfo(name).Symbol,
                    ImplicitObjectCreationExpressionSyntax created => model.GetTypeInfo(created).Type,
                    _ => null,
                };
                if (used is null || used is INamespaceSymbol || !SymbolEqualityComparer.Default.Equals(used.ContainingAssembly, compilation.Assembly)) continue;
                var owner = used as INamedTypeSymbol ?? used.ContainingType;
                if (owner is null || owner.IsAnonymousType) continue; // a local, a parameter: its type was counted where it was declared
                graph.Add(from.ToDisplayString(), owner.ContainingNamespace.ToDisplayString(),
                    new NamespaceUse(tree.FilePath, node.GetLocation().GetLineSpan().StartLinePosition.Line + 1, owner.Name));
            }
        }
        return graph;
    }

    /// <summary>Usings and other nodes outside any member: the namespace the file declares.</summary>
    private static INamespaceSymbol? DeclaredNamespace(SemanticModel model, SyntaxNode node) =>
        node.SyntaxTree.GetRoot().DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault() is { } decl
            ? model.GetDeclaredSymbol(decl) as INamespaceSymbol : null;

    /// <summary>This process's assemblies but the one the sources build (compiled here from source instead).</summary>
    private static IEnumerable<MetadataReference> References(string assembly) =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
        .Where(p => Path.GetFileNameWithoutExtension(p) != assembly)
        .Select(p => MetadataReference.CreateFromFile(p));

    private void Add(string from, string to, NamespaceUse use)
    {
        var (a, b) = (UnitOf(from, _depth), UnitOf(to, _depth));
        if (a == b) return;
        _edges.TryAdd((a, b), use);
        (_names.TryGetValue((a, b), out var names) ? names : _names[(a, b)] = new SortedSet<string>(StringComparer.Ordinal)).Add(use.Name);
    }

    /// <summary>A cycle of units (first unit repeated at the end), or null when the graph is acyclic.</summary>
    public IReadOnlyList<string>? FindCycle()
    {
        var next = Units.ToDictionary(u => u, u => _edges.Keys.Where(e => e.From == u).Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        var state = new Dictionary<string, int>(); // 1: on the current path, 2: done
        var path = new List<string>();
        List<string>? Visit(string u)
        {
            state[u] = 1;
            path.Add(u);
            foreach (var v in next[u])
            {
                if (state.GetValueOrDefault(v) == 1) return [.. path.SkipWhile(p => p != v), v];
                if (state.GetValueOrDefault(v) == 0 && Visit(v) is { } found) return found;
            }
            path.RemoveAt(path.Count - 1);
            state[u] = 2;
            return null;
        }
        foreach (var u in next.Keys)
            if (state.GetValueOrDefault(u) == 0 && Visit(u) is { } cycle) return cycle;
        return null;
    }

    /// <summary>A cycle as text, one edge a line with the use that makes it.</summary>
    public string Describe(IReadOnlyList<string> cycle) =>
        string.Join("\n", cycle.Zip(cycle.Skip(1), (a, b) => $"{a} -> {b} ({_edges[(a, b)]})"));

    /// <summary>Every edge, one a line: "RlTune.Study -> RlTune.Storage".</summary>
    public override string ToString() => string.Join("\n", Ordered().Select(e => $"{e.From} -> {e.To}"));

    /// <summary>Every edge with the names it uses, one a line: "RlTune.Study -> RlTune.Storage: IStudyStore, StoreFactory".</summary>
    public string ToStringWithNames() => string.Join("\n", Ordered().Select(e => $"{e.From} -> {e.To}: {string.Join(", ", _names[e])}"));

    private IEnumerable<(string From, string To)> Ordered() =>
        _edges.Keys.OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal);
}
