using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RlTune.Learning;

/// <summary>Which register-tile kernel the GEMM uses on this CPU.</summary>
public enum GemmIsa { Avx512, Avx2Fma, Vector128 }

/// <summary>
/// Register-tile micro-kernels: C[Mr x Nr] (+)= packed A panel times packed B panel. Packed A holds
/// Mr values per k, packed B holds Nr values per k. One kernel per instruction set; the widest the
/// CPU has is chosen once (Vector128 is the portable path, so ARM64 works too).
/// </summary>
internal static unsafe class GemmKernels
{
    public static readonly GemmIsa Isa = Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? GemmIsa.Avx512
        : Avx2.IsSupported && Fma.IsSupported ? GemmIsa.Avx2Fma
        : GemmIsa.Vector128;

    public static bool IsSupported(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        GemmIsa.Avx2Fma => Avx2.IsSupported && Fma.IsSupported,
        _ => true,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, bool accumulate, Vector512<float> x0, Vector512<float> x1)
    {
        if (accumulate) { x0 += Vector512.Load(c); x1 += Vector512.Load(c + 16); }
        x0.Store(c); x1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile8x32(float* a, float* b, int kc, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += 8; b += 32;
        }
        Put(c, accumulate, c00, c01); c += ldc;
        Put(c, accumulate, c10, c11); c += ldc;
        Put(c, accumulate, c20, c21); c += ldc;
        Put(c, accumulate, c30, c31); c += ldc;
        Put(c, accumulate, c40, c41); c += ldc;
        Put(c, accumulate, c50, c51); c += ldc;
        Put(c, accumulate, c60, c61); c += ldc;
        Put(c, accumulate, c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, bool accumulate, Vector256<float> x0, Vector256<float> x1)
    {
        if (accumulate) { x0 += Vector256.Load(c); x1 += Vector256.Load(c + 8); }
        x0.Store(c); x1.Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile6x16(float* a, float* b, int kc, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            a += 6; b += 16;
        }
        Put(c, accumulate, c00, c01); c += ldc;
        Put(c, accumulate, c10, c11); c += ldc;
        Put(c, accumulate, c20, c21); c += ldc;
        Put(c, accumulate, c30, c31); c += ldc;
        Put(c, accumulate, c40, c41); c += ldc;
        Put(c, accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, bool accumulate, Vector128<float> x0, Vector128<float> x1)
    {
        if (accumulate) { x0 += Vector128.Load(c); x1 += Vector128.Load(c + 4); }
        x0.Store(c); x1.Store(c + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x8(float* a, float* b, int kc, float* c, int ldc, bool accumulate)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            // MultiplyAddEstimate fuses where the CPU can (ARM64, FMA3) and stays fast where it cannot
            var x = Vector128.Create(a[0]); c00 = Vector128.MultiplyAddEstimate(x, b0, c00); c01 = Vector128.MultiplyAddEstimate(x, b1, c01);
            x = Vector128.Create(a[1]); c10 = Vector128.MultiplyAddEstimate(x, b0, c10); c11 = Vector128.MultiplyAddEstimate(x, b1, c11);
            x = Vector128.Create(a[2]); c20 = Vector128.MultiplyAddEstimate(x, b0, c20); c21 = Vector128.MultiplyAddEstimate(x, b1, c21);
            x = Vector128.Create(a[3]); c30 = Vector128.MultiplyAddEstimate(x, b0, c30); c31 = Vector128.MultiplyAddEstimate(x, b1, c31);
            a += 4; b += 8;
        }
        Put(c, accumulate, c00, c01); c += ldc;
        Put(c, accumulate, c10, c11); c += ldc;
        Put(c, accumulate, c20, c21); c += ldc;
        Put(c, accumulate, c30, c31);
    }
}

/// <summary>A register-tile kernel with its tile shape, so the GEMM driver is specialised per kernel.</summary>
internal unsafe interface ITileKernel
{
    static abstract int Mr { get; }
    static abstract int Nr { get; }
    static abstract void Tile(float* a, float* b, int kc, float* c, int ldc, bool accumulate);
}

internal unsafe struct Avx512Tile : ITileKernel
{
    public static int Mr => 8;
    public static int Nr => 32;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(float* a, float* b, int kc, float* c, int ldc, bool accumulate) => GemmKernels.Tile8x32(a, b, kc, c, ldc, accumulate);
}

internal unsafe struct Avx2Tile : ITileKernel
{
    public static int Mr => 6;
    public static int Nr => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(float* a, float* b, int kc, float* c, int ldc, bool accumulate) => GemmKernels.Tile6x16(a, b, kc, c, ldc, accumulate);
}

internal unsafe struct Vector128Tile : ITileKernel
{
    public static int Mr => 4;
    public static int Nr => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(float* a, float* b, int kc, float* c, int ldc, bool accumulate) => GemmKernels.Tile4x8(a, b, kc, c, ldc, accumulate);
}
