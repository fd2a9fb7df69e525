namespace RlTune.Bench;

/// <summary>The peers' harnesses: <c>../shared/bench</c> relative to the repository root, found by walking up from the bench binary.</summary>
public static class SharedBench
{
    public static string Dir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "bench");
            if (File.Exists(Path.Combine(candidate, "branin.yaml"))) return candidate;
        }
        throw new DirectoryNotFoundException("../shared/bench (the peers' harnesses) was not found beside the repository; give --spaces DIR.");
    }
}
