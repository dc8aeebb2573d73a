using System.Buffers.Text;
using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Fix;

/// <summary>
/// Appends "tag=value|" fields to a caller-owned span (the part of a message after the standard header).
/// Overflow is sticky: <see cref="Overflowed"/> tells the caller the span was too small, nothing throws.
/// </summary>
internal ref struct FixBody
{
    private readonly Span<byte> _buffer;
    private int _length;

    public FixBody(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
        Overflowed = false;
    }

    public readonly int Length => _length;
    public bool Overflowed { get; private set; }
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public void Add(int tag, scoped ReadOnlySpan<byte> value)
    {
        if (!TryTag(tag)) return;
        // Values never contain SOH: text copied from a peer has it replaced, so a field cannot forge another.
        if (_buffer.Length - _length < value.Length + 1) { Overflowed = true; return; }
        for (int i = 0; i < value.Length; i++)
        {
            byte b = value[i];
            _buffer[_length + i] = b == FixFramer.Soh ? (byte)' ' : b;
        }
        _length += value.Length;
        _buffer[_length++] = FixFramer.Soh;
    }

    public void Add(int tag, long value)
    {
        if (!TryTag(tag)) return;
        if (!Utf8Formatter.TryFormat(value, _buffer[_length..], out int written)) { Overflowed = true; return; }
        _length += written;
        End();
    }

    public void AddId(int tag, UInt128 value)
    {
        if (!TryTag(tag)) return;
        if (!value.TryFormat(_buffer[_length..], out int written, default, System.Globalization.CultureInfo.InvariantCulture)) { Overflowed = true; return; }
        _length += written;
        End();
    }

    public void AddChar(int tag, char value)
    {
        Span<byte> one = [(byte)value];
        Add(tag, one);
    }

    /// <summary>Minor units as the ledger's decimal text (exact).</summary>
    public void AddAmount(int tag, long minorUnits, byte scale)
    {
        Span<char> chars = stackalloc char[AmountText.MaxFormattedLength];
        if (!AmountText.TryFormat(chars, minorUnits, scale, out int n)) { Overflowed = true; return; }
        Span<byte> ascii = stackalloc byte[AmountText.MaxFormattedLength];
        for (int i = 0; i < n; i++) ascii[i] = (byte)chars[i];
        Add(tag, ascii[..n]);
    }

    public void AddTime(int tag, long unixNanoseconds)
    {
        Span<byte> text = stackalloc byte[FixTime.Length];
        FixTime.Format(unixNanoseconds, text);
        Add(tag, text);
    }

    /// <summary>Copies already-encoded fields (e.g. a stored body).</summary>
    public void AddRaw(scoped ReadOnlySpan<byte> fields)
    {
        if (_buffer.Length - _length < fields.Length) { Overflowed = true; return; }
        fields.CopyTo(_buffer[_length..]);
        _length += fields.Length;
    }

    private bool TryTag(int tag)
    {
        if (Overflowed) return false;
        if (!Utf8Formatter.TryFormat(tag, _buffer[_length..], out int written) || _length + written + 1 > _buffer.Length)
        {
            Overflowed = true;
            return false;
        }
        _length += written;
        _buffer[_length++] = (byte)'=';
        return true;
    }

    private void End()
    {
        if (_length >= _buffer.Length) { Overflowed = true; return; }
        _buffer[_length++] = FixFramer.Soh;
    }
}
