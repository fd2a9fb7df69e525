using System.Diagnostics;
using System.Text;
using System.Text.Json;
using RlTune.TensorBoard;

namespace RlTune.Tests.TensorBoard;

public sealed class EventFileTests : IDisposable
{
    private static readonly string DataDir = Path.Combine(AppContext.BaseDirectory, "TestData", "tensorboard");
    private static readonly string IndependentFile = Path.Combine(DataDir, "events.out.tfevents.1700000000.independent");
    private readonly string _tmp = Directory.CreateTempSubdirectory("rltune-tb-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [Fact]
    public void Crc32CMatchesTheStandardCheckValueAndABitwiseReferenceAtEveryLength()
    {
        Assert.Equal(0xE3069283u, TfRecord.Crc32C(Encoding.ASCII.GetBytes("123456789")));
        var rng = new Random(5);
        for (var n = 0; n < 70; n++)
        {
            var data = new byte[n];
            rng.NextBytes(data);
            Assert.Equal(BitwiseCrc32C(data), TfRecord.Crc32C(data));
        }
    }

    [Fact]
    public void TheMaskedCrcOfTheIndependentFilesFirstHeaderIsTheOneWrittenThere()
    {
        var bytes = File.ReadAllBytes(IndependentFile);
        Assert.Equal(BitConverter.ToUInt32(bytes, 8), TfRecord.MaskedCrc32C(bytes.AsSpan(0, 8)));
    }

    // the definition, one bit at a time (reflected polynomial 0x82F63B78): an oracle independent of the library
    private static uint BitwiseCrc32C(byte[] data)
    {
        var crc = ~0u;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void ReadsTheIndependentlyWrittenFile()
    {
        var log = EventFileReader.ReadFile(IndependentFile, strict: true);
        Assert.Empty(log.Problems);
        var reward = log["Reward / Total reward (mean)"];
        Assert.Equal(10, reward.Count);
        Assert.Equal(900, reward[^1].Step);
        Assert.Equal(4.5, reward[^1].Value);
        Assert.Equal(1700000010.0, reward[^1].WallTime);
        // two values in one summary
        Assert.Equal(190.0, log["Episode / Total timesteps (mean)"][^1].Value);
        Assert.Equal(10, log["Loss / Value loss"].Count);
        // TF2 tensor scalars: metadata on the first value only
        var reached = log["metrics / reached_fraction (mean)"];
        Assert.Equal(10, reached.Count);
        Assert.Equal(0.9f, (float)reached[^1].Value);
        Assert.Equal(2.5, Assert.Single(log["tensor/float_val"]).Value);
        Assert.Equal(0.1, Assert.Single(log["tensor/double"]).Value); // double precision kept
        // histograms (even a later one-element value of that tag), images and log messages are not scalars
        Assert.False(log.Scalars.ContainsKey("hist/weights"));
        Assert.False(log.Scalars.ContainsKey("img"));
        Assert.Equal(6, log.Scalars.Count);
    }

    [Fact]
    public void WriterReproducesTheIndependentBytesForTheSameRecords()
    {
        using var ms = new MemoryStream();
        using (var w = new EventFileWriter(ms, 1700000000.5))
        {
            w.AddScalar("Reward / Total reward (mean)", 1.5, 10, 1700000001.25);
            w.AddScalar("Loss / Policy loss", -0.125, 10, 1700000001.25);
            w.AddScalar("metrics / reached_fraction (mean)", 0.75, 20, 1700000002.0);
            w.AddScalar("Learning / Learning rate", 0.0003, 3000000000, 1700000003.0);
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(DataDir, "same_records.tfrecord")), ms.ToArray());
    }

    [Fact]
    public void IndependentReaderParsesOurFile()
    {
        string path;
        using (var w = new EventFileWriter(_tmp))
        {
            path = w.FilePath!;
            for (var i = 0; i < 5; i++)
                w.AddScalars(i * 10, [new ScalarValue("Reward / Total reward (mean)", i * 0.25), new ScalarValue("metrics / success (mean)", i / 4.0)]);
        }
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\..+$", Path.GetFileName(path));
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(DataDir, "make_events.py"));
        psi.ArgumentList.Add("read");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        var parsed = JsonSerializer.Deserialize<Dictionary<string, double[][]>>(stdout)!;
        Assert.Equal([[40, 1.0]], parsed["Reward / Total reward (mean)"][^1..]);
        Assert.Equal(5, parsed["metrics / success (mean)"].Length);
        Assert.Equal(0.75, parsed["metrics / success (mean)"][3][1]);
    }

    [Fact]
    public void RoundTripThroughOurReaderWhileTheWriterIsOpen()
    {
        using var w = new EventFileWriter(_tmp);
        w.AddScalar("a", 1, 1);
        w.Flush();
        Assert.Equal(1.0, Assert.Single(EventFileReader.ReadDirectory(_tmp)["a"]).Value);
        w.AddScalar("a", 2, 2);
        w.Flush();
        Assert.Equal(2, EventFileReader.ReadDirectory(_tmp)["a"].Count);
    }

    [Fact]
    public void TruncatedFileStopsCleanlyAtTheLastGoodRecord()
    {
        var bytes = File.ReadAllBytes(IndependentFile);
        var path = Path.Combine(_tmp, "events.out.tfevents.1.cut");
        File.WriteAllBytes(path, bytes[..^7]);
        var log = EventFileReader.ReadFile(path);
        Assert.Contains("truncated record", Assert.Single(log.Problems));
        Assert.Equal(10, log["Reward / Total reward (mean)"].Count);
        var ex = Assert.Throws<InvalidDataException>(() => EventFileReader.ReadFile(path, strict: true));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void CorruptRecordStopsReadingThereAndSaysSo()
    {
        var bytes = File.ReadAllBytes(IndependentFile);
        // first record = the file_version event; flip a byte inside the third record's data
        var pos = 0;
        for (var i = 0; i < 2; i++) pos += 12 + (int)BitConverter.ToUInt64(bytes, pos) + 4;
        bytes[pos + 14] ^= 0x40;
        var path = Path.Combine(_tmp, "events.out.tfevents.2.bad");
        File.WriteAllBytes(path, bytes);
        var log = EventFileReader.ReadFile(path);
        Assert.Contains("bad data checksum", Assert.Single(log.Problems));
        Assert.Single(log["Reward / Total reward (mean)"]);
    }

    [Fact]
    public void GarbageIsReportedNotThrownByDefault()
    {
        var path = Path.Combine(_tmp, "events.out.tfevents.3.garbage");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("this is not an event file at all"));
        var log = EventFileReader.ReadFile(path);
        Assert.Empty(log.Scalars);
        Assert.Contains("bad length checksum", Assert.Single(log.Problems));
    }
}
