using System.Globalization;
using RlTune.Trials;

namespace RlTune.Analysis;

/// <summary>How numbers and parameter values read wherever analysis shows them: terminal tables, reports and plot labels.</summary>
public static class DisplayText
{
    /// <summary>Up to four decimals; scientific notation for very small or large magnitudes.</summary>
    public static string Number(double d) =>
        d == 0 ? "0" : Math.Abs(d) >= 1e4 || Math.Abs(d) < 1e-3 ? d.ToString("0.##e0", CultureInfo.InvariantCulture) : d.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>A parameter value (double, long, bool, string or list); "-" when absent.</summary>
    public static string Value(object? v) => v switch
    {
        null => "-",
        double d => Number(d),
        _ => ParamValues.Canonical(v),
    };

    /// <summary>"mean ± std", or the mean alone when there is no spread to show (one seed).</summary>
    public static string MeanStd(double mean, double? std) => Number(mean) + (std is { } s ? " ± " + Number(s) : "");
}
