using System.Buffers.Binary;
using System.Numerics;

namespace RlTune.TensorBoard;

/// <summary>
/// TFRecord framing: uint64 length, masked CRC-32C of the length bytes, the data, masked
/// CRC-32C of the data (all little-endian).
/// </summary>
public static class TfRecord
{
    public const int HeaderBytes = 12;
    public const int FooterBytes = 4;

    /// <summary>CRC-32C (Castagnoli) of the data through the base library's <see cref="BitOperations.Crc32C(uint, ulong)"/> (the CPU's instruction where present).</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = ~0u;
        var i = 0;
        for (; i + 8 <= data.Length; i += 8) crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++) crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: a rotation plus a constant, so CRCs of CRCs stay well spread.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        Span<byte> footer = stackalloc byte[FooterBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    /// <summary>
    /// Reads every intact record of a file's bytes. Stops at the first truncated or corrupt
    /// record and says why in <paramref name="problem"/> (null when the whole file is intact).
    /// </summary>
    public static List<ReadOnlyMemory<byte>> ReadAll(ReadOnlyMemory<byte> file, out string? problem)
    {
        var records = new List<ReadOnlyMemory<byte>>();
        problem = null;
        var span = file.Span;
        var pos = 0;
        while (pos < span.Length)
        {
            if (span.Length - pos < HeaderBytes)
            {
                problem = $"truncated record header at byte {pos} after {records.Count} records";
                break;
            }
            var header = span.Slice(pos, HeaderBytes);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != MaskedCrc32C(header[..8]))
            {
                problem = $"bad length checksum at byte {pos} after {records.Count} records";
                break;
            }
            var length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (length > (ulong)(span.Length - pos - HeaderBytes - FooterBytes))
            {
                problem = $"truncated record at byte {pos} after {records.Count} records (length {length}, {span.Length - pos} bytes left)";
                break;
            }
            var data = file.Slice(pos + HeaderBytes, (int)length);
            var footer = span.Slice(pos + HeaderBytes + (int)length, FooterBytes);
            if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != MaskedCrc32C(data.Span))
            {
                problem = $"bad data checksum at byte {pos} after {records.Count} records";
                break;
            }
            records.Add(data);
            pos += HeaderBytes + (int)length + FooterBytes;
        }
        return records;
    }
}
