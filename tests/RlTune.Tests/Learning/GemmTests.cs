using RlTune.Learning;
using RlTune.Numerics;

namespace RlTune.Tests.Learning;

public sealed unsafe class GemmTests
{
    public static TheoryData<GemmIsa> Kernels()
    {
        var data = new TheoryData<GemmIsa>();
        foreach (var isa in Enum.GetValues<GemmIsa>())
            if (GemmKernels.IsSupported(isa)) data.Add(isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryVariantMatchesNaiveProductOnOddShapes(GemmIsa isa)
    {
        var rng = new Rng(3);
        var scratch = new GemmScratch();
        // odd sizes, sizes past one packing block (Kc 256, Mc 120, Nc 512) and degenerate ones
        int[][] shapes = [[1, 1, 1], [7, 5, 3], [13, 33, 17], [9, 1, 130], [121, 37, 257], [31, 515, 9], [3, 2, 0]];
        foreach (var s in shapes)
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    foreach (bool accumulate in new[] { false, true })
                        Check(isa, rng, scratch, s[0], s[1], s[2], transA, transB, accumulate);
    }

    private static void Check(GemmIsa isa, Rng rng, GemmScratch scratch, int m, int n, int k, bool transA, bool transB, bool accumulate)
    {
        // leading dimensions wider than the matrices, to catch stride mistakes
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
        var a = Random(rng, (transA ? k : m) * lda);
        var b = Random(rng, (transB ? n : k) * ldb);
        var c = Random(rng, m * ldc);
        var expected = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * ldc + j] : 0;
                for (int p = 0; p < k; p++)
                    sum += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = (float)sum;
            }
        fixed (float* ap = a, bp = b, cp = c)
            Gemm.Multiply(isa, m, n, k, ap, lda, transA, bp, ldb, transB, cp, ldc, accumulate, scratch);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                float want = expected[i * ldc + j]; // columns past n must stay untouched
                Assert.True(Math.Abs(c[i * ldc + j] - want) <= 1e-4f * (1 + Math.Abs(want)) + 1e-5f * k,
                    $"{isa} m={m} n={n} k={k} transA={transA} transB={transB} acc={accumulate}: C[{i},{j}] = {c[i * ldc + j]}, expected {want}");
            }
    }

    private static float[] Random(Rng rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(2 * rng.NextDouble() - 1);
        return x;
    }
}
