namespace RlTune.Trials;

/// <summary>Finds the checkpoint a trainer left in its run dir (the built-in trainer and skrl keep them in checkpoints/).</summary>
public static class RunCheckpoints
{
    /// <summary>The final checkpoint when there is one, else the best, else the newest; null when the run dir holds none.</summary>
    public static string? Find(string runDir)
    {
        if (!Directory.Exists(runDir)) return null;
        var files = Directory.EnumerateFiles(runDir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetDirectoryName(f)!.Split(Path.DirectorySeparatorChar).Contains("checkpoints") || Path.GetFileName(f).Contains("checkpoint", StringComparison.OrdinalIgnoreCase))
            .Where(f => !Path.GetFileName(f).StartsWith(".", StringComparison.Ordinal) && !f.EndsWith(".tmp", StringComparison.Ordinal))
            .ToList();
        if (files.Count == 0) return null;
        return files.FirstOrDefault(f => Path.GetFileName(f).Contains("final", StringComparison.OrdinalIgnoreCase))
               ?? files.FirstOrDefault(f => Path.GetFileName(f).Contains("best", StringComparison.OrdinalIgnoreCase))
               ?? files.MaxBy(File.GetLastWriteTimeUtc)!;
    }
}
