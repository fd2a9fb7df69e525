using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using RlTune.Study;
using RlTune.Tests.Trials;
using RlTune.Trials;

namespace RlTune.Tests.Automl;

/// <summary>
/// --devices without a GPU: the fake trainer's device mode takes one of its device's slots (an exclusive
/// lock the kernel frees when the process dies, so an overbooked device is seen even across a kill) and
/// records the CUDA_VISIBLE_DEVICES and {device} it was given and when it held them.
/// </summary>
public sealed class DeviceTests : IDisposable
{
    private readonly AutomlHarness _h = new();

    public void Dispose() => _h.Dispose();

    private const int Victim = 2;

    private sealed record Hold(int Trial, string? Cuda, string? DeviceArg, bool Overbooked, double Start, double? End);

    [Theory]
    [InlineData(1, 12)]
    [InlineData(2, 16)]
    public async Task EachSlotOwnsADeviceAndAKilledTrialFreesItBeforeTheNextTakesIt(int perDevice, int trials)
    {
        string[] devices = ["0", "1", "2", "3"];
        var locks = Directory.CreateDirectory(Path.Combine(_h.Root, "locks")).FullName;
        var s = _h.Settings() with
        {
            HpTrials = trials,
            Devices = devices,
            TrialsPerDevice = perDevice,
            TrainerCommand = $"/usr/bin/python3 {TrainerCommand.ShellQuote(TrialRunnerTests.FakeTrainer)} device@0.4 {{config}} {{run_dir}} {{device}} {locks} {perDevice} {Victim}",
        };
        Assert.Equal(4 * perDevice, s.EffectiveParallel);   // parallel = devices x trials per device

        // kill the victim's trainer (SIGKILL: no chance to clean up) once it holds its device
        var victimRun = new StudyPaths(_h.Output, "s").SeedRunDir(Victim, 0);
        var killedAt = Task.Run(async () =>
        {
            while (!File.Exists(Path.Combine(victimRun, "device.json")) || !File.Exists(Path.Combine(victimRun, TrialRunner.PidFile)))
                await Task.Delay(20);
            using var trainer = Process.GetProcessById(int.Parse(File.ReadAllText(Path.Combine(victimRun, TrialRunner.PidFile)).Split(' ')[0], CultureInfo.InvariantCulture));
            trainer.Kill();
            await trainer.WaitForExitAsync();
            return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        });
        var r = await AutomlHarness.Run(s);
        var killed = await killedAt;

        var (study, records, attrs) = _h.Read();
        Assert.Equal(trials, records.Count);
        var victim = records.Single(t => t.Number == Victim);
        Assert.Equal(TrialState.Failed, victim.State);
        Assert.StartsWith("crashed with exit code 137 (killed by signal 9)", victim.Error);
        Assert.All(records.Where(t => t.Number != Victim), t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(new TrialCounts(trials - 1, 1, 0), r.Counts);

        var holds = records.Select(t =>
        {
            var j = JsonNode.Parse(File.ReadAllText(Path.Combine(t.SeedRuns[0].RunDir!, "device.json")))!;
            return new Hold(t.Number, (string?)j["cuda_visible_devices"], (string?)j["device_arg"], (bool)j["overbooked"]!,
                (double)j["start"]!, t.Number == Victim ? killed : (double?)j["end"]);
        }).ToList();
        foreach (var h in holds)
        {
            Assert.False(h.Overbooked, $"trial {h.Trial} found every slot of device {h.Cuda} taken");
            Assert.Contains(h.Cuda, devices);
            Assert.Equal(h.Cuda, h.DeviceArg);                                        // {device} and CUDA_VISIBLE_DEVICES agree
            Assert.Equal(h.Cuda, TrialNotes.Get(attrs, h.Trial, TrialNotes.Device));  // and the store says which device ran it
            Assert.NotNull(h.End);
        }
        Assert.Equal(devices, holds.Select(h => h.Cuda!).Distinct().Order());      // every device was used
        foreach (var onDevice in holds.GroupBy(h => h.Cuda))
        {
            // no more than perDevice trials held one device at any moment (perDevice 1: no two overlapping trials shared one)
            var events = onDevice.SelectMany(h => new[] { (At: h.Start, Delta: 1), (At: h.End!.Value, Delta: -1) }).OrderBy(e => e.At).ThenBy(e => e.Delta);
            var held = 0;
            foreach (var e in events) Assert.True((held += e.Delta) <= perDevice, $"device {onDevice.Key} held by more than {perDevice} trials at {e.At}");
        }
        // the victim's device went to a later trial only after the kill had ended it
        var victimDevice = holds.Single(h => h.Trial == Victim).Cuda;
        Assert.Contains(holds, h => h.Cuda == victimDevice && h.Start > killed);

        var status = _h.Cli("status", "--output", _h.Output, "--study", "s");
        var line = Assert.Single(status.Stdout.Split('\n'), l => l.StartsWith("devices: ", StringComparison.Ordinal));
        Assert.Matches($@"[ ;]{victimDevice}: trials [0-9, ]*\b{Victim}\b", line);
        Assert.Contains($"- devices ({perDevice} trial(s) at a time on each): ", File.ReadAllText(Path.Combine(_h.Output, "s", "report.md")));
        Assert.Matches($"\ndevice: '?{victimDevice}'?\n", File.ReadAllText(new StudyPaths(_h.Output, "s").TrialSummaryFile(Victim)));
    }

    [Fact]
    public void DeviceSettingsAreCheckedWithOneSentenceNamingTheFlag()
    {
        string Error(params string[] flags) => _h.Cli(["automl", "--space", _h.WriteFile("tiny.yaml", AutomlHarness.TinySpace), .. flags]).Stderr.Trim();
        Assert.Equal("rltune: --parallel: 5 trials at once need more than the 2 devices x 2 trials per device; give 4 or fewer, or more devices.",
            Error("--devices", "0,1", "--trials-per-device", "2", "--parallel", "5"));
        Assert.Equal("rltune: --devices: device 1 is listed twice; list each device once (--trials-per-device shares one).", Error("--devices", "0,1,1"));
        Assert.Equal("rltune: --devices: '0,,1' is not a list of devices; expected CUDA device ids such as 0,1,2,3.", Error("--devices", "0,,1"));
        Assert.Equal("rltune: --trials-per-device: shares devices, but no devices are given; add them, e.g. --devices 0,1.", Error("--trials-per-device", "2"));
        Assert.Equal("rltune: --trainer-command: the trainer command uses {device}, but no devices are given; add them, e.g. --devices 0,1.",
            Error("--trainer-command", "python3 train.py --config {config} --gpu {device}"));

        var yaml = StudySettingsLoader.Parse("devices: \"0, 1\"\ntrials_per_device: 3", "study.yaml", _h.Root);
        Assert.Equal(["0", "1"], yaml.Devices);
        Assert.Equal(6, yaml.EffectiveParallel);
        Assert.Equal(["GPU-a1", "3"], StudySettingsLoader.Parse("devices: [GPU-a1, 3]", "study.yaml", _h.Root).Devices);
        var e = Assert.Throws<UserError>(() => StudySettingsLoader.Parse("devices: [0, 0]", "study.yaml", _h.Root));
        Assert.Equal("study.yaml:1: devices: device 0 is listed twice; list each device once (--trials-per-device shares one).", e.Message);
    }
}
