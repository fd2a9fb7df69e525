using System.Runtime.CompilerServices;

namespace RlTune.Learning;

/// <summary>
/// A float array on the pinned heap with a 64-byte aligned start, so kernels can hold a raw
/// pointer for the buffer's whole life without fixed blocks.
/// </summary>
public sealed unsafe class AlignedBuffer
{
    private readonly float[] _storage;
    private readonly int _offset;

    public AlignedBuffer(int length)
    {
        Length = length;
        _storage = GC.AllocateArray<float>(length + 16, pinned: true);
        var address = (nint)Unsafe.AsPointer(ref _storage[0]);
        _offset = (int)(((64 - (address & 63)) & 63) / sizeof(float));
    }

    public int Length { get; }
    public float* Pointer => (float*)Unsafe.AsPointer(ref _storage[_offset]);
    public Span<float> Span => _storage.AsSpan(_offset, Length);
    public void Clear() => Span.Clear();
}
