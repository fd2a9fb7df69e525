using System.Globalization;

namespace RlTune.Study;

/// <summary>
/// Where a study's files live under the run root (<c>--output</c>): <c>&lt;output&gt;/&lt;study&gt;/</c>
/// holds state.yaml, index.yaml, report.md, <c>configs/</c> (every trial config JSON) and
/// <c>trials/trial_0007/</c> (summary.yaml and one run dir per seed, with the trainer's logs).
/// </summary>
public sealed record StudyPaths(string Output, string Study)
{
    public string StudyDir => Path.Combine(Output, Study);
    public string ConfigsDir => Path.Combine(StudyDir, "configs");
    public string StateFile => Path.Combine(StudyDir, "state.yaml");
    public string IndexFile => Path.Combine(StudyDir, "index.yaml");
    public string ReportFile => Path.Combine(StudyDir, "report.md");
    public string FinalDir => Path.Combine(StudyDir, "final");
    public string EvalDir => Path.Combine(StudyDir, "eval");

    public static string TrialName(int number) => "trial_" + number.ToString("D4", CultureInfo.InvariantCulture);

    public string TrialDir(int number) => Path.Combine(StudyDir, "trials", TrialName(number));
    public string SeedRunDir(int number, int seed) => Path.Combine(TrialDir(number), "seed_" + seed.ToString(CultureInfo.InvariantCulture));
    public string TrialSummaryFile(int number) => Path.Combine(TrialDir(number), "summary.yaml");
    public string ConfigFile(int number, int seed) => Path.Combine(ConfigsDir, $"{TrialName(number)}_seed_{seed.ToString(CultureInfo.InvariantCulture)}.json");
}
