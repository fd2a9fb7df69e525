using System.Text.RegularExpressions;

namespace RlTune.Tests.Cli;

/// <summary>`rltune --help` and every command's `--help` print (no crash) and their examples use only options the command has.</summary>
public sealed class HelpTests
{
    private static IReadOnlyList<string> Section(string help, string title)
    {
        var lines = help.Replace("\r", "").Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == title + ":");
        if (start < 0) return [];
        return lines.Skip(start + 1).TakeWhile(l => !Regex.IsMatch(l, "^[A-Z]+:$")).ToList();
    }

    /// <summary>Example lines, with the lines the console wrapped (they start at column 0) joined back on.</summary>
    private static List<string> Examples(string help)
    {
        var examples = new List<string>();
        foreach (var line in Section(help, "EXAMPLES").Where(l => l.Trim().Length > 0))
        {
            if (line.StartsWith("    rltune ", StringComparison.Ordinal)) examples.Add(line.Trim());
            else examples[^1] += " " + line.Trim();
        }
        return examples;
    }

    private static HashSet<string> Options(string help) =>
        Section(help, "OPTIONS").Select(l => Regex.Match(l, @"^\s+(?:-\w, )?(--[\w-]+)")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();

    [Fact]
    public void AutomlHelpSaysHowMetricsAreReadAndNamesTheTimeoutKeys()
    {
        var help = RltuneProcess.Run("automl", "--help");
        Assert.True(help.Code == 0, help.Err);
        var text = Regex.Replace(help.Out, @"\s+", " ");
        Assert.Contains("metrics.json", text);
        Assert.Contains("TensorBoard scalars", text);
        Assert.Contains("startup_seconds", text);
        Assert.Contains("min_steps_per_second", text);
    }

    [Fact]
    public void EveryCommandsHelpPrintsAndItsExamplesUseItsOptions()
    {
        var top = RltuneProcess.Run("--help");
        Assert.True(top.Code == 0, top.Err);
        var commands = Section(top.Out, "COMMANDS").Select(l => Regex.Match(l, @"^    ([a-z][a-z-]*)")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("automl", commands);
        Assert.Contains("export-best", commands);

        var helps = commands.AsParallel().Select(c => (Command: c, Help: RltuneProcess.Run(c, "--help"))).ToDictionary(x => x.Command, x => x.Help);
        foreach (var (command, help) in helps)
        {
            Assert.True(help.Code == 0 && help.Err.Length == 0, $"{command} --help: exit {help.Code}: {help.Err}");
            Assert.Contains("DESCRIPTION:", help.Out);
            Assert.True(Examples(help.Out).Count > 0, $"{command} --help shows no example");
        }

        foreach (var example in Examples(top.Out).Concat(helps.Values.SelectMany(h => Examples(h.Out))))
        {
            var words = Regex.Replace(example, "'[^']*'", "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(helps.ContainsKey(words[1]), $"example '{example}' names no command");
            var options = Options(helps[words[1]].Out);
            foreach (var flag in words.Where(w => w.StartsWith("--", StringComparison.Ordinal)))
                Assert.True(options.Contains(flag), $"example '{example}': {words[1]} has no option {flag}");
        }

        // export-best writes one configuration: a --top it would ignore is not offered
        Assert.DoesNotContain("--top", Options(helps["export-best"].Out));
        Assert.Contains("--top", Options(helps["analyze"].Out));
    }
}
