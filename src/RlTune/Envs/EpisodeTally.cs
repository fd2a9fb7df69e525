namespace RlTune.Envs;

/// <summary>
/// Running sums over the episodes that ended (one per worker chunk, merged when drained), for an
/// env with these reward terms and the navigation metrics below.
/// </summary>
internal sealed unsafe class EpisodeTally(IReadOnlyList<string> termNames)
{
    public static readonly IReadOnlyList<string> MetricNames =
        ["success", "fall", "left_platform", "termination", "timeout", "reached_fraction", "distance_to_target", "mean_speed", "episode_length"];

    private int _episodes;
    private double _return, _returnSq, _length;
    private readonly double[] _terms = new double[termNames.Count];
    private readonly double[] _metrics = new double[9];

    public void Clear()
    {
        _episodes = 0; _return = _returnSq = _length = 0;
        Array.Clear(_terms);
        Array.Clear(_metrics);
    }

    /// <summary>One ended episode's metrics, in <see cref="MetricNames"/> order.</summary>
    public static void Fill(Span<double> metrics, int length, bool success, bool fell, bool left, bool reached, float distance, float meanSpeed)
    {
        metrics[0] = success ? 1 : 0;
        metrics[1] = fell ? 1 : 0;
        metrics[2] = left && !fell ? 1 : 0;
        metrics[3] = fell || left ? 1 : 0;
        metrics[4] = !success && !fell && !left ? 1 : 0;
        metrics[5] = reached ? 1 : 0;
        metrics[6] = distance;
        metrics[7] = meanSpeed;
        metrics[8] = length;
    }

    /// <summary>
    /// Records one ended episode: its <paramref name="metrics"/> (see <see cref="Fill"/>) and its
    /// term sums at <paramref name="termSums"/>, strided by <paramref name="stride"/>.
    /// </summary>
    public void Record(float episodeReturn, int length, ReadOnlySpan<double> metrics, float* termSums, int stride)
    {
        _episodes++;
        _return += episodeReturn;
        _returnSq += (double)episodeReturn * episodeReturn;
        _length += length;
        for (int k = 0; k < _terms.Length; k++) _terms[k] += termSums[(long)k * stride] / length;
        for (int k = 0; k < _metrics.Length; k++) _metrics[k] += metrics[k];
    }

    public void Add(EpisodeTally other)
    {
        _episodes += other._episodes;
        _return += other._return; _returnSq += other._returnSq; _length += other._length;
        for (int k = 0; k < _terms.Length; k++) _terms[k] += other._terms[k];
        for (int k = 0; k < _metrics.Length; k++) _metrics[k] += other._metrics[k];
    }

    public EpisodeReport ToReport()
    {
        var terms = new Dictionary<string, double>(StringComparer.Ordinal);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (_episodes == 0) return new EpisodeReport(0, 0, 0, 0, terms, metrics);
        double n = _episodes;
        for (int k = 0; k < _terms.Length; k++) terms[termNames[k]] = _terms[k] / n;
        for (int k = 0; k < MetricNames.Count; k++) metrics[MetricNames[k]] = _metrics[k] / n;
        double mean = _return / n;
        double var = Math.Max(0, _returnSq / n - mean * mean);
        return new EpisodeReport(_episodes, mean, Math.Sqrt(var), _length / n, terms, metrics);
    }
}
