namespace RlTune;

/// <summary>Makes sure a directory the user named can be written, so a bad path is one sentence, not a .NET exception mid-run.</summary>
public static class WritableDirectory
{
    /// <summary>Creates <paramref name="path"/> if needed and checks a file can be written there; <paramref name="where"/> names the flag or field.</summary>
    public static string Ensure(string path, string where)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full)) throw new UserError($"{where}: {full} is a file; expected a directory to write into.");
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".rltune-write-check-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"{where}: cannot write to {full} ({e.Message.TrimEnd('.')}).");
        }
        return full;
    }
}
