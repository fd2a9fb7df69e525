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
        Console.WriteLine($"wrote {output.HtmlPath} ({output.Pictures.Count} pictures embedded)");
        Console.WriteLine($"wrote {output.MarkdownPath}");
        Console.WriteLine($"wrote {output.YamlPath}");
        return 0;
    }
}
