namespace RlTune.Trials;

/// <summary>Write-then-rename file updates, so a reader (or a kill -9) never leaves half a file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = $"{full}.tmp{Environment.ProcessId}.{Environment.CurrentManagedThreadId}";
        File.WriteAllText(tmp, text);
        File.Move(tmp, full, overwrite: true);
    }
}
