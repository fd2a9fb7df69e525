using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RlTune.Learning;

/// <summary>
/// What a fused GEMM does to each finished block of C (at most 8 rows x 32 columns at row, col) while
/// it is still in L1. Kept out of the multiply-add loop so that loop keeps its 16 accumulators in registers.
/// </summary>
internal unsafe interface ITileEpilogue
{
    void Finish(float* c, int ldc, int row, int col, int rows, int cols);
}

/// <summary>C = A·B.</summary>
internal readonly unsafe struct StoreEpilogue : ITileEpilogue
{
    public void Finish(float* c, int ldc, int row, int col, int rows, int cols) { }
}

/// <summary>C = act(A·B + bias): a layer's forward pass.</summary>
internal readonly unsafe struct BiasActivationEpilogue(float* bias, Activation activation) : ITileEpilogue
{
    private readonly float* _bias = bias;
    private readonly Activation _activation = activation;

    public void Finish(float* c, int ldc, int row, int col, int rows, int cols)
    {
        float* bias = _bias + col;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            int j = 0;
            for (; j <= cols - 16; j += 16)
                Activations.Apply(_activation, Vector512.Load(c + j) + Vector512.Load(bias + j)).Store(c + j);
            for (; j < cols; j++) c[j] = Activations.Apply(_activation, c[j] + bias[j]);
        }
    }
}

/// <summary>
/// C = (A·B) ⊙ act'(H) and biasGradient += column sums of C: the layer below's dL/d(pre-activation)
/// and its bias gradient in the same pass (H [m x n], stride ldh, holds that layer's activation outputs).
/// </summary>
internal readonly unsafe struct ActivationGradientEpilogue(float* h, int ldh, float* biasGradient, Activation activation) : ITileEpilogue
{
    private readonly float* _h = h;
    private readonly int _ldh = ldh;
    private readonly float* _biasGradient = biasGradient;
    private readonly Activation _activation = activation;

    public void Finish(float* c, int ldc, int row, int col, int rows, int cols)
    {
        float* db = _biasGradient + col;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            float* h = _h + (long)(row + r) * _ldh + col;
            int j = 0;
            for (; j <= cols - 16; j += 16)
            {
                var g = Activations.Gradient(_activation, Vector512.Load(h + j), Vector512.Load(c + j));
                g.Store(c + j);
                (Vector512.Load(db + j) + g).Store(db + j);
            }
            for (; j < cols; j++)
            {
                c[j] = Activations.Gradient(_activation, h[j], c[j]);
                db[j] += c[j];
            }
        }
    }
}

/// <summary>
/// GEMM for the small layers of PPO networks (K and N up to a few hundred): C = epilogue(A·op(B)), with
/// A read in place row by row (no packing: at these sizes it costs as much as it saves), B packed once
/// per call into contiguous 32-column panels (B's own rows are a power-of-two stride apart and would
/// fight over a few L1 sets), and the layer's bias/activation (or activation-gradient and bias
/// gradient) applied while each 8x32 tile is still in registers instead of in separate passes over
/// memory. AVX-512 only; other CPUs compose <see cref="Gemm"/> with <see cref="Activations"/> passes.
/// </summary>
internal static unsafe class FusedGemm
{
    public const int Mr = 8, Nr = 32;
    private const int RowBlock = 64; // rows of A swept per B panel: 64 x K floats stay in L1/L2 while the panel stays in L1

    public static bool IsSupported => GemmKernels.Isa == GemmIsa.Avx512;

    /// <summary>Activations the epilogues implement in vector form (tanh goes the unfused way).</summary>
    public static bool Fuses(Activation activation) => activation is Activation.Identity or Activation.Elu or Activation.Relu;

    /// <summary>
    /// C[m x n] = epilogue(A[m x k] · op(B)[k x n]). A is row-major with row stride lda; B is [k x n] with
    /// row stride ldb, or [n x k] when <paramref name="transB"/>. Partial tiles at the bottom and right
    /// edges run on zero-padded copies, so no operand is read past its end.
    /// </summary>
    public static void Multiply<TEpilogue>(int m, int n, int k, float* a, int lda, float* b, int ldb, bool transB,
        float* c, int ldc, TEpilogue epilogue, GemmScratch scratch) where TEpilogue : struct, ITileEpilogue
    {
        if (m <= 0 || n <= 0) return;
        float* packed = scratch.Grow(ref scratch.FusedPackedB, Math.Max(1, PackedLength(k, n))).Pointer;
        PackB(n, k, b, ldb, transB, packed);
        MultiplyPacked(m, n, k, a, lda, packed, c, ldc, epilogue, scratch);
    }

