using System.Text.RegularExpressions;
using RlTune.Cli.Display;
using RlTune.Study;

namespace RlTune.Tests.Cli;

public sealed class StudyDisplayTests
{
    [Fact]
    public void PlainLinesStartWithTheElapsedTimeWithoutBracketsThatReadAsAColourCode()
    {
        var output = new StringWriter();
        var display = new PlainStudyDisplay(output, new StudySettings().ProgressIntervalSeconds);
        display.StudyStarted("nav", "hp-search", 4, new StudyBudget(null, TimeSpan.FromSeconds(65)));
        display.Note("hello");
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(new Regex(@"^1m0\ds  study nav: hp-search; 4 trials"), lines[0]);
        Assert.Matches(new Regex(@"^1m0\ds  note: hello"), lines[1]);
        Assert.DoesNotContain('[', output.ToString());
    }

    [Fact]
    public void ProgressIsShownAtLeastEveryTenSecondsByDefault() => Assert.True(new StudySettings().ProgressIntervalSeconds <= 10);
}
