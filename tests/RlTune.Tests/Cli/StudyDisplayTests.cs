using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using RlTune.Cli.Display;
using RlTune.Study;
using RlTune.Trials;

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
    public void ARunningTrialGetsAProgressLineAtLeastEveryIntervalEvenWhenItsTrainerIsQuiet()
    {
        var output = new StringWriter();
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var display = new PlainStudyDisplay(output, new StudySettings().ProgressIntervalSeconds, clock);
        Assert.True(new StudySettings().ProgressIntervalSeconds <= 10);
        string[] Lines() => output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        display.TrialStarted(3, 0, new Dictionary<string, object>());
        for (var s = 0; s < 11; s++) clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("trial 3 seed 0: running, no progress line yet after 10 s", Lines()[^1]);

        display.TrialProgress(3, 0, new TrialProgress(1000, 10000, 1.5, 0.25));
        Assert.StartsWith("trial 3 seed 0: step 1000/10000", Lines()[^1]);
        var count = Lines().Length;
        for (var s = 0; s < 5; s++) clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(count, Lines().Length); // within the interval: nothing repeated
        for (var s = 0; s < 6; s++) clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Matches(new Regex(@"^trial 3 seed 0: step 1000/10000 .* \(no new progress for 1\d s\)$"), Lines()[^1]);

        display.TrialFinished(new TrialRecord { StudyId = 1, Number = 3, State = TrialState.Complete, Score = 0.5, Params = new Dictionary<string, object>() }, isBest: true);
        count = Lines().Length;
        for (var s = 0; s < 30; s++) clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(count, Lines().Length); // a finished trial goes quiet
    }
}
