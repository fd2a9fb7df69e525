using System.Globalization;
using System.Text.RegularExpressions;

namespace RlTune.Study;

/// <summary>
/// What a PBT trial is: one interval (<see cref="Generation"/>) of one member, continuing the checkpoint of
/// <see cref="FromTrial"/> (null in generation 0), which is the member's own previous interval, or a top
/// member's (<see cref="ParentMember"/>) when it was copied. Kept in the trial's origin, written with the
/// trial in one step, so a resume, a worker and the lineage read it alike.
/// </summary>
public sealed partial record PbtStep(int Member, int Generation, int? FromTrial, int? ParentMember)
{
    public const string OriginPrefix = "pbt:";

    /// <summary>True when the member copied another's checkpoint before this interval.</summary>
    public bool Copied => ParentMember is { } p && p != Member;

    public string Origin => FromTrial is { } from
        ? string.Create(CultureInfo.InvariantCulture, $"{OriginPrefix}member={Member};generation={Generation};from_trial={from};parent={ParentMember}")
        : string.Create(CultureInfo.InvariantCulture, $"{OriginPrefix}member={Member};generation={Generation}");

    /// <summary>Unique per study: a member's interval is added once, whichever worker decides it first.</summary>
    public string UniqueKey => string.Create(CultureInfo.InvariantCulture, $"pbt:g{Generation}:m{Member}");

    /// <summary>The step a trial's origin records; null for a trial that is not a PBT interval.</summary>
    public static PbtStep? Parse(string? origin)
    {
        if (origin is null || !origin.StartsWith(OriginPrefix, StringComparison.Ordinal)) return null;
        var m = OriginPattern().Match(origin);
        if (!m.Success) return null;
        int Int(string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        return new PbtStep(Int("member"), Int("generation"), m.Groups["from"].Success ? Int("from") : null, m.Groups["parent"].Success ? Int("parent") : null);
    }

    [GeneratedRegex(@"^pbt:member=(?<member>\d+);generation=(?<generation>\d+)(;from_trial=(?<from>\d+);parent=(?<parent>\d+))?$")]
    private static partial Regex OriginPattern();
}
