using RlTune.Analysis;
using Spectre.Console.Cli;

namespace RlTune.Cli.Commands;

/// <summary><c>rltune report</c>: rebuilds the study's pictures, analysis/report.md and the self-contained report.html.</summary>
public sealed class ReportCommand : Command<RankingOptions>
{
    public override int Execute(CommandContext context, RankingOptions s, CancellationToken cancellationToken)
    {
        if (s.Top < 1) throw new UserError($"--top: {s.Top} is not a count; expected 1 or more.");
        using var study = OpenedStudy.Open(s);
        var output = StudyReport.Build(study.Context.ReportInputs(study.Metric(s), s.Top));
        if (output.Message is not null) Console.WriteLine(output.Message);
        Console.WriteLine($"wrote {output.YamlPath}");
        Console.WriteLine($"wrote {output.MarkdownPath}" + (output.Pictures.Count > 0 ? $" and {output.Pictures.Count} pictures beside it" : ""));
        var live = Path.Combine(study.StudyDir, StudyReport.MarkdownName);
        if (File.Exists(live)) Console.WriteLine($"live status (automl refreshes it as trials end): {live}");
        Console.WriteLine($"wrote {output.HtmlPath}: the whole report in one file, pictures embedded; open it in a browser");
        return 0;
    }
}