    /// <summary>Floats that B [k x n] takes once packed by <see cref="PackB"/>.</summary>
    public static int PackedLength(int k, int n) => (n + Nr - 1) / Nr * Nr * k;

    /// <summary>As <see cref="Multiply{TEpilogue}"/> with B already packed by <see cref="PackB"/> (weights packed once, used by every chunk and thread).</summary>
    public static void MultiplyPacked<TEpilogue>(int m, int n, int k, float* a, int lda, float* packed,
        float* c, int ldc, TEpilogue epilogue, GemmScratch scratch) where TEpilogue : struct, ITileEpilogue
    {
        if (m <= 0 || n <= 0) return;
        int mFull = m / Mr * Mr, panels = (n + Nr - 1) / Nr;
        float* aEdge = null, cEdge = scratch.Edge.Pointer;
        if (mFull < m)
        {
            // the last rows of A as an [8 x k] block, zero rows below m
            aEdge = scratch.Grow(ref scratch.FusedAEdge, Mr * Math.Max(k, 1)).Pointer;
            new Span<float>(aEdge, Mr * k).Clear();
            for (int r = 0; r < m - mFull; r++)
                new ReadOnlySpan<float>(a + (long)(mFull + r) * lda, k).CopyTo(new Span<float>(aEdge + (long)r * k, k));
        }
        for (int i0 = 0; i0 < m; i0 += RowBlock)
        {
            int i1 = Math.Min(m, i0 + RowBlock);
            for (int jp = 0; jp < panels; jp++)
            {
                int j = jp * Nr, cols = Math.Min(Nr, n - j);
                float* panel = packed + (long)jp * Nr * k;
                for (int i = i0; i < i1; i += Mr)
                {
                    int rows = Math.Min(Mr, m - i);
                    float* cTile = c + (long)i * ldc + j;
                    if (rows == Mr && cols == Nr)
                    {
                        Tile(a + (long)i * lda, lda, panel, k, cTile, ldc);
                    }
                    else
                    {
                        if (rows == Mr) Tile(a + (long)i * lda, lda, panel, k, cEdge, Nr);
                        else Tile(aEdge, k, panel, k, cEdge, Nr);
                        for (int r = 0; r < rows; r++)
                            new ReadOnlySpan<float>(cEdge + r * Nr, cols).CopyTo(new Span<float>(cTile + (long)r * ldc, cols));
                    }
                    epilogue.Finish(cTile, ldc, i, j, rows, cols);
                }
            }
        }
    }

    /// <summary>op(B) [k x n] (B is [n x k] when transposed) as panels of 32 columns, 32 values per k, zero-padded past n.</summary>
    public static void PackB(int n, int k, float* b, int ldb, bool transB, float* dst)
    {
        for (int j = 0; j < n; j += Nr)
        {
            int cols = Math.Min(Nr, n - j);
            float* panel = dst + (long)j * k;
            if (transB)
            {
                if (cols < Nr) new Span<float>(panel, Nr * k).Clear();
                for (int col = 0; col < cols; col++)
                {
                    float* src = b + (long)(j + col) * ldb;
                    for (int p = 0; p < k; p++) panel[p * Nr + col] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < k; p++)
                {
                    var row = new Span<float>(panel + p * Nr, Nr);
                    new ReadOnlySpan<float>(b + (long)p * ldb + j, cols).CopyTo(row);
                    if (cols < Nr) row[cols..].Clear();
                }
            }
        }
    }

    /// <summary>An 8x32 tile where row r of A starts at a + r·lda (k contiguous values) and B is one packed 32-column panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* a, int lda, float* b, int k, float* c, int ldc)
    {
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a0[p]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[p]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[p]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[p]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[p]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[p]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[p]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[p]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            b += Nr;
        }
        c00.Store(c); c01.Store(c + 16); c += ldc;
        c10.Store(c); c11.Store(c + 16); c += ldc;
        c20.Store(c); c21.Store(c + 16); c += ldc;
        c30.Store(c); c31.Store(c + 16); c += ldc;
        c40.Store(c); c41.Store(c + 16); c += ldc;
        c50.Store(c); c51.Store(c + 16); c += ldc;
        c60.Store(c); c61.Store(c + 16); c += ldc;
        c70.Store(c); c71.Store(c + 16);
    }
}
