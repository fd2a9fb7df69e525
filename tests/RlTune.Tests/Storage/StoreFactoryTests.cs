using RlTune.Storage;

namespace RlTune.Tests.Storage;

public sealed class StoreFactoryTests
{
    [Theory]
    [InlineData("sqlite:///runs/study.db", "sqlite", "runs/study.db")]
    [InlineData("sqlite:////tmp/study.db", "sqlite", "/tmp/study.db")]
    [InlineData("runs/study.db", "sqlite", "runs/study.db")]
    [InlineData("/abs/study.db", "sqlite", "/abs/study.db")]
    [InlineData("postgresql://tuner@db.lab:5433/rltune", "postgresql", "postgresql://tuner@db.lab:5433/rltune")]
    [InlineData("postgres://tuner@db.lab/rltune", "postgresql", "postgres://tuner@db.lab/rltune")]
    public void StorageUrlsNameTheirKindAndTarget(string url, string kind, string target) =>
        Assert.Equal((kind, target), StoreFactory.Describe(url));

    [Theory]
    [InlineData("mysql://root@localhost/db", "unknown scheme")]
    [InlineData("sqlite://relative.db", "not a SQLite URL")]
    [InlineData("sqlite:///", "not a SQLite URL")]
    public void BadStorageUrlsAreUserErrors(string url, string expected)
    {
        var e = Assert.Throws<UserError>(() => StoreFactory.Describe(url));
        Assert.Contains(expected, e.Message);
        Assert.Contains(url, e.Message);
    }

    [Fact]
    public void WithoutAUrlTheDefaultIsASqliteFileUnderTheRunRoot()
    {
        // the environment variable's value is passed in, never set: tests run in parallel in one process,
        // and setting RLTUNE_STORAGE here once sent another test's study into this test's file
        var dir = Directory.CreateTempSubdirectory("rltune-factory-").FullName;
        try
        {
            using (var store = StoreFactory.Open(null, Path.Combine(dir, "runs"), fromEnvironment: null)) store.CreateOrOpenStudy("s", "maximize", "{}");
            Assert.True(File.Exists(Path.Combine(dir, "runs", StoreFactory.DefaultFileName)));

            // the environment variable wins over the default, an explicit URL over both
            var fromEnv = Path.Combine(dir, "env.db");
            using (var store = StoreFactory.Open("", Path.Combine(dir, "runs"), "sqlite:///" + fromEnv)) Assert.Equal(fromEnv, ((SqliteStudyStore)store).Path);
            var explicitPath = Path.Combine(dir, "explicit.db");
            using (var store = StoreFactory.Open(explicitPath, Path.Combine(dir, "runs"), "sqlite:///" + fromEnv)) Assert.Equal(explicitPath, ((SqliteStudyStore)store).Path);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
