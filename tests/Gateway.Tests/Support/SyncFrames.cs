using System.Buffers.Binary;
using System.Net.Sockets;
using Wallet.Protocol;

namespace Wallet.Gateway.Tests.Support;

/// <summary>
/// Frames over a blocking socket, with no allocation per call (for the allocation tests: the client side must not be
/// what allocates). Heartbeats (template 4) are skipped on read.
/// </summary>
internal static class SyncFrames
{
    /// <summary>Sends <paramref name="message"/> (an SBE message without its SOFH) as one frame (allocates: setup only).</summary>
    public static void Send(Socket socket, byte[] message)
    {
        byte[] frame = new byte[Sofh.HeaderLength + message.Length];
        Sofh.Write(frame, frame.Length);
        message.CopyTo(frame, Sofh.HeaderLength);
        socket.Send(frame);
    }

    /// <summary>Reads exactly one frame into <paramref name="buffer"/>; returns its template id. Skips heartbeats.</summary>
    public static ushort Read(Socket socket, byte[] buffer)
    {
        while (true)
        {
            Exactly(socket, buffer.AsSpan(0, Sofh.HeaderLength));
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(buffer);
            Exactly(socket, buffer.AsSpan(Sofh.HeaderLength, length - Sofh.HeaderLength));
            ushort template = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(Sofh.HeaderLength + 2));
            if (template != 4) return template;
        }
    }

    private static void Exactly(Socket socket, Span<byte> into)
    {
        while (!into.IsEmpty)
        {
            int n = socket.Receive(into);
            if (n == 0) throw new InvalidOperationException("closed");
            into = into[n..];
        }
    }
}
