using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace RlTune.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli), as TFRecord framing needs it. Written here because System.IO.Hashing
/// only offers the IEEE polynomial; uses the CPU's CRC32 instruction where present.
/// </summary>
public static class Crc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78;
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPolynomial : c >> 1;
            table[i] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported) return ~Sse42X64(~0u, data);
        if (Sse42.IsSupported) return ~Sse42X86(~0u, data);
        if (Crc32.Arm64.IsSupported) return ~Arm64(~0u, data);
        return ~Software(~0u, data);
    }

    /// <summary>The table-driven path, kept public so tests can check the hardware path against it.</summary>
    public static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~Software(~0u, data);

    /// <summary>TFRecord's masking: a rotation plus a constant, so CRCs of CRCs stay well spread.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;

    public static uint MaskedCompute(ReadOnlySpan<byte> data) => Mask(Compute(data));

    private static uint Software(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint Sse42X64(uint crc, ReadOnlySpan<byte> data)
    {
        ulong c = crc;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8) c = Sse42.X64.Crc32(c, BitConverter.ToUInt64(data.Slice(i, 8)));
        var c32 = (uint)c;
        for (; i < data.Length; i++) c32 = Sse42.Crc32(c32, data[i]);
        return c32;
    }

    private static uint Sse42X86(uint crc, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 4 <= data.Length; i += 4) crc = Sse42.Crc32(crc, BitConverter.ToUInt32(data.Slice(i, 4)));
        for (; i < data.Length; i++) crc = Sse42.Crc32(crc, data[i]);
        return crc;
    }

    private static uint Arm64(uint crc, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 8 <= data.Length; i += 8) crc = Crc32.Arm64.ComputeCrc32C(crc, BitConverter.ToUInt64(data.Slice(i, 8)));
        for (; i < data.Length; i++) crc = Crc32.ComputeCrc32C(crc, data[i]);
        return crc;
    }
}
