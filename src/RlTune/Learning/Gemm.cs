namespace RlTune.Learning;

/// <summary>Per-thread packing buffers for <see cref="Gemm"/>; allocated once, reused every call.</summary>
public sealed class GemmScratch
{
    internal const int Kc = 256;   // depth of one packed block: an A panel (Mr x Kc) stays in L1
    internal const int Mc = 120;   // rows of A packed at once (a multiple of every kernel's Mr)
    internal const int Nc = 512;   // columns of B packed at once (a multiple of every kernel's Nr)

    internal readonly AlignedBuffer PackedA = new(Mc * Kc);
    internal readonly AlignedBuffer PackedB = new(Kc * Nc);
    internal readonly AlignedBuffer Edge = new(8 * 32);
    private AlignedBuffer _narrow = new(4096);
    internal AlignedBuffer FusedAEdge = new(8 * 512);
    internal AlignedBuffer FusedPackedB = new(256 * 256);

    /// <summary>A small buffer for narrow layers (grown once if a layer needs more).</summary>
    internal AlignedBuffer Narrow(int length) => Grow(ref _narrow, length);

    /// <summary><paramref name="buffer"/>, replaced by a larger one first if it holds fewer than <paramref name="length"/> floats.</summary>
    internal AlignedBuffer Grow(ref AlignedBuffer buffer, int length)
    {
        if (buffer.Length < length) buffer = new AlignedBuffer(length);
        return buffer;
    }
}

/// <summary>
/// Single-precision matrix multiply on row-major matrices, C (+)= op(A) op(B), op = identity or
/// transpose. Packs blocks of A and B into kernel order (BLIS-style blocking) and runs the widest
/// register-tile kernel the CPU has. Single-threaded: callers split rows across threads.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>The kernel this CPU runs.</summary>
    public static GemmIsa Isa => GemmKernels.Isa;

    /// <summary>
    /// C[m x n] = (or +=, when <paramref name="accumulate"/>) op(A)[m x k] * op(B)[k x n].
    /// A is [m x k] with row stride lda, or [k x m] when <paramref name="transA"/>; B is [k x n]
    /// with row stride ldb, or [n x k] when <paramref name="transB"/>.
    /// </summary>
    public static void Multiply(int m, int n, int k, float* a, int lda, bool transA, float* b, int ldb, bool transB,
        float* c, int ldc, bool accumulate, GemmScratch scratch) =>
        Multiply(GemmKernels.Isa, m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate, scratch);

    /// <summary>As above with an explicit kernel (tests check every kernel the CPU supports).</summary>
    public static void Multiply(GemmIsa isa, int m, int n, int k, float* a, int lda, bool transA, float* b, int ldb, bool transB,
        float* c, int ldc, bool accumulate, GemmScratch scratch)
    {
        if (!GemmKernels.IsSupported(isa)) throw new PlatformNotSupportedException($"{isa} is not supported on this CPU");
        switch (isa)
        {
            case GemmIsa.Avx512: Run<Avx512Tile>(m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate, scratch); break;
            case GemmIsa.Avx2Fma: Run<Avx2Tile>(m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate, scratch); break;
            default: Run<Vector128Tile>(m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate, scratch); break;
        }
    }

    private static void Run<T>(int m, int n, int k, float* a, int lda, bool transA, float* b, int ldb, bool transB,
        float* c, int ldc, bool accumulate, GemmScratch scratch) where T : struct, ITileKernel
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            return;
        }
        int mr = T.Mr, nr = T.Nr;
        float* pa = scratch.PackedA.Pointer, pb = scratch.PackedB.Pointer, edge = scratch.Edge.Pointer;
        for (int jc = 0; jc < n; jc += GemmScratch.Nc)
        {
            int nc = Math.Min(GemmScratch.Nc, n - jc);
            for (int pc = 0; pc < k; pc += GemmScratch.Kc)
            {
                int kc = Math.Min(GemmScratch.Kc, k - pc);
                bool acc = accumulate || pc > 0;
                PackB(nr, b, ldb, transB, pc, kc, jc, nc, pb);
                for (int ic = 0; ic < m; ic += GemmScratch.Mc)
                {
                    int mc = Math.Min(GemmScratch.Mc, m - ic);
                    PackA(mr, a, lda, transA, ic, mc, pc, kc, pa);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nValid = Math.Min(nr, nc - jr);
                        float* bPanel = pb + (long)jr * kc;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int mValid = Math.Min(mr, mc - ir);
                            float* aPanel = pa + (long)ir * kc;
                            float* cTile = c + (long)(ic + ir) * ldc + jc + jr;
                            if (mValid == mr && nValid == nr)
                            {
                                T.Tile(aPanel, bPanel, kc, cTile, ldc, acc);
                            }
                            else
                            {
                                T.Tile(aPanel, bPanel, kc, edge, nr, false);
                                for (int r = 0; r < mValid; r++)
                                {
                                    float* dst = cTile + (long)r * ldc, src = edge + r * nr;
                                    if (acc) for (int j = 0; j < nValid; j++) dst[j] += src[j];
                                    else for (int j = 0; j < nValid; j++) dst[j] = src[j];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] as panels of mr rows, mr values per k, zero-padded.</summary>
    private static void PackA(int mr, float* a, int lda, bool transA, int ic, int mc, int pc, int kc, float* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int valid = Math.Min(mr, mc - ir);
            float* panel = dst + (long)ir * kc;
            if (transA)
            {
                // element (i, p) is a[p * lda + i]: each k contributes mr contiguous values
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(pc + p) * lda + ic + ir;
                    float* d = panel + p * mr;
                    int r = 0;
                    for (; r < valid; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = 0;
                }
            }
            else
            {
                for (int r = 0; r < mr; r++)
                {
                    if (r < valid)
                    {
                        float* src = a + (long)(ic + ir + r) * lda + pc;
                        for (int p = 0; p < kc; p++) panel[p * mr + r] = src[p];
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++) panel[p * mr + r] = 0;
                    }
                }
            }
        }
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] as panels of nr columns, nr values per k, zero-padded.</summary>
    private static void PackB(int nr, float* b, int ldb, bool transB, int pc, int kc, int jc, int nc, float* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int valid = Math.Min(nr, nc - jr);
            float* panel = dst + (long)jr * kc;
            if (transB)
            {
                // element (p, j) is b[j * ldb + p]: read each column of op(B) contiguously
                for (int col = 0; col < nr; col++)
                {
                    if (col < valid)
                    {
                        float* src = b + (long)(jc + jr + col) * ldb + pc;
                        for (int p = 0; p < kc; p++) panel[p * nr + col] = src[p];
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++) panel[p * nr + col] = 0;
                    }
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(pc + p) * ldb + jc + jr;
                    float* d = panel + p * nr;
                    if (valid == nr)
                    {
                        new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(d, nr));
                    }
                    else
                    {
                        int col = 0;
                        for (; col < valid; col++) d[col] = src[col];
                        for (; col < nr; col++) d[col] = 0;
                    }
                }
            }
        }
    }
}
