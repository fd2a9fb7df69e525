using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RlTune.Dashboard;

/// <summary>
/// The pages: one HTML shell for every page path (its script draws the view the path names from the
/// API), and its script, style and the vendored Chart.js, embedded in the assembly (wwwroot/) and
/// served by exact name only, so no request names a file on disk.
/// </summary>
internal static class DashboardPages
{
    private const string Prefix = "RlTune.Dashboard.wwwroot/";

    private static readonly FrozenDictionary<string, byte[]> Assets = Load();

    public static void Map(WebApplication app)
    {
        app.MapGet("/assets/{**file}", (string file) => Assets.TryGetValue(file, out var bytes) ? Results.Bytes(bytes, ContentType(file)) : Results.NotFound());
        IResult Shell() => Results.Bytes(Assets["index.html"], "text/html; charset=utf-8");
        app.MapGet("/", Shell);
        app.MapGet("/studies/{name}", (string name) => Shell());
        app.MapGet("/studies/{name}/trials/{number:int}", (string name, int number) => Shell());
    }

    private static string ContentType(string file) => Path.GetExtension(file) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(DashboardPages).Assembly;
        var assets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[resource[Prefix.Length..].Replace('\\', '/')] = copy.ToArray();
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
