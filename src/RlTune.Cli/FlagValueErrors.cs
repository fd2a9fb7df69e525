using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace RlTune.Cli;

/// <summary>
/// Spectre reports a flag value it cannot convert as "Failed to convert 'abc' to Nullable`1."; this
/// names the flag and what it takes instead.
/// </summary>
public static partial class FlagValueErrors
{
    /// <summary>One sentence for a conversion failure of <paramref name="args"/>, or null when <paramref name="message"/> is not one.</summary>
    public static string? Describe(string message, IReadOnlyList<string> args)
    {
        var m = ConversionFailed().Match(message);
        if (!m.Success) return null;
        var value = m.Groups[1].Value;
        var at = -1;
        for (var i = 1; i < args.Count; i++)
            if (args[i] == value && args[i - 1].StartsWith("--", StringComparison.Ordinal)) at = i;
        if (at > 0)
        {
            var flag = args[at - 1];
            return $"{flag}: '{value}' is not {Expected(flag) ?? "a value it takes"}.";
        }
        // no such value on the line: a flag at the end was given no value
        var last = args.LastOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && Expected(a) is not null);
        return last is null ? null : $"{last}: expected {Expected(last)} after it, got nothing.";
    }

    /// <summary>What a numeric flag takes ("a whole number from 0 to 2147483647"), null for a flag that is not numeric.</summary>
    private static string? Expected(string flag)
    {
        var name = flag[2..];
        var type = typeof(FlagValueErrors).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(CommandSettings)))
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .FirstOrDefault(p => p.GetCustomAttribute<CommandOptionAttribute>()?.LongNames.Contains(name) == true)?.PropertyType;
        return (type is null ? null : Nullable.GetUnderlyingType(type) ?? type) switch
        {
            { } t when t == typeof(int) => "a whole number up to 2147483647",
            { } t when t == typeof(long) => "a whole number up to 9223372036854775807",
            { } t when t == typeof(double) => "a number",
            _ => null,
        };
    }

    [GeneratedRegex(@"^Failed to convert '(.*)' to ")]
    private static partial Regex ConversionFailed();
}
