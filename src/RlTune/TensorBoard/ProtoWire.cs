using System.Buffers.Binary;
using System.Text;

namespace RlTune.TensorBoard;

// Hand-encoded protobuf: we need a tiny subset of tensorflow's Event message and no codegen step.

/// <summary>Protobuf wire types used by the Event subset.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>Appends protobuf fields to a growing buffer.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    public byte[] ToArray() => _buffer.ToArray();

    private void Tag(int field, WireType wire) => Varint(((ulong)field << 3) | (ulong)wire);

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }

    public void Double(int field, double value)
    {
        Tag(field, WireType.Fixed64);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, value);
        _buffer.Write(b);
    }

    public void Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        _buffer.Write(b);
    }

    public void Int64(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint((ulong)value);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireType.LengthDelimited);
        Varint((ulong)value.Length);
        _buffer.Write(value);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));
}

/// <summary>One field as read: its number, wire type and raw payload.</summary>
internal readonly ref struct ProtoField(int number, WireType wire, ulong scalar, ReadOnlySpan<byte> payload)
{
    public int Number { get; } = number;
    public WireType Wire { get; } = wire;
    /// <summary>Varint value, or the raw bits of a fixed32/fixed64 field.</summary>
    public ulong Scalar { get; } = scalar;
    /// <summary>Bytes of a length-delimited field.</summary>
    public ReadOnlySpan<byte> Payload { get; } = payload;

    public double AsDouble() => BitConverter.UInt64BitsToDouble(Scalar);
    public float AsFloat() => BitConverter.UInt32BitsToSingle((uint)Scalar);
    public string AsString() => Encoding.UTF8.GetString(Payload);
}

/// <summary>Walks the fields of one message, skipping nothing silently: malformed input throws.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public bool TryRead(out ProtoField field)
    {
        if (_pos >= _data.Length)
        {
            field = default;
            return false;
        }
        var key = ReadVarint();
        var number = (int)(key >> 3);
        var wire = (WireType)(key & 7);
        if (number == 0) throw new InvalidDataException("protobuf field number 0");
        switch (wire)
        {
            case WireType.Varint:
                field = new ProtoField(number, wire, ReadVarint(), default);
                return true;
            case WireType.Fixed64:
                Need(8);
                field = new ProtoField(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(_pos, 8)), default);
                _pos += 8;
                return true;
            case WireType.Fixed32:
                Need(4);
                field = new ProtoField(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(_pos, 4)), default);
                _pos += 4;
                return true;
            case WireType.LengthDelimited:
                var length = ReadVarint();
                if (length > (ulong)(_data.Length - _pos)) throw new InvalidDataException("protobuf length runs past the end of the message");
                field = new ProtoField(number, wire, length, _data.Slice(_pos, (int)length));
                _pos += (int)length;
                return true;
            default:
                throw new InvalidDataException($"unsupported protobuf wire type {(int)wire}");
        }
    }

    private void Need(int n)
    {
        if (_data.Length - _pos < n) throw new InvalidDataException("protobuf field runs past the end of the message");
    }

    private ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            Need(1);
            var b = _data[_pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("protobuf varint longer than 10 bytes");
    }

    /// <summary>Decodes a packed repeated varint payload.</summary>
    public static List<ulong> PackedVarints(ReadOnlySpan<byte> payload)
    {
        var list = new List<ulong>();
        var r = new ProtoReader(payload);
        while (r._pos < payload.Length) list.Add(r.ReadVarint());
        return list;
    }
}
