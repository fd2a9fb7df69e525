using System.Buffers.Binary;

namespace RlTune.TensorBoard;

/// <summary>One scalar value of a summary: its tag and value.</summary>
public sealed record ScalarValue(string Tag, double Value);

/// <summary>
/// The part of tensorflow's <c>Event</c> message TensorBoard scalars use: wall_time = 1 (double),
/// step = 2 (int64), file_version = 3 (string), summary = 5 { value = 1 repeated { tag = 1,
/// simple_value = 2 (float), metadata = 9, tensor = 8 } }.
/// </summary>
public sealed record TensorBoardEvent(double WallTime, long Step, string? FileVersion, IReadOnlyList<ScalarValue> Scalars);

/// <summary>Encodes and decodes <see cref="TensorBoardEvent"/> as protobuf bytes.</summary>
public static class EventCodec
{
    public const string FileVersionText = "brain.Event:2";

    // TensorProto dtype enum values (tensorflow/core/framework/types.proto).
    private const int DtFloat = 1;
    private const int DtDouble = 2;
    private const int DtHalf = 19;

    public static byte[] EncodeFileVersion(double wallTime)
    {
        var w = new ProtoWriter();
        w.Double(1, wallTime);
        w.String(3, FileVersionText);
        return w.ToArray();
    }

    /// <summary>An Event with one summary holding these scalars as simple_value (float, as TensorBoard stores them).</summary>
    public static byte[] EncodeScalars(double wallTime, long step, IEnumerable<ScalarValue> scalars)
    {
        var summary = new ProtoWriter();
        foreach (var s in scalars)
        {
            var value = new ProtoWriter();
            value.String(1, s.Tag);
            value.Float(2, (float)s.Value);
            summary.Bytes(1, value.ToArray());
        }
        var w = new ProtoWriter();
        w.Double(1, wallTime);
        w.Int64(2, step);
        w.Bytes(5, summary.ToArray());
        return w.ToArray();
    }

    /// <summary>
    /// Decodes an Event. Scalars come from simple_value or from one-element float/double/half
    /// tensors (TensorFlow 2 and PyTorch's newer writers); other summary kinds are skipped.
    /// <paramref name="pluginByTag"/> carries each tag's plugin across events, because TF2 writes
    /// a tag's metadata only with its first value.
    /// </summary>
    public static TensorBoardEvent Decode(ReadOnlySpan<byte> data, Dictionary<string, string> pluginByTag)
    {
        double wallTime = 0;
        long step = 0;
        string? fileVersion = null;
        var scalars = new List<ScalarValue>();
        var r = new ProtoReader(data);
        while (r.TryRead(out var f))
        {
            switch (f.Number)
            {
                case 1 when f.Wire == WireType.Fixed64: wallTime = f.AsDouble(); break;
                case 2 when f.Wire == WireType.Varint: step = (long)f.Scalar; break;
                case 3 when f.Wire == WireType.LengthDelimited: fileVersion = f.AsString(); break;
                case 5 when f.Wire == WireType.LengthDelimited: DecodeSummary(f.Payload, scalars, pluginByTag); break;
            }
        }
        return new TensorBoardEvent(wallTime, step, fileVersion, scalars);
    }

    private static void DecodeSummary(ReadOnlySpan<byte> data, List<ScalarValue> scalars, Dictionary<string, string> pluginByTag)
    {
        var r = new ProtoReader(data);
        while (r.TryRead(out var f))
            if (f.Number == 1 && f.Wire == WireType.LengthDelimited)
                DecodeValue(f.Payload, scalars, pluginByTag);
    }

    private static void DecodeValue(ReadOnlySpan<byte> data, List<ScalarValue> scalars, Dictionary<string, string> pluginByTag)
    {
        string? tag = null, plugin = null;
        double? simple = null, fromTensor = null;
        var hasTensor = false;
        var r = new ProtoReader(data);
        while (r.TryRead(out var f))
        {
            switch (f.Number)
            {
                case 1 when f.Wire == WireType.LengthDelimited: tag = f.AsString(); break;
                case 2 when f.Wire == WireType.Fixed32: simple = f.AsFloat(); break;
                case 8 when f.Wire == WireType.LengthDelimited: hasTensor = true; fromTensor = DecodeScalarTensor(f.Payload); break;
                case 9 when f.Wire == WireType.LengthDelimited: plugin = DecodePluginName(f.Payload); break;
            }
        }
        if (tag is null) return;
        if (plugin is not null) pluginByTag[tag] = plugin;
        if (simple is { } s)
        {
            scalars.Add(new ScalarValue(tag, s));
            return;
        }
        if (!hasTensor || fromTensor is not { } t) return;
        var known = pluginByTag.GetValueOrDefault(tag);
        if (known is null or "" or "scalars") scalars.Add(new ScalarValue(tag, t));
    }

