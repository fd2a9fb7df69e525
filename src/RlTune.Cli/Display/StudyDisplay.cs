using System.Globalization;
using RlTune.Search;
using RlTune.Study;
using RlTune.Trials;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RlTune.Cli.Display;

public static class StudyDisplay
{
    /// <summary>True when stdout is a terminal that can redraw (else plain lines, no animation).</summary>
    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    // NaN is what the trainer reports before its first episode ends: shown as "-" like a missing value
    public static string Num(double? v) => v is { } d && !double.IsNaN(d) ? d.ToString("G4", CultureInfo.InvariantCulture) : "-";

    public static string Params(IReadOnlyDictionary<string, object> p, int max = 6) =>
        string.Join(" ", p.OrderBy(kv => kv.Key, StringComparer.Ordinal).Take(max).Select(kv => $"{kv.Key}={(kv.Value is double d ? Num(d) : ParamValues.Canonical(kv.Value))}"))
        + (p.Count > max ? $" (+{p.Count - max} more)" : "");

    /// <summary>Elapsed time as 0m05s or 2h03m (no brackets: "[0m00s]" read as a broken colour code).</summary>
    public static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : $"{t.Minutes}m{t.Seconds:D2}s";
}

/// <summary>
/// Plain lines for logs and pipes: trial starts and ends, and a running trial's progress at least
/// every interval (its latest step again, with how long ago it came, when its trainer printed nothing new).
/// </summary>
public sealed class PlainStudyDisplay(TextWriter output, double progressIntervalSeconds, TimeProvider? clock = null) : IStudyObserver
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<(int, int), DateTimeOffset> _lastProgress = [];
    // trials started and not yet finished: when their last line was printed and their latest progress
    private readonly Dictionary<(int Trial, int Seed), (DateTimeOffset Printed, DateTimeOffset Since, TrialProgress? Latest)> _running = [];
    private ITimer? _ticker;
    private StudyBudget? _budget;

    private void Line(string text)
    {
        lock (_lock)
        {
            var elapsed = _budget is null ? "" : $"{StudyDisplay.Clock(_budget.Elapsed)}  ";
            output.WriteLine(elapsed + text);
            output.Flush();
        }
    }

    public void StudyStarted(string study, string description, int targetTrials, StudyBudget budget)
    {
        _budget = budget;
        Line($"study {study}: {description}; {targetTrials} trials{(budget.Limit is { } l ? $", budget {StudyDisplay.Clock(l)}" : "")}");
    }

    public void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters)
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            _running[(number, seed)] = (now, now, null);
            _ticker ??= _clock.CreateTimer(_ => Remind(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
        Line($"trial {number} seed {seed} started: {StudyDisplay.Params(parameters)}");
    }

    public void TrialProgress(int number, int seed, TrialProgress p)
    {
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            var printed = _lastProgress.TryGetValue((number, seed), out var last) && (now - last).TotalSeconds < progressIntervalSeconds;
            if (_running.TryGetValue((number, seed), out var r)) _running[(number, seed)] = (printed ? r.Printed : now, now, p);
            if (printed) return;
            _lastProgress[(number, seed)] = now;
        }
        Line(ProgressText(number, seed, p));
    }

    private static string ProgressText(int number, int seed, TrialProgress p) =>
        $"{(number < 0 ? "full training" : $"trial {number}")} seed {seed}: step {p.Step}/{p.Of} ({p.Fraction:P0}) reward {StudyDisplay.Num(p.Reward)} success {StudyDisplay.Num(p.Success)}";

    // a trial whose trainer printed nothing new for an interval still gets a line, so a log never goes quiet
    private void Remind()
    {
        var lines = new List<string>();
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            foreach (var (key, r) in _running.ToList())
            {
                if ((now - r.Printed).TotalSeconds < progressIntervalSeconds) continue;
                _running[key] = (now, r.Since, r.Latest);
                if (r.Latest is not null) _lastProgress[key] = now; // counts as the interval's progress line
                var quiet = (int)(now - r.Since).TotalSeconds;
                var fresh = r.Since > r.Printed; // progress came but was held back by the interval
                lines.Add(r.Latest is { } p
                    ? ProgressText(key.Trial, key.Seed, p) + (fresh ? "" : $" (no new progress for {quiet} s)")
                    : $"trial {key.Trial} seed {key.Seed}: running, no progress line yet after {quiet} s");
            }
        }
        foreach (var line in lines) Line(line);
    }

    public void TrialFinished(TrialRecord r, bool isBest)
    {
        lock (_lock)
        {
            foreach (var key in _running.Keys.Where(k => k.Trial == r.Number).ToList()) _running.Remove(key);
            if (_running.Count == 0)
            {
                _ticker?.Dispose();
                _ticker = null;
            }
        }
        Line(r.State == TrialState.Complete
            ? $"trial {r.Number} complete: score {StudyDisplay.Num(r.Score)}{(r.SeedRuns.Count > 1 ? $" ± {StudyDisplay.Num(r.ScoreStd)}" : "")}{(isBest ? " (best so far)" : "")}"
            : $"trial {r.Number} {r.State.ToText()}: {r.Error}");
    }

    public void Note(string message) => Line("note: " + message);
}

