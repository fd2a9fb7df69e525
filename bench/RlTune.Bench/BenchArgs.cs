using System.Globalization;

namespace RlTune.Bench;

/// <summary>`--name value` options of a benchmark, with defaults.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public BenchArgs(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value, got '{args[i]}'");
            _values[args[i][2..]] = args[++i];
        }
    }

    public int Int(string name, int fallback) => _values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public int[] Sizes(string name, string fallback) =>
        (_values.TryGetValue(name, out var v) ? v : fallback).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
