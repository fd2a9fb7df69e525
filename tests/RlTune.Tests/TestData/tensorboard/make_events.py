#!/usr/bin/python3
"""An independent TensorBoard event-file writer/reader (struct + pure-Python CRC-32C), so the C#
reader is checked against bytes it did not produce, and the C# writer against a reader it did
not write.

  make_events.py write DIR   writes DIR/events.out.tfevents.1700000000.independent (varied
                             summary kinds) and DIR/same_records.tfrecord (records the C# test
                             writes too, compared byte for byte)
  make_events.py read FILE   prints {tag: [[step, value], ...]} of FILE's scalars as JSON
"""
import json, os, struct, sys

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data):
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked(header)) + data + struct.pack("<I", masked(data))


# --- protobuf encoding, by hand ---
def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def key(field, wire):
    return varint((field << 3) | wire)


def f_double(field, x):
    return key(field, 1) + struct.pack("<d", x)


def f_float(field, x):
    return key(field, 5) + struct.pack("<f", x)


def f_varint(field, n):
    return key(field, 0) + varint(n)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return key(field, 2) + varint(len(b)) + b


def event(wall, step=None, summary_values=None, extra=b""):
    out = f_double(1, wall)
    if step is not None:
        out += f_varint(2, step)
    if summary_values is not None:
        out += f_bytes(5, b"".join(f_bytes(1, v) for v in summary_values))
    return out + extra


def simple(tag, x):
    return f_bytes(1, tag) + f_float(2, x)


def plugin_meta(name):
    return f_bytes(9, f_bytes(1, f_bytes(1, name)))


def shape(*dims):
    return f_bytes(2, b"".join(f_bytes(2, f_varint(1, d)) for d in dims))


def tensor_value(tag, tensor, meta=b""):
    return f_bytes(1, tag) + meta + f_bytes(8, tensor)


DT_FLOAT, DT_DOUBLE = 1, 2


def write(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    t0 = 1700000000.0
    recs = [event(t0, extra=f_bytes(3, "brain.Event:2"))]
    for i in range(10):
        w = t0 + 1 + i
        recs.append(event(w, i * 100, [simple("Reward / Total reward (mean)", 0.5 * i)]))
        # two values in one summary, as some writers batch them
        recs.append(event(w, i * 100, [simple("Episode / Total timesteps (mean)", 100.0 + 10 * i),
                                       simple("Loss / Value loss", 1.0 / (i + 1))]))
        # TF2 style: a float tensor in tensor_content, plugin metadata only on the first value
        meta = plugin_meta("scalars") if i == 0 else b""
        t = f_varint(1, DT_FLOAT) + shape() + f_bytes(4, struct.pack("<f", i / 10))
        recs.append(event(w, i * 100, [tensor_value("metrics / reached_fraction (mean)", t, meta)]))
    # float_val (packed) and a double tensor
    recs.append(event(t0 + 20, 1000, [tensor_value("tensor/float_val", f_varint(1, DT_FLOAT) + shape() + f_bytes(5, struct.pack("<f", 2.5)))]))
    recs.append(event(t0 + 20, 1000, [tensor_value("tensor/double", f_varint(1, DT_DOUBLE) + shape() + f_bytes(4, struct.pack("<d", 0.1)))]))
    # a histogram tensor (skipped), and a later value of the same tag without metadata (still skipped)
    hist = f_varint(1, DT_DOUBLE) + shape(2, 3) + f_bytes(4, struct.pack("<6d", 0, 1, 2, 1, 2, 3))
    recs.append(event(t0 + 21, 1000, [tensor_value("hist/weights", hist, plugin_meta("histograms"))]))
    recs.append(event(t0 + 22, 1100, [tensor_value("hist/weights", f_varint(1, DT_DOUBLE) + shape() + f_bytes(4, struct.pack("<d", 7.0)))]))
    # an image summary value (field 4) and a log_message event (field 6): neither is a scalar
    recs.append(event(t0 + 23, 1100, [f_bytes(1, "img") + f_bytes(4, f_varint(1, 1) + f_varint(2, 1))]))
    recs.append(event(t0 + 24, extra=f_bytes(6, f_varint(1, 20) + f_bytes(2, "hello"))))
    with open(os.path.join(out_dir, "events.out.tfevents.1700000000.independent"), "wb") as f:
        f.write(b"".join(record(r) for r in recs))
    with open(os.path.join(out_dir, "same_records.tfrecord"), "wb") as f:
        f.write(b"".join(record(r) for r in same_records()))


def same_records():
    """The records CSharp's EventFileWriter must reproduce byte for byte (see EventFileTests)."""
    recs = [event(1700000000.5, extra=f_bytes(3, "brain.Event:2"))]
    for step, tag, x, wall in [(10, "Reward / Total reward (mean)", 1.5, 1700000001.25),
                               (10, "Loss / Policy loss", -0.125, 1700000001.25),
                               (20, "metrics / reached_fraction (mean)", 0.75, 1700000002.0),
                               (3000000000, "Learning / Learning rate", 0.0003, 1700000003.0)]:
        recs.append(event(wall, step, [simple(tag, x)]))
    return recs


# --- reading ---
def fields(buf):
    pos = 0
    while pos < len(buf):
        k, pos = read_varint(buf, pos)
        field, wire = k >> 3, k & 7
        if wire == 0:
            v, pos = read_varint(buf, pos)
        elif wire == 1:
            v, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            v, pos = buf[pos:pos + 4], pos + 4
        elif wire == 2:
            n, pos = read_varint(buf, pos)
            v, pos = buf[pos:pos + n], pos + n
        else:
            raise ValueError("wire type %d" % wire)
        yield field, wire, v


def read_varint(buf, pos):
    n = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, pos


def read(path):
    data = open(path, "rb").read()
    pos, out = 0, {}
    while pos < len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        (len_crc,) = struct.unpack_from("<I", data, pos + 8)
        assert len_crc == masked(data[pos:pos + 8]), "bad length crc at %d" % pos
        body = data[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack_from("<I", data, pos + 12 + length)
        assert data_crc == masked(body), "bad data crc at %d" % pos
        pos += 12 + length + 4
        step = 0
        values = []
        for field, wire, v in fields(body):
            if field == 2:
                step = v
            elif field == 5:
                for vf, _, vv in fields(v):
                    if vf != 1:
                        continue
                    tag, x = None, None
                    for f2, _, v2 in fields(vv):
                        if f2 == 1:
                            tag = v2.decode()
                        elif f2 == 2:
                            (x,) = struct.unpack("<f", v2)
                    if tag is not None and x is not None:
                        values.append((tag, x))
        for tag, x in values:
            out.setdefault(tag, []).append([step, x])
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "read"):
        sys.exit(__doc__)
    write(sys.argv[2]) if sys.argv[1] == "write" else read(sys.argv[2])
