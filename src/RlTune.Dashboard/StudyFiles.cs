namespace RlTune.Dashboard;

/// <summary>
/// The files the API may hand out: only those inside a study's own directory under the run root.
/// A requested path is resolved (".." segments, absolute paths, symbolic links followed to their
/// final target) and refused unless it still lies inside; so no request escapes the run dir.
/// </summary>
public static class StudyFiles
{
    /// <summary>Largest file the API returns whole (event files and checkpoints are listed, and read by their own tools).</summary>
    public const long MaxBytes = 4 << 20;

    private const int MaxListed = 500;

    /// <summary>The study's directory under the run root; a study name that would leave it is refused.</summary>
    public static string StudyDir(string output, string study)
    {
        var root = Path.GetFullPath(output);
        var dir = Path.GetFullPath(Path.Combine(root, study));
        if (Relative(root, dir) is not { Length: > 0 }) throw new UserError($"study name '{study}' does not name a directory inside the run root.");
        return dir;
    }

    /// <summary><paramref name="path"/> relative to <paramref name="dir"/> ('/'-separated) when it lies inside it (after following links), else null.</summary>
    public static string? Relative(string dir, string path)
    {
        var root = Real(Path.GetFullPath(dir));
        var full = Real(Path.GetFullPath(path));
        if (full == root) return "";
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return full.StartsWith(prefix, StringComparison.Ordinal) ? full[prefix.Length..].Replace(Path.DirectorySeparatorChar, '/') : null;
    }

    /// <summary>The full path of a file named by a study-relative path; a UserError saying why when it is outside the study dir, missing or too large.</summary>
    public static string Resolve(string studyDir, string? relative)
    {
        if (string.IsNullOrWhiteSpace(relative)) throw new UserError("path: expected a file's path relative to the study directory, e.g. trials/trial_0000/summary.yaml.");
        if (Path.IsPathRooted(relative) || relative.Contains('\0'))
            throw new UserError($"path: '{relative}' is not a relative path inside the study directory.");
        var full = Path.GetFullPath(Path.Combine(studyDir, relative));
        if (Relative(studyDir, full) is not { Length: > 0 })
            throw new UserError($"path: '{relative}' leads outside the study directory; only files inside it are served.");
        if (!File.Exists(full)) throw new FileNotFoundException($"path: there is no file '{relative}' in the study directory.");
        if (new FileInfo(full).Length > MaxBytes) throw new UserError($"path: '{relative}' is larger than {MaxBytes >> 20} MiB; read it from the run dir directly.");
        return full;
    }

    /// <summary>The files under <paramref name="dirs"/> (each inside the study dir; links leading out are left out), study-relative, at most a few hundred.</summary>
    public static IReadOnlyList<FileView> List(string studyDir, IEnumerable<string> dirs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<FileView>();
        foreach (var dir in dirs.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                if (files.Count >= MaxListed) return files;
                if (Relative(studyDir, file) is { Length: > 0 } rel && seen.Add(rel)) files.Add(new FileView(rel, new FileInfo(file).Length));
            }
        }
        return files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>A run-dir file's content type: never one a browser would run (an HTML or SVG a trainer wrote is shown as text); unknown kinds as text a person reads.</summary>
    public static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".json" => "application/json; charset=utf-8",
        ".ckpt" or ".pt" or ".pth" or ".npz" or ".npy" or ".bin" => "application/octet-stream",
        _ when Path.GetFileName(path).StartsWith("events.out.tfevents", StringComparison.Ordinal) => "application/octet-stream",
        _ => "text/plain; charset=utf-8",
    };

    // Follows symbolic links in every component, so "a/link/../b" and "link-to-/etc/passwd" are judged where they really lead.
    private static string Real(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        var parts = fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                return Real(Path.GetFullPath(Path.Combine([target.FullName, .. parts[(i + 1)..]])));
            current = next;
        }
        return current;
    }
}
