namespace RlTune.TensorBoard;

/// <summary>One logged value of a scalar tag.</summary>
public readonly record struct ScalarPoint(long Step, double WallTime, double Value);

/// <summary>
/// The scalars of one or more event files, by tag, in file order. <see cref="Problems"/> names
/// each file that ended in a truncated or corrupt record (reading stopped at its last good one).
/// </summary>
public sealed record ScalarLog(IReadOnlyDictionary<string, IReadOnlyList<ScalarPoint>> Scalars, IReadOnlyList<string> Files, IReadOnlyList<string> Problems)
{
    public IReadOnlyList<ScalarPoint> this[string tag] => Scalars.TryGetValue(tag, out var points) ? points : [];
}

/// <summary>Reads TensorBoard event files written by us, TensorBoard, TensorFlow, PyTorch or skrl.</summary>
public static class EventFileReader
{
    public const string FilePrefix = "events.out.tfevents.";

    /// <summary>
    /// Reads one event file. A truncated tail (a writer still running, or killed) or a corrupt
    /// record stops reading at the last good record and is reported in <see cref="ScalarLog.Problems"/>;
    /// with <paramref name="strict"/> it throws <see cref="InvalidDataException"/> instead.
    /// </summary>
    public static ScalarLog ReadFile(string path, bool strict = false) => Read([path], strict);

    /// <summary>Reads every event file under <paramref name="directory"/> (recursively), oldest name first.</summary>
    public static ScalarLog ReadDirectory(string directory, bool strict = false) => Read(FindEventFiles(directory), strict);

    public static IReadOnlyList<string> FindEventFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, FilePrefix + "*", SearchOption.AllDirectories)
                .OrderBy(p => Path.GetFileName(p), StringComparer.Ordinal).ThenBy(p => p, StringComparer.Ordinal).ToList()
            : [];

    private static ScalarLog Read(IReadOnlyList<string> paths, bool strict)
    {
        var scalars = new Dictionary<string, List<ScalarPoint>>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var path in paths)
        {
            byte[] bytes;
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[fs.Length];
                fs.ReadExactly(bytes);
            }
            var records = TfRecord.ReadAll(bytes, out var problem);
            var pluginByTag = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var record in records)
            {
                TensorBoardEvent ev;
                try
                {
                    ev = EventCodec.Decode(record.Span, pluginByTag);
                }
                catch (InvalidDataException e)
                {
                    problem = $"undecodable event ({e.Message})";
                    break;
                }
                foreach (var s in ev.Scalars)
                {
                    if (!scalars.TryGetValue(s.Tag, out var list)) scalars[s.Tag] = list = [];
                    list.Add(new ScalarPoint(ev.Step, ev.WallTime, s.Value));
                }
            }
            if (problem is null) continue;
            var message = $"{path}: {problem}";
            if (strict) throw new InvalidDataException($"TensorBoard event file {message}.");
            problems.Add(message);
        }
        return new ScalarLog(scalars.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<ScalarPoint>)kv.Value, StringComparer.Ordinal), paths, problems);
    }
}