/// <summary>
/// The live terminal view (Spectre.Console): trials done/running/failed, best so far, elapsed
/// against the budget, a progress bar per running trial, and the latest events.
/// </summary>
public sealed class LiveStudyDisplay : IStudyObserver
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(int Trial, int Seed), TrialProgress?> _running = [];
    private readonly List<string> _events = [];
    private string _title = "starting";
    private int _target, _complete, _failed;
    private double? _best;
    private int? _bestTrial;
    private StudyBudget? _budget;

    public async Task<T> RunAsync<T>(Func<IStudyObserver, Task<T>> work)
    {
        T result = default!;
        await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async ctx =>
        {
            var task = work(this);
            while (!task.IsCompleted)
            {
                ctx.UpdateTarget(Render());
                await Task.WhenAny(task, Task.Delay(500));
            }
            ctx.UpdateTarget(Render());
            result = await task;
        });
        return result;
    }

    private IRenderable Render()
    {
        lock (_lock)
        {
            var head = new Markup(
                $"[bold]{Markup.Escape(_title)}[/]\n" +
                $"trials [green]{_complete} done[/], [yellow]{_running.Count} running[/], [red]{_failed} failed[/] of {_target}" +
                $"   best [bold]{StudyDisplay.Num(_best)}[/]{(_bestTrial is { } b ? $" (trial {b})" : "")}" +
                $"   elapsed {(_budget is null ? "-" : StudyDisplay.Clock(_budget.Elapsed))}{(_budget?.Limit is { } l ? $" of {StudyDisplay.Clock(l)}" : "")}");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("trial", "seed", "progress", "step", "reward", "success");
            foreach (var ((trial, seed), p) in _running.OrderBy(kv => kv.Key.Trial))
            {
                var frac = p?.Fraction ?? 0;
                var bar = new string('█', (int)(frac * 20)) + new string('░', 20 - (int)(frac * 20));
                table.AddRow(trial < 0 ? "full" : trial.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture),
                    $"{bar} {frac:P0}", p is null ? "-" : $"{p.Step}/{p.Of}", StudyDisplay.Num(p?.Reward), StudyDisplay.Num(p?.Success));
            }
            var events = new Markup(string.Join("\n", _events.TakeLast(8).Select(Markup.Escape)));
            return new Rows(head, table, events);
        }
    }

    private void Event(string text)
    {
        lock (_lock) _events.Add($"{(_budget is null ? "" : $"{StudyDisplay.Clock(_budget.Elapsed)}  ")}{text}");
    }

    public void StudyStarted(string study, string description, int targetTrials, StudyBudget budget)
    {
        lock (_lock)
        {
            _title = $"study {study}: {description}";
            _target = targetTrials;
            _budget = budget;
        }
    }

    public void TrialStarted(int number, int seed, IReadOnlyDictionary<string, object> parameters)
    {
        lock (_lock)
        {
            foreach (var key in _running.Keys.Where(k => k.Trial == number).ToList()) _running.Remove(key);
            _running[(number, seed)] = null;
        }
        Event($"trial {number} seed {seed} started: {StudyDisplay.Params(parameters, 4)}");
    }

    public void TrialProgress(int number, int seed, TrialProgress progress)
    {
        lock (_lock) _running[(number, seed)] = progress;
    }

    public void TrialFinished(TrialRecord r, bool isBest)
    {
        lock (_lock)
        {
            foreach (var key in _running.Keys.Where(k => k.Trial == r.Number).ToList()) _running.Remove(key);
            if (r.State == TrialState.Complete) _complete++;
            else _failed++;
            if (isBest)
            {
                _best = r.Score;
                _bestTrial = r.Number;
            }
        }
        Event(r.State == TrialState.Complete
            ? $"trial {r.Number} complete: score {StudyDisplay.Num(r.Score)}{(isBest ? " (best so far)" : "")}"
            : $"trial {r.Number} {r.State.ToText()}: {r.Error}");
    }

    public void Note(string message) => Event("note: " + message);
}