    private static string? DecodePluginName(ReadOnlySpan<byte> metadata)
    {
        var r = new ProtoReader(metadata);
        while (r.TryRead(out var f))
        {
            if (f.Number != 1 || f.Wire != WireType.LengthDelimited) continue;
            var pr = new ProtoReader(f.Payload);
            while (pr.TryRead(out var pf))
                if (pf.Number == 1 && pf.Wire == WireType.LengthDelimited) return pf.AsString();
        }
        return null;
    }

    /// <summary>The value of a one-element float, double or half tensor; null for anything else.</summary>
    private static double? DecodeScalarTensor(ReadOnlySpan<byte> data)
    {
        var dtype = 0;
        long elements = 1;
        var content = ReadOnlySpan<byte>.Empty;
        var values = new List<double>();
        var r = new ProtoReader(data);
        while (r.TryRead(out var f))
        {
            switch (f.Number)
            {
                case 1 when f.Wire == WireType.Varint: dtype = (int)f.Scalar; break;
                case 2 when f.Wire == WireType.LengthDelimited: elements = ShapeElements(f.Payload); break;
                case 4 when f.Wire == WireType.LengthDelimited: content = f.Payload; break;
                case 5: AddFloats(f, values); break;
                case 6: AddDoubles(f, values); break;
                case 13: AddHalves(f, values); break;
            }
        }
        if (elements != 1) return null;
        if (!content.IsEmpty)
        {
            return dtype switch
            {
                DtFloat when content.Length == 4 => BinaryPrimitives.ReadSingleLittleEndian(content),
                DtDouble when content.Length == 8 => BinaryPrimitives.ReadDoubleLittleEndian(content),
                DtHalf when content.Length == 2 => (double)BinaryPrimitives.ReadHalfLittleEndian(content),
                _ => null,
            };
        }
        return dtype is DtFloat or DtDouble or DtHalf && values.Count == 1 ? values[0] : null;
    }

    private static long ShapeElements(ReadOnlySpan<byte> shape)
    {
        long n = 1;
        var r = new ProtoReader(shape);
        while (r.TryRead(out var f))
        {
            if (f.Number == 3 && f.Wire == WireType.Varint && f.Scalar != 0) return -1; // unknown rank
            if (f.Number != 2 || f.Wire != WireType.LengthDelimited) continue;
            var dr = new ProtoReader(f.Payload);
            long size = 0;
            while (dr.TryRead(out var df))
                if (df.Number == 1 && df.Wire == WireType.Varint) size = (long)df.Scalar;
            n *= size;
        }
        return n;
    }

    // Repeated numeric fields arrive packed (one length-delimited blob) or one by one.
    private static void AddFloats(ProtoField f, List<double> values)
    {
        if (f.Wire == WireType.Fixed32) values.Add(f.AsFloat());
        else if (f.Wire == WireType.LengthDelimited)
            for (var i = 0; i + 4 <= f.Payload.Length; i += 4) values.Add(BinaryPrimitives.ReadSingleLittleEndian(f.Payload.Slice(i, 4)));
    }

    private static void AddDoubles(ProtoField f, List<double> values)
    {
        if (f.Wire == WireType.Fixed64) values.Add(f.AsDouble());
        else if (f.Wire == WireType.LengthDelimited)
            for (var i = 0; i + 8 <= f.Payload.Length; i += 8) values.Add(BinaryPrimitives.ReadDoubleLittleEndian(f.Payload.Slice(i, 8)));
    }

    // half_val holds each half's 16 bits in an int32 varint.
    private static void AddHalves(ProtoField f, List<double> values)
    {
        if (f.Wire == WireType.Varint) values.Add((double)BitConverter.UInt16BitsToHalf((ushort)f.Scalar));
        else if (f.Wire == WireType.LengthDelimited)
            foreach (var v in ProtoReader.PackedVarints(f.Payload)) values.Add((double)BitConverter.UInt16BitsToHalf((ushort)v));
    }
}
