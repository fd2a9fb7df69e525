using System.Diagnostics;
using RlTune.Analysis;
using RlTune.Storage;
using RlTune.Study;
using RlTune.Tests.Trials;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>A temp run root with small search spaces and the fake trainer, for end-to-end automl tests.</summary>
public sealed class AutomlHarness : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("rltune-automl-").FullName;
    public string Output => Path.Combine(Root, "runs");

    public const string TinySpace = """
        search_space_id: tiny
        ppo_params:
          learning_rate: { type: loguniform, low: 1.0e-5, high: 1.0e-2, prior: 3.0e-4 }
          x: { type: uniform, low: 0.0, high: 1.0 }
        reward_weights:
          arrival_bonus: { type: uniform, low: 0.0, high: 1.0 }
        """;

    public const string GridSpace = """
        search_space_id: small_grid
        ppo_params:
          a: { type: choice, values: [0.1, 0.3, 0.5] }
          b: { type: choice, values: [0.2, 0.4] }
        reward_weights: {}
        """;

    public string WriteFile(string name, string text)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Settings for a quick study on the tiny space with the fake trainer in <paramref name="mode"/>.</summary>
    public StudySettings Settings(string mode = "metrics", string study = "s", string? space = null) => new()
    {
        StudyName = study,
        Output = Output,
        Env = "fake-env",
        Space = space ?? WriteFile("tiny.yaml", TinySpace),
        SearchMethod = "random",
        HpTrials = 4,
        StepsPerTrial = 1000,
        TrainerCommand = TrialRunnerTests.Fake(mode).Template,
        ObjectiveMetric = "value",
        Direction = RlTune.Search.ObjectiveDirection.Minimize,
        TimeoutStartupSeconds = 30,
        // one trial per configuration, so counts stay what each test sets out; IntensificationTests turn it on
        Intensify = IntensifyMode.Off,
    };

    /// <summary>Runs automl; <paramref name="clock"/> (default: the system's) is the study's clock, see <see cref="AutomlPipeline.Clock"/>.</summary>
    public static Task<AutomlResult> Run(StudySettings s, CancellationToken ct = default, TimeProvider? clock = null, IStudyObserver? observer = null) =>
        new AutomlPipeline(s, new ReportingObserver(observer ?? SilentObserver.Instance)) { Clock = clock ?? TimeProvider.System }.RunAsync(ct);

    /// <summary>Runs the study in this process while <paramref name="workers"/> `rltune worker` processes join it on <paramref name="storage"/>; each must exit 0.</summary>
    public async Task<AutomlResult> RunWithWorkers(StudySettings s, string storage, int workers)
    {
        using var store = StoreFactory.Open(storage, Root);
        var automl = Run(s);
        while (store.FindStudy(s.StudyName!) is null && !automl.IsCompleted) await Task.Delay(20);
        var joined = Enumerable.Range(1, workers).Select(w => CliAsync(["worker", "--study", s.StudyName!, "--storage", storage, "--output", Path.Combine(Root, $"w{w}")])).ToList();
        var result = await automl;
        foreach (var w in joined)
        {
            var (code, stdout, stderr) = await w;
            Xunit.Assert.True(code == 0, $"worker exited {code}: {stdout}{stderr}");
            Xunit.Assert.Contains($"worker on study {s.StudyName} stopped", stdout);
        }
        return result;
    }

    public (StudyRecord Study, IReadOnlyList<TrialRecord> Trials, IReadOnlyDictionary<string, string> Attrs) Read(string study = "s")
    {
        using var store = StoreFactory.Open(null, Output);
        var record = store.FindStudy(study) ?? throw new InvalidOperationException($"no study {study}");
        return (record, store.GetTrials(record.Id), store.GetStudyAttrs(record.Id));
    }

    /// <summary>Runs the built rltune CLI; returns exit code, stdout and stderr.</summary>
    public (int Code, string Stdout, string Stderr) Cli(params string[] args) => CliAsync(args).GetAwaiter().GetResult();

    public async Task<(int Code, string Stdout, string Stderr)> CliAsync(string[] args, Action<Process>? whileRunning = null)
    {
        var invocation = TrainerCommand.RltuneInvocation();
        var psi = new ProcessStartInfo(invocation[0]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var a in invocation.Skip(1).Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        whileRunning?.Invoke(p);
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, true);
        }
        catch (IOException)
        {
            // a killed trainer may still be letting go of a file; the temp dir is cleaned by the OS later
        }
    }
}
