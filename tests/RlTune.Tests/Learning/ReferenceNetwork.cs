using RlTune.Learning;

namespace RlTune.Tests.Learning;

/// <summary>Plain double-precision loops over the same parameter layout: the yardstick for gradient checks.</summary>
internal static class ReferenceNetwork
{
    public static double Act(Activation a, double z) => a switch
    {
        Activation.Elu => z > 0 ? z : Math.Exp(z) - 1,
        Activation.Tanh => Math.Tanh(z),
        Activation.Relu => Math.Max(z, 0),
        _ => z,
    };

    /// <summary>Output rows [rows x Outputs] of <paramref name="mlp"/> on x [rows x Inputs].</summary>
    public static double[] Forward(Mlp mlp, double[] p, double[] x, int rows)
    {
        var h = x;
        foreach (var layer in mlp.Layers)
        {
            var y = new double[rows * layer.Out];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < layer.Out; j++)
                {
                    double z = p[layer.BiasOffset + j];
                    for (int i = 0; i < layer.In; i++) z += h[r * layer.In + i] * p[layer.WeightOffset + i * layer.Out + j];
                    y[r * layer.Out + j] = Act(layer.Activation, z);
                }
            h = y;
        }
        return h;
    }

    /// <summary>Central finite differences of <paramref name="f"/> at every parameter index in <paramref name="indices"/>.</summary>
    /// <summary>
    /// Checks an MLP's analytic gradients of L = Σ c ⊙ y (y its outputs for the batch x) against
    /// finite differences of this double-precision reference, over every parameter.
    /// </summary>
    public static void AssertMlpGradient(Mlp mlp, ReadOnlySpan<float> parameters, float[] x, int rows, float[] c, ReadOnlySpan<float> analytic, string what)
    {
        var xd = x.Select(v => (double)v).ToArray();
        double Loss(double[] p)
        {
            var y = Forward(mlp, p, xd, rows);
            double l = 0;
            for (int i = 0; i < y.Length; i++) l += c[i] * y[i];
            return l;
        }
        var pd = parameters.ToArray().Select(v => (double)v).ToArray();
        var all = Enumerable.Range(0, mlp.ParameterCount).ToArray();
        var numeric = NumericGradient(Loss, pd, all);
        var grads = analytic.ToArray();
        AssertClose(numeric, all.Select(i => (double)grads[i]).ToArray(), what);
    }

    public static double[] NumericGradient(Func<double[], double> f, double[] p, IReadOnlyList<int> indices, double step = 1e-5)
    {
        var g = new double[indices.Count];
        for (int k = 0; k < indices.Count; k++)
        {
            int i = indices[k];
            double keep = p[i];
            p[i] = keep + step; double up = f(p);
            p[i] = keep - step; double down = f(p);
            p[i] = keep;
            g[k] = (up - down) / (2 * step);
        }
        return g;
    }

    /// <summary>Asserts analytic and numeric gradients agree to a relative tolerance scaled by the largest entry.</summary>
    public static void AssertClose(IReadOnlyList<double> numeric, IReadOnlyList<double> analytic, string what, double relative = 2e-3)
    {
        double scale = numeric.Max(Math.Abs);
        Assert.True(scale > 0, $"{what}: the numeric gradient is all zero, the check would prove nothing");
        for (int k = 0; k < numeric.Count; k++)
        {
            double tolerance = relative * Math.Abs(numeric[k]) + 1e-3 * scale + 1e-7;
            Assert.True(Math.Abs(numeric[k] - analytic[k]) <= tolerance,
                $"{what}: entry {k}: numeric {numeric[k]:G6}, analytic {analytic[k]:G6}");
        }
    }
}
