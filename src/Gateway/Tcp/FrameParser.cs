using Wallet.Protocol;

namespace Wallet.Gateway.Tcp;

/// <summary>What the next bytes of a stream hold.</summary>
internal enum FrameStatus
{
    /// <summary>Not a whole frame yet; read more.</summary>
    NeedMore,
    /// <summary>A whole frame of <c>frameLength</c> bytes is available.</summary>
    Complete,
    /// <summary>The SOFH length is smaller than the header itself: the stream cannot be resynchronised.</summary>
    BadLength,
    /// <summary>The SOFH length exceeds the limit: refusing to buffer it, the stream cannot be resynchronised.</summary>
    TooLarge,
}

/// <summary>SOFH framing over a receive buffer. The length is checked before waiting for the body.</summary>
internal static class FrameParser
{
    public static FrameStatus Next(ReadOnlySpan<byte> buffered, int maxFrameBytes, out int frameLength, out ushort encodingType)
    {
        frameLength = 0;
        if (!Sofh.TryRead(buffered, out uint length, out encodingType)) return FrameStatus.NeedMore;
        if (length < Sofh.HeaderLength) return FrameStatus.BadLength;
        if (length > (uint)maxFrameBytes) return FrameStatus.TooLarge;
        frameLength = (int)length;
        return buffered.Length >= frameLength ? FrameStatus.Complete : FrameStatus.NeedMore;
    }
}
