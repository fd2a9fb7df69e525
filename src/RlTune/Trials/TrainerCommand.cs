using System.Reflection;
using System.Text;

namespace RlTune.Trials;

/// <summary>
/// The command that trains one trial, a template with <c>{config}</c>, <c>{run_dir}</c>,
/// <c>{trial}</c>, <c>{seed}</c> and <c>{device}</c> (the trial's device, with <c>--devices</c>). Split into arguments like a shell would (quotes, backslash);
/// a template using shell syntax (pipes, &amp;&amp;, redirection, $VARS) runs under /bin/sh with
/// the placeholders quoted.
/// </summary>
public sealed record TrainerCommand(string Template)
{
    public static readonly string[] Placeholders = ["{config}", "{run_dir}", "{trial}", "{seed}", "{device}"];

    public bool UsesDevice => Template.Contains("{device}", StringComparison.Ordinal);

    /// <summary>The built-in trainer: this same rltune program's <c>train-one</c>, with its thread counts and extra options.</summary>
    public static TrainerCommand BuiltIn(int? threads = null, string extraOptions = "") =>
        new(string.Join(' ', RltuneInvocation().Select(QuoteForTemplate)) + " train-one --config {config}"
            + (threads is { } t ? $" --threads {t} --env-threads {t}" : "") + (extraOptions.Length > 0 ? " " + extraOptions : ""));

    /// <summary>True for the built-in trainer's template (it takes train-one's own options).</summary>
    public bool IsBuiltIn => Template.Contains(" train-one --config {config}", StringComparison.Ordinal);

    public bool UsesShell => Template.IndexOfAny(['|', '&', ';', '<', '>', '$', '`', '(', ')', '*', '?']) >= 0;

    /// <summary>Checks the template once, before any trial starts.</summary>
    public void Validate(string where)
    {
        if (string.IsNullOrWhiteSpace(Template)) throw new UserError($"{where}: the trainer command is empty; expected a command such as \"python3 train_one.py --config {{config}}\".");
        if (!Template.Contains("{config}", StringComparison.Ordinal) && !Template.Contains("{run_dir}", StringComparison.Ordinal))
            throw new UserError($"{where}: the trainer command \"{Template}\" names neither {{config}} nor {{run_dir}}, so the trainer could not know its trial; add --config {{config}}.");
        if (!UsesShell) _ = Split(Template, where);
    }

    /// <summary>The program and its arguments with the placeholders filled in.</summary>
    public (string Program, IReadOnlyList<string> Arguments) Expand(string configPath, string runDir, int trial, int seed, string? device = null)
    {
        string Fill(string s, Func<string, string> quote) => s
            .Replace("{config}", quote(configPath), StringComparison.Ordinal)
            .Replace("{run_dir}", quote(runDir), StringComparison.Ordinal)
            .Replace("{device}", quote(device ?? ""), StringComparison.Ordinal)
            .Replace("{trial}", trial.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{seed}", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        if (UsesShell) return ("/bin/sh", ["-c", Fill(Template, ShellQuote)]);
        var words = Split(Template, "trainer command").Select(w => Fill(w, s => s)).ToList();
        return (words[0], words.Skip(1).ToList());
    }

    /// <summary>How to start the rltune that is running now: its apphost, or dotnet with its dll.</summary>
    public static IReadOnlyList<string> RltuneInvocation()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "rltune") return [process];
        var entry = Assembly.GetEntryAssembly();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
        if (entry?.GetName().Name == "rltune" && entry.Location.Length > 0) return [dotnet, entry.Location];
        // Under a test host or another program: the rltune built beside it.
        var dir = AppContext.BaseDirectory;
        var apphost = Path.Combine(dir, OperatingSystem.IsWindows() ? "rltune.exe" : "rltune");
        if (File.Exists(apphost)) return [apphost];
        var dll = Path.Combine(dir, "rltune.dll");
        if (File.Exists(dll)) return [dotnet, dll];
        throw new InvalidOperationException($"cannot find the rltune program to run the built-in trainer (looked in {dir})");
    }

    private static string QuoteForTemplate(string s) => s.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\') ? ShellQuote(s) : s;

    public static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Splits a command line into words: whitespace separates, '...' and "..." group, \ escapes.</summary>
    public static List<string> Split(string commandLine, string where)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = '\0';
                else current.Append(c);
            }
            else if (quote == '"')
            {
                if (c == '"') quote = '\0';
                else if (c == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\') current.Append(commandLine[++i]);
                else current.Append(c);
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                inWord = true;
                if (c is '\'' or '"') quote = c;
                else if (c == '\\' && i + 1 < commandLine.Length) current.Append(commandLine[++i]);
                else current.Append(c);
            }
        }
        if (quote != '\0') throw new UserError($"{where}: the trainer command \"{commandLine}\" has an unclosed {quote} quote.");
        if (inWord) words.Add(current.ToString());
        if (words.Count == 0) throw new UserError($"{where}: the trainer command is empty.");
        return words;
    }
}
