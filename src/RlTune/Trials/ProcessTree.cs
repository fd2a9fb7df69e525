using System.Globalization;
using System.Runtime.InteropServices;

namespace RlTune.Trials;

/// <summary>
/// A process and its descendants read from /proc (Linux), so a trainer can be asked to stop
/// (SIGTERM to the whole tree) and, if it does not, killed with every process it started, even those
/// its exit would orphan. Each process is named with its start time, so a reused pid is never signalled.
/// Written here because .NET only offers an immediate SIGKILL of a tree.
/// </summary>
public static class ProcessTree
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>(pid, start time) of <paramref name="root"/> and every descendant now alive, root first; empty if the root is gone or there is no /proc.</summary>
    public static IReadOnlyList<(int Pid, long StartTicks)> Of(int root)
    {
        if (!Directory.Exists("/proc")) return [];
        var children = new Dictionary<int, List<(int, long)>>();
        long? rootTicks = null;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Stat(pid) is not { } s) continue;
            if (pid == root) rootTicks = s.StartTicks;
            if (!children.TryGetValue(s.ParentPid, out var list)) children[s.ParentPid] = list = [];
            list.Add((pid, s.StartTicks));
        }
        if (rootTicks is null) return [];
        var tree = new List<(int, long)> { (root, rootTicks.Value) };
        for (int i = 0; i < tree.Count; i++)
            if (children.TryGetValue(tree[i].Item1, out var kids)) tree.AddRange(kids);
        return tree;
    }

    /// <summary>Field 22 of /proc/PID/stat: start time in clock ticks since boot; null when the process is gone (or not on Linux).</summary>
    public static long? StartTicks(int pid) => Stat(pid)?.StartTicks;

    /// <summary>Sends <paramref name="signal"/> to each process of <paramref name="tree"/> still running as the one recorded.</summary>
    public static void Signal(IEnumerable<(int Pid, long StartTicks)> tree, int signal)
    {
        foreach (var (pid, ticks) in tree)
            if (StartTicks(pid) == ticks) Kill(pid, signal);
    }

    private static (int ParentPid, long StartTicks)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // the command name (field 2) is in parentheses and may hold spaces: fields 3 on follow the last ')'
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
